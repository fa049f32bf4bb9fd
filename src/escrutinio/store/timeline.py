"""The timeline's tables: entries, their numbered changes and readers' comments.

A mixin of :class:`~escrutinio.store.Store`; like the rest of the store, the
writing methods take the connection of a transaction the services opened.
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain.timeline import Change, Comment, Entry, Media, bulletin_headline
from . import schema

UTC = dt.timezone.utc
E, C, M = schema.timeline_entry.c, schema.timeline_change.c, schema.timeline_comment.c


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class TimelineTables:
    """Reads and writes of the timeline (``_reading`` comes from the Store)."""

    # -- entries --------------------------------------------------------------

    def add_entry(self, conn: Connection, values: dict) -> int:
        """Insert an entry (revision 0 until its first change is added); its id."""
        row = {**values, "posted_at": _utc(values["posted_at"]), "revision": 0}
        if row.get("data") is not None:
            row["data"] = json.dumps(row["data"], ensure_ascii=False, sort_keys=True)
        return conn.execute(schema.timeline_entry.insert().values(**row)).inserted_primary_key[0]

    def update_entry(self, conn: Connection, entry_id: int, values: dict) -> None:
        values = {k: _utc(v) if isinstance(v, dt.datetime) else v for k, v in values.items()}
        conn.execute(schema.timeline_entry.update().where(E.id == entry_id).values(**values))

    def entry(self, entry_id: int, conn: Connection | None = None) -> Entry | None:
        with self._reading(conn) as reading:
            row = reading.execute(sa.select(schema.timeline_entry).where(E.id == entry_id)).first()
            return self._entry(row, reading) if row else None

    def entry_for_bulletin(self, number: int, conn: Connection | None = None) -> Entry | None:
        with self._reading(conn) as reading:
            row = reading.execute(sa.select(schema.timeline_entry).where(E.bulletin_number == number)).first()
            return self._entry(row, reading) if row else None

    def entries(self, conn: Connection | None = None) -> list[Entry]:
        """Every entry, tombstones included, newest first (by when it was posted)."""
        query = sa.select(schema.timeline_entry).order_by(E.posted_at.desc(), E.id.desc())
        with self._reading(conn) as reading:
            return [self._entry(row, reading) for row in reading.execute(query).all()]

    def entries_changed(self, since: int, limit: int, conn: Connection | None = None) -> list[Entry]:
        """Entries whose latest change is after ``since``, in the order of those changes."""
        query = sa.select(schema.timeline_entry).where(E.revision > since).order_by(E.revision).limit(limit)
        with self._reading(conn) as reading:
            return [self._entry(row, reading) for row in reading.execute(query).all()]

    def bulletin_entries_as_stored(self, conn: Connection | None = None) -> list[dict]:
        """Every automatic bulletin entry with the figures stored with it when it was posted, by id."""
        query = sa.select(E.id, E.bulletin_number, E.data).where(E.bulletin_number.is_not(None)).order_by(E.id)
        with self._reading(conn) as reading:
            return [{"id": r.id, "bulletin_number": r.bulletin_number, "data": json.loads(r.data) if r.data else None}
                    for r in reading.execute(query)]

    def _entry(self, row, conn: Connection) -> Entry:
        """The entry of ``row``; a bulletin entry's figures rendered from its bulletin (what the log's roots
        and ``escrutinio verify`` vouch for), not from the copy stored with the entry."""
        figures = json.loads(row.data) if row.data else None
        if row.bulletin_number is not None:
            figures = self._bulletin_figures(row.bulletin_number, conn)
        return Entry(row.id, row.kind, row.body, bool(row.pinned),
                     Media(row.media_url, row.media_title) if row.media_url else None, figures, row.author,
                     _utc(row.posted_at), _utc(row.updated_at), _utc(row.deleted_at), row.delete_reason, row.revision)

    def _bulletin_figures(self, number: int, conn: Connection) -> dict:
        """A bulletin's headline figures, made once per bulletin (published bulletins never change)."""
        cache = self.__dict__.setdefault("_headlines", {})
        if number not in cache:
            bulletin = self.bulletin(number, conn)
            cache[number] = bulletin_headline(bulletin.body, bulletin.root)
        return cache[number]

    # -- changes --------------------------------------------------------------

    def lock_timeline(self, conn: Connection) -> None:
        """Make timeline writers take turns until this transaction ends, so change numbers are given
        in commit order and a reader asking "since N" never misses one. Take it before touching rows
        (no deadlock); SQLite already has one writer at a time."""
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("LOCK TABLE timeline_change IN EXCLUSIVE MODE"))

    def add_change(self, conn: Connection, entry_id: int, values: dict) -> int:
        """Number the next change (last + 1, under ``lock_timeline``), record it, make it the entry's revision."""
        last = conn.execute(sa.select(sa.func.max(C.id))).scalar_one()
        number = (last or 0) + 1
        conn.execute(schema.timeline_change.insert().values(id=number, entry_id=entry_id, **{
            **values, "at": _utc(values["at"])}))
        conn.execute(schema.timeline_entry.update().where(E.id == entry_id).values(revision=number))
        return number

    def changes(self, entry_ids: list[int], conn: Connection | None = None) -> list[Change]:
        """The changes of these entries, oldest first."""
        if not entry_ids:
            return []
        query = sa.select(schema.timeline_change).where(C.entry_id.in_(entry_ids)).order_by(C.id)
        with self._reading(conn) as reading:
            return [Change(r.id, r.entry_id, _utc(r.at), r.action, r.editor, r.reason, r.body,
                           Media(r.media_url, r.media_title) if r.media_url else None)
                    for r in reading.execute(query)]

    def last_change(self, conn: Connection | None = None) -> int:
        with self._reading(conn) as reading:
            return reading.execute(sa.select(sa.func.max(C.id))).scalar_one() or 0

    # -- comments -------------------------------------------------------------

    def add_comment(self, conn: Connection, entry_id: int, name: str, body: str, status: str,
                    now: dt.datetime) -> int:
        return conn.execute(schema.timeline_comment.insert().values(
            entry_id=entry_id, name=name, body=body, status=status, posted_at=_utc(now))).inserted_primary_key[0]

    def comment(self, comment_id: int, conn: Connection | None = None) -> Comment | None:
        with self._reading(conn) as reading:
            row = reading.execute(sa.select(schema.timeline_comment).where(M.id == comment_id)).first()
        return _comment(row) if row else None

    def moderate_comment(self, conn: Connection, comment_id: int, status: str, moderator: str,
                         reason: str | None, now: dt.datetime) -> bool:
        """Approve or reject a comment still pending; False if it no longer is."""
        done = conn.execute(schema.timeline_comment.update().where(M.id == comment_id, M.status == "pending")
                            .values(status=status, moderator=moderator, reason=reason, moderated_at=_utc(now)))
        return done.rowcount == 1

    def comments(self, *, entry_ids: list[int] | None = None, status: str | None = None,
                 conn: Connection | None = None) -> list[Comment]:
        """Comments, oldest first: of these entries, with this status (None: any)."""
        query = sa.select(schema.timeline_comment).order_by(M.id)
        if entry_ids is not None:
            if not entry_ids:
                return []
            query = query.where(M.entry_id.in_(entry_ids))
        if status is not None:
            query = query.where(M.status == status)
        with self._reading(conn) as reading:
            return [_comment(row) for row in reading.execute(query)]


def _comment(row) -> Comment:
    return Comment(row.id, row.entry_id, row.name, row.body, row.status, _utc(row.posted_at),
                   _utc(row.moderated_at), row.moderator, row.reason)

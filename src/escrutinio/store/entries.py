"""Actas entered at the centre (manual double entry, recounts), their scanned paper actas, and the register
of refused actas.

A mixin of :class:`~escrutinio.store.Store`; writing methods take the connection of a transaction the
services opened.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ..domain.model import COUNTED, Acta
from . import schema

UTC = dt.timezone.utc
A, RF, RS = schema.acta.c, schema.refused_acta.c, schema.refused_summary.c


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class EntryTables:
    """Reads and writes of entered actas, images and refusals (``ids``, ``_reading`` come from the Store)."""

    def insert_entered_acta(self, conn: Connection, acta: Acta, digest: str, content: str, status: str,
                            reasons: str, source: str, at: dt.datetime, entry: str,
                            image_sha256: str | None = None, confirmed_by: str | None = None) -> int:
        """Insert one acta entered at the centre (``content`` and ``reasons`` as their stored JSON text); its id.
        The caller holds the log's write lock, so the id is chosen as insert_actas chooses it."""
        from .store import _new_ids, pack_counts

        [acta_id] = _new_ids(conn, schema.acta, 1)
        conn.execute(schema.acta.insert().values(
            id=acta_id, table_id=self.ids.table[acta.table], contest_id=self.ids.contest[acta.contest],
            digest=digest, content=content, status=status, reasons=reasons, source=source, received_at=_utc(at),
            signature=None, entry=entry, confirmed_by=confirmed_by, image_sha256=image_sha256,
            counts=pack_counts(acta, self.election().contest_by_code[acta.contest].option_codes)))
        return acta_id

    def confirm_acta(self, conn: Connection, acta_id: int, status: str, confirmed_by: str,
                     image_sha256: str | None) -> None:
        values = {"status": status, "confirmed_by": confirmed_by}
        if image_sha256:
            values["image_sha256"] = sa.func.coalesce(A.image_sha256, image_sha256)
        conn.execute(schema.acta.update().where(A.id == acta_id).values(**values))

    def entered_tables(self, conn: Connection | None = None) -> dict[str, int]:
        """How many tables have a counted acta entered by hand (``manual``) or by a board's recount (``recount``)."""
        query = sa.select(A.entry, sa.func.count(sa.distinct(A.table_id))) \
            .where(A.status == COUNTED, A.entry.is_not(None)).group_by(A.entry)
        with self._reading(conn) as reading:
            return {entry: count for entry, count in reading.execute(query)}

    # -- scanned paper actas ---------------------------------------------------

    def add_image(self, conn: Connection, sha256: str, media_type: str, data: bytes, at: dt.datetime) -> None:
        """Keep an image once by its SHA-256 (the same scan given again is not stored twice)."""
        found = conn.execute(sa.select(schema.acta_image.c.sha256).where(schema.acta_image.c.sha256 == sha256))
        if found.first() is None:
            conn.execute(schema.acta_image.insert().values(sha256=sha256, media_type=media_type, data=data,
                                                           stored_at=_utc(at)))

    def image(self, sha256: str, conn: Connection | None = None) -> tuple[str, bytes] | None:
        """(media type, bytes) of the image with this SHA-256, if kept."""
        c = schema.acta_image.c
        with self._reading(conn) as reading:
            row = reading.execute(sa.select(c.media_type, c.data).where(c.sha256 == sha256)).first()
        return (row.media_type, bytes(row.data)) if row else None

    # -- refused actas -----------------------------------------------------------

    def add_refused(self, conn: Connection, rows: list[dict], keep: int) -> None:
        """Record refusals (dicts of at, table_code, source, reason, sha256); then, past ``keep`` rows, fold the
        oldest into per-reason counts until a tenth of the room is free again (so a flood folds once per
        tenth, not once per refusal). Each folded row is counted once, whoever folds at the same time: the
        rows a DELETE returns are the ones summed."""
        if not rows:
            return
        conn.execute(schema.refused_acta.insert(), [{**r, "at": _utc(r["at"])} for r in rows])
        held = conn.execute(sa.select(sa.func.count()).select_from(schema.refused_acta)).scalar_one()
        if held <= keep:
            return
        low = max(0, keep - max(1, keep // 10))
        cut = conn.execute(sa.select(RF.id).order_by(RF.id).limit(1).offset(held - low - 1)).scalar_one_or_none()
        if cut is None:
            return
        folded: dict[str, list] = {}
        for reason, at in conn.execute(schema.refused_acta.delete().where(RF.id <= cut)
                                       .returning(RF.reason, RF.at)):
            at = _utc(at)
            entry = folded.setdefault(reason, [0, at, at])
            entry[0] += 1
            entry[1], entry[2] = min(entry[1], at), max(entry[2], at)
        insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(schema.refused_summary)
        for reason, (count, first, last) in folded.items():
            statement = insert.values(reason=reason, count=count, first_at=first, last_at=last)
            conn.execute(statement.on_conflict_do_update(index_elements=["reason"], set_={
                "count": schema.refused_summary.c.count + statement.excluded.count,
                "first_at": sa.func.least(RS.first_at, statement.excluded.first_at)
                if conn.dialect.name == "postgresql" else sa.func.min(RS.first_at, statement.excluded.first_at),
                "last_at": sa.func.greatest(RS.last_at, statement.excluded.last_at)
                if conn.dialect.name == "postgresql" else sa.func.max(RS.last_at, statement.excluded.last_at)}))

    def refused(self, limit: int | None = None, conn: Connection | None = None) -> list[dict]:
        """The refusals kept one by one, oldest first (the last ``limit`` of them, if given)."""
        query = sa.select(schema.refused_acta).order_by(RF.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._reading(conn) as reading:
            rows = [dict(r._mapping) for r in reading.execute(query)]
        for row in rows:
            row["at"] = _utc(row["at"])
        return rows[::-1]

    def refused_summary(self, conn: Connection | None = None) -> list[dict]:
        """The refusals folded out of the register: per reason, how many, the first and the last time."""
        with self._reading(conn) as reading:
            rows = [dict(r._mapping) for r in reading.execute(sa.select(schema.refused_summary)
                                                              .order_by(RS.reason))]
        for row in rows:
            row["first_at"], row["last_at"] = _utc(row["first_at"]), _utc(row["last_at"])
        return rows

    def refused_counts(self, conn: Connection | None = None) -> dict[str, int]:
        """Every refusal ever recorded, per reason: those kept one by one and those folded."""
        counts: dict[str, int] = {}
        with self._reading(conn) as reading:
            for reason, n in reading.execute(sa.select(RF.reason, sa.func.count()).group_by(RF.reason)):
                counts[reason] = counts.get(reason, 0) + n
            for reason, n in reading.execute(sa.select(RS.reason, RS.count)):
                counts[reason] = counts.get(reason, 0) + int(n)
        return dict(sorted(counts.items()))


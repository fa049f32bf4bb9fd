"""Partner webhooks' tables: subscribers with their marks, and the delivery log.

A mixin of :class:`~escrutinio.store.Store`; writing methods take the connection of a
transaction the services opened.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import schema

S, D = schema.webhook_subscriber.c, schema.webhook_delivery.c
UTC = dt.timezone.utc
MARKS = ("bulletin_mark", "acta_event_mark", "timeline_mark")


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class WebhookTables:
    """Reads and writes of the partner webhooks (``_reading`` comes from the Store)."""

    def add_subscriber(self, conn: Connection, url: str, secret: str, events: list[str], marks: dict[str, int],
                       now: dt.datetime) -> int:
        return conn.execute(schema.webhook_subscriber.insert().values(
            url=url, secret=secret, events=" ".join(events), active=True, created_at=_utc(now), **marks)
        ).inserted_primary_key[0]

    def subscribers(self, conn: Connection | None = None, active_only: bool = False) -> list[dict]:
        query = sa.select(schema.webhook_subscriber).order_by(S.id)
        if active_only:
            query = query.where(S.active.is_(True))
        with self._reading(conn) as reading:
            return [_subscriber(row) for row in reading.execute(query)]

    def subscriber_for_update(self, conn: Connection, subscriber_id: int) -> dict | None:
        """The subscriber, its row locked until the transaction ends (PostgreSQL; SQLite writes one at a time)."""
        row = conn.execute(sa.select(schema.webhook_subscriber).where(S.id == subscriber_id).with_for_update()
                           ).first()
        return None if row is None else _subscriber(row)

    def remove_subscriber(self, conn: Connection, subscriber_id: int, now: dt.datetime) -> bool:
        done = conn.execute(schema.webhook_subscriber.update().where(S.id == subscriber_id, S.active.is_(True))
                            .values(active=False, removed_at=_utc(now)))
        conn.execute(schema.webhook_delivery.update()
                     .where(D.subscriber_id == subscriber_id, D.status == "pending")
                     .values(status="cancelled", finished_at=_utc(now), next_attempt_at=None))
        return done.rowcount == 1

    def set_marks(self, conn: Connection, subscriber_id: int, marks: dict[str, int]) -> None:
        conn.execute(schema.webhook_subscriber.update().where(S.id == subscriber_id).values(**marks))

    def add_deliveries(self, conn: Connection, rows: list[dict]) -> None:
        if rows:
            conn.execute(schema.webhook_delivery.insert(), [
                {**row, "created_at": _utc(row["created_at"]), "next_attempt_at": _utc(row["next_attempt_at"])}
                for row in rows])

    def due_deliveries(self, now: dt.datetime, limit: int, conn: Connection | None = None) -> list[dict]:
        """Pending deliveries whose next attempt is due, oldest first, with their subscriber's URL and secret."""
        query = (sa.select(D.id, D.delivery_id, D.event, D.body, D.attempts, D.next_attempt_at, S.url, S.secret)
                 .join(schema.webhook_subscriber, S.id == D.subscriber_id)
                 .where(D.status == "pending", D.next_attempt_at <= _utc(now)).order_by(D.id).limit(limit))
        with self._reading(conn) as reading:
            return [{**row._mapping, "next_attempt_at": _utc(row.next_attempt_at)} for row in reading.execute(query)]

    def claim_delivery(self, conn: Connection, delivery_id: int, seen: dt.datetime, until: dt.datetime) -> bool:
        """Take a due delivery for one attempt (pushing its next attempt to ``until``); False if another
        process took it first."""
        done = conn.execute(schema.webhook_delivery.update()
                            .where(D.id == delivery_id, D.status == "pending", D.next_attempt_at == _utc(seen))
                            .values(next_attempt_at=_utc(until)))
        return done.rowcount == 1

    def record_attempt(self, conn: Connection, delivery_id: int, values: dict) -> None:
        values = {k: _utc(v) if isinstance(v, dt.datetime) else v for k, v in values.items()}
        conn.execute(schema.webhook_delivery.update().where(D.id == delivery_id)
                     .values(attempts=D.attempts + 1, **values))

    def retry_delivery(self, conn: Connection, delivery_id: str, now: dt.datetime) -> bool:
        done = conn.execute(schema.webhook_delivery.update()
                            .where(D.delivery_id == delivery_id, D.status == "failed")
                            .values(status="pending", next_attempt_at=_utc(now), finished_at=None))
        return done.rowcount == 1

    def deliveries(self, subscriber_id: int | None = None, status: str | None = None, limit: int = 100,
                   conn: Connection | None = None) -> list[dict]:
        """The delivery log, newest first."""
        query = sa.select(schema.webhook_delivery).order_by(D.id.desc()).limit(limit)
        if subscriber_id is not None:
            query = query.where(D.subscriber_id == subscriber_id)
        if status is not None:
            query = query.where(D.status == status)
        with self._reading(conn) as reading:
            return [{**row._mapping, "created_at": _utc(row.created_at), "finished_at": _utc(row.finished_at),
                     "next_attempt_at": _utc(row.next_attempt_at)} for row in reading.execute(query)]

    # -- what happened since a mark ------------------------------------------------

    def event_marks(self, conn: Connection) -> dict[str, int]:
        """The current marks: last bulletin number, acta event id and timeline change id."""
        def last(column: sa.Column) -> int:
            return conn.execute(sa.select(sa.func.max(column))).scalar_one() or 0
        return {"bulletin_mark": last(schema.bulletin.c.number), "acta_event_mark": last(schema.acta_event.c.id),
                "timeline_mark": last(schema.timeline_change.c.id)}

    def bulletins_after(self, conn: Connection, number: int, limit: int) -> list[dict]:
        b = schema.bulletin.c
        query = (sa.select(b.number, b.cut_off, b.published_at, b.hash, b.previous_hash)
                 .where(b.number > number).order_by(b.number).limit(limit))
        return [{"number": r.number, "cut_off": _utc(r.cut_off), "published_at": _utc(r.published_at),
                 "hash": r.hash, "previous_hash": r.previous_hash} for r in conn.execute(query)]

    def acta_events_after(self, conn: Connection, event_id: int, limit: int) -> list[dict]:
        """Acta events after ``event_id`` with their acta's table and contest codes and current status."""
        e, a = schema.acta_event.c, schema.acta.c
        t, c = schema.polling_table.c, schema.contest.c
        query = (sa.select(e.id, e.acta_id, e.at, e.action, e.reason, a.status, t.code.label("table"),
                           c.code.label("contest"))
                 .join(schema.acta, a.id == e.acta_id).join(schema.polling_table, t.id == a.table_id)
                 .join(schema.contest, c.id == a.contest_id)
                 .where(e.id > event_id).order_by(e.id).limit(limit))
        return [{**r._mapping, "at": _utc(r.at)} for r in conn.execute(query)]

    def timeline_changes_after(self, conn: Connection, change_id: int, limit: int) -> list[dict]:
        ch, en = schema.timeline_change.c, schema.timeline_entry.c
        query = (sa.select(ch.id, ch.entry_id, ch.at, ch.action, en.kind, en.body, en.bulletin_number,
                           en.posted_at, en.deleted_at)
                 .join(schema.timeline_entry, en.id == ch.entry_id)
                 .where(ch.id > change_id).order_by(ch.id).limit(limit))
        return [{**r._mapping, "at": _utc(r.at), "posted_at": _utc(r.posted_at), "deleted_at": _utc(r.deleted_at)}
                for r in conn.execute(query)]


def _subscriber(row) -> dict:
    return {"id": row.id, "url": row.url, "secret": row.secret, "events": row.events.split(),
            "active": bool(row.active), "created_at": _utc(row.created_at), "removed_at": _utc(row.removed_at),
            **{mark: getattr(row, mark) for mark in MARKS}}

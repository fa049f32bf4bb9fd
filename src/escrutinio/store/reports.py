"""Observers' reports in the store: inbound messages, incidents with their changes, quick-count results.

A mixin of :class:`~escrutinio.store.Store`; writing methods take the
connection of a transaction the services opened.
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import schema

UTC = dt.timezone.utc
M, I, C, R = schema.observer_message.c, schema.incident.c, schema.incident_change.c, schema.observer_result.c


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ReportTables:
    """Reads and writes of messages, incidents and results (``_reading`` comes from the Store)."""

    def message(self, channel: str, message_id: str, conn: Connection | None = None) -> dict | None:
        query = sa.select(schema.observer_message).where(M.channel == channel, M.message_id == message_id)
        with self._reading(conn) as reading:
            row = reading.execute(query).first()
        return None if row is None else dict(row._mapping)

    def add_message(self, conn: Connection, values: dict) -> int:
        return conn.execute(schema.observer_message.insert().values(**values)).inserted_primary_key[0]

    def message_counts(self, conn: Connection | None = None) -> dict[str, int]:
        query = sa.select(M.outcome, sa.func.count()).group_by(M.outcome)
        with self._reading(conn) as reading:
            return dict(reading.execute(query).all())

    def add_incident(self, conn: Connection, values: dict) -> int:
        return conn.execute(schema.incident.insert().values(**values)).inserted_primary_key[0]

    def update_incident(self, conn: Connection, incident_id: int, values: dict) -> None:
        conn.execute(schema.incident.update().where(I.id == incident_id).values(**values))

    def add_incident_change(self, conn: Connection, values: dict) -> None:
        conn.execute(schema.incident_change.insert().values(**values))

    def incidents(self, conn: Connection | None = None, **equal: object) -> list[dict]:
        """Incidents, newest first, where each given column equals its value."""
        query = sa.select(schema.incident).order_by(I.reported_at.desc(), I.id.desc())
        for column, value in equal.items():
            query = query.where(I[column] == value)
        with self._reading(conn) as reading:
            return [_times(dict(row._mapping), "reported_at", "updated_at") for row in reading.execute(query)]

    def incident(self, incident_id: int, conn: Connection | None = None) -> dict | None:
        found = self.incidents(conn, id=incident_id)
        return found[0] if found else None

    def incident_changes(self, incident_id: int, conn: Connection | None = None) -> list[dict]:
        query = sa.select(schema.incident_change).where(C.incident_id == incident_id).order_by(C.id)
        with self._reading(conn) as reading:
            return [_times(dict(row._mapping), "at") for row in reading.execute(query)]

    def add_result(self, conn: Connection, table: str, contest: str, votes: dict[str, int], values: dict) -> None:
        conn.execute(schema.observer_result.insert().values(
            table_code=table, contest=contest, votes=json.dumps(votes, sort_keys=True), valid=sum(votes.values()),
            **values))

    def latest_results(self, conn: Connection | None = None) -> list[tuple[str, str, dict[str, int], int, dt.datetime]]:
        """(table, contest, votes, valid, received_at) of the latest result of every table and contest."""
        latest = sa.select(sa.func.max(R.id)).group_by(R.table_code, R.contest)
        query = (sa.select(R.table_code, R.contest, R.votes, R.valid, R.received_at)
                 .where(R.id.in_(latest)).order_by(R.received_at, R.id))
        with self._reading(conn) as reading:
            return [(t, c, json.loads(v), n, _utc(at)) for t, c, v, n, at in reading.execute(query)]


def _times(row: dict, *keys: str) -> dict:
    for key in keys:
        row[key] = _utc(row[key])
    return row


class CountTables:
    """The quick count's saved sample and the claims (``_reading`` comes from the Store)."""

    def save_sample(self, conn: Connection, seed: str, size: int, strata: str | None, now: dt.datetime) -> None:
        conn.execute(schema.quickcount_sample.insert().values(seed=seed, size=size, strata=strata, saved_at=now))

    def saved_sample(self, conn: Connection | None = None) -> dict | None:
        """The latest saved sample (seed, size, strata), or None."""
        query = sa.select(schema.quickcount_sample).order_by(schema.quickcount_sample.c.id.desc()).limit(1)
        with self._reading(conn) as reading:
            row = reading.execute(query).first()
        return None if row is None else _times(dict(row._mapping), "saved_at")

    def add_claim(self, conn: Connection, values: dict) -> int:
        return conn.execute(schema.claim.insert().values(**values)).inserted_primary_key[0]

    def claims(self, conn: Connection | None = None) -> list[dict]:
        query = sa.select(schema.claim).order_by(schema.claim.c.said_at, schema.claim.c.id)
        with self._reading(conn) as reading:
            return [_times(dict(row._mapping), "said_at", "created_at") for row in reading.execute(query)]

"""A previous election in the store: one at a time, replaced whole when loaded again.

A mixin of :class:`~escrutinio.store.Store`; writing methods take the
connection of a transaction the services opened.
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain.comparison import PreviousElection
from . import schema

P, U = schema.previous_election.c, schema.previous_unit.c


class PreviousTables:
    def save_previous(self, conn: Connection, previous: PreviousElection, now: dt.datetime) -> None:
        conn.execute(schema.previous_unit.delete())
        conn.execute(schema.previous_election.delete())
        settings = {"date": previous.date, "options": [list(o) for o in previous.options],
                    "mapping": previous.mapping, "unit": previous.unit, "unmatched": list(previous.unmatched),
                    "split": list(previous.split), "source": previous.source}
        pid = conn.execute(schema.previous_election.insert().values(
            name=previous.name, settings=json.dumps(settings, ensure_ascii=False), loaded_at=now)
        ).inserted_primary_key[0]
        rows = [{"previous_id": pid, "code": code, "figures": json.dumps(list(figures))}
                for code, figures in previous.units.items()]
        for start in range(0, len(rows), 5000):
            conn.execute(schema.previous_unit.insert(), rows[start:start + 5000])
        self._previous = None

    def previous(self, conn: Connection | None = None) -> PreviousElection | None:
        """The loaded previous election, or None (its units read once per load, then kept in memory)."""
        with self._reading(conn) as reading:
            head = reading.execute(sa.select(schema.previous_election)).first()
            if head is None:
                return None
            cached = getattr(self, "_previous", None)
            if cached is not None and cached[0] == head.id:
                return cached[1]
            units = {code: tuple(json.loads(figures)) for code, figures in
                     reading.execute(sa.select(U.code, U.figures).where(U.previous_id == head.id))}
        s = json.loads(head.settings)
        loaded = PreviousElection(head.name, s["date"], tuple(tuple(o) for o in s["options"]), s["mapping"],
                                  s["unit"], units, tuple(s["unmatched"]), tuple(s["split"]), s["source"])
        self._previous = (head.id, loaded)
        return loaded

"""The observers' tables: the accreditation registry, phones and tokens that act for an observer.

A mixin of :class:`~escrutinio.store.Store`; writing methods take the
connection of a transaction the services opened.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain.observation import Observer
from . import schema

O, P, T = schema.observer.c, schema.observer_phone.c, schema.observer_token.c


class ObserverTables:
    """Reads and writes of the observers (``_reading`` comes from the Store)."""

    def put_observer(self, conn: Connection, observer: Observer, now: dt.datetime) -> bool:
        """Insert or replace (by accreditation) an observer and their phones; True when new."""
        values = {"kind": observer.kind, "organisation": observer.organisation, "name": observer.name,
                  "assignment": observer.assignment, "status": observer.status, "updated_at": now}
        found = conn.execute(sa.select(O.id).where(O.accreditation == observer.accreditation)).scalar()
        new = found is None
        if new:
            found = conn.execute(schema.observer.insert().values(accreditation=observer.accreditation, **values)
                                 ).inserted_primary_key[0]
        else:
            conn.execute(schema.observer.update().where(O.id == found).values(**values))
            conn.execute(schema.observer_phone.delete().where(P.observer_id == found))
        if observer.phones:
            conn.execute(schema.observer_phone.insert(), [{"phone": p, "observer_id": found} for p in observer.phones])
        return new

    def phone_owners(self, conn: Connection | None = None) -> dict[str, str]:
        """Every registered phone and the accreditation of its observer."""
        query = sa.select(P.phone, O.accreditation).join(schema.observer, O.id == P.observer_id)
        with self._reading(conn) as reading:
            return dict(reading.execute(query).all())

    def accreditations(self, conn: Connection | None = None) -> set[str]:
        with self._reading(conn) as reading:
            return set(reading.execute(sa.select(O.accreditation)).scalars())

    def observers(self, conn: Connection | None = None) -> list[tuple[int, Observer]]:
        """Every observer with their id, by accreditation."""
        with self._reading(conn) as reading:
            phones: dict[int, list[str]] = {}
            for phone, owner in reading.execute(sa.select(P.phone, P.observer_id).order_by(P.phone)):
                phones.setdefault(owner, []).append(phone)
            rows = reading.execute(sa.select(schema.observer).order_by(O.accreditation)).all()
        return [(r.id, _observer(r, phones.get(r.id, []))) for r in rows]

    def observer_by_phone(self, phone: str, conn: Connection | None = None) -> tuple[int, Observer] | None:
        with self._reading(conn) as reading:
            owner = reading.execute(sa.select(P.observer_id).where(P.phone == phone)).scalar()
        return None if owner is None else self.observer_by_id(owner, conn)

    def observer_by_id(self, observer_id: int, conn: Connection | None = None) -> tuple[int, Observer] | None:
        with self._reading(conn) as reading:
            row = reading.execute(sa.select(schema.observer).where(O.id == observer_id)).first()
            phones = reading.execute(sa.select(P.phone).where(P.observer_id == observer_id).order_by(P.phone)
                                     ).scalars().all()
        return None if row is None else (row.id, _observer(row, phones))

    def observer_id(self, accreditation: str, conn: Connection | None = None) -> int | None:
        with self._reading(conn) as reading:
            return reading.execute(sa.select(O.id).where(O.accreditation == accreditation)).scalar()

    def observer_counts(self, conn: Connection | None = None) -> list[tuple[str, str, str, int]]:
        """(kind, organisation, status, observers) for every group: no names, no phones."""
        query = (sa.select(O.kind, O.organisation, O.status, sa.func.count())
                 .group_by(O.kind, O.organisation, O.status).order_by(O.kind, O.organisation, O.status))
        with self._reading(conn) as reading:
            return [tuple(row) for row in reading.execute(query)]

    def link_observer_token(self, conn: Connection, token_id: int, observer_id: int) -> None:
        conn.execute(schema.observer_token.insert().values(token_id=token_id, observer_id=observer_id))

    def observer_of_token(self, token_id: int, conn: Connection | None = None) -> int | None:
        with self._reading(conn) as reading:
            return reading.execute(sa.select(T.observer_id).where(T.token_id == token_id)).scalar()


def _observer(row, phones: list[str]) -> Observer:
    return Observer(row.accreditation, row.kind, row.organisation, row.name, tuple(phones), row.assignment,
                    row.status)

"""Store: the election, its actas with their history, and its bulletins.

SQLAlchemy Core over SQLite (WAL, one writer at a time) or PostgreSQL.
Services own the transactions: every write method takes the connection of
a ``with store.transaction() as conn:`` block.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain.bulletin import Bulletin
from ..domain.errors import AlreadyInitialised, NotFound, NotInitialised, WriteConflict
from ..domain.model import COUNTED, Acta, ActaEvent, ActaRecord, Election
from . import election_io, schema

UTC = dt.timezone.utc


def utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Store:
    def __init__(self, url: str):
        self.url = url
        self.engine = _engine(url)
        self._election: Election | None = None
        self._ids: election_io.Ids | None = None

    def close(self) -> None:
        self.engine.dispose()

    def migrate(self) -> None:
        """Bring the schema up to date (safe to run again)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
        with self.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def reset(self) -> None:
        """Drop every escrutinio table (and the migration mark): an empty database again."""
        with self.engine.begin() as conn:
            schema.metadata.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        self._election = None
        self._ids = None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.IntegrityError as exc:  # services retry without knowing SQLAlchemy's errors
            raise WriteConflict(str(exc.orig)) from exc

    # -- the election -------------------------------------------------------

    def has_election(self) -> bool:
        insp = sa.inspect(self.engine)
        if not insp.has_table("election"):
            return False
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(schema.election)).scalar_one() > 0

    def save_election(self, conn: Connection, election: Election, now: dt.datetime) -> None:
        if conn.execute(sa.select(sa.func.count()).select_from(schema.election)).scalar_one():
            raise AlreadyInitialised("this database already holds an election; use a new database")
        election_io.save(conn, election, now)
        self._election = None

    def election(self) -> Election:
        if self._election is None:
            if not self.has_election():
                raise NotInitialised("this database holds no election: run `escrutinio init DEFINITION` first")
            with self.engine.connect() as conn:
                self._election, self._ids = election_io.load(conn)
        return self._election

    @property
    def ids(self) -> election_io.Ids:
        self.election()
        return self._ids

    # -- actas --------------------------------------------------------------

    def slot_actas(self, conn: Connection, slots: list[tuple[str, str]]) -> dict[tuple[str, str], list[ActaRecord]]:
        """The actas held for each (table, contest) slot asked for, oldest first."""
        ids = self.ids
        wanted = {(ids.table[t], ids.contest[c]) for t, c in slots}
        found: dict[tuple[str, str], list[ActaRecord]] = {slot: [] for slot in slots}
        table_ids = sorted({t for t, _ in wanted})
        for chunk in _chunks(table_ids, 500):
            rows = conn.execute(sa.select(schema.acta).where(schema.acta.c.table_id.in_(chunk))
                                .order_by(schema.acta.c.id))
            for row in rows:
                if (row.table_id, row.contest_id) in wanted:
                    record = self._record(row)
                    found[(record.acta.table, record.acta.contest)].append(record)
        return found

    def add_actas(self, conn: Connection, rows: list[tuple[Acta, str, str, tuple[str, ...], str, dt.datetime]]
                  ) -> list[int]:
        """Insert (acta, digest, status, reasons, source, received_at) rows; their ids, in order."""
        if not rows:
            return []
        ids = self.ids
        params = [{"table_id": ids.table[a.table], "contest_id": ids.contest[a.contest], "digest": key,
                   "content": json.dumps(a.as_dict(), sort_keys=True), "status": status,
                   "reasons": json.dumps(list(reasons), ensure_ascii=False), "source": source,
                   "received_at": utc(at)} for a, key, status, reasons, source, at in rows]
        statement = schema.acta.insert().returning(schema.acta.c.id, sort_by_parameter_order=True)
        return [row.id for row in conn.execute(statement, params)]

    def set_status(self, conn: Connection, acta_id: int, status: str) -> None:
        conn.execute(schema.acta.update().where(schema.acta.c.id == acta_id).values(status=status))

    def add_event(self, conn: Connection, event: ActaEvent) -> None:
        conn.execute(schema.acta_event.insert().values(
            acta_id=event.acta_id, at=utc(event.at), action=event.action, operator=event.operator,
            reason=event.reason))

    def add_events(self, conn: Connection, events: list[ActaEvent]) -> None:
        if events:
            conn.execute(schema.acta_event.insert(), [
                {"acta_id": e.acta_id, "at": utc(e.at), "action": e.action, "operator": e.operator,
                 "reason": e.reason} for e in events])

    def actas(self, conn: Connection | None = None, table: str | None = None) -> Iterator[ActaRecord]:
        query = sa.select(schema.acta).order_by(schema.acta.c.id)
        if table is not None:
            if table not in self.ids.table:
                raise NotFound("table", table)
            query = query.where(schema.acta.c.table_id == self.ids.table[table])
        with self._reading(conn) as c:
            for row in c.execute(query):
                yield self._record(row)

    def acta_events(self, acta_id: int, conn: Connection | None = None) -> list[ActaEvent]:
        query = sa.select(schema.acta_event).where(schema.acta_event.c.acta_id == acta_id) \
            .order_by(schema.acta_event.c.id)
        with self._reading(conn) as c:
            return [ActaEvent(r.acta_id, utc(r.at), r.action, r.operator, r.reason) for r in c.execute(query)]

    def acta_states(self, conn: Connection | None = None) -> Iterator[tuple[str, str, str, Acta | None]]:
        """(table, contest, status, acta if counted) for every stored acta, oldest first."""
        table_code = {v: k for k, v in self.ids.table.items()}
        contest_code = {v: k for k, v in self.ids.contest.items()}
        a = schema.acta.c
        query = sa.select(a.table_id, a.contest_id, a.status, a.content).order_by(a.id)
        with self._reading(conn) as c:
            for table_id, contest_id, status, content in c.execute(query):
                acta = self._acta(content) if status == COUNTED else None
                yield table_code[table_id], contest_code[contest_id], status, acta

    def _acta(self, content: str) -> Acta:
        data = json.loads(content)
        order = self.election().contest_by_code[data["contest"]].option_codes
        votes = data["votes"]
        return Acta(data["table"], data["contest"], tuple((code, votes[code]) for code in order), data["null"],
                    data["blank"], data["ballots_cast"])

    def _record(self, row) -> ActaRecord:
        return ActaRecord(row.id, self._acta(row.content), row.digest, row.status, tuple(json.loads(row.reasons)),
                          row.source, utc(row.received_at))

    # -- bulletins ----------------------------------------------------------

    def add_bulletin(self, conn: Connection, bulletin: Bulletin, published_at: dt.datetime) -> None:
        from ..domain.canonical import canonical_json

        conn.execute(schema.bulletin.insert().values(
            number=bulletin.number, cut_off=utc(bulletin.cut_off), published_at=utc(published_at),
            hash=bulletin.hash, previous_hash=bulletin.previous_hash,
            body=zlib.compress(canonical_json(bulletin.body), 6)))

    def last_bulletin_head(self, conn: Connection | None = None) -> tuple[int, str] | None:
        query = sa.select(schema.bulletin.c.number, schema.bulletin.c.hash) \
            .order_by(schema.bulletin.c.number.desc()).limit(1)
        with self._reading(conn) as c:
            row = c.execute(query).first()
        return (row.number, row.hash) if row else None

    def bulletin(self, number: int, conn: Connection | None = None) -> Bulletin:
        query = sa.select(schema.bulletin).where(schema.bulletin.c.number == number)
        with self._reading(conn) as c:
            row = c.execute(query).first()
        if row is None:
            raise NotFound("bulletin", number)
        return Bulletin(row.number, json.loads(zlib.decompress(row.body)), row.hash)

    def bulletin_heads(self, conn: Connection | None = None) -> list[dict]:
        query = sa.select(schema.bulletin.c.number, schema.bulletin.c.cut_off, schema.bulletin.c.published_at,
                          schema.bulletin.c.hash, schema.bulletin.c.previous_hash).order_by(schema.bulletin.c.number)
        with self._reading(conn) as c:
            return [{"number": r.number, "cut_off": utc(r.cut_off), "published_at": utc(r.published_at),
                     "hash": r.hash, "previous_hash": r.previous_hash} for r in c.execute(query)]

    @contextmanager
    def _reading(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
            return
        with self.engine.connect() as fresh:
            yield fresh


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)

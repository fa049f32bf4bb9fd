"""Store: the election, its actas with their history, and its bulletins.

SQLAlchemy Core over SQLite (WAL, one writer at a time) or PostgreSQL.
Services own the transactions: every write method takes the connection of
a ``with store.transaction() as conn:`` block.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain.bulletin import FORMAT, READABLE, Bulletin, Nodes
from ..domain.errors import AlreadyInitialised, NotFound, NotInitialised, WriteConflict
from ..domain.canonical import ActaJson
from ..domain.model import CONFLICTING, COUNTED, QUARANTINED, Acta, ActaEvent, ActaRecord, Contest, Election
from . import election_io, faults, schema
from .observation import ObserverTables
from .entries import EntryTables
from .previous import PreviousTables
from .reports import CountTables, ReportTables
from .timeline import TimelineTables
from .webhooks import WebhookTables

UTC = dt.timezone.utc
BULLETINS_KEPT = 8


def utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Store(TimelineTables, ObserverTables, ReportTables, CountTables, PreviousTables, WebhookTables, EntryTables):
    def __init__(self, url: str):
        self.url = url
        self.engine = _engine(url)
        self._election: Election | None = None
        self._ids: election_io.Ids | None = None
        self._keys: dict[str, bytes] | None = None
        self._bulletins: dict[int, Bulletin] = {}
        self._nodes: Nodes | None = None
        self._table_codes: dict[int, str] | None = None
        # Transactions begun by this process so far: what it caches of the store (rendered pages) is stale
        # once this changes. Writes by other processes are seen by looking at the store itself.
        self.writes = 0

    def close(self) -> None:
        self.engine.dispose()

    def forget_night(self) -> None:
        """Drop the bulletins and keys held in memory (after the night was cleared)."""
        self._keys, self._bulletins = None, {}

    def check_writable_files(self) -> None:
        """A SQLite file, its WAL companions and its folder must be writable: checked before a connection is
        opened, because SQLite maps its WAL index into memory, and an unwritable one can end the process
        (SIGBUS) rather than fail a statement. Raises StoreUnavailable saying which (nothing to do on PostgreSQL).
        """
        if self.engine.dialect.name == "sqlite":
            faults.check_sqlite_files(self.engine.url.database)

    def check_writable(self) -> None:
        """Raise StoreUnavailable, saying why, unless the store can be written now: a write transaction
        takes the log's write lock and inserts no row into the log (PostgreSQL refuses any INSERT in a
        read-only transaction, however many rows it would write), then rolls back."""
        self.check_writable_files()
        leaf = schema.log_leaf
        with self.engine.connect() as conn, conn.begin() as probe:
            _take_log_lock(conn)
            conn.execute(leaf.insert().from_select(list(leaf.c), sa.select(*leaf.c).where(sa.false())))
            probe.rollback()

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
        self._keys = None
        self._bulletins = {}

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        faults.before_writing(self.engine)
        self.writes += 1
        try:
            with self.engine.begin() as conn:
                yield conn
            faults.written(self.engine)
            self.writes += 1
        except sa.exc.IntegrityError as exc:  # services retry without knowing SQLAlchemy's errors
            raise WriteConflict(str(exc.orig)) from exc

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """One connection for several reads: no write, no lock, and what this process keeps of the store (its
        count of ``writes``) stays as it is."""
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def log_writing(self) -> Iterator[Connection]:
        """A transaction that holds the public log's write lock from its first statement.

        Everything that appends to the log (actas, decisions, keys, bulletins) runs one at a time:
        a bulletin then counts exactly the actas of the tree it names, and two writers can never
        both count different actas for one table and contest. Readers are never blocked.
        """
        with self.transaction() as conn:
            _take_log_lock(conn)
            yield conn

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
            self._nodes, self._table_codes = None, None
        return self._election

    @property
    def ids(self) -> election_io.Ids:
        self.election()
        return self._ids

    # -- table keys ---------------------------------------------------------

    def set_table_keys(self, conn: Connection, keys: dict[str, bytes], now: dt.datetime) -> None:
        """Register (or replace) the public keys of the given tables."""
        ids = self.ids
        # In chunks: one IN list of every table of a large country exceeds SQLite's limit on variables.
        for chunk in _chunks([ids.table[t] for t in keys], 500):
            conn.execute(schema.table_key.delete().where(schema.table_key.c.table_id.in_(chunk)))
        conn.execute(schema.table_key.insert(), [{"table_id": ids.table[t], "public_key": key,
                                                  "registered_at": utc(now)} for t, key in keys.items()])
        self._keys = None

    def held_keys(self, conn: Connection, tables: list[str]) -> dict[str, bytes]:
        """The keys registered now for those of ``tables`` that have one (read in ``conn``, uncached)."""
        ids, code, held = self.ids, self._table_code(), {}
        k = schema.table_key.c
        for chunk in _chunks([ids.table[t] for t in tables], 500):
            for table_id, key in conn.execute(sa.select(k.table_id, k.public_key).where(k.table_id.in_(chunk))):
                held[code[table_id]] = bytes(key)
        return held

    def table_keys(self, refresh: bool = False) -> dict[str, bytes]:
        """Public keys by table code (cached; ``refresh`` reads them again)."""
        if self._keys is None or refresh:
            code = self._table_code()
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(schema.table_key.c.table_id, schema.table_key.c.public_key))
                self._keys = {code[table_id]: bytes(key) for table_id, key in rows}
        return self._keys

    # -- actas --------------------------------------------------------------

    def slot_actas(self, conn: Connection, slots: list[tuple[str, str]]) -> dict[tuple[str, str], list[ActaRecord]]:
        """The actas held for each (table, contest) slot asked for, oldest first."""
        ids = self.ids
        wanted = {(ids.table[t], ids.contest[c]) for t, c in slots}
        found: dict[tuple[str, str], list[ActaRecord]] = {slot: [] for slot in slots}
        table_ids = sorted({t for t, _ in wanted})
        for chunk in _chunks(table_ids, 500):
            # First only the ids, as plain values (the ids are ints, written into the query): most
            # actas of these tables are for other slots, and most slots are still empty.
            listed = conn.exec_driver_sql(f"SELECT id, table_id, contest_id FROM acta "
                                          f"WHERE table_id IN ({', '.join(map(str, chunk))})")
            held = sorted(acta_id for acta_id, table, contest in listed if (table, contest) in wanted)
            for part in _chunks(held, 500):
                for row in conn.execute(sa.select(schema.acta).where(schema.acta.c.id.in_(part))
                                        .order_by(schema.acta.c.id)):
                    record = self._record(row)
                    found[(record.acta.table, record.acta.contest)].append(record)
        return found

    def add_actas(self, conn: Connection,
                  rows: list[tuple[Acta, str, str, tuple[str, ...], str, dt.datetime, bytes | None]]) -> list[int]:
        """Insert (acta, digest, status, reasons, source, received_at, signature) rows; their ids, in order."""
        contests = self.election().contest_by_code
        return self.insert_actas(conn, [(a.table, a.contest, key, json.dumps(a.as_dict(), sort_keys=True), status,
                                         reasons_json(reasons), source, at, signature,
                                         pack_counts(a, contests[a.contest].option_codes))
                                        for a, key, status, reasons, source, at, signature in rows])

    def insert_actas(self, conn: Connection,
                     rows: list[tuple[str, str, str, str, str, str, str, dt.datetime, bytes | None, bytes | None]]
                     ) -> list[int]:
        """Insert (table, contest, digest, content, status, reasons, source, received_at, signature, counts) rows,
        the content and reasons as their stored JSON text already (``content_json``, ``reasons_json``), the
        counts packed (``pack_counts``); their ids, in order.

        The ids are chosen here as the database would (max + 1 on SQLite, the id sequence on PostgreSQL):
        the caller holds the log's write lock (``log_writing``), so no other writer adds actas meanwhile.
        """
        if not rows:
            return []
        ids = self.ids
        table, contest = ids.table, ids.contest
        at = _Binder(conn, schema.acta.c.received_at)
        new = _new_ids(conn, schema.acta, len(rows))
        _insert(conn, schema.acta, ("id", "table_id", "contest_id", "digest", "content", "status", "reasons",
                                    "source", "received_at", "signature", "counts"),
                [(i, table[t], contest[c], key, content, status, reasons, source, at(when), signature, counts)
                 for i, (t, c, key, content, status, reasons, source, when, signature, counts) in zip(new, rows)])
        return new

    def acta(self, acta_id: int, conn: Connection | None = None) -> ActaRecord:
        with self._reading(conn) as reading:
            row = reading.execute(sa.select(schema.acta).where(schema.acta.c.id == acta_id)).first()
        if row is None:
            raise NotFound("acta", acta_id)
        return self._record(row)

    def set_status(self, conn: Connection, acta_id: int, status: str) -> None:
        conn.execute(schema.acta.update().where(schema.acta.c.id == acta_id).values(status=status))

    def add_event(self, conn: Connection, event: ActaEvent) -> None:
        conn.execute(schema.acta_event.insert().values(
            acta_id=event.acta_id, at=utc(event.at), action=event.action, operator=event.operator,
            reason=event.reason))

    def add_events(self, conn: Connection, events: list[ActaEvent]) -> None:
        if events:
            at = _Binder(conn, schema.acta_event.c.at)
            _insert(conn, schema.acta_event, ("acta_id", "at", "action", "operator", "reason"),
                    [(e.acta_id, at(e.at), e.action, e.operator, e.reason) for e in events])

    def actas(self, conn: Connection | None = None, table: str | None = None) -> Iterator[ActaRecord]:
        query = sa.select(schema.acta).order_by(schema.acta.c.id)
        if table is not None:
            if table not in self.ids.table:
                raise NotFound("table", table)
            query = query.where(schema.acta.c.table_id == self.ids.table[table])
        with self._reading(conn) as c:
            for row in c.execute(query):
                yield self._record(row)

    def actas_page(self, after: int, limit: int, conn: Connection | None = None) -> list[ActaRecord]:
        query = sa.select(schema.acta).where(schema.acta.c.id > after).order_by(schema.acta.c.id).limit(limit)
        with self._reading(conn) as c:
            return [self._record(row) for row in c.execute(query)]

    def acta_events(self, acta_id: int, conn: Connection | None = None) -> list[ActaEvent]:
        query = sa.select(schema.acta_event).where(schema.acta_event.c.acta_id == acta_id) \
            .order_by(schema.acta_event.c.id)
        with self._reading(conn) as c:
            return [ActaEvent(r.acta_id, utc(r.at), r.action, r.operator, r.reason) for r in c.execute(query)]

    def acta_events_of(self, first: int, last: int, conn: Connection | None = None) -> dict[int, list[ActaEvent]]:
        """The history of every acta with an id from ``first`` to ``last``, by acta id, oldest first."""
        e = schema.acta_event.c
        query = sa.select(schema.acta_event).where(e.acta_id >= first, e.acta_id <= last).order_by(e.id)
        found: dict[int, list[ActaEvent]] = {}
        with self._reading(conn) as c:
            for r in c.execute(query):
                found.setdefault(r.acta_id, []).append(ActaEvent(r.acta_id, utc(r.at), r.action, r.operator, r.reason))
        return found

    def acta_count_columns(self, conn: Connection | None = None) -> dict[str, tuple[np.ndarray, np.ndarray,
                                                                                    np.ndarray]]:
        """Per contest code, its stored actas as columns: the index in ``election().tables`` of each one's table,
        whether it is counted / quarantined / conflicting (three boolean rows stacked), and the counts of the
        counted ones (``pack_counts``'s order), a row each, in the order the first column lists them.

        Read as one value per (contest, status) group, not a row per acta: the table ids of the group's actas
        as one text (``group_concat`` on SQLite, ``string_agg`` on PostgreSQL) and their packed counts as one
        blob, both aggregates over the same rows in the same order. On SQLite this reads the covering index
        ix_acta_tally alone, group after group in index order. An acta without packed counts (written by an
        older version and not migrated, or a count beyond int32) is left out of both and read from its JSON.
        At most one acta of a (table, contest) slot is counted, so the order within a group does not matter."""
        election = self.election()
        contests = election.contest_by_code
        code_of = {contest_id: code for code, contest_id in self.ids.contest.items()}
        position = self._table_positions()
        # A group's blob holds up to one counted acta per table: tables taken a range of ids at a time when the
        # widest contest would pack more than _GROUP_BYTES (SQLite's and PostgreSQL's values end at 1 GB).
        span = max(1, _GROUP_BYTES // (4 * max((len(c.option_codes) + 3 for c in election.contests), default=3)))
        ranges = [None] if span >= len(position) else [(lo, lo + span) for lo in range(0, len(position), span)]
        parts: dict[str, list[tuple[int, np.ndarray, np.ndarray | None]]] = {}
        with self._reading(conn) as c:
            cursor = c.connection.dbapi_connection.cursor()
            try:
                for bounds in ranges:
                    cursor.execute(*_tally_query(c.dialect.name, bounds))
                    for contest_id, status, tables, packed, missing in cursor.fetchall():
                        code = code_of[contest_id]
                        kind = _KIND.get(status, 0)
                        width = len(contests[code].option_codes) + 3
                        ids = np.fromstring(tables, dtype=np.int64, sep=",") if tables else np.zeros(0, np.int64)
                        counts = np.frombuffer(packed or b"", dtype="<i4").reshape(-1, width) if kind == 1 else None
                        if missing:
                            more_ids, more_counts = self._unpacked_actas(c, [int(i) for i in missing.split(",")],
                                                                         contests[code].option_codes)
                            ids = np.concatenate([ids, more_ids])
                            if counts is not None:
                                counts = np.concatenate([counts, more_counts])
                        parts.setdefault(code, []).append((kind, position[ids], counts))
            finally:
                cursor.close()
        out = {}
        for code in sorted(parts, key=lambda code: self.ids.contest[code]):
            tables = np.concatenate([p[1] for p in parts[code]])
            kinds = np.repeat(np.array([p[0] for p in parts[code]], dtype=np.int8), [len(p[1]) for p in parts[code]])
            flags = np.stack([kinds == 1, kinds == 2, kinds == 4])
            width = len(contests[code].option_codes) + 3
            counted = [p[2] for p in parts[code] if p[2] is not None]
            # int32 as packed (int64 where some were read from JSON): no copy of the whole contest made here.
            counts = counted[0] if len(counted) == 1 else np.concatenate([np.zeros((0, width), dtype="<i4")] + counted)
            out[code] = (tables, flags, counts)
        return out

    def _unpacked_actas(self, c: Connection, ids: list[int], order: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The table ids of the actas ``ids`` and their counts read from their JSON, in that order."""
        tables, counts = [], []
        a = schema.acta.c
        for chunk in _chunks(sorted(ids), 500):
            for table_id, content in c.execute(sa.select(a.table_id, a.content).where(a.id.in_(chunk)).order_by(a.id)):
                tables.append(table_id)
                counts.append(_content_counts(content, order))
        return (np.array(tables, dtype=np.int64),
                np.array(counts, dtype=np.int64).reshape(-1, len(order) + 3))

    def _table_positions(self) -> np.ndarray:
        """position[table id]: that table's index in ``election().tables`` (-1: no such table). The election
        lists its tables in id order, as ``ids.table`` holds them: no look-up by code (a million at 1M tables)."""
        table = self.ids.table
        ids = np.fromiter(table.values(), dtype=np.int64, count=len(table))
        position = np.full(int(ids.max()) + 1 if len(ids) else 0, -1, dtype=np.int64)
        position[ids] = np.arange(len(ids))
        return position

    def _acta(self, content: str) -> Acta:
        data = json.loads(content)
        order = self.election().contest_by_code[data["contest"]].option_codes
        votes = data["votes"]
        return Acta(data["table"], data["contest"], tuple((code, votes[code]) for code in order), data["null"],
                    data["blank"], data["ballots_cast"])

    def _record(self, row) -> ActaRecord:
        signature = base64.b64encode(bytes(row.signature)).decode() if row.signature else None
        return ActaRecord(row.id, self._acta(row.content), row.digest, row.status, tuple(json.loads(row.reasons)),
                          row.source, utc(row.received_at), signature, row.entry, row.confirmed_by,
                          row.image_sha256)

    def slot_statuses(self, conn: Connection | None = None) -> Iterator[tuple[str, str, str]]:
        """(table, contest, status) of every stored acta: no figures read (transmission progress)."""
        table_code, contest_code = self._table_code(), {v: k for k, v in self.ids.contest.items()}
        with self._reading(conn) as c:
            for table_id, contest_id, status in c.exec_driver_sql("SELECT table_id, contest_id, status FROM acta"):
                yield table_code[table_id], contest_code[contest_id], status

    def acta_marks(self, conn: Connection) -> tuple[int, int]:
        """The last acta id and the last acta event id: where a reader of changes has got to."""
        last_acta = conn.execute(sa.select(sa.func.max(schema.acta.c.id))).scalar_one()
        last_event = conn.execute(sa.select(sa.func.max(schema.acta_event.c.id))).scalar_one()
        return last_acta or 0, last_event or 0

    def changed_slots(self, conn: Connection, acta_after: int, event_after: int) -> set[tuple[str, str]]:
        """(table, contest) slots with an acta stored, or an acta event, after the given marks."""
        a, e = schema.acta.c, schema.acta_event.c
        # Two index range scans (new actas; actas of new events), not one scan of every acta.
        touched = sa.select(e.acta_id).where(e.id > event_after)
        query = sa.union(sa.select(a.table_id, a.contest_id).where(a.id > acta_after),
                         sa.select(a.table_id, a.contest_id).where(a.id.in_(touched)))
        table_code, contest_code = self._table_code(), {v: k for k, v in self.ids.contest.items()}
        return {(table_code[t], contest_code[c]) for t, c in conn.execute(query)}

    def _table_code(self) -> dict[int, str]:
        """Table code by database id (made once per election: a national one has a million tables)."""
        self.election()
        if self._table_codes is None:
            self._table_codes = {v: k for k, v in self.ids.table.items()}
        return self._table_codes

    # -- the log ------------------------------------------------------------

    def append_log(self, conn: Connection, leaves: list[tuple[str, int, bytes, bytes]], now: dt.datetime) -> int:
        """Append (kind, ref, data, leaf hash) leaves after the last one; returns the first new position."""
        last = conn.execute(sa.select(sa.func.max(schema.log_leaf.c.position))).scalar_one()
        start = 0 if last is None else last + 1
        if leaves:
            at = _Binder(conn, schema.log_leaf.c.appended_at)(now)
            _insert(conn, schema.log_leaf, ("position", "kind", "ref", "data", "leaf_hash", "appended_at"),
                    [(start + i, kind, ref, data, digest, at) for i, (kind, ref, data, digest) in enumerate(leaves)])
        return start

    def log_hashes(self, start: int = 0, conn: Connection | None = None) -> list[bytes]:
        c = schema.log_leaf.c
        query = sa.select(c.leaf_hash).where(c.position >= start).order_by(c.position)
        with self._reading(conn) as reading:
            return [bytes(h) for (h,) in reading.execute(query)]

    def log_leaves(self, start: int, end: int, conn: Connection | None = None) -> list[dict]:
        c = schema.log_leaf.c
        query = sa.select(c.position, c.kind, c.ref, c.data, c.leaf_hash) \
            .where(c.position >= start, c.position < end).order_by(c.position)
        with self._reading(conn) as reading:
            return [{"position": r.position, "kind": r.kind, "ref": r.ref, "data": bytes(r.data),
                     "leaf_hash": bytes(r.leaf_hash)} for r in reading.execute(query)]

    def log_leaves_of(self, kind: str, ref: int, conn: Connection | None = None) -> list[dict]:
        """Every leaf of (``kind``, ``ref``), in log order: position and data."""
        c = schema.log_leaf.c
        query = sa.select(c.position, c.data).where(c.kind == kind, c.ref == ref).order_by(c.position)
        with self._reading(conn) as reading:
            return [{"position": r.position, "data": bytes(r.data)} for r in reading.execute(query)]

    def key_replacement_count(self, conn: Connection | None = None) -> int:
        """How many table keys were replaced (key_replacement leaves): a cache of keys is stale if it changed."""
        c = schema.log_leaf.c
        with self._reading(conn) as reading:
            return reading.execute(sa.select(sa.func.count()).where(c.kind == "key_replacement")).scalar_one()

    def log_position(self, kind: str, ref: int, conn: Connection | None = None) -> int | None:
        c = schema.log_leaf.c
        query = sa.select(c.position).where(c.kind == kind, c.ref == ref).order_by(c.position).limit(1)
        with self._reading(conn) as reading:
            return reading.execute(query).scalar_one_or_none()

    def authority_key(self, conn: Connection | None = None) -> tuple[bytes, bytes | None] | None:
        """(public key, private key or None) of the authority, if it has one yet."""
        with self._reading(conn) as reading:
            row = reading.execute(sa.select(schema.authority).where(schema.authority.c.id == 1)).first()
        return (bytes(row.public_key), bytes(row.private_key) if row.private_key else None) if row else None

    def set_authority_key(self, conn: Connection, public: bytes, private: bytes | None, now: dt.datetime) -> None:
        conn.execute(schema.authority.insert().values(id=1, public_key=public, private_key=private,
                                                      created_at=utc(now)))

    # -- operator tokens ----------------------------------------------------

    def add_token(self, conn: Connection, name: str, role: str, token_hash: str, now: dt.datetime) -> int:
        return conn.execute(schema.operator_token.insert().values(
            name=name, role=role, token_hash=token_hash, created_at=utc(now))).inserted_primary_key[0]

    def token_by_hash(self, token_hash: str) -> dict | None:
        query = sa.select(schema.operator_token).where(schema.operator_token.c.token_hash == token_hash)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return dict(row._mapping) if row else None

    def tokens(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(schema.operator_token).order_by(schema.operator_token.c.id))
            return [{k: v for k, v in r._mapping.items() if k != "token_hash"} for r in rows]

    def revoke_token(self, conn: Connection, token_id: int, now: dt.datetime) -> bool:
        c = schema.operator_token.c
        done = conn.execute(schema.operator_token.update().where(c.id == token_id, c.revoked_at.is_(None))
                            .values(revoked_at=utc(now)))
        return done.rowcount == 1

    # -- bulletins ----------------------------------------------------------

    def add_bulletin(self, conn: Connection, bulletin: Bulletin, published_at: dt.datetime,
                     tally: bytes | None = None) -> None:
        """Store a bulletin; ``tally``: the per-table counters it was built from (see last_tally)."""
        from ..domain.canonical import canonical_json

        counters = b"".join(zlib.compress(bulletin.counter_bytes(c["code"]), 1) for c in bulletin.body["contests"])
        if bulletin.previous is not None:  # the previous election's figures: one more stream after the contests'
            counters += zlib.compress(bulletin.previous_bytes(), 1)
        conn.execute(schema.bulletin.insert().values(
            number=bulletin.number, cut_off=utc(bulletin.cut_off), published_at=utc(published_at),
            hash=bulletin.hash, previous_hash=bulletin.previous_hash,
            body=zlib.compress(canonical_json(bulletin.body), 6), counters=counters,
            tally=zlib.compress(tally, 1) if tally is not None else None))

    def last_tally(self, conn: Connection) -> bytes | None:
        """The per-table counters the last bulletin was built from, as add_bulletin was given them."""
        b = schema.bulletin.c
        data = conn.execute(sa.select(b.tally).order_by(b.number.desc()).limit(1)).scalar()
        return zlib.decompress(data) if data is not None else None

    def bulletin_tally(self, number: int, conn: Connection | None = None) -> bytes | None:
        """The per-table counters bulletin ``number`` was built from (as add_bulletin was given them), if kept."""
        b = schema.bulletin.c
        with self._reading(conn) as c:
            data = c.execute(sa.select(b.tally).where(b.number == number)).scalar()
        return zlib.decompress(data) if data is not None else None

    def nodes(self) -> Nodes:
        """The election's areas and centres in bulletin order (read once)."""
        election = self.election()
        if self._nodes is None:
            self._nodes = Nodes(election)
        return self._nodes

    def last_bulletin_head(self, conn: Connection | None = None) -> tuple[int, str] | None:
        query = sa.select(schema.bulletin.c.number, schema.bulletin.c.hash) \
            .order_by(schema.bulletin.c.number.desc()).limit(1)
        with self._reading(conn) as c:
            row = c.execute(query).first()
        return (row.number, row.hash) if row else None

    def versions(self, conn: Connection | None = None) -> dict[str, tuple]:
        """Marks of everything the public pages show, in one statement that only reads the ends of indexes
        (and the few rows of the observers' and incidents' tables): each mark changes when what it names
        changes, whichever process wrote it. Web pages kept in memory compare them (web/capacity.py).

        ``bulletin``: the latest bulletin; ``actas``: the public log (actas, decisions, keys, bulletins, the
        release), acta events and refused actas; ``timeline``: entries, their changes (post, edit, pin,
        delete) and comments; ``observation``: observers, their messages and results, the quick count's
        sample, incidents and their changes; ``claims``; ``previous``: a previous election loaded;
        ``tokens``: operator tokens (names shown by role)."""
        def top(column):
            return sa.select(sa.func.max(column)).scalar_subquery()

        def count(table):
            return sa.select(sa.func.count()).select_from(table).scalar_subquery()

        groups = {
            "bulletin": (top(schema.bulletin.c.number),),
            "actas": (top(schema.log_leaf.c.position), top(schema.acta_event.c.id), top(schema.refused_acta.c.id)),
            "timeline": (top(schema.timeline_entry.c.id), top(schema.timeline_change.c.id),
                         top(schema.timeline_comment.c.id), top(schema.timeline_comment.c.moderated_at)),
            "observation": (count(schema.observer), top(schema.observer.c.updated_at),
                            top(schema.observer_message.c.id), top(schema.observer_result.c.id),
                            top(schema.quickcount_sample.c.id), top(schema.incident.c.id),
                            top(schema.incident.c.updated_at), top(schema.incident_change.c.id)),
            "claims": (top(schema.claim.c.id),),
            "previous": (top(schema.previous_election.c.id),),
            "tokens": (top(schema.operator_token.c.id), top(schema.operator_token.c.revoked_at)),
        }
        columns = [column for marks in groups.values() for column in marks]
        with self._reading(conn) as reading:
            row = list(reading.execute(sa.select(*columns)).one())
        out = {}
        for name, marks in groups.items():
            out[name], row = tuple(row[:len(marks)]), row[len(marks):]
        return out

    def bulletin(self, number: int, conn: Connection | None = None) -> Bulletin:
        """Bulletin ``number``. Published bulletins never change, so the last few read are kept in memory."""
        cached = self._bulletins.get(number)
        if cached is not None:
            return cached
        query = sa.select(schema.bulletin).where(schema.bulletin.c.number == number)
        with self._reading(conn) as c:
            row = c.execute(query).first()
        if row is None:
            raise NotFound("bulletin", number)
        head = json.loads(zlib.decompress(row.body))
        if head.get("format") not in READABLE or row.counters is None:
            raise NotFound("bulletin", f"{number} in format {FORMAT} (it was published in {head.get('format')} "
                                       "by an earlier version; publish the night again in a new store)")
        earlier = _previous(head, row.counters, len(self.nodes())) if isinstance(head.get("previous"), dict) else None
        found = Bulletin(row.number, head, row.hash, _counters(head, row.counters, len(self.nodes())), self.nodes(),
                         earlier)
        self._bulletins[number] = found
        while len(self._bulletins) > BULLETINS_KEPT:
            self._bulletins.pop(next(iter(self._bulletins)))
        return found

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


def _counters(head: dict, data: bytes, rows: int) -> dict:
    """The contests' counter matrices, from the zlib streams written one after the other."""
    out = {}
    for contest in head["contests"]:
        stream = zlib.decompressobj()
        raw = stream.decompress(data)
        data = stream.unused_data
        columns = len(head["counters"]["columns"][contest["code"]])
        out[contest["code"]] = np.frombuffer(raw, dtype="<i8").reshape(rows, columns)
    return out


def _previous(head: dict, data: bytes, rows: int) -> np.ndarray:
    """The previous election's matrix: the stream after the contests' (bulletins whose head names one)."""
    for _ in head["contests"]:
        stream = zlib.decompressobj()
        stream.decompress(data)
        data = stream.unused_data
    raw = zlib.decompress(data)
    return np.frombuffer(raw, dtype="<i8").reshape(rows, len(head["previous"]["columns"]))


_GROUP_BYTES = 1 << 28
_KIND = {COUNTED: 1, QUARANTINED: 2, CONFLICTING: 4}  # the flags acta_count_columns gives; any other status: 0


def _tally_query(dialect: str, bounds: tuple[int, int] | None) -> tuple[str, tuple]:
    """acta_count_columns's query: per (contest, status), the table ids of the actas with packed counts (text,
    comma-separated), their packed counts (one blob, in the same order) and the ids of those without."""
    if dialect == "postgresql":
        fields = ("string_agg(table_id::text, ',' ORDER BY id) FILTER (WHERE counts IS NOT NULL), "
                  "string_agg(counts, ''::bytea ORDER BY id), "
                  "string_agg(id::text, ',' ORDER BY id) FILTER (WHERE counts IS NULL)")
        where = "table_id >= %s AND table_id < %s"
    else:  # one scan of ix_acta_tally, a group after another in its order (no sort); unary + keeps it so
        fields = ("group_concat(table_id) FILTER (WHERE counts IS NOT NULL), CAST(group_concat(counts, '') AS BLOB), "
                  "group_concat(id) FILTER (WHERE counts IS NULL)")
        where = "+table_id >= ? AND +table_id < ?"
    return (f"SELECT contest_id, status, {fields} FROM acta {'WHERE ' + where if bounds else ''} "
            "GROUP BY contest_id, status", bounds or ())


def content_json(contest: Contest) -> ActaJson:
    """The stored content of ``contest``'s actas: ``json.dumps(acta.as_dict(), sort_keys=True)``."""
    return ActaJson(contest, ascii=True, separators=(", ", ": "))


def _content_counts(content: str, order: tuple[str, ...]) -> list[int]:
    """The counts of an acta's stored JSON in acta.counts's order: the votes in ballot order (``order``), then
    null, blank and ballots cast."""
    data = json.loads(content)
    votes = data["votes"]
    return [votes.get(code, 0) for code in order] + [data["null"], data["blank"], data["ballots_cast"]]


def pack_counts(acta: Acta, order: tuple[str, ...]) -> bytes | None:
    """The acta.counts column: int32 little-endian, the votes in ballot order (``order``: the contest's option
    codes), then null, blank and ballots cast; None if a count does not fit (the content is read then)."""
    votes = acta.votes
    if len(votes) == len(order) and all(code == given for (given, _), code in zip(votes, order)):
        values = [n for _, n in votes]  # in ballot order already, as the rules make an acta
    else:
        found = dict(votes)
        values = [found.get(code, 0) for code in order]
    try:
        return _packer(len(values) + 3).pack(*values, acta.null, acta.blank, acta.ballots_cast)
    except struct.error:
        return None


@functools.lru_cache(maxsize=None)
def _packer(width: int) -> struct.Struct:
    return struct.Struct(f"<{width}i")


def reasons_json(reasons: tuple[str, ...]) -> str:
    """The stored quarantine reasons of an acta."""
    return json.dumps(list(reasons), ensure_ascii=False) if reasons else "[]"


def _new_ids(conn: Connection, table: sa.Table, n: int) -> list[int]:
    """``n`` new ids of ``table``, increasing, as its inserts would take them (no other writer at work)."""
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
                                    "FROM generate_series(1, %s)", (n,))
        return sorted(i for (i,) in rows)
    last = conn.execute(sa.select(sa.func.max(table.c.id))).scalar_one() or 0
    return list(range(last + 1, last + 1 + n))


def _insert(conn: Connection, table: sa.Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """One executemany of plain DB-API values: SQLAlchemy's per-row work was most of an ingest's inserts."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) "
                         f"VALUES ({', '.join([mark] * len(columns))})", rows)


class _Binder:
    """A column's values as its SQLAlchemy type would send them to the database (UTC first, for times)."""

    def __init__(self, conn: Connection, column: sa.Column):
        self._process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect) or (lambda v: v)
        self._done: dict = {}

    def __call__(self, value: dt.datetime) -> object:
        found = self._done.get(value)
        if found is None:
            found = self._done[value] = self._process(utc(value))
        return found


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _take_log_lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("LOCK TABLE log_leaf IN EXCLUSIVE MODE"))
    else:  # SQLite: a write statement opens the transaction and takes the database's write lock
        conn.execute(schema.log_leaf.delete().where(sa.false()))


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
    else:
        engine = sa.create_engine(url, pool_pre_ping=True)
    sa.event.listen(engine, "handle_error", faults.unavailable)
    return engine

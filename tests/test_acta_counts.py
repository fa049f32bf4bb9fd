"""Each acta's counts are stored packed (acta.counts); a fresh process's tally is read from that column.

The tally read from the packed column equals the tally read from every acta's JSON (the old way), with
counted, quarantined and conflicting actas, recounts and annulments, and actas whose column is empty
(read from their JSON); migration 0012 fills the column of actas stored before it.
"""

from __future__ import annotations

import datetime as dt
import json
import struct
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escrutinio.domain.model import ANNULLED, AWAITING, COUNTED, CONFLICTING, QUARANTINED, SET_ASIDE, Acta
from escrutinio.domain.tally import Tally
from escrutinio.intake.actas import Record
from escrutinio.services import annul_acta, current_tally, ingest_records, init_election, resolve_conflict
from escrutinio.store import schema
from escrutinio.store import store as store_module
from escrutinio.store.store import content_json, pack_counts

from .factory import acta, small_election


def _ingest(store, *records: dict) -> None:
    outcomes = ingest_records(store, [Record("test", i, r) for i, r in enumerate(records, 1)])
    assert "rejected" not in [o.result for o in outcomes], outcomes


def _tally_from_json(store) -> Tally:
    """The tally as it was read before the packed column: every stored acta, its JSON parsed (Store.actas)."""
    slots: dict = {}
    for record in store.actas():
        a, status = record.acta, record.status
        slot = slots.setdefault((a.table, a.contest), [None, True, False, False])
        if status == COUNTED:
            slot[0] = [n for _, n in a.votes] + [a.null, a.blank, a.ballots_cast]
        slot[2] |= status == QUARANTINED
        slot[3] |= status == CONFLICTING
    tally = Tally(store.election())
    tally.load_counts(slots)
    return tally


def _assert_same(a: Tally, b: Tally) -> None:
    for code in a.contests:
        assert np.array_equal(a.contests[code].table_rows, b.contests[code].table_rows), code
        assert np.array_equal(a.contests[code].node_rows, b.contests[code].node_rows), code


def _night(store) -> None:
    _ingest(store, acta("T1", "Q"), acta("T2", "R", blank=0), acta("T4", "Q", {"YES": 100, "NO": 100}),
            acta("T1", "Q", {"YES": 61, "NO": 39}), acta("T3", "Q", {"YES": 7, "NO": 3}), acta("T5", "R", blank=0))
    first = next(r.id for r in store.actas() if (r.acta.table, r.acta.votes[0][1]) == ("T1", 61))
    resolve_conflict(store, "T1", "Q", first, "recount", "chief")
    annul_acta(store, next(r.id for r in store.actas() if r.acta.table == "T2"), "table never opened", "chief")
    _ingest(store, acta("T3", "Q", {"YES": 8, "NO": 2}), acta("T6", "Q"))


def test_the_packed_column_gives_the_tally_every_actas_json_gives(small_store):
    _night(small_store)
    with small_store.engine.connect() as conn:
        packed = conn.execute(sa.select(schema.acta.c.counts)).scalars().all()
    assert packed and all(isinstance(p, bytes) for p in packed)
    expected = _tally_from_json(small_store)
    assert expected.contests["Q"].table_rows[:, -1].any()  # something to compare
    _assert_same(current_tally(small_store), expected)
    with small_store.engine.begin() as conn:  # actas stored without the column are read from their JSON
        conn.execute(schema.acta.update().where(schema.acta.c.id % 2 == 0).values(counts=None))
    _assert_same(current_tally(small_store), expected)


def test_packed_counts_are_int32_in_ballot_order():
    from escrutinio.domain.model import Acta

    a = Acta("T1", "Q", (("NO", 40), ("YES", 60)), 3, 2, 105)
    assert pack_counts(a, ("YES", "NO")) == struct.pack("<5i", 60, 40, 3, 2, 105)
    assert pack_counts(a, ("YES", "NO", "MAYBE")) == struct.pack("<6i", 60, 40, 0, 3, 2, 105)
    assert pack_counts(Acta("T1", "Q", (("YES", 2**31),), 0, 0, 0), ("YES",)) is None


def test_migration_0012_fills_the_column_of_actas_stored_before_it(small_store):
    _night(small_store)
    expected = _tally_from_json(small_store)
    with small_store.engine.connect() as conn:
        before = dict(conn.execute(sa.select(schema.acta.c.id, schema.acta.c.counts)).all())
    config = Config()
    config.set_main_option("script_location", str(Path(schema.__file__).with_name("migrations")))
    with small_store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0011")
    with small_store.engine.connect() as conn:
        assert "counts" not in {c["name"] for c in sa.inspect(conn).get_columns("acta")}
    small_store.migrate()
    with small_store.engine.connect() as conn:
        after = dict(conn.execute(sa.select(schema.acta.c.id, schema.acta.c.counts)).all())
    assert after == before and None not in after.values()
    _assert_same(current_tally(small_store), expected)


# -- the tally read from the store's groups against the actas' JSON, on random stores -----------------------

STATUS_MIX = (COUNTED, QUARANTINED, CONFLICTING, SET_ASIDE, ANNULLED, AWAITING)


@st.composite
def stored_nights(draw, election) -> list[tuple[Acta, str, bool]]:
    """Actas as a store may hold them, in the order stored: (acta, status, whether its counts are packed).
    A slot holds up to four actas of any status, at most one counted (as intake and resolution keep it)."""
    figure = st.integers(0, 10**6) | st.sampled_from([0, 2**31 - 1, 2**31])  # 2**31: not packable (read from JSON)
    held = []
    for table in election.tables:
        for code in table.contests:
            contest = election.contest_by_code[code]
            statuses = draw(st.lists(st.sampled_from(STATUS_MIX[1:]), max_size=3)) + \
                [COUNTED] * draw(st.sampled_from([0, 1, 1]))
            for status in statuses:
                votes = tuple(zip(contest.option_codes, draw(st.lists(figure, min_size=len(contest.options),
                                                                      max_size=len(contest.options)))))
                acta_ = Acta(table.code, code, votes, draw(figure), draw(figure) if contest.blank else 0, draw(figure))
                held.append((acta_, status, draw(st.booleans())))
    # Stored in a drawn order, or against the tables' order (both aggregates must still pair up).
    return draw(st.permutations(held) | st.just(held[::-1]))


def _expected_rows(store) -> dict[str, dict[str, list[int]]]:
    """Per contest, per table with an acta, the counter row (the tally's columns), worked out here from each
    acta's stored JSON and status, with plain dicts."""
    election = store.election()
    slots: dict[tuple[str, str], list[tuple[str, dict]]] = {}
    with store.engine.connect() as conn:
        a, t, k = schema.acta.c, schema.polling_table.c, schema.contest.c
        query = sa.select(t.code, k.code, a.status, a.content).join_from(schema.acta, schema.polling_table) \
            .join(schema.contest).order_by(a.id)
        for table, contest, status, content in conn.execute(query):
            slots.setdefault((table, contest), []).append((status, json.loads(content)))
    rows: dict[str, dict[str, list[int]]] = {}
    for (table, contest), held in slots.items():
        registered = election.table_by_code[table].registered
        counted = [data for status, data in held if status == COUNTED]
        statuses = {status for status, _ in held}
        conflict = CONFLICTING in statuses
        if counted:
            data = counted[0]
            figures = [data["votes"].get(o, 0) for o in election.contest_by_code[contest].option_codes] + \
                [data["null"], data["blank"], data["ballots_cast"]]
        else:
            figures = [0] * (len(election.contest_by_code[contest].option_codes) + 3)
        ok = bool(counted)
        rows.setdefault(contest, {})[table] = figures + [
            registered if ok else 0, int(ok), 1, int(QUARANTINED in statuses and not ok), int(conflict),
            registered + election.extra_voters_allowed if ok and conflict else 0]
    return rows


def test_the_tally_read_by_groups_equals_one_worked_out_from_every_actas_json(store, monkeypatch):
    election = small_election(extra=3)
    init_election(store, election)
    parents = {a.code: a.parent for a in election.areas} | {c.code: c.area for c in election.centres}

    @given(held=stored_nights(election), group_bytes=st.sampled_from([1 << 28, 24, 40, 200]))
    @settings(max_examples=30, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    def check(held, group_bytes):
        # Small group sizes make the store read its tables a range of ids at a time (one range up to 256 MB).
        monkeypatch.setattr(store_module, "_GROUP_BYTES", group_bytes)
        with store.transaction() as conn:
            conn.execute(schema.acta.delete())
            contests = election.contest_by_code
            store.insert_actas(conn, [
                (a.table, a.contest, f"{i:064x}", content_json(contests[a.contest]).text(a), status, "[]",
                 "test", dt.datetime(2024, 5, 5, 20, tzinfo=dt.timezone.utc), None,
                 pack_counts(a, contests[a.contest].option_codes) if packed else None)
                for i, (a, status, packed) in enumerate(held)])
        expected = _expected_rows(store)
        tally = current_tally(store)
        for contest in election.contests:
            ct = tally.contests[contest.code]
            index = {t.code: i for i, t in enumerate(election.tables)}
            want = np.zeros_like(ct.table_rows)
            for table, row in expected.get(contest.code, {}).items():
                want[index[table]] = row
            assert np.array_equal(ct.table_rows, want), contest.code
            # Every area and centre: the sum of the rows of the tables beneath it.
            nodes: dict[str, np.ndarray] = {}
            for table in election.tables:
                node = table.centre
                while node is not None:
                    nodes[node] = nodes.get(node, 0) + want[index[table.code]]
                    node = parents[node]
            for i, node in enumerate(tally.geography.codes):
                assert np.array_equal(ct.node_rows[i], nodes.get(node, np.zeros_like(want[0]))), (contest.code, node)

    check()



def test_fill_columns_takes_the_last_counted_acta_of_a_table_named_twice():
    """fill_columns's slow branch (a table with two counted actas, which the store does not keep): the last one
    stored counts; a table named only by an uncounted acta is received and nothing more."""
    election = small_election()
    q = Tally(election).contests["Q"]
    index = {t.code: i for i, t in enumerate(election.tables)}
    tables = np.array([index["T2"], index["T1"], index["T2"], index["T3"]])
    flags = np.array([[True, True, True, False], [False] * 4, [False, False, False, True]])
    q.fill_columns(tables, flags, np.array([[1, 2, 0, 0, 3], [5, 5, 0, 0, 10], [7, 8, 1, 0, 16]], dtype="<i4"))
    c, rows = q.col, q.table_rows
    assert rows[index["T2"], :5].tolist() == [7, 8, 1, 0, 16]
    assert rows[index["T1"], :5].tolist() == [5, 5, 0, 0, 10]
    assert rows[index["T3"], :5].tolist() == [0] * 5 and rows[index["T3"], c["received"]] == 1
    assert rows[index["T3"], c["conflict"]] == 1 and rows[index["T3"], c["counted"]] == 0
    assert not rows[index["T4"]].any()
    assert q.node_rows[0, c["counted"]] == 2 and q.node_rows[0, q.col["YES"]] == 12


def _indexes(store) -> dict[str, list[str]]:
    with store.engine.connect() as conn:
        return {ix["name"]: ix["column_names"] for ix in sa.inspect(conn).get_indexes("acta")}


def test_migration_0013_trades_the_slot_index_for_the_tally_index_and_back(small_store):
    _night(small_store)
    expected = _tally_from_json(small_store)
    sqlite = small_store.engine.dialect.name == "sqlite"
    tally_index = {"ix_acta_tally": ["contest_id", "status", "table_id", "counts"]} if sqlite else {}
    assert "ix_acta_slot" not in _indexes(small_store)
    assert {k: v for k, v in _indexes(small_store).items() if k == "ix_acta_tally"} == tally_index
    config = Config()
    config.set_main_option("script_location", str(Path(schema.__file__).with_name("migrations")))
    with small_store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0012")
    held = _indexes(small_store)
    assert held.get("ix_acta_slot") == ["table_id", "contest_id"] and "ix_acta_tally" not in held
    _assert_same(current_tally(small_store), expected)  # read without the index (a plain scan on SQLite)
    small_store.migrate()
    held = _indexes(small_store)
    assert "ix_acta_slot" not in held and {k: v for k, v in held.items() if k == "ix_acta_tally"} == tally_index
    _assert_same(current_tally(small_store), expected)
    if sqlite:  # the tally's query reads the covering index alone, in its order (whole, or a range of tables)
        for bounds in (None, (0, 10)):
            with small_store.engine.connect() as conn:
                sql, params = store_module._tally_query("sqlite", bounds)
                plan = " ".join(str(row) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
            assert "COVERING INDEX ix_acta_tally" in plan and "TEMP B-TREE" not in plan, plan

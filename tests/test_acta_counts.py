"""Each acta's counts are stored packed (acta.counts); a fresh process's tally is read from that column.

The tally read from the packed column equals the tally read from every acta's JSON (the old way), with
counted, quarantined and conflicting actas, recounts and annulments, and actas whose column is empty
(read from their JSON); migration 0012 fills the column of actas stored before it.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from escrutinio.domain.model import CONFLICTING, QUARANTINED
from escrutinio.domain.tally import Tally
from escrutinio.intake.actas import Record
from escrutinio.services import annul_acta, current_tally, ingest_records, resolve_conflict
from escrutinio.store import schema
from escrutinio.store.store import pack_counts

from .factory import acta


def _ingest(store, *records: dict) -> None:
    outcomes = ingest_records(store, [Record("test", i, r) for i, r in enumerate(records, 1)])
    assert "rejected" not in [o.result for o in outcomes], outcomes


def _tally_from_json(store) -> Tally:
    """The tally as it was read before the packed column: every acta's JSON parsed."""
    slots: dict = {}
    for table, contest, status, counts in store.acta_counts():
        slot = slots.setdefault((table, contest), [None, True, False, False])
        if counts is not None:
            slot[0] = counts
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

"""Bulletins are built from a tally kept in memory between publications: it must always equal a
tally read whole from the store, whatever happened to the actas in between."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from escrutinio.domain.bulletin import build_bulletin
from escrutinio.domain.tally import SlotState, Tally
from escrutinio.intake.actas import Record
from escrutinio.services import annul_acta, bulletins, current_tally, ingest_records, publish_bulletin, resolve_conflict

from .factory import acta, small_election

UTC = dt.timezone.utc
START = dt.datetime(2024, 5, 5, 23, 0, tzinfo=UTC)


def _ingest(store, *records: dict) -> None:
    outcomes = ingest_records(store, [Record("test", i, r) for i, r in enumerate(records, 1)])
    assert "rejected" not in [o.result for o in outcomes], outcomes


def _same_as_read_whole(store, published) -> None:
    fresh = build_bulletin(store.election(), current_tally(store), published.number, published.cut_off,
                           published.previous_hash, log=published.body["log"], entered=store.entered_tables())
    for code, matrix in fresh.counters.items():
        assert np.array_equal(published.counters[code], matrix), code
    assert fresh.hash == published.hash


@pytest.mark.parametrize("restarted", [False, True], ids=["same process", "new process each time"])
def test_each_bulletin_equals_the_store_read_whole(small_store, restarted):
    """In a new process, the tally starts from the counters stored with the last bulletin."""
    steps = [
        lambda: _ingest(small_store, acta("T1", "Q"), acta("T2", "R", blank=0)),
        # a quarantined acta (more ballots than registered) and a conflict at T1
        lambda: _ingest(small_store, acta("T4", "Q", {"YES": 100, "NO": 100}), acta("T1", "Q", {"YES": 61, "NO": 39})),
        lambda: resolve_conflict(small_store, "T1", "Q", _id(small_store, "T1", "Q", 61), "recount", "chief"),
        lambda: annul_acta(small_store, _id(small_store, "T2", "R", 30), "table never opened", "chief"),
        lambda: _ingest(small_store, acta("T5", "Q"), acta("T5", "R", blank=0), acta("T3", "Q")),
        lambda: None,  # nothing new: the same counters again
    ]
    for minutes, step in enumerate(steps):
        step()
        if restarted:
            bulletins._live.clear()
        published = publish_bulletin(small_store, START + dt.timedelta(minutes=minutes))
        _same_as_read_whole(small_store, published)
    q = published.root["results"]["Q"]
    assert (q["tables"]["counted"], q["tables"]["quarantined"]) == (3, 1)  # T1 (61/39), T3, T5; T4 held


def _id(store, table: str, contest: str, first_votes: int) -> int:
    return next(r.id for r in store.actas() if (r.acta.table, r.acta.contest) == (table, contest)
                and r.acta.votes[0][1] == first_votes)


def test_a_new_process_reads_only_what_changed_since_the_last_bulletin(small_store, monkeypatch):
    _ingest(small_store, acta("T1", "Q"), acta("T2", "Q"))
    publish_bulletin(small_store, START)
    bulletins._live.clear()
    _ingest(small_store, acta("T3", "Q"))
    asked: list = []
    read = small_store.slot_actas
    monkeypatch.setattr(small_store, "slot_actas", lambda conn, slots: asked.append(slots) or read(conn, slots))
    monkeypatch.setattr(bulletins, "current_tally", None)  # reading every acta again would fail
    published = publish_bulletin(small_store, START + dt.timedelta(minutes=1))
    assert asked == [[("T3", "Q")]]
    assert published.root["results"]["Q"]["tables"]["counted"] == 3


def test_a_counter_out_of_step_with_its_tables_is_caught():
    election = small_election()
    tally = Tally(election)
    tally.set("T1", "Q", SlotState(counted=None, received=True, quarantined=True))
    tally.check_roll_up()
    tally.contests["Q"].node_rows[tally.geography.index["N1"], 0] += 1
    with pytest.raises(RuntimeError, match="counters kept for N1 differ"):
        tally.check_roll_up()

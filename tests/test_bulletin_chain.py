"""Bulletins: numbered, hash-chained, stored and read back unchanged, compared figure by figure."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from escrutinio.domain.errors import WriteConflict
from escrutinio.intake.actas import Record
from escrutinio.services import compare_bulletins, get_bulletin, ingest_records, list_bulletins, publish_bulletin

from .factory import acta

UTC = dt.timezone.utc
NIGHT = [dt.datetime(2024, 5, 5, 23, 0, tzinfo=UTC), dt.datetime(2024, 5, 6, 1, 7, tzinfo=UTC),
         dt.datetime(2024, 5, 6, 3, 30, tzinfo=UTC)]
# Ancestors of each table in tests/factory.py, centre first.
ANCESTORS = {"T1": ["C-N1a", "N1", "N", "X"], "T2": ["C-N1a", "N1", "N", "X"], "T5": ["C-S1", "S1", "S", "X"]}
ALL_NODES = {"X", "N", "S", "N1", "N2", "S1", "C-N1a", "C-N1b", "C-N2", "C-S1"}


def sha256_of_canonical(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode("utf-8")).hexdigest()


def _ingest(store, *records: dict) -> None:
    outcomes = ingest_records(store, [Record("test", i, r) for i, r in enumerate(records, 1)])
    assert [o.result for o in outcomes] == ["accepted"] * len(records)


@pytest.fixture
def night(small_store):
    """Three bulletins: after T1 (Q 60/40), after T2 (Q 70/30), after T5 (Q 200/250 and R)."""
    _ingest(small_store, acta("T1", "Q", {"YES": 60, "NO": 40}))
    first = publish_bulletin(small_store, NIGHT[0])
    _ingest(small_store, acta("T2", "Q", {"YES": 70, "NO": 30}, null=5))
    second = publish_bulletin(small_store, NIGHT[1])
    _ingest(small_store, acta("T5", "Q", {"YES": 200, "NO": 250}),
            acta("T5", "R", {"C1": 100, "C2": 90, "C3": 80}, blank=3, null=2))
    third = publish_bulletin(small_store, NIGHT[2])
    return small_store, [first, second, third]


def test_numbers_count_up_from_one(night):
    _, bulletins = night
    assert [b.number for b in bulletins] == [1, 2, 3]
    assert [b.body["number"] for b in bulletins] == [1, 2, 3]


def test_each_bulletin_names_the_hash_of_the_one_before(night):
    _, bulletins = night
    assert bulletins[0].previous_hash is None
    assert [b.previous_hash for b in bulletins[1:]] == [b.hash for b in bulletins[:-1]]
    assert len({b.hash for b in bulletins}) == 3


def test_hash_is_sha256_of_the_canonical_body(night):
    store, bulletins = night
    for published in bulletins:
        stored = get_bulletin(store, published.number)
        assert stored.hash == sha256_of_canonical(stored.body) == published.hash


def test_changing_a_published_figure_breaks_the_chain(night):
    store, bulletins = night
    stored = get_bulletin(store, 2)
    counters = stored.counters["Q"].copy()
    counters[stored.nodes.index["X"], 0] += 1  # one more vote for the first option at the country
    body = json.loads(json.dumps(stored.body))
    body["counters"]["sha256"]["Q"] = hashlib.sha256(counters.astype("<i8").tobytes()).hexdigest()
    assert body != stored.body
    assert sha256_of_canonical(body) != bulletins[2].previous_hash


def test_stored_bulletins_read_back_identical(night):
    store, bulletins = night
    for published in bulletins:
        assert get_bulletin(store, published.number) == published
    assert get_bulletin(store) == bulletins[-1]  # the latest


def test_list_shows_the_chain(night):
    store, bulletins = night
    heads = list_bulletins(store)
    assert [(h["number"], h["hash"], h["previous_hash"]) for h in heads] == \
        [(b.number, b.hash, b.previous_hash) for b in bulletins]
    assert [h["cut_off"] for h in heads] == NIGHT


def test_cut_off_is_kept_in_utc_and_shown_local(night):
    _, bulletins = night
    assert bulletins[1].cut_off == NIGHT[1]
    # 01:07 UTC on 6 May is 21:07 on 5 May in Caracas (UTC-4).
    assert bulletins[1].body["cut_off_local"] == "2024-05-05T21:07:00-04:00"


def _changes(store, old: int, new: int) -> dict[tuple[str, str, str], tuple]:
    return {(c["area"], c["contest"], c["figure"]): (c["old"], c["new"]) for c in compare_bulletins(store, old, new)}


def test_diff_names_what_the_second_acta_changed(night):
    store, _ = night
    changes = _changes(store, 1, 2)
    for code in ANCESTORS["T2"]:
        assert changes[(code, "Q", "options.YES.votes")] == (60, 130)
        assert changes[(code, "Q", "options.NO.votes")] == (40, 70)
        assert changes[(code, "Q", "null")] == (0, 5)
        assert changes[(code, "Q", "ballots_cast")] == (100, 205)
        assert changes[(code, "Q", "tables.counted")] == (1, 2)
    # Nothing else changed: no other area, and not contest R.
    assert {area for area, _, _ in changes} == set(ANCESTORS["T2"])
    assert {contest for _, contest, _ in changes} == {"Q"}


def test_diff_names_what_the_third_batch_changed(night):
    store, _ = night
    changes = _changes(store, 2, 3)
    assert changes[("X", "Q", "options.YES.votes")] == (130, 330)
    assert changes[("X", "Q", "options.NO.votes")] == (70, 320)
    for code in ("C-S1", "S1", "S"):
        assert changes[(code, "Q", "options.YES.votes")] == (0, 200)
        assert changes[(code, "R", "options.C1.votes")] == (0, 100)
        assert changes[(code, "R", "blank")] == (0, 3)
        assert changes[(code, "R", "registered_counted")] == (0, 500)
    assert {area for area, _, _ in changes} == set(ANCESTORS["T5"])
    assert ALL_NODES - {area for area, _, _ in changes} == {"N", "N1", "N2", "C-N1a", "C-N1b", "C-N2"}


def test_diff_of_a_bulletin_with_itself_is_empty(night):
    store, _ = night
    assert compare_bulletins(store, 2, 2) == []


def test_diff_can_be_limited_to_areas(night):
    store, _ = night
    changes = compare_bulletins(store, 1, 3, {"N1", "S"})
    assert {c["area"] for c in changes} == {"N1", "S"}


def test_a_taken_number_is_a_write_conflict_and_changes_nothing(night):
    """Two publishers racing for the same number: the loser gets WriteConflict (which services
    retry), not a database driver's error, and the chain is untouched."""
    store, bulletins = night
    with pytest.raises(WriteConflict), store.transaction() as conn:
        store.add_bulletin(conn, bulletins[2], NIGHT[2])
    assert [(h["number"], h["hash"]) for h in list_bulletins(store)] == [(b.number, b.hash) for b in bulletins]

"""Every acta rule, exercised through the services on a real store.

Each test checks the outcome and its user-facing text, and that nothing else
changed: the stored actas, their events and the published figures.
"""

from __future__ import annotations

import datetime as dt

import pytest

from escrutinio.domain.errors import ResolutionError
from escrutinio.intake.actas import Record
from escrutinio.services import annul_acta, ingest_records, init_election, publish_bulletin, resolve_conflict

from .factory import acta, small_election

UTC = dt.timezone.utc
NIGHT = dt.datetime(2024, 5, 5, 23, 30, tzinfo=UTC)
LATER = dt.datetime(2024, 5, 6, 1, 7, tzinfo=UTC)
MISSING = object()


def ingest(store, *records, now=NIGHT):
    return ingest_records(store, [Record("test", n, r) for n, r in enumerate(records, 1)], now=now)


def state(store):
    """Everything a rule could have touched: actas, their events and the figures of every area."""
    held = [(r.id, r.acta, r.status, r.reasons) for r in store.actas()]
    events = {r[0]: store.acta_events(r[0]) for r in held}
    return held, events, list(publish_bulletin(store).entries())


def figures(store, area, contest="Q"):
    return publish_bulletin(store).area(area)["results"][contest]


def votes(fig):
    return [o["votes"] for o in fig["options"]]


@pytest.fixture
def counted(small_store):
    """T1 (contest Q) and T5 (contest R) already counted."""
    outcomes = ingest(small_store, acta("T1"), acta("T5", "R", blank=5))
    assert [o.result for o in outcomes] == ["accepted", "accepted"]
    return small_store


def rejected_once(store, record):
    """Ingest ``record`` into ``store``; check it was rejected and changed nothing; return its problems."""
    before = state(store)
    [outcome] = ingest(store, record)
    assert outcome.result == "rejected"
    assert outcome.acta_id is None
    assert all((p.source, p.row) == ("test", 1) for p in outcome.problems)
    assert state(store) == before
    return outcome.problems


# -- rejected: nothing stored ------------------------------------------------

def test_unknown_table_is_rejected(counted):
    [problem] = rejected_once(counted, acta("T99"))
    assert problem.field == "table"
    assert "'T99'" in problem.message
    assert "election definition" in problem.action


def test_non_text_table_code_is_named_as_such(counted):
    record = acta("T1")
    record["table"] = 1
    [problem] = rejected_once(counted, record)
    assert problem.field == "table"
    assert "missing" not in problem.message and "1" in problem.message


def test_unknown_contest_is_rejected_with_the_known_ones(counted):
    [problem] = rejected_once(counted, acta("T1", "Z", votes={"YES": 1}))
    assert problem.field == "contest"
    assert "'Z'" in problem.message
    assert "Q, R" in problem.message


def test_unknown_option_is_rejected_with_the_known_ones(counted):
    [problem] = rejected_once(counted, acta("T2", votes={"YES": 60, "NO": 40, "MAYBE": 3}))
    assert problem.field == "MAYBE"
    assert "'MAYBE'" in problem.message and "'Q'" in problem.message
    assert "YES, NO" in problem.message
    assert "send it again" in problem.action


def test_contest_not_on_the_tables_ballot_is_rejected(counted):
    [problem] = rejected_once(counted, acta("T6", "R", blank=0))
    assert problem.field == "contest"
    assert "'R'" in problem.message and "'T6'" in problem.message
    assert "ballot" in problem.message and "ballot" in problem.action


BAD_COUNTS = [
    pytest.param("null", -1, "null", "negative", id="negative"),
    pytest.param("YES", 60.0, "YES", "not a whole number", id="float"),
    pytest.param("YES", True, "YES", "not a whole number", id="bool"),
    pytest.param("ballots_cast", "100", "ballots_cast", "not a whole number", id="string"),
    pytest.param("NO", 2**31, "NO", "not a whole number", id="too-large"),
    pytest.param("NO", MISSING, "NO", "missing", id="missing-option"),
    pytest.param("null", None, "null", "missing", id="null-is-none"),
    pytest.param("ballots_cast", MISSING, "ballots_cast", "missing", id="missing-ballots-cast"),
]


@pytest.mark.parametrize("key, value, field, words", BAD_COUNTS)
def test_count_that_is_not_a_whole_number_is_rejected(counted, key, value, field, words):
    record = acta("T2")
    holder = record["votes"] if key in ("YES", "NO") else record
    if value is MISSING:
        del holder[key]
    else:
        holder[key] = value
    [problem] = rejected_once(counted, record)
    assert problem.field == field
    assert words in problem.message
    assert "send it again" in problem.action


def test_largest_count_is_not_rejected(counted):
    [outcome] = ingest(counted, acta("T2", votes={"YES": 2**31 - 1, "NO": 0}))
    assert outcome.result == "quarantined"  # far more ballots than registered voters, but a valid count


def test_missing_blank_is_rejected_where_blank_is_counted_apart(counted):
    [problem] = rejected_once(counted, acta("T1", "R"))
    assert problem.field == "blank" and "missing" in problem.message


def test_blank_is_rejected_where_it_is_not_counted_apart(counted):
    [problem] = rejected_once(counted, acta("T2", blank=3))
    assert problem.field == "blank"
    assert "'Q'" in problem.message and "null" in problem.action


def test_every_problem_of_one_acta_is_listed(counted):
    record = {"table": "T99", "contest": "Q", "votes": {"YES": -1, "MAYBE": 2}, "null": "x"}
    problems = rejected_once(counted, record)
    assert sorted(p.field for p in problems) == sorted(["table", "MAYBE", "YES", "NO", "null", "ballots_cast"])


def test_a_bad_acta_does_not_stop_the_good_ones_of_its_batch(small_store):
    outcomes = ingest(small_store, acta("T1"), acta("T99"), acta("T2", null=1, cast=50), acta("T3"))
    assert [o.result for o in outcomes] == ["accepted", "rejected", "quarantined", "accepted"]
    held = list(small_store.actas())
    assert [(r.acta.table, r.source) for r in held] == [("T1", "test:1"), ("T2", "test:3"), ("T3", "test:4")]
    assert votes(figures(small_store, "X")) == [120, 80]


# -- quarantined: stored, shown, not counted ---------------------------------

def test_parts_not_adding_up_to_ballots_cast_quarantine_the_acta(counted):
    before = figures(counted, "X")
    [outcome] = ingest(counted, acta("T2", null=2, cast=105))
    assert outcome.result == "quarantined"
    assert outcome.reasons == ("options + null = 102 but ballots cast = 105 (difference -3)",)
    stored = next(r for r in counted.actas() if r.id == outcome.acta_id)
    assert (stored.status, stored.reasons, stored.acta.ballots_cast) == ("quarantined", outcome.reasons, 105)
    [event] = counted.acta_events(outcome.acta_id)
    assert (event.action, event.operator, event.at) == ("quarantined", "system", NIGHT)
    assert event.reason == outcome.reasons[0]
    after = figures(counted, "X")
    assert votes(after) == votes(before) == [60, 40]
    assert after["ballots_cast"] == before["ballots_cast"] == 100
    assert after["tables"] == dict(before["tables"], received=2, quarantined=1)
    assert figures(counted, "C-N1a")["tables"] == {"expected": 2, "received": 2, "counted": 1,
                                                   "quarantined": 1, "conflict": 0}


def test_blank_is_named_in_the_sum_when_counted_apart(counted):
    [outcome] = ingest(counted, acta("T1", "R", blank=5, cast=60))
    assert outcome.result == "quarantined"
    assert outcome.reasons == ("options + null + blank = 65 but ballots cast = 60 (difference +5)",)
    assert votes(figures(counted, "X", "R")) == [30, 20, 10]


def test_more_ballots_than_registered_voters_quarantines_the_acta(counted):
    [full, over] = ingest(counted, acta("T6", votes={"YES": 50, "NO": 30}),
                          acta("T4", votes={"YES": 100, "NO": 21}))
    assert full.result == "accepted"  # T6 has exactly 80 registered voters
    assert over.result == "quarantined"
    assert over.reasons == ("ballots cast 121 exceed the 120 registered voters of table T4",)
    assert votes(figures(counted, "X")) == [110, 70]
    assert figures(counted, "N2")["tables"]["quarantined"] == 1


def test_allowed_extra_voters_are_added_to_the_register(store):
    init_election(store, small_election(extra=2))
    [inside, over] = ingest(store, acta("T6", votes={"YES": 50, "NO": 32}), acta("T4", votes={"YES": 100, "NO": 23}))
    assert inside.result == "accepted"
    assert over.result == "quarantined"
    assert over.reasons == ("ballots cast 123 exceed the 120 registered voters + 2 allowed extra of table T4",)


def test_an_acta_can_break_both_sums_at_once(counted):
    [outcome] = ingest(counted, acta("T6", votes={"YES": 50, "NO": 30}, cast=90))
    assert outcome.result == "quarantined"
    assert len(outcome.reasons) == 2
    assert "ballots cast = 90" in outcome.reasons[0] and "80 registered" in outcome.reasons[1]


# -- the same acta again -------------------------------------------------------

def test_same_acta_again_changes_nothing(counted):
    first = next(r for r in counted.actas() if r.acta.table == "T1")
    before = state(counted)
    [again, reordered] = ingest(counted, acta("T1"), acta("T1", votes={"NO": 40, "YES": 60}, null=0, blank=0),
                                now=LATER)
    assert (again.result, again.acta_id) == ("already_present", first.id)
    assert (reordered.result, reordered.acta_id) == ("already_present", first.id)
    assert state(counted) == before


def test_same_quarantined_acta_again_keeps_its_reasons(small_store):
    [first] = ingest(small_store, acta("T1", cast=99))
    [again] = ingest(small_store, acta("T1", cast=99))
    assert again.result == "already_present"
    assert again.reasons == first.reasons and again.reasons
    assert len(list(small_store.actas())) == 1


def test_same_acta_twice_in_one_batch_is_stored_once(small_store):
    outcomes = ingest(small_store, acta("T1"), acta("T1"))
    assert [o.result for o in outcomes] == ["accepted", "already_present"]
    assert len(list(small_store.actas())) == 1


# -- conflicts and their resolution ------------------------------------------

@pytest.fixture
def conflict(counted):
    """T1/Q holds the counted acta (60/40) and a different one (70/30) beside it."""
    [outcome] = ingest(counted, acta("T1", votes={"YES": 70, "NO": 30}))
    assert outcome.result == "conflict"
    return counted, outcome.acta_id


def test_a_different_acta_is_kept_beside_the_first_which_stays_counted(conflict):
    store, second = conflict
    held = [(r.acta.table, dict(r.acta.votes)["YES"], r.status) for r in store.actas() if r.acta.contest == "Q"]
    assert held == [("T1", 60, "counted"), ("T1", 70, "conflicting")]
    fig = figures(store, "X")
    assert votes(fig) == [60, 40]
    assert fig["tables"]["conflict"] == 1 and fig["tables"]["counted"] == 1
    assert [e.action for e in store.acta_events(second)] == ["conflicting"]


def test_resolving_counts_the_chosen_acta_and_records_who_and_why(conflict):
    store, second = conflict
    first = next(r.id for r in store.actas() if r.status == "counted" and r.acta.table == "T1")
    chosen = resolve_conflict(store, "T1", "Q", second, "recount at the centre", "ana", now=LATER)
    assert (chosen.id, chosen.status) == (second, "counted")
    status = {r.id: r.status for r in store.actas()}
    assert (status[first], status[second]) == ("set_aside", "counted")
    for acta_id, action in ((first, "resolved_set_aside"), (second, "resolved_counted")):
        last = store.acta_events(acta_id)[-1]
        assert (last.action, last.operator, last.reason, last.at) == (action, "ana", "recount at the centre", LATER)
    fig = figures(store, "X")
    assert votes(fig) == [70, 30]
    assert fig["tables"]["conflict"] == 0 and fig["tables"]["counted"] == 1


def test_keeping_the_first_acta_is_recorded_on_it_too(conflict):
    store, second = conflict
    first = next(r.id for r in store.actas() if r.status == "counted" and r.acta.table == "T1")
    resolve_conflict(store, "T1", "Q", first, "the second was a test sheet", "luis", now=LATER)
    assert {r.id: r.status for r in store.actas()}[second] == "set_aside"
    last = store.acta_events(first)[-1]
    assert (last.action, last.operator, last.reason, last.at) == ("resolved_counted", "luis",
                                                                  "the second was a test sheet", LATER)
    assert votes(figures(store, "X")) == [60, 40]


def test_a_corrected_acta_replaces_a_quarantined_one_once_resolved(small_store):
    [bad] = ingest(small_store, acta("T1", cast=99))
    [fixed] = ingest(small_store, acta("T1"))
    assert (bad.result, fixed.result) == ("quarantined", "conflict")
    assert figures(small_store, "X")["tables"]["quarantined"] == 1
    resolve_conflict(small_store, "T1", "Q", fixed.acta_id, "corrected acta signed by the table", "ana")
    fig = figures(small_store, "X")
    assert votes(fig) == [60, 40]
    assert (fig["tables"]["counted"], fig["tables"]["quarantined"], fig["tables"]["conflict"]) == (1, 0, 0)


@pytest.mark.parametrize("reason, operator, words", [
    ("", "ana", "reason"), ("   ", "ana", "reason"), ("recount", "", "operator"),
])
def test_resolution_needs_a_reason_and_an_operator(conflict, reason, operator, words):
    store, second = conflict
    before = state(store)
    with pytest.raises(ResolutionError, match=words):
        resolve_conflict(store, "T1", "Q", second, reason, operator)
    assert state(store) == before


def test_resolution_refuses_an_acta_of_another_table(conflict):
    store, _ = conflict
    other = next(r.id for r in store.actas() if r.acta.table == "T5")
    before = state(store)
    with pytest.raises(ResolutionError, match=f"acta {other} is not one of the actas of table T1"):
        resolve_conflict(store, "T1", "Q", other, "recount", "ana")
    assert state(store) == before


def test_resolution_refuses_a_slot_without_conflict(counted):
    only = next(r.id for r in counted.actas() if r.acta.table == "T5")
    with pytest.raises(ResolutionError, match="no conflict"):
        resolve_conflict(counted, "T5", "R", only, "recount", "ana")


def test_resolution_refuses_to_count_a_quarantined_acta(small_store):
    ingest(small_store, acta("T1"))
    [bad] = ingest(small_store, acta("T1", cast=99))
    assert bad.result == "conflict" and bad.reasons
    before = state(small_store)
    with pytest.raises(ResolutionError, match="broke a rule .* --count-quarantined"):
        resolve_conflict(small_store, "T1", "Q", bad.acta_id, "recount", "ana")
    assert state(small_store) == before


def test_an_admin_may_count_a_quarantined_acta_with_a_reason(small_store):
    [bad] = ingest(small_store, acta("T4", votes={"YES": 100, "NO": 22}))  # 122 ballots, 120 registered
    assert bad.result == "quarantined"
    resolve_conflict(small_store, "T4", "Q", bad.acta_id, "two poll workers voted here, as the law allows",
                     "ana", count_quarantined=True)
    assert votes(figures(small_store, "N2")) == [100, 22]
    history = small_store.acta_events(bad.acta_id)
    assert [(e.action, e.operator) for e in history] == [("quarantined", "system"), ("resolved_counted", "ana")]


def test_an_annulled_acta_is_kept_shown_and_never_counted(counted):
    [record] = [r for r in counted.actas() if r.acta.table == "T1"]
    annul_acta(counted, record.id, "the table never opened", "ana")
    assert counted.acta(record.id).status == "annulled"
    assert votes(figures(counted, "X")) == [0, 0]  # T1 was the only table counted for Q
    assert figures(counted, "C-N1a")["tables"]["counted"] == 0
    assert votes(figures(counted, "S1", "R")) == [30, 20, 10]  # T5's acta for R is untouched
    assert [e.action for e in counted.acta_events(record.id)][-1] == "annulled"
    with pytest.raises(ResolutionError, match="annulled"):
        resolve_conflict(counted, "T1", "Q", record.id, "undo", "ana", count_quarantined=True)


def test_boolean_false_is_not_a_blank_count_of_zero(counted):
    [problem] = rejected_once(counted, acta("T2") | {"blank": False})
    assert problem.field == "blank"


# -- exactly at the register, on both paths of the rules ----------------------------------------------------

@pytest.mark.parametrize("extra", [0, 2])
@pytest.mark.parametrize("slow", [False, True])
def test_ballots_exactly_at_the_register_pass_and_one_more_quarantines(extra, slow):
    """T4 has 120 registered voters. The rules check a plain dict on a fast path and anything else (here a
    read-only mapping) on the full one; both must draw the line at registered + allowed extra exactly."""
    from types import MappingProxyType

    from escrutinio.domain.rules import check_acta

    election = small_election(extra=extra)
    allowed = 120 + extra
    for cast, quarantined in ((allowed - 1, False), (allowed, False), (allowed + 1, True)):
        record = acta("T4", votes={"YES": cast - 20, "NO": 20})
        checked = check_acta(election, MappingProxyType(record) if slow else record)
        extra_text = f" + {extra} allowed extra" if extra else ""
        want = (f"ballots cast {cast} exceed the 120 registered voters{extra_text} of table T4",) if quarantined else ()
        assert checked.quarantine_reasons == want, (cast, slow)
        # Parts that do not add up send even a plain dict through every rule: the line holds there too.
        uneven = check_acta(election, {**record, "null": 1})
        assert len(uneven.quarantine_reasons) == 1 + quarantined, (cast, slow)

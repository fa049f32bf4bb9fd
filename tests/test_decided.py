"""Decided: the leader's lead is strictly larger than every ballot still possible."""

from __future__ import annotations

import datetime as dt

import pytest

from escrutinio.domain.bulletin import build_bulletin, decided
from escrutinio.domain.model import Acta
from escrutinio.domain.tally import SlotState, Tally

from .factory import small_election

CUT_OFF = dt.datetime(2024, 5, 5, 23, 0, tzinfo=dt.timezone.utc)
# Registered voters of the small election (tests/factory.py); Q is on every table, R on all but T6.
REGISTERED = {"T1": 300, "T2": 250, "T3": 400, "T4": 120, "T5": 500, "T6": 80}
BENEATH = {"X": ["T1", "T2", "T3", "T4", "T5", "T6"], "N": ["T1", "T2", "T3", "T4"], "S": ["T5", "T6"],
           "N1": ["T1", "T2", "T3"], "N2": ["T4"], "S1": ["T5", "T6"]}


# -- the rule on its own -----------------------------------------------------------------------------

def test_lead_larger_than_remaining_is_decided():
    result = decided([("YES", 700), ("NO", 400)], remaining_max=299)
    assert result == {"decided": True, "leader": "YES", "lead": 300, "remaining_max": 299, "conflict_swing": 0}


def test_lead_smaller_than_remaining_is_not_decided():
    result = decided([("YES", 700), ("NO", 400)], remaining_max=301)
    assert result == {"decided": False, "leader": "YES", "lead": 300, "remaining_max": 301, "conflict_swing": 0}


def test_lead_equal_to_remaining_is_not_decided():
    """Every remaining ballot for the runner-up would end in a tie: not decided."""
    result = decided([("YES", 700), ("NO", 400)], remaining_max=300)
    assert result == {"decided": False, "leader": "YES", "lead": 300, "remaining_max": 300, "conflict_swing": 0}


def test_the_leader_need_not_be_listed_first():
    result = decided([("C1", 10), ("C2", 95), ("C3", 40)], remaining_max=54)
    assert (result["leader"], result["lead"], result["decided"]) == ("C2", 55, True)


def test_tie_for_first_place_has_no_leader_even_with_nothing_remaining():
    result = decided([("C1", 40), ("C2", 95), ("C3", 95)], remaining_max=0)
    assert result == {"decided": False, "leader": None, "lead": 0, "remaining_max": 0, "conflict_swing": 0}


def test_nothing_counted_has_no_leader():
    assert decided([("YES", 0), ("NO", 0)], remaining_max=1000)["leader"] is None


def test_single_option_leads_by_all_its_votes():
    assert decided([("ONLY", 12)], remaining_max=11) == {"decided": True, "leader": "ONLY", "lead": 12,
                                                         "remaining_max": 11, "conflict_swing": 0}
    assert decided([("ONLY", 12)], remaining_max=12)["decided"] is False
    assert decided([("ONLY", 0)], remaining_max=0)["leader"] is None


def test_no_options():
    assert decided([], remaining_max=0) == {"decided": False, "leader": None, "lead": 0, "remaining_max": 0, "conflict_swing": 0}


# -- through the tally ---------------------------------------------------------------------------------

def _counted(table: str, contest: str, votes: dict[str, int], null: int = 0) -> SlotState:
    blank = 0
    acta = Acta(table, contest, tuple(votes.items()), null, blank, sum(votes.values()) + null + blank)
    return SlotState(counted=acta, received=True)


def _bulletin(extra: int, states: dict) -> dict:
    election = small_election(extra=extra)
    tally = Tally(election)
    for (table, contest), state in states.items():
        tally.set(table, contest, state)
    bulletin = build_bulletin(election, tally, 1, CUT_OFF, None)
    return {a["code"]: a["results"] for a in bulletin.entries()}


def _remaining(area: str, counted: set[str], extra: int) -> int:
    return sum(REGISTERED[t] + extra for t in BENEATH[area] if t not in counted)


# T1, T3 and T5 counted for Q, everything for YES; T2, T4 and T6 not counted.
SWEEP = {("T1", "Q"): _counted("T1", "Q", {"YES": 300, "NO": 0}),
         ("T3", "Q"): _counted("T3", "Q", {"YES": 400, "NO": 0}),
         ("T5", "Q"): _counted("T5", "Q", {"YES": 500, "NO": 0})}
SWEPT = {"T1", "T3", "T5"}


@pytest.mark.parametrize("extra", [0, 10, 200, 249, 250, 400])
@pytest.mark.parametrize("area", sorted(BENEATH))
def test_remaining_counts_registered_and_allowed_extra_of_uncounted_tables(extra, area):
    results = _bulletin(extra, SWEEP)
    assert results[area]["Q"]["decided"]["remaining_max"] == _remaining(area, SWEPT, extra)


@pytest.mark.parametrize(("extra", "is_decided"), [
    (0, True),      # lead 1200 > 250 + 120 + 80 = 450
    (249, True),    # 1200 > 450 + 3 * 249 = 1197
    (250, False),   # 1200 = 450 + 3 * 250: could still end in a tie
    (400, False),   # 1200 < 450 + 3 * 400 = 1650
])
def test_country_decided_depends_on_allowed_extra(extra, is_decided):
    country = _bulletin(extra, SWEEP)["X"]["Q"]["decided"]
    assert (country["leader"], country["lead"], country["decided"]) == ("YES", 1200, is_decided)


def test_each_area_is_decided_on_its_own_remaining_ballots():
    results = _bulletin(0, SWEEP)
    # N1: lead 700 (T1 + T3), only T2 (250) left.
    assert results["N1"]["Q"]["decided"] == {"decided": True, "leader": "YES", "lead": 700, "remaining_max": 250, "conflict_swing": 0}
    # N2: nothing counted, T4 (120) left.
    assert results["N2"]["Q"]["decided"] == {"decided": False, "leader": None, "lead": 0, "remaining_max": 120, "conflict_swing": 0}
    # S1: lead 500 (T5), only T6 (80) left.
    assert results["S1"]["Q"]["decided"]["decided"] is True
    # Contest R: nothing counted anywhere; T6 does not vote on R, so S1 holds only T5.
    assert results["S1"]["R"]["decided"]["remaining_max"] == 500
    assert results["X"]["R"]["decided"]["remaining_max"] == 1570


def test_quarantined_and_received_tables_are_still_remaining():
    states = dict(SWEEP)
    states[("T2", "Q")] = SlotState(received=True, quarantined=True)
    states[("T4", "Q")] = SlotState(received=True)
    results = _bulletin(0, states)
    assert results["X"]["Q"]["decided"]["remaining_max"] == _remaining("X", SWEPT, 0) == 450
    assert results["X"]["Q"]["tables"]["quarantined"] == 1


def test_a_counted_table_uncounted_again_is_remaining_again():
    states = dict(SWEEP)
    states[("T5", "Q")] = SlotState()  # e.g. its acta set aside
    results = _bulletin(5, states)
    assert results["X"]["Q"]["decided"]["remaining_max"] == _remaining("X", {"T1", "T3"}, 5)
    assert results["X"]["Q"]["decided"]["lead"] == 700


def test_decided_at_the_last_table():
    """When every table is counted nothing remains: any strict lead is decided, a tie is not."""
    everything = {(t, "Q"): _counted(t, "Q", {"YES": 1, "NO": 0}) for t in REGISTERED}
    assert _bulletin(3, everything)["X"]["Q"]["decided"] == {"decided": True, "leader": "YES", "lead": 6,
                                                             "remaining_max": 0, "conflict_swing": 0}
    tied = {(t, "Q"): _counted(t, "Q", {"YES": 1, "NO": 1}) for t in REGISTERED}
    assert _bulletin(3, tied)["X"]["Q"]["decided"]["decided"] is False


def test_open_conflict_at_a_counted_table_keeps_the_contest_open():
    """A counted acta under conflict could still be replaced: up to twice its table's capacity can move."""
    states = dict(SWEEP)
    states[("T5", "Q")] = SlotState(counted=SWEEP[("T5", "Q")].counted, received=True, conflict=True)
    country = _bulletin(0, states)["X"]["Q"]["decided"]
    assert country["conflict_swing"] == 2 * REGISTERED["T5"] == 1000
    assert country["remaining_max"] == _remaining("X", SWEPT, 0) == 450
    # lead 1200 > 450 still possible, but not > 450 + 1000 that the conflict at T5 could move
    assert country["lead"] == 1200
    assert country["decided"] is False
    without = _bulletin(0, SWEEP)["X"]["Q"]["decided"]
    assert without["decided"] is True


def test_conflict_swing_counts_allowed_extra_and_only_counted_tables():
    states = dict(SWEEP)
    states[("T3", "Q")] = SlotState(counted=SWEEP[("T3", "Q")].counted, received=True, conflict=True)
    states[("T4", "Q")] = SlotState(received=True, quarantined=True, conflict=True)  # not counted: no swing
    country = _bulletin(7, states)["X"]["Q"]["decided"]
    assert country["conflict_swing"] == 2 * (REGISTERED["T3"] + 7)

"""Outcomes: how a contest is won, and whether that can still change.

``outcome`` turns one area's counts into a verdict under the contest's rule:

- plurality: the option with the most votes;
- majority: more than half of the valid votes, else a runoff between the
  top ``runoff_count`` options;
- threshold: more than ``threshold_percent`` of the valid votes, or, with
  ``lead_percent``, more than ``lead_threshold_percent`` and a lead of more
  than ``lead_percent`` points over the runner-up (without
  ``lead_threshold_percent``: the threshold and the lead both), else a runoff;
- referendum: the first option (yes) wins with more than
  ``approval_percent`` of the valid votes, if at least ``quorum_percent`` of
  the register voted (else ``no_quorum``) and at least
  ``approval_quorum_percent`` of the register voted yes;
- seats (dhondt, sainte_lague, hare, droop): see ``seats.py``.

*Decided* is the same question for every rule: could the status, winners,
runoff pair or seats still change, whatever the ballots still possible at
uncounted tables (``remaining``) and at counted tables whose acta is
contested (``conflict``: those counts may vanish and be replaced) could
hold? The answer is a sound bound: *decided* is never claimed while some
completion changes the outcome (property tests check it by brute force),
though for largest remainder it waits for the last table.

Ranking ties (for the runoff places) follow the ballot order; a tie at the
edge of the runoff places is never decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from .model import Rule
from .seats import HIGHEST_AVERAGES, METHODS as SEAT_METHODS, allocate, eligible

STATUSES = ("leading", "decided", "runoff", "no_quorum", "accepted", "rejected")


@dataclass(frozen=True)
class Counts:
    """One contest at one area: votes per option (ballot order) and what could still change them."""

    votes: tuple[tuple[str, int], ...]
    ballots_cast: int = 0
    registered_all: int = 0
    remaining: int = 0  # ballots still possible at tables not counted
    conflict: int = 0   # ballots possible at counted tables with an open conflict

    @property
    def valid(self) -> int:
        return sum(n for _, n in self.votes)

    @property
    def swing(self) -> int:
        """Most ballots that could still be added anywhere (a contested acta may be replaced in full)."""
        return self.remaining + self.conflict


@lru_cache(maxsize=256)
def pct(text: str | None) -> Fraction | None:
    return None if text is None else Fraction(text)


def outcome(rule: Rule, counts: Counts) -> dict:
    """The verdict of ``rule`` on ``counts``, with ``decided`` and the inputs it was computed from."""
    name = rule.name
    if name in SEAT_METHODS:
        result = _seats(rule, counts)
    elif name == "referendum":
        result = _referendum(rule, counts)
    elif name in ("majority", "threshold"):
        result = _threshold(rule, counts)
    else:
        result = _plurality(counts)
    result.setdefault("runoff", [])
    result.setdefault("seats", {})
    return {"rule": name, **result, "inputs": {"valid": counts.valid, "ballots_cast": counts.ballots_cast,
                                               "registered_all": counts.registered_all,
                                               "remaining_max": counts.remaining,
                                               "conflict_swing": 2 * counts.conflict}}


def ranking(votes: tuple[tuple[str, int], ...]) -> list[int]:
    """Option indexes by votes, most first; equal votes in ballot order."""
    return sorted(range(len(votes)), key=lambda i: (-votes[i][1], i))


# -- plurality --------------------------------------------------------------------------------------

def _plurality(counts: Counts) -> dict:
    votes = counts.votes
    order = ranking(votes)
    top = votes[order[0]][1] if order else 0
    second = votes[order[1]][1] if len(order) > 1 else 0
    if top <= second:
        return {"status": "leading", "decided": False, "winners": []}
    decided = top - second > counts.remaining + 2 * counts.conflict
    return {"status": "decided" if decided else "leading", "decided": decided, "winners": [votes[order[0]][0]]}


# -- majority and threshold, with a runoff ----------------------------------------------------------

def conditions(rule: Rule) -> list[tuple[Fraction, Fraction | None]]:
    """Ways to win in the first round: (share to pass, lead to pass or None); any one suffices."""
    if rule.name == "majority":
        return [(Fraction(50), None)]
    threshold, lead = pct(rule.threshold_percent), pct(rule.lead_percent)
    if lead is None:
        return [(threshold, None)]
    if rule.lead_threshold_percent is None:
        return [(threshold, lead)]
    return [(threshold, None), (pct(rule.lead_threshold_percent), lead)]


def passes(ways: list[tuple[Fraction, Fraction | None]], mine: int, rival: int, valid: int) -> bool:
    """Does an option with ``mine`` votes, against a best rival of ``rival``, win outright? (Only the first
    can: with a threshold under half, two could pass it.)"""
    if valid <= 0 or mine <= rival:
        return False
    return any(over(mine, share, valid) and (lead is None or over(mine - rival, lead, valid)) for share, lead in ways)


def over(part: int, percent: Fraction, whole: int) -> bool:
    """part is more than ``percent`` % of whole (in integers: no Fraction made on the way)."""
    return 100 * part * percent.denominator > percent.numerator * whole


def _threshold(rule: Rule, counts: Counts) -> dict:
    votes, ways = counts.votes, conditions(rule)
    order = ranking(votes)
    valid = counts.valid
    if valid == 0:
        return {"status": "leading", "decided": False, "winners": []}
    first = order[0]
    rival = votes[order[1]][1] if len(order) > 1 else 0
    if passes(ways, votes[first][1], rival, valid):
        decided = _winner_holds(ways, counts, first)
        return {"status": "decided" if decided else "leading", "decided": decided, "winners": [votes[first][0]]}
    pair = order[:max(1, rule.runoff_count)]
    decided = _nobody_can_pass(ways, counts) and _places_hold(counts, order, len(pair))
    return {"status": "runoff", "decided": decided, "winners": [], "runoff": [votes[i][0] for i in pair]}


def _winner_holds(ways, counts: Counts, i: int) -> bool:
    """Worst case for option i: the contested ballots leave it, every ballot possible goes to its best rival."""
    c, add = counts.conflict, counts.swing
    mine = counts.votes[i][1]
    lost = min(c, mine)
    rival = max((n for j, (_, n) in enumerate(counts.votes) if j != i), default=0)
    return passes(ways, mine - lost, rival + add, counts.valid - lost + add)


def _nobody_can_pass(ways, counts: Counts) -> bool:
    """No option could pass even with every ballot possible, and the contested ones taken from its rivals."""
    c, add, valid = counts.conflict, counts.swing, counts.valid
    order = ranking(counts.votes)
    for i, (_, mine) in enumerate(counts.votes):
        rival = _best_rival(counts.votes, order, i)
        best, least_valid = mine + add, valid + add - min(c, valid - mine)
        if least_valid <= 0:
            return False
        if any(over(best, share, least_valid) and (lead is None or over(best - max(0, rival - c), lead, least_valid))
               for share, lead in ways):
            return False
    return True


def _best_rival(votes: tuple[tuple[str, int], ...], order: list[int], i: int) -> int:
    """The most votes of any option but i (``order``: the ranking)."""
    others = [j for j in order[:2] if j != i]
    return votes[others[0]][1] if others else 0


def _places_hold(counts: Counts, order: list[int], places: int) -> bool:
    """The options inside the first ``places`` stay inside whatever is still possible."""
    if places >= len(order):
        return True
    inside, outside = counts.votes[order[places - 1]][1], counts.votes[order[places]][1]
    return inside - outside > counts.remaining + 2 * counts.conflict


# -- referendum ------------------------------------------------------------------------------------

def referendum_tests(rule: Rule, yes: int, no: int, cast: int, registered: int) -> tuple[bool, bool, bool]:
    """(turnout quorum met, approval met, approval quorum met) for these final figures."""
    quorum, approval, yes_quorum = pct(rule.quorum_percent), pct(rule.approval_percent), pct(
        rule.approval_quorum_percent)
    met = quorum is None or 100 * cast >= quorum * registered
    approved = yes + no > 0 and 100 * yes > approval * (yes + no)
    enough_yes = yes_quorum is None or 100 * yes >= yes_quorum * registered
    return met, approved, enough_yes


def referendum_status(met: bool, approved: bool, enough_yes: bool) -> str:
    return "no_quorum" if not met else "accepted" if approved and enough_yes else "rejected"


def referendum_range(rule: Rule, counts: Counts) -> tuple[tuple[bool, bool, bool], tuple[bool, bool, bool]]:
    """The three tests at their worst and at their best for the yes, over everything still possible."""
    (_, yes), (_, no) = counts.votes[0], counts.votes[1]
    c, add, cast, reg = counts.conflict, counts.swing, counts.ballots_cast, counts.registered_all
    worst = referendum_tests(rule, max(0, yes - c), no + add, max(0, cast - c), reg)
    best = referendum_tests(rule, yes + add, max(0, no - c), cast + add, reg)
    return worst, best


def _referendum(rule: Rule, counts: Counts) -> dict:
    (yes_code, yes), (no_code, no) = counts.votes[0], counts.votes[1]
    status = referendum_status(*referendum_tests(rule, yes, no, counts.ballots_cast, counts.registered_all))
    worst, best = referendum_range(rule, counts)
    decided = referendum_status(*worst) == referendum_status(*best) == status and _quorum_certain(worst, best)
    winners = {"accepted": [yes_code], "rejected": [no_code]}.get(status, [])
    return {"status": status, "decided": decided, "winners": winners}


def _quorum_certain(worst: tuple, best: tuple) -> bool:
    """The turnout quorum cannot change (worst and best may mix quorum with approval otherwise)."""
    return worst[0] == best[0]


# -- seats ------------------------------------------------------------------------------------------

def _seats(rule: Rule, counts: Counts) -> dict:
    codes = [code for code, _ in counts.votes]
    votes = [n for _, n in counts.votes]
    won = allocate(rule.name, votes, rule.seats, pct(rule.seat_threshold_percent))
    decided = counts.valid > 0 and seats_hold(rule, counts, won)
    return {"status": "decided" if decided else "leading", "decided": decided,
            "winners": [code for code, n in zip(codes, won) if n], "seats": dict(zip(codes, won))}


def seats_hold(rule: Rule, counts: Counts, won: list[int]) -> bool:
    """No seat can move: every list's side of the threshold is certain and, for highest averages, every
    quotient that won stays above every quotient that did not, whatever is still possible."""
    if counts.swing == 0:
        return True
    if rule.name not in HIGHEST_AVERAGES:
        return False  # largest remainder: a quota that moves with the total; wait for the last table
    c, add = counts.conflict, counts.swing
    votes = [n for _, n in counts.votes]
    valid = sum(votes)
    threshold = pct(rule.seat_threshold_percent)
    if threshold is not None:
        low = [100 * max(0, v - c) >= threshold * (valid + counts.remaining) for v in votes]
        high = [100 * (v + add) >= threshold * max(1, valid + add - min(c, valid - v)) for v in votes]
        if low != high:
            return False
        inside = low
    else:
        inside = eligible(votes, None)
    divisor = HIGHEST_AVERAGES[rule.name]
    lowest_won = [(max(0, v - c), divisor(w - 1)) for v, w, ok in zip(votes, won, inside) if ok and w]
    highest_next = [(v + add, divisor(w)) for v, w, ok in zip(votes, won, inside) if ok]
    return all(a * e > b * d for a, d in lowest_won for b, e in highest_next)

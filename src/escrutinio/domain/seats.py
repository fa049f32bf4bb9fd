"""Seats from votes: D'Hondt, Sainte-Laguë, and largest remainder with a Hare or Droop quota.

Everything is exact integer arithmetic: quotients are compared by cross
multiplication, quotas and remainders are whole numbers or fractions, never
floats, so a seat is never given by a rounding error.

Tie rule (the same for every method): when two lists tie for a seat (equal
quotients, or equal remainders), the list with more votes gets it; if their
votes are equal too, the list earlier on the ballot gets it. Laws that draw
lots instead can read the tie from the inputs each outcome publishes.

A threshold (``threshold_percent``) leaves out every list with less than that
share of the valid votes before seats are given.
"""

from __future__ import annotations

from fractions import Fraction

HIGHEST_AVERAGES = {"dhondt": lambda k: k + 1, "sainte_lague": lambda k: 2 * k + 1}
LARGEST_REMAINDER = ("hare", "droop")
METHODS = (*HIGHEST_AVERAGES, *LARGEST_REMAINDER)


def eligible(votes: list[int], threshold_percent: Fraction | None) -> list[bool]:
    """Which lists reach the threshold: at least ``threshold_percent`` % of the valid votes."""
    valid = sum(votes)
    if threshold_percent is None:
        return [True] * len(votes)
    return [100 * v >= threshold_percent * valid for v in votes]


def allocate(method: str, votes: list[int], seats: int, threshold_percent: Fraction | None = None) -> list[int]:
    """Seats per list (in ballot order) for ``votes`` (in ballot order)."""
    if method not in METHODS:
        raise ValueError(f"unknown seat method {method!r}")
    ok = eligible(votes, threshold_percent)
    counted = [v if good else 0 for v, good in zip(votes, ok)]
    if seats <= 0 or sum(counted) == 0:
        return [0] * len(votes)
    if method in HIGHEST_AVERAGES:
        return _highest_averages(counted, seats, HIGHEST_AVERAGES[method])
    return _largest_remainder(counted, seats, method)


def _highest_averages(votes: list[int], seats: int, divisor) -> list[int]:
    won = [0] * len(votes)
    for _ in range(seats):
        best = None
        for i, v in enumerate(votes):
            if v == 0:
                continue
            if best is None or _beats(v, divisor(won[i]), votes[best], divisor(won[best])):
                best = i  # a later list only wins a strict comparison: ballot order breaks the last tie
        won[best] += 1
    return won


def _beats(v: int, d: int, w: int, e: int) -> bool:
    """Quotient v/d beats w/e: larger, or equal with more votes."""
    return v * e > w * d or (v * e == w * d and v > w)


def quota(method: str, valid: int, seats: int) -> Fraction:
    """Hare: valid / seats (exact); Droop: the whole number just above valid / (seats + 1)."""
    if method == "hare":
        return Fraction(valid, seats)
    return Fraction(valid // (seats + 1) + 1)


def _largest_remainder(votes: list[int], seats: int, method: str) -> list[int]:
    q = quota(method, sum(votes), seats)
    won = [int(v // q) for v in votes]
    remainders = [Fraction(v) - w * q for v, w in zip(votes, won)]
    order = sorted((i for i, v in enumerate(votes) if v > 0), key=lambda i: (-remainders[i], -votes[i], i))
    left = seats - sum(won)
    while left > 0 and order:  # more seats left than lists (tiny elections): go round again
        for i in order[:left]:
            won[i] += 1
        left -= min(left, len(order))
    return won


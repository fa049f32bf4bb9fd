"""Percent rules against exact arithmetic (fractions and decimal), and by hand."""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escrutinio.domain.percent import PercentRule

METHODS = ("truncate", "half_up")
DECIMALS = range(0, 5)


@st.composite
def part_and_whole(draw, max_whole: int = 10**12) -> tuple[int, int]:
    whole = draw(st.integers(min_value=1, max_value=max_whole))
    part = draw(st.one_of(st.integers(min_value=0, max_value=whole), st.sampled_from([0, whole])))
    return part, whole


def exact_scaled(method: str, decimals: int, part: int, whole: int) -> int:
    """The share in units of 10**-decimals percent, from an exact fraction."""
    share = Fraction(part * 100, whole) * 10**decimals
    if method == "truncate":
        return math.floor(share)
    return math.floor(share + Fraction(1, 2))


def decimal_text(method: str, decimals: int, part: int, whole: int) -> str:
    """The share printed by the decimal module: divide (never rounding up), then quantize.

    Dividing with ROUND_DOWN at 80 digits can only move a value towards zero,
    and a value that lands exactly on a half-way point is a terminating
    decimal that 80 digits hold exactly, so quantizing afterwards gives the
    exact rounding for both methods.
    """
    context = Context(prec=80, rounding=ROUND_DOWN)
    share = context.divide(Decimal(part) * 100, Decimal(whole))
    step = Decimal(1).scaleb(-decimals)
    rounding = ROUND_DOWN if method == "truncate" else ROUND_HALF_UP
    return str(share.quantize(step, rounding=rounding, context=Context(prec=80)))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("decimals", DECIMALS)
@given(numbers=part_and_whole())
def test_scaled_agrees_with_exact_fractions(method, decimals, numbers):
    part, whole = numbers
    assert PercentRule(method, decimals).scaled(part, whole) == exact_scaled(method, decimals, part, whole)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("decimals", DECIMALS)
@given(numbers=part_and_whole())
def test_format_agrees_with_decimal_arithmetic(method, decimals, numbers):
    part, whole = numbers
    assert PercentRule(method, decimals).format(part, whole) == decimal_text(method, decimals, part, whole)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("decimals", DECIMALS)
@given(part=st.integers(min_value=0, max_value=10**9))
def test_no_share_of_nothing(method, decimals, part):
    rule = PercentRule(method, decimals)
    assert rule.scaled(part, 0) is None
    assert rule.format(part, 0) is None


@pytest.mark.parametrize("decimals", DECIMALS)
@given(numbers=part_and_whole())
def test_half_up_is_truncate_or_one_step_above(decimals, numbers):
    part, whole = numbers
    truncated = PercentRule("truncate", decimals).scaled(part, whole)
    rounded = PercentRule("half_up", decimals).scaled(part, whole)
    assert rounded - truncated in (0, 1)


@pytest.mark.parametrize(("method", "decimals", "part", "whole", "text"), [
    # CNE, 2 December 2007, first bulletin, Bloque A: No 4,504,354 (50.70 %), Sí 4,379,392 (49.29 %)
    # of 8,883,746 (seed/referendum-night-2007.txt); 49.2966…% shows the CNE truncated, not rounded
    ("truncate", 2, 4_504_354, 8_883_746, "50.70"),
    ("truncate", 2, 4_379_392, 8_883_746, "49.29"),
    ("half_up", 2, 4_379_392, 8_883_746, "49.30"),
    ("truncate", 2, 1, 3, "33.33"),
    ("half_up", 2, 1, 3, "33.33"),
    ("half_up", 2, 2, 3, "66.67"),
    ("truncate", 2, 2, 3, "66.66"),
    ("half_up", 1, 1, 8, "12.5"),    # 12.5 exactly
    ("half_up", 0, 1, 8, "13"),      # 12.5 rounds half up
    ("truncate", 0, 1, 8, "12"),
    ("truncate", 2, 0, 5, "0.00"),
    ("half_up", 2, 5, 5, "100.00"),
    ("truncate", 3, 1, 200_000, "0.000"),   # 0.0005 % truncated
    ("half_up", 3, 1, 200_000, "0.001"),    # 0.0005 % rounded half up
    ("half_up", 4, 1, 7, "14.2857"),        # 14.285714…
    ("truncate", 1, 999, 1000, "99.9"),
    ("half_up", 0, 999, 1000, "100"),       # 99.9 rounds up to a whole hundred
])
def test_hand_checked(method, decimals, part, whole, text):
    assert PercentRule(method, decimals).format(part, whole) == text


@pytest.mark.parametrize(("method", "decimals"), [("round", 2), ("truncate", -1), ("half_up", 7)])
def test_unknown_rules_are_refused(method, decimals):
    with pytest.raises(ValueError):
        PercentRule(method, decimals)


@pytest.mark.parametrize(("method", "part", "whole", "printed"), [
    ("truncate", -1, 400, "-0.25"), ("half_up", -1, 400, "-0.25"),
    ("truncate", -2, 3, "-66.66"), ("half_up", -2, 3, "-66.67"),
    ("truncate", -1, 100_000, "0.00"), ("half_up", -1, 300_000, "0.00"),
])
def test_a_negative_share_is_cut_by_its_size_and_keeps_its_sign(method, part, whole, printed):
    # Abstention over counted tables turns negative when allowed extra voters outnumber abstainers.
    assert PercentRule(method, 2).format(part, whole) == printed

"""Percent rules: how a share is printed.

The exact counts are always published beside the share; the rule only says
how the share is cut to a fixed number of decimals. Integer arithmetic keeps
every result exact (no floats): ``part * 10**(decimals+2) / whole`` is either
truncated (as the CNE printed its 2007 bulletins) or rounded half up.
"""

from __future__ import annotations

from dataclasses import dataclass

METHODS = ("truncate", "half_up")


@dataclass(frozen=True)
class PercentRule:
    method: str = "half_up"
    decimals: int = 2

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"percent method must be one of {METHODS}, not {self.method!r}")
        if not isinstance(self.decimals, int) or isinstance(self.decimals, bool):
            raise TypeError(f"percent decimals must be a whole number, not {self.decimals!r}")
        if not 0 <= self.decimals <= 6:
            raise ValueError("percent decimals must be between 0 and 6")

    def scaled(self, part: int, whole: int) -> int | None:
        """The share as an integer count of 10**-decimals percent, or None if whole is 0."""
        if whole <= 0:
            return None
        # A share can be negative (abstention over counted tables where allowed extra voters
        # outnumber abstainers): the rule applies to its size, the sign is kept apart.
        sign = -1 if part < 0 else 1
        numerator = abs(part) * 10 ** (self.decimals + 2)
        if self.method == "truncate":
            return sign * (numerator // whole)
        return sign * ((2 * numerator + whole) // (2 * whole))

    def format(self, part: int, whole: int) -> str | None:
        """The share as a plain decimal string ("50.70"), or None if whole is 0."""
        scaled = self.scaled(part, whole)
        if scaled is None:
            return None
        sign = "-" if scaled < 0 else ""
        if self.decimals == 0:
            return f"{sign}{abs(scaled)}"
        units, fraction = divmod(abs(scaled), 10**self.decimals)
        return f"{sign}{units}.{fraction:0{self.decimals}d}"

    def describe(self) -> str:
        how = "truncated" if self.method == "truncate" else "rounded half up"
        return f"percentages {how} to {self.decimals} decimals; exact counts beside them"

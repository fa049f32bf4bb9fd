"""The publication policy: from when the public may see figures.

Declared in the election definition (docs/formats/election.md, "Publication policy")::

    publish_after = "last_polls_close"      # or "20:00" (election day, the election's time zone)
                                            # or "2022-10-30T17:00:00-03:00" (a moment with its offset)
    first_bulletin_when = "85 % of tables counted"   # or "decided"

``last_polls_close`` is the latest polls-close time of any area, each area closing at
its own ``polls_close`` in its own ``time_zone`` (columns of areas.csv, inherited by
the areas below it; the election's own when no area above says otherwise): Brazil's
west closes hours after its east, and nothing may be published before the last.

Until the policy allows, bulletins may be computed and stored for the authority but
are not public; the public sees how transmission is going, without a figure. The
night is *released* by the first bulletin published once ``publish_after`` has passed
that meets ``first_bulletin_when`` (every contest decided, or at least that share of
the tables expected counted in every contest), or earlier by an administrator's
logged override with its reason. Without ``first_bulletin_when``, the night is released
when ``publish_after`` passes; without either key there is no embargo at all.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from fractions import Fraction
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import Problem

LAST_POLLS_CLOSE = "last_polls_close"
DECIDED = "decided"
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_SHARE = re.compile(r"(\d{1,3}(?:\.\d{1,2})?)\s*%(?:\s+of\s+tables\s+counted)?", re.I)


@dataclass(frozen=True)
class AreaClose:
    """An area's own polls-close time and time zone (either may be None: inherited)."""

    polls_close: dt.time | None = None
    time_zone: str | None = None


@dataclass(frozen=True)
class Policy:
    publish_after: str | None = None  # "last_polls_close", "HH:MM" or an ISO moment with its offset
    first_bulletin_when: str | None = None  # "decided" or "N % of tables counted"
    areas: tuple[tuple[str, AreaClose], ...] = ()  # per-area polls close, by area code

    @property
    def embargoed(self) -> bool:
        return self.publish_after is not None or self.first_bulletin_when is not None

    def as_dict(self) -> dict:
        return {"publish_after": self.publish_after, "first_bulletin_when": self.first_bulletin_when,
                "areas": {code: {"polls_close": a.polls_close.strftime("%H:%M") if a.polls_close else None,
                                 "time_zone": a.time_zone} for code, a in self.areas}}

    @classmethod
    def from_dict(cls, data: dict | None) -> Policy:
        data = data or {}
        areas = tuple((code, AreaClose(dt.time.fromisoformat(a["polls_close"]) if a.get("polls_close") else None,
                                       a.get("time_zone"))) for code, a in sorted((data.get("areas") or {}).items()))
        return cls(data.get("publish_after"), data.get("first_bulletin_when"), areas)


# -- checking the definition ------------------------------------------------------------------------

def check_publish_after(value: object) -> Problem | None:
    if isinstance(value, str) and (value == LAST_POLLS_CLOSE or _CLOCK.fullmatch(value) or _moment(value)):
        return None
    return Problem("election.publish_after", f"{value!r} is not a time",
                   'write "last_polls_close", a time of election day such as "20:00", or a moment with its '
                   'offset such as "2007-12-02T20:00:00-04:00"')


def check_first_bulletin_when(value: object) -> Problem | None:
    if isinstance(value, str) and (value == DECIDED or _share(value) is not None):
        return None
    return Problem("election.first_bulletin_when", f"{value!r} is not a condition",
                   'write "decided" (every contest decided) or a share of tables counted such as '
                   '"85 % of tables counted" (more than 0, at most 100)')


def check_time_zone(value: str) -> bool:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _moment(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _share(text: str) -> Fraction | None:
    match = _SHARE.fullmatch(text.strip())
    if not match:
        return None
    share = Fraction(match.group(1)) / 100
    return share if 0 < share <= 1 else None


def required_share(policy: Policy) -> Fraction | None:
    """The share of tables counted the first bulletin waits for, or None."""
    if policy.first_bulletin_when in (None, DECIDED):
        return None
    return _share(policy.first_bulletin_when)


# -- when polls close and when figures may be published ----------------------------------------------

def polls_close_at(election_date: dt.date, default_close: dt.time, default_zone: str, policy: Policy,
                   lineage: list[str]) -> dt.datetime:
    """When polls close in the area whose codes from the country down are ``lineage``."""
    own = dict(policy.areas)
    close, zone = default_close, default_zone
    for code in lineage:
        area = own.get(code)
        if area is not None:
            close = area.polls_close or close
            zone = area.time_zone or zone
    return dt.datetime.combine(election_date, close, ZoneInfo(zone))


def publish_after_at(policy: Policy, election_date: dt.date, zone: str, last_close: dt.datetime) -> dt.datetime | None:
    """The moment ``publish_after`` names, or None when the policy has none."""
    value = policy.publish_after
    if value is None:
        return None
    if value == LAST_POLLS_CLOSE:
        return last_close
    if _CLOCK.fullmatch(value):
        return dt.datetime.combine(election_date, dt.time.fromisoformat(value), ZoneInfo(zone))
    return _moment(value)


@dataclass(frozen=True)
class Readiness:
    """Whether a bulletin may be released now, and why not."""

    allowed: bool
    reason: str


def first_bulletin_met(policy: Policy, counted: list[tuple[int, int]], decided: list[bool]) -> tuple[bool, str]:
    """The first-bulletin condition on a bulletin's whole-country figures: (tables counted, expected)
    and decided, per contest."""
    if policy.first_bulletin_when is None:
        return True, "no first-bulletin condition"
    if policy.first_bulletin_when == DECIDED:
        if all(decided):
            return True, "every contest is decided"
        return False, f"{decided.count(False)} contest(s) not yet decided"
    share = required_share(policy)
    lowest = min((Fraction(c, e) for c, e in counted if e), default=Fraction(0))
    shown = f"{float(lowest) * 100:.2f} %"
    if lowest >= share:
        return True, f"{shown} of tables counted (at least {policy.first_bulletin_when})"
    return False, f"{shown} of tables counted, fewer than {policy.first_bulletin_when}"


def readiness(policy: Policy, after: dt.datetime | None, now: dt.datetime, counted: list[tuple[int, int]],
              decided: list[bool]) -> Readiness:
    """May a bulletin with these figures be released at ``now``?"""
    if after is not None and now < after:
        return Readiness(False, f"the publication policy holds figures until {after.isoformat()} "
                                f"(publish_after = {policy.publish_after})")
    met, why = first_bulletin_met(policy, counted, decided)
    if not met:
        return Readiness(False, f"the first bulletin waits for {policy.first_bulletin_when}: {why}")
    return Readiness(True, why)

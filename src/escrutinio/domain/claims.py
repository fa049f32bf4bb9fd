"""Claims: public statements about the result, in a small checkable form, judged against a bulletin.

The forms (any case; "%" and "points" may be left out)::

    in contest A, SI leads NO by 6 to 8 points
    in contest A, SI leads NO
    in contest A, SI wins
    turnout above 60 %            (or below; "in contest A, turnout above 60 %")
    in contest A, SI gained less than 100,000 votes over the previous election

Each is judged against a bulletin's whole-country figures: *supported*,
*contradicted* (with the figure that contradicts it) or *not yet checkable*
(with what it waits for). A lead is a statement about the count: it is judged
on the bulletin's figures as they stand (saying how many tables they cover),
and judged again at each bulletin. A win is a statement about the result: it
waits until the contest is decided (its leader can no longer be overtaken). Turnout is judged
on bounds: the ballots already cast over the whole register, and that plus
every ballot still possible; only when both are on one side is there a
verdict. A gain over the previous election waits for one to be loaded, and
is then judged on bounds too: the counted votes minus the previous
election's, and that plus every ballot still possible.

A claim is also judged against the quick count, apart from the official
count and labelled as such: a lead is supported when the quick count's 95 %
interval of the lead lies inside the claimed range (or above zero, for a lead
without a range or a win), contradicted when the interval lies wholly outside
it, and not yet checkable while they overlap. The quick count estimates shares
of valid votes only, so turnout and the previous election wait for the count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import quickcount as qc
from .errors import Problem

SUPPORTED, CONTRADICTED, NOT_YET = "supported", "contradicted", "not_yet_checkable"
_CONTEST = r"(?:in\s+contest\s+(?P<contest>[^\s,]+)\s*,?\s*)?"
_NUMBER = r"(\d+(?:\.\d+)?)"
FORMS = {
    "lead": re.compile(_CONTEST + r"(?P<a>\S+)\s+leads\s+(?P<b>\S+)(?:\s+by\s+" + _NUMBER + r"\s+to\s+" + _NUMBER
                       + r"\s*(?:points|pts)?)?\s*\.?$", re.I),
    "wins": re.compile(_CONTEST + r"(?P<a>\S+)\s+wins\s*\.?$", re.I),
    "turnout": re.compile(_CONTEST + r"turnout\s+(?P<op>above|below)\s+" + _NUMBER + r"\s*%?\s*\.?$", re.I),
    "gain": re.compile(_CONTEST + r"(?P<a>\S+)\s+gained\s+(?P<op>less|more)\s+than\s+(?P<n>\d[\d,]*)\s+votes\s+over\s+"
                       r"the\s+previous\s+election\s*\.?$", re.I),
}
HELP = ("write it in one of the forms of docs/observers.md, e.g. 'in contest A, SI leads NO by 6 to 8 points', "
        "'in contest A, SI wins', 'turnout above 60 %'")


@dataclass(frozen=True)
class Claim:
    kind: str  # lead, wins, turnout, gain
    contest: str
    option: str | None = None
    other: str | None = None
    low: float | None = None  # points, or a percentage for turnout
    high: float | None = None
    above: bool = True


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str


def parse_claim(text: str, contests: dict[str, tuple[str, ...]]) -> Claim | list[Problem]:
    """The claim, or its problems; ``contests`` maps each contest code to its option codes."""
    text = " ".join(text.split())
    for kind, form in FORMS.items():
        match = form.match(text)
        if match:
            return _claim(kind, match, contests)
    return [Problem("statement", f"not a checkable claim: {text[:80]!r}", HELP)]


def _claim(kind: str, match: re.Match, contests: dict[str, tuple[str, ...]]) -> Claim | list[Problem]:
    codes = {c.upper(): c for c in contests}
    contest = codes.get((match.group("contest") or next(iter(contests), "")).upper())
    if contest is None:
        return [Problem("statement", f"unknown contest {match.group('contest')!r}",
                        f"use one of {', '.join(contests)}")]
    options = {o.upper(): o for o in contests[contest]}
    named = [match.groupdict().get(k) for k in ("a", "b") if match.groupdict().get(k)]
    unknown = [n for n in named if n.upper() not in options]
    if unknown:
        return [Problem("statement", f"unknown option(s) {', '.join(unknown)} of contest {contest}",
                        f"use {', '.join(contests[contest])}")]
    found = [options[n.upper()] for n in named]
    if kind == "lead":
        low = float(match.group(4)) if match.group(4) else None
        high = float(match.group(5)) if match.group(5) else None
        if low is not None and high < low:
            return [Problem("statement", f"{low} to {high} points is an empty range", "write the smaller first")]
        return Claim("lead", contest, found[0], found[1], low, high)
    if kind == "wins":
        return Claim("wins", contest, found[0])
    if kind == "turnout":
        return Claim("turnout", contest, low=float(match.group(3)), above=match.group("op").lower() == "above")
    return Claim("gain", contest, found[0], low=float(match.group("n").replace(",", "")),
                 above=match.group("op").lower() == "more")


def judge(claim: Claim, figures: dict | None, bulletin: int | None, compared: dict | None = None) -> Verdict:
    """``claim`` against a bulletin's figures of its contest at the whole country (and, for a gain, the
    contest's comparison with the previous election there, if one is loaded)."""
    if figures is None or bulletin is None:
        return Verdict(NOT_YET, "no bulletin yet")
    if claim.kind == "gain":
        return _gain(claim, figures, bulletin, compared)
    if claim.kind == "turnout":
        return _turnout(claim, figures, bulletin)
    votes = {o["code"]: o["votes"] for o in figures["options"]}
    if claim.kind == "lead":
        return _lead(claim, votes, figures, bulletin)
    decided = figures["decided"]
    if not decided.get("decided"):
        return Verdict(NOT_YET, f"contest {claim.contest} is not decided in bulletin {bulletin}")
    leader = decided["leader"]
    if leader == claim.option:
        return Verdict(SUPPORTED, f"{claim.option} wins: decided in bulletin {bulletin}")
    return Verdict(CONTRADICTED, f"{leader} leads, decided in bulletin {bulletin}")


def _lead(claim: Claim, votes: dict[str, int], figures: dict, bulletin: int) -> Verdict:
    """A lead is a statement about the count: judged on the bulletin's figures as they stand."""
    valid = figures["valid"]
    if not valid:
        return Verdict(NOT_YET, f"no valid vote counted in bulletin {bulletin}")
    points = 100 * (votes[claim.option] - votes[claim.other]) / valid
    if points < 0:
        figure = f"{claim.other} leads {claim.option} by {-points:.2f} points in bulletin {bulletin}"
    else:
        figure = f"{claim.option} leads {claim.other} by {points:.2f} points in bulletin {bulletin}"
    tables = figures.get("tables") or {}
    if tables.get("counted", 0) < tables.get("expected", 0):
        figure += f", {tables['counted']:,} of {tables['expected']:,} tables counted"
    if claim.low is None:
        return Verdict(SUPPORTED if points > 0 else CONTRADICTED, figure)
    held = claim.low <= points <= claim.high
    return Verdict(SUPPORTED if held else CONTRADICTED, figure)


def _gain(claim: Claim, figures: dict, bulletin: int, compared: dict | None) -> Verdict:
    """On bounds: the gain so far (counted votes minus the previous election's), and that plus every ballot
    still possible (and every contested one); a verdict only when both are on one side of the figure."""
    if compared is None:
        return Verdict(NOT_YET, "needs the previous election, which is not loaded")
    option = compared["options"].get(claim.option, {})
    if option.get("previous_option") is None:
        return Verdict(NOT_YET, f"{claim.option} has no counterpart in {compared['previous']}")
    decided = figures["decided"]
    low = option["votes_change"]
    high = low + decided.get("remaining_max", 0) + decided.get("conflict_swing", 0)
    versus = f"{claim.option} {option['votes']:,} − {option['previous_option']} {option['previous_votes']:,}"
    if low == high:
        bounds = f"gain {low:+,} ({versus}) in bulletin {bulletin}, every table counted"
    else:
        bounds = f"gain between {low:+,} ({versus}) and {high:+,} as of bulletin {bulletin}"
    figure = claim.low
    sure_above, sure_below = (low > figure, high <= figure) if claim.above else (low >= figure, high < figure)
    if sure_above or sure_below:
        held = sure_above == claim.above
        return Verdict(SUPPORTED if held else CONTRADICTED, bounds)
    return Verdict(NOT_YET, bounds)


def _turnout(claim: Claim, figures: dict, bulletin: int) -> Verdict:
    registered = figures["registered_all"]
    if not registered:
        return Verdict(NOT_YET, "no registered voters")
    cast, remaining = figures["ballots_cast"], figures["decided"].get("remaining_max", 0)
    low, high = 100 * cast / registered, 100 * (cast + remaining) / registered
    bounds = f"turnout between {low:.2f} % and {high:.2f} % as of bulletin {bulletin}"
    if remaining == 0:
        bounds = f"turnout {low:.2f} % in bulletin {bulletin}, every table counted"
    sure_above, sure_below = low > claim.low, high < claim.low
    if sure_above or sure_below:
        held = sure_above == claim.above
        return Verdict(SUPPORTED if held else CONTRADICTED, bounds)
    return Verdict(NOT_YET, bounds)


def judge_quick_count(claim: Claim, reports: list[qc.Report], population: dict[str, int],
                      options: tuple[str, ...]) -> Verdict:
    """``claim`` against the quick count's 95 % intervals for its contest (an estimate, not the count)."""
    if claim.kind == "gain":
        return Verdict(NOT_YET, "the quick count estimates shares of valid votes, not votes to set beside the "
                                "previous election's")
    if claim.kind == "turnout":
        return Verdict(NOT_YET, "the quick count estimates shares of valid votes, not turnout")
    if len(reports) < 2:
        return Verdict(NOT_YET, f"the quick count has {len(reports)} report(s) of contest {claim.contest}; "
                                "its interval needs two")
    others = [claim.other] if claim.kind == "lead" else [o for o in options if o != claim.option]
    leads = {o: qc.lead(reports, population, claim.option, o) for o in others}
    figure = "; ".join(f"the quick count puts {claim.option} minus {o} at {100 * e.share:+.2f} points "
                       f"(95 % interval {100 * e.low:+.2f} to {100 * e.high:+.2f})" for o, e in leads.items())
    figure += f", from {len(reports)} sampled tables"
    if claim.kind == "lead" and claim.low is not None:
        found = leads[claim.other]
        low, high = 100 * found.low, 100 * found.high
        if claim.low <= low and high <= claim.high:
            return Verdict(SUPPORTED, figure)
        if high < claim.low or low > claim.high:
            return Verdict(CONTRADICTED, figure)
        return Verdict(NOT_YET, figure)
    if all(e.low > 0 for e in leads.values()):
        return Verdict(SUPPORTED, figure)
    if any(e.high < 0 for e in leads.values()):
        return Verdict(CONTRADICTED, figure)
    return Verdict(NOT_YET, figure)

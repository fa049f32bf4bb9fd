"""Clarity (Scytl) "detail XML" results, at precinct or county level, as a new election.

A detail file (``detail.xml`` of one jurisdiction's results site) lists the
jurisdiction's units with their register and ballots cast
(``VoterTurnout/Precincts`` or ``ElectionVoterTurnout/Counties``), then each
contest: its undervotes and overvotes per unit, and each choice's votes per
vote type (election day, early, absentee...) per unit.

Mapping (``docs/formats/adapters.md``): the region is the root area; at
precinct level each precinct is a table with a centre of its own under it,
at county level each county an area with one centre and one table. Each
contest is a contest (code ``C<key>``), each choice an option (code its
key, with its party); a choice's votes at a unit are the sum of its vote
types; overvotes are null, undervotes blank, ballots cast their sum with the
votes. Every figure the file totals is checked: a choice's ``totalVotes``
and each vote type's ``votes`` against the units they add up.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from ...domain.errors import Problem
from ...domain.model import Acta, Area, Centre, Contest, Election, Option, Table
from ...domain.percent import PercentRule
from ..sniff import CLARITY, mismatch
from .bundle import Bundle

# The time zone abbreviations of Clarity's timestamps, as US zones.
ZONES = {"EST": "America/New_York", "EDT": "America/New_York", "CST": "America/Chicago",
         "CDT": "America/Chicago", "MST": "America/Denver", "MDT": "America/Denver",
         "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles", "AKST": "America/Anchorage",
         "AKDT": "America/Anchorage", "HST": "Pacific/Honolulu"}
POLLS = (dt.time(6), dt.time(19))
EXPECTED = "a Clarity detail XML file"


@dataclass
class _Unit:
    name: str
    registered: int
    cast: int


@dataclass
class _Reading:
    source: str
    problems: list[Problem]
    notes: list[str]
    level: str = "precinct"
    units: dict[str, _Unit] = field(default_factory=dict)
    contests: list[Contest] = field(default_factory=list)
    counts: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)  # (contest, unit) -> column -> n

    def problem(self, where: str, message: str, action: str) -> None:
        self.problems.append(Problem(where, message, action, self.source))


def adapt_clarity(path: str | Path) -> Bundle:
    """Map one Clarity detail XML file to a new election."""
    path = Path(path)
    problems: list[Problem] = []
    notes: list[str] = []
    wrong = mismatch(path, EXPECTED, CLARITY)
    if wrong is not None:
        return Bundle(None, {}, [wrong], notes)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        problems.append(Problem("", f"cannot read it as XML ({exc})", "give the detail.xml as downloaded",
                                str(path)))
        return Bundle(None, {}, problems, notes)
    reading = _Reading(str(path), problems, notes)
    _turnout(root, reading)
    for contest in root.iter("Contest"):
        _contest(contest, reading)
    if not reading.units or not reading.contests:
        reading.problem("Contest", "no units or no contests in the file", "give a detail.xml with results")
        return Bundle(None, {}, problems, notes)
    election = _election(root, reading)
    if election is None:
        return Bundle(None, {}, problems, notes)
    return Bundle(election, {f"actas-{path.stem}.csv": _actas(reading)}, problems, notes)


def _whole(text: str | None, where: str, reading: _Reading) -> int:
    if text is not None and text.strip().isdigit():
        return int(text)
    reading.problem(where, f"{text!r} is not a whole number ≥ 0", "give the file as Clarity wrote it")
    return 0


def _turnout(root: ET.Element, reading: _Reading) -> None:
    turnout = root.find("VoterTurnout/Precincts")
    if turnout is None:
        turnout, reading.level = root.find("ElectionVoterTurnout/Counties"), "county"
    if turnout is None:
        reading.problem("VoterTurnout", "no list of precincts or counties", "give a detail.xml with its turnout")
        return
    stand_in = 0
    for unit in turnout:
        name = (unit.get("name") or "").strip()
        where = f"{unit.tag} {name}"
        if not name or name in reading.units:
            reading.problem(where, "a unit without a name, or named twice", "give the file as Clarity wrote it")
            continue
        registered = _whole(unit.get("totalVoters"), where, reading)
        cast = _whole(unit.get("ballotsCast"), where, reading)
        stand_in += registered == 0
        reading.units[name] = _Unit(name, registered or cast, cast)
    if stand_in:
        reading.notes.append(f"{stand_in} of {len(reading.units)} {reading.level}s give no register "
                             "(totalVoters 0): their register is taken as their ballots cast")


def _contest(element: ET.Element, reading: _Reading) -> None:
    key = (element.get("key") or "").strip()
    code = f"C{key}"
    where = f"Contest {key}"
    options = []
    for kind in element.findall("VoteType"):
        column = {"Overvotes": "null", "Undervotes": "blank"}.get(kind.get("name") or "")
        if column is not None:
            _vote_type(kind, code, column, f"{where} {kind.get('name')}", reading)
    for choice in element.findall("Choice"):
        option = (choice.get("key") or "").strip()
        options.append(Option(option, (choice.get("text") or option).strip(), party=choice.get("party") or None))
        total = sum(_vote_type(kind, code, option, f"{where} choice {option} {kind.get('name')}", reading)
                    for kind in choice.findall("VoteType"))
        given = _whole(choice.get("totalVotes"), f"{where} choice {option}", reading)
        if given != total:
            reading.problem(f"{where} choice {option}", f"totalVotes {given:,} but its vote types add up to "
                            f"{total:,}", "give the complete detail.xml (a vote type is missing or cut short)")
    vote_for = element.get("voteFor") or "1"
    if vote_for != "1":
        reading.notes.append(f"contest {code} lets each voter choose {vote_for}: its counts are marks, and its "
                             "ballots cast are marks too")
    reading.contests.append(Contest(code, (element.get("text") or code).strip(), tuple(options), blank=True))


def _vote_type(kind: ET.Element, contest: str, column: str, where: str, reading: _Reading) -> int:
    total = 0
    for unit in kind:
        name = (unit.get("name") or "").strip()
        if name not in reading.units:
            reading.problem(f"{where} {name}", f"{unit.tag.lower()} {name!r} is not in the turnout list",
                            "give the file as Clarity wrote it")
            continue
        votes = _whole(unit.get("votes"), f"{where} {name}", reading)
        cell = reading.counts.setdefault((contest, name), {})
        cell[column] = cell.get(column, 0) + votes
        total += votes
    given = _whole(kind.get("votes"), where, reading)
    if given != total:
        reading.problem(where, f"votes {given:,} but its units add up to {total:,}",
                        "give the complete detail.xml")
    return total


def _election(root: ET.Element, reading: _Reading) -> Election | None:
    region = (root.findtext("Region") or "Region").strip()
    name = (root.findtext("ElectionName") or "Election").strip()
    date = _date(root.findtext("ElectionDate"), reading)
    if date is None:
        return None
    zone = ZONES.get((root.findtext("Timestamp") or "").split()[-1:][0] if root.findtext("Timestamp") else "")
    if zone is None:
        zone = "America/New_York"
        reading.notes.append("the timestamp names no US time zone: America/New_York is assumed")
    reading.notes.append("the file says nothing of polling hours: 06:00-19:00 are a stand-in")
    on = {u: tuple(c.code for c in reading.contests if (c.code, u) in reading.counts) for u in reading.units}
    if reading.level == "county":
        areas = [Area(region, region, 0, None)] + [Area(u, u, 1, region) for u in reading.units]
        centres = [Centre(f"C-{u}", u, u) for u in reading.units]
        levels = ("state", "county")
    else:
        areas = [Area(region, region, 0, None)]
        centres = [Centre(f"C-{u}", u, region) for u in reading.units]
        levels = ("county",)
    tables = [Table(u, f"C-{u}", unit.registered, on[u]) for u, unit in reading.units.items()]
    return Election(
        name=f"{name} — {region}", date=date, time_zone=zone, polls_open=POLLS[0], polls_close=POLLS[1],
        locale="en_US", percent_rule=PercentRule("half_up", 2), abstention_basis="counted_tables",
        extra_voters_allowed=0, contests=tuple(reading.contests), levels=levels, areas=tuple(areas),
        centres=tuple(centres), tables=tuple(tables), require_signatures=False)


def _date(text: str | None, reading: _Reading) -> dt.date | None:
    try:
        return dt.datetime.strptime((text or "").strip(), "%m/%d/%Y").date()
    except ValueError:
        reading.problem("ElectionDate", f"{text!r} is not a date as M/D/YYYY", "give the file as Clarity wrote it")
        return None


def _actas(reading: _Reading) -> list[Acta]:
    out = []
    for contest in reading.contests:
        for unit in reading.units:
            cell = reading.counts.get((contest.code, unit))
            if cell is None:
                continue
            votes = tuple((o, cell.get(o, 0)) for o in contest.option_codes)
            null, blank = cell.get("null", 0), cell.get("blank", 0)
            out.append(Acta(unit, contest.code, votes, null, blank, sum(n for _, n in votes) + null + blank))
    return out

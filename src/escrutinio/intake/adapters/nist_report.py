"""NIST SP 1500-100 v2 election results reports (XML or JSON) as a new election.

Both forms are read into the same shape (the JSON form's: objects with
``@type`` and ``@id``, fields by name), then mapped
(``docs/formats/adapters.md``):

- the counting units are the reporting units that have counts while no unit
  they are composed of has any (precincts, or our own tables); each is a
  table, registered = its ``VotersRegistered``, else the ballots cast its
  ``BallotCounts`` give (with a note);
- the areas are the units reached from the election's scope
  (``ElectionScopeId``) through ``ComposingGpUnitIds``, each under the first
  unit that lists it; a polling place (or vote centre) above a table is its
  centre, else the polling place that lists the table, else a centre of its
  own;
- each contest is a contest (code: its local-level identifier, else its
  ``ObjectId``), on the tables its ``ElectionDistrictId`` is composed of;
  each selection an option (candidates by ballot name and party; a write-in
  selection is "Write-ins"); ``Overvotes`` are null, ``Undervotes`` blank;
- a table gets an acta of a contest when the report gives it any count of
  that contest; its ballots cast are its votes + overvotes + undervotes.

Every count a unit above the tables gives is checked against the sum of its
tables: the report's own totals.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ...domain.errors import Problem
from ...domain.model import Acta, Area, Centre, Contest, Election, Option, Table
from ...domain.percent import PercentRule
from ..sniff import NIST_JSON, NIST_XML, mismatch
from .bundle import Bundle
from .nist_form import all_of, language_of, local_id, object_id, one_of, read_report, refs, text_of

CENTRE_TYPES = ("polling-place", "vote-center")
POLLS = (dt.time(7), dt.time(20))
EXPECTED = "a NIST SP 1500-100 results report"


def adapt_nist(path: str | Path) -> Bundle:
    """Map one NIST results report (XML or JSON, told by its content) to a new election."""
    path = Path(path)
    problems: list[Problem] = []
    notes: list[str] = []
    wrong = mismatch(path, EXPECTED, NIST_XML, NIST_JSON)
    if wrong is not None:
        return Bundle(None, {}, [wrong], notes)
    report = read_report(path, problems)
    if report is None:
        return Bundle(None, {}, problems, notes)
    reading = _Reading(str(path), report, problems, notes)
    election = reading.election()
    if election is None:
        return Bundle(None, {}, problems, notes)
    return Bundle(election, {f"actas-{path.stem}.csv": reading.actas(election)}, problems, notes)


# -- mapping -----------------------------------------------------------------------------------------------------

@dataclass
class _Counts:
    votes: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)   # (contest, unit) -> option -> n
    other: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)  # (contest, unit) -> (over, under)


class _Reading:
    def __init__(self, source: str, report: dict, problems: list[Problem], notes: list[str]):
        self.source, self.report, self.problems, self.notes = source, report, problems, notes
        self.units = {object_id(u): u for u in all_of(report, "GpUnit") if object_id(u)}
        self.elections = all_of(report, "Election")
        self.counts = _Counts()
        self.contests: list[tuple[dict, Contest]] = []

    def problem(self, where: str, message: str, action: str) -> None:
        self.problems.append(Problem(where, message, action, self.source))

    def election(self) -> Election | None:
        if len(self.elections) != 1:
            self.problem("Election", f"{len(self.elections)} elections in the report",
                         "give a report of one election")
            return None
        election = self.elections[0]
        root = str(one_of(election, "ElectionScopeId") or "").strip()
        if root not in self.units:
            self.problem("ElectionScopeId", f"scope {root!r} is not a GpUnit of the report",
                         "give the report with its geography")
            return None
        for contest in all_of(election, "Contest"):
            self._contest(contest)
        counting = self._counting(root)
        if not counting or self.problems:
            if not counting:
                self.problem("VoteCounts", "no counts at any reporting unit", "give a report with results")
            return None
        self._check_totals(counting)
        return self._build(election, root, counting)

    # contests and counts

    def _contest(self, contest: dict) -> None:
        code = local_id(contest) or object_id(contest) or str(one_of(contest, "Name"))
        options = []
        for index, selection in enumerate(all_of(contest, "ContestSelection")):
            option = self._option(selection, index)
            options.append(option)
            for vote in all_of(selection, "VoteCounts"):
                self._add_vote(code, option.code, vote)
        for other in all_of(contest, "OtherCounts"):
            unit = str(one_of(other, "GpUnitId") or "").strip()
            over, under = self._number(one_of(other, "Overvotes"), code), self._number(one_of(other, "Undervotes"), code)
            was = self.counts.other.get((code, unit), (0, 0))
            self.counts.other[(code, unit)] = (was[0] + over, was[1] + under)
        allowed = one_of(contest, "VotesAllowed")
        if allowed not in (None, "1", 1):
            self.notes.append(f"contest {code} lets each voter choose {allowed}: its counts are marks, and its "
                              "ballots cast are marks too")
        name = str(one_of(contest, "Name") or code)
        self.contests.append((contest, Contest(code, name, tuple(options), blank=True)))

    def _option(self, selection: dict, index: int) -> Option:
        candidates = [c for c in all_of(self.elections[0], "Candidate") if object_id(c) in refs(selection, "CandidateIds")]
        code = local_id(selection) or next((local_id(c) for c in candidates if local_id(c)), None) \
            or object_id(selection) or str(index + 1)
        if str(one_of(selection, "IsWriteIn")).lower() == "true" and not candidates:
            return Option(code, "Write-ins")
        if candidates:
            names = " / ".join(text_of(one_of(c, "BallotName")) or object_id(c) for c in candidates)
            return Option(code, names, party=self._party(candidates[0]))
        return Option(code, text_of(one_of(selection, "Selection")) or code)

    def _party(self, candidate: dict) -> str | None:
        wanted = str(one_of(candidate, "PartyId") or "").strip()
        for party in all_of(self.report, "Party"):
            if object_id(party) == wanted:
                return text_of(one_of(party, "Abbreviation")) or text_of(one_of(party, "Name"))
        return None

    def _add_vote(self, contest: str, option: str, vote: dict) -> None:
        unit = str(one_of(vote, "GpUnitId") or "").strip()
        count = self._number(one_of(vote, "Count"), contest)
        kind = one_of(vote, "Type")
        per = self.counts.votes.setdefault((contest, unit), {})
        # A "total" replaces the sum of the other types given for the same unit and option.
        key = (option, "total" if kind == "total" else "parts")
        per[key] = per.get(key, 0) + count

    def _number(self, value, contest: str) -> int:
        if value in (None, ""):
            return 0
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = -1
        if number < 0 or number != int(number):
            self.problem(f"Contest {contest}", f"count {value!r} is not a whole number ≥ 0",
                         "give whole counts (the report's counts are exact)")
            return 0
        return int(number)

    def vote(self, contest: str, unit: str, option: str) -> int:
        per = self.counts.votes.get((contest, unit), {})
        return per.get((option, "total"), per.get((option, "parts"), 0))

    # geography

    def _counted_units(self) -> set[str]:
        units = {u for _, u in self.counts.votes} | {u for _, u in self.counts.other}
        for unit in sorted(units - set(self.units)):
            self.problem("GpUnitId", f"counts for {unit!r}, which is not a GpUnit of the report",
                         "give the report with every unit it counts")
        return units & set(self.units)

    def _counting(self, root: str) -> list[str]:
        """Units with counts and none below them, and the tree's leaves (units not counted yet)."""
        with_counts = self._counted_units()
        below = {u: self._leaves(u) for u in with_counts}
        counting = {u for u in with_counts if not (below[u] - {u}) & with_counts}
        if counting:
            counting |= {u for u in self._leaves(root) if not refs(self.units.get(u, {}), "ComposingGpUnitIds")
                         and str(one_of(self.units.get(u, {}), "Type")) not in CENTRE_TYPES}
        return sorted(counting)

    def _leaves(self, unit: str, seen: set[str] | None = None) -> set[str]:
        seen = seen if seen is not None else set()
        if unit in seen:
            return set()
        seen.add(unit)
        parts = refs(self.units.get(unit, {}), "ComposingGpUnitIds")
        if not parts:
            return {unit}
        out = {unit}
        for part in parts:
            out |= self._leaves(part, seen)
        return out

    def _check_totals(self, counting: list[str]) -> None:
        tables = set(counting)
        for (contest, unit), per in self.counts.votes.items():
            if unit in tables or unit not in self.units:
                continue
            under = self._leaves(unit) & tables
            for (option, _kind) in per:
                given = self.vote(contest, unit, option)
                added = sum(self.vote(contest, t, option) for t in under)
                if given != added:
                    self.problem(f"Contest {contest}", f"unit {unit} gives {given:,} votes for {option} but its "
                                 f"counting units add up to {added:,}",
                                 "give a report whose totals agree with its units")

    def _build(self, election: dict, root: str, counting: list[str]) -> Election | None:
        parent = self._tree(root)
        tables = [t for t in counting]
        for t in tables:
            if t not in parent and t != root:
                parent[t] = root
        kinds = {u: str(one_of(self.units[u], "Type") or "") for u in self.units}
        centre_of: dict[str, str] = {}
        for t in tables:
            above = parent.get(t)
            if above is not None and kinds.get(above) in CENTRE_TYPES:
                centre_of[t] = above
            else:
                centre_of[t] = self._listing_place(t, above, parent, kinds) or f"C-{t}"
        areas = self._areas(root, parent, set(tables) | set(centre_of.values()), kinds)
        if areas is None:
            return None
        return self._election(election, root, parent, tables, centre_of, areas, kinds)

    def _tree(self, root: str) -> dict[str, str]:
        parent: dict[str, str] = {}
        order = [root]
        for unit in order:
            for part in refs(self.units[unit], "ComposingGpUnitIds"):
                if part in self.units and part != root and part not in parent:
                    parent[part] = unit
                    order.append(part)
        return parent

    def _listing_place(self, table: str, above: str | None, parent: dict[str, str], kinds: dict[str, str]):
        for uid, unit in self.units.items():
            if kinds[uid] == "polling-place" and table in refs(unit, "ComposingGpUnitIds"):
                others = [t for t in refs(unit, "ComposingGpUnitIds") if t in parent]
                if all(parent.get(t) == above for t in others):
                    return uid
        return None

    def _areas(self, root: str, parent: dict[str, str], below: set[str], kinds: dict[str, str]) -> list[str] | None:
        needed: list[str] = [root]
        for unit in below:
            chain = parent.get(unit)
            while chain is not None and chain not in needed:
                needed.append(chain)
                chain = parent.get(chain)
        return [u for u in needed if u not in below]

    def _election(self, election: dict, root: str, parent: dict[str, str], tables: list[str],
                  centre_of: dict[str, str], area_ids: list[str], kinds: dict[str, str]) -> Election:
        depth = {root: 0}
        for unit in sorted(area_ids, key=lambda u: self._depth(u, parent)):
            depth[unit] = self._depth(unit, parent)
        area_ids = sorted(area_ids, key=lambda u: (depth[u], area_ids.index(u)))
        levels: list[str] = []
        for unit in area_ids:
            if depth[unit] == len(levels):
                levels.append(self._level_name(unit, kinds))
        code = self._codes(area_ids + tables + [c for c in centre_of.values() if c in self.units])
        areas = [Area(code[u], self._name(u), depth[u], code[parent[u]] if u != root else None) for u in area_ids]
        centre_ids = list(dict.fromkeys(centre_of[t] for t in tables))
        first_table = {c: next(t for t in tables if centre_of[t] == c) for c in centre_ids}
        # A centre of the tree hangs where the tree puts it; any other centre beside its table.
        centre_area = {c: parent.get(c) if parent.get(first_table[c]) == c else parent.get(first_table[c], root)
                       for c in centre_ids}
        centres = [Centre(code.get(c, c), self._name(c) if c in self.units else self._name(c[2:]),
                          code.get(centre_area[c] or root, code[root])) for c in centre_ids]
        on_ballot = self._on_ballot(tables)
        registered = self._registered(tables, on_ballot)
        contests = tuple(c for _, c in self.contests)
        self.table_code = {t: code[t] for t in tables}
        self.on_ballot = on_ballot
        table_list = [Table(code[t], code.get(centre_of[t], centre_of[t]), registered[t],
                            tuple(c.code for c in contests if c.code in on_ballot[t])) for t in tables]
        return Election(
            name=text_of(one_of(election, "Name")) or self._name(root), date=self._date(election),
            time_zone="UTC", polls_open=POLLS[0], polls_close=POLLS[1], locale=self._locale(election, root),
            percent_rule=PercentRule("half_up", 2), abstention_basis="counted_tables", extra_voters_allowed=0,
            contests=contests, levels=tuple(levels), areas=tuple(areas), centres=tuple(centres),
            tables=tuple(table_list), require_signatures=False)

    def _depth(self, unit: str, parent: dict[str, str]) -> int:
        n = 0
        while unit in parent:
            unit, n = parent[unit], n + 1
        return n

    def _level_name(self, unit: str, kinds: dict[str, str]) -> str:
        obj = self.units[unit]
        return str(one_of(obj, "OtherType") or kinds.get(unit) or "area")

    def _name(self, unit: str) -> str:
        return text_of(one_of(self.units.get(unit, {}), "Name")) or unit

    def _codes(self, units: list[str]) -> dict[str, str]:
        """Each unit's code: its local-level identifier when that is unique, else its ObjectId."""
        local = {u: local_id(self.units[u]) for u in units if u in self.units}
        taken = [v for v in local.values() if v]
        return {u: (local[u] if local.get(u) and taken.count(local[u]) == 1 else u) for u in units}

    def _on_ballot(self, tables: list[str]) -> dict[str, set[str]]:
        """Per table, the contests on its ballot: its contest's district's units, else those that count it."""
        on: dict[str, set[str]] = defaultdict(set)
        table_set = set(tables)
        for raw, contest in self.contests:
            district = str(one_of(raw, "ElectionDistrictId") or "").strip()
            within = self._leaves(district) & table_set if district in self.units else set()
            counted = {u for (c, u) in list(self.counts.votes) + list(self.counts.other) if c == contest.code}
            for t in (within or counted & table_set):
                on[t].add(contest.code)
            self._outside(contest, district, sorted((counted & table_set) - (within or counted)))
        return on

    def _outside(self, contest: Contest, district: str, units: list[str]) -> None:
        """Counts at units outside the contest's district: write-ins are left out with a note (some exports
        give an office's write-ins to every district's contest), anything else is a problem."""
        write_ins = {o.code for o in contest.options if o.name == "Write-ins"}
        left_out, where = 0, 0
        for t in units:
            over, under = self.counts.other.get((contest.code, t), (0, 0))
            others = over + under + sum(self.vote(contest.code, t, o) for o in contest.option_codes
                                        if o not in write_ins)
            if others:
                self.problem(f"Contest {contest.code}", f"unit {t} has votes in this contest but is not in its "
                             f"district {district}", "give a report whose districts hold their counts")
            written = sum(self.vote(contest.code, t, o) for o in write_ins)
            left_out, where = left_out + written, where + bool(written)
        if left_out:
            self.notes.append(f"contest {contest.code}: {left_out:,} write-in votes at {where} units outside its "
                              f"district {district} are left out")

    def _registered(self, tables: list[str], on_ballot: dict[str, set[str]]) -> dict[str, int]:
        cast = {}
        for counts in all_of(self.elections[0], "BallotCounts"):
            unit = str(one_of(counts, "GpUnitId") or "").strip()
            cast[unit] = cast.get(unit, 0) + self._number(one_of(counts, "BallotsCast"), "BallotCounts")
        out, stand_in = {}, 0
        for t in tables:
            given = one_of(self.units[t], "VotersRegistered")
            if given not in (None, ""):
                out[t] = self._number(given, "VotersRegistered")
                continue
            stand_in += 1
            out[t] = max([cast.get(t, 0)] + [self._cast(c.code, t) for _, c in self.contests
                                            if c.code in on_ballot[t]])
        if stand_in:
            self.notes.append(f"{stand_in} of {len(tables)} counting units have no VotersRegistered: their register "
                              "is taken as their ballots cast (turnout there reads 100 %)")
        return out

    def _cast(self, contest: str, unit: str) -> int:
        options = next(c for _, c in self.contests if c.code == contest).option_codes
        over, under = self.counts.other.get((contest, unit), (0, 0))
        return sum(self.vote(contest, unit, o) for o in options) + over + under

    def _date(self, election: dict) -> dt.date:
        text = str(one_of(election, "StartDate") or "")
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            self.problem("StartDate", f"{text!r} is not a date", "give the election's StartDate as 2022-11-08")
            return dt.date(1970, 1, 1)

    def _locale(self, election: dict, root: str) -> str:
        language = language_of(one_of(election, "Name")) or "en"
        country = "US"
        for ident in all_of(self.units[root], "ExternalIdentifier"):
            value = str(one_of(ident, "Value") or "")
            if one_of(ident, "Type") == "ocd-id" and "country:" in value:
                country = value.split("country:")[1][:2].upper()
        self.notes.append("the report names no time zone or polling hours: UTC and 07:00-20:00 are assumed; "
                          "edit time_zone, polls_open and polls_close in definition.toml")
        return f"{language.split('-')[0].lower()}_{country}"

    def actas(self, election: Election) -> list[Acta]:
        out = []
        for t, code in self.table_code.items():
            for _, contest in self.contests:
                key = (contest.code, t)
                if contest.code not in self.on_ballot[t]:
                    continue
                if key not in self.counts.votes and key not in self.counts.other:
                    continue  # not reported yet
                votes = tuple((o, self.vote(contest.code, t, o)) for o in contest.option_codes)
                over, under = self.counts.other.get(key, (0, 0))
                out.append(Acta(code, contest.code, votes, over, under, sum(n for _, n in votes) + over + under))
        return out

"""A bulletin as a NIST SP 1500-100 v2 election results report, in XML and in JSON.

The report is built once as a tree of :class:`Obj` (a NIST class, its
``ObjectId`` and its fields in the schema's order) and written either way:
XML against ``NIST_V2_election_results_reporting.xsd`` (abstract classes
with ``xsi:type``) or JSON against the schema's JSON form (``@type`` and
``@id``). Both schemas ship in ``escrutinio/publish/nist_schema/`` with NIST's
notice.

Mapping (``docs/formats/nist.md``): every area and centre of the bulletin
and every table beneath them is a ReportingUnit with a stable id made from
its code (``ru-a-``, ``ru-c-``, ``ru-t-``); areas carry an OCD-style id,
centres are polling places and tables ballot batches. Counts are exact
VoteCounts (type ``total``) of each option at every unit with counted
tables, never percentages; a unit with nothing counted has no count (not a
count of 0). Null and blank ballots are OtherCounts (Overvotes, Undervotes).
Each unit says whether it is counted (``completed``), partly
(``in-process``) or not at all (``not-processed``). The bulletin's number,
hash, previous hash and cut-off travel as the report's ExternalIdentifiers.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from ..domain.bulletin import FIXED, Bulletin
from ..domain.model import Election
from ..domain.tally import TAIL, Tally
from .nist_writing import Obj, Refs, Text, to_json, to_xml

# Options that make a contest a ballot measure (a question answered yes or no).
YES_NO = ({"SI", "NO"}, {"SÍ", "NO"}, {"YES", "NO"}, {"JA", "NEIN"}, {"OUI", "NON"}, {"SIM", "NAO"}, {"SIM", "NÃO"})
# Level names whose areas are countries, states, municipalities...: NIST's ReportingUnitType.
UNIT_TYPES = {
    "país": "country", "pais": "country", "country": "country", "land": "country",
    "estado": "state", "state": "state", "kanton": "state", "canton": "state", "province": "state",
    "municipio": "municipality", "município": "municipality", "gemeinde": "municipality",
    "municipality": "municipality", "commune": "municipality", "county": "county", "city": "city",
    "town": "town", "township": "township", "ward": "ward", "precinct": "precinct",
}
CENTRE_TYPE, TABLE_TYPE = "polling-place", "ballot-batch"


def unit_id(kind: str, code: str) -> str:
    """A stable XML ID for an area (``a``), centre (``c``) or table (``t``): its code, escaped to an NCName."""
    out = []
    for ch in code:
        if ch.isascii() and (ch.isalnum() or ch in ".-"):
            out.append(ch)
        else:
            out.append("".join(f"_{b:02x}" for b in ch.encode()))
    return f"ru-{kind}-{''.join(out)}"


def ocd_segment(text: str) -> str:
    """Lower-case ASCII letters, digits and ``_ . ~ -``, as OCD identifiers allow."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(ch if ch.isalnum() or ch in "_.~-" else "_" for ch in folded) or "_"


@dataclass
class _Context:
    election: Election
    bulletin: Bulletin
    tally: Tally | None
    language: str
    country: str
    ocd: dict[str, str] = field(default_factory=dict)


def build_report(election: Election, bulletin: Bulletin, tally: Tally | None, *, vendor: str) -> Obj:
    """The report of ``bulletin``; ``tally`` gives the tables' own counts (None: areas and centres only)."""
    language, _, region = election.locale.partition("_")
    ctx = _Context(election, bulletin, tally, language.lower() or "und", (region or "zz").lower())
    report = Obj("ElectionReport")
    report.add("Election", [_election(ctx)])
    report.add("ExternalIdentifier", _bulletin_ids(bulletin))
    report.add("Format", "precinct-level")
    report.add("GeneratedDate", _zulu(bulletin.cut_off))
    report.add("GpUnit", _units(ctx))
    report.add("Issuer", election.name)
    report.add("IssuerAbbreviation", "escrutinio")
    if election.extra.get("demo") or election.drill:
        report.add("IsTest", True)
    report.add("Notes", f"Bulletin {bulletin.number} with cut-off {bulletin.body['cut_off_local']}; SHA-256 "
                        f"{bulletin.hash}. Exact counts only: shares follow from them.")
    report.add("Party", _parties(ctx))
    report.add("SequenceStart", 1)
    report.add("SequenceEnd", 1)
    report.add("Status", "unofficial-complete" if _complete(bulletin) else "unofficial-partial")
    if election.drill:
        report.add("TestType", "drill")
    elif election.extra.get("demo"):
        report.add("TestType", "demonstration night")
    report.add("VendorApplicationId", vendor)
    return report


def _zulu(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _other_id(kind: str, value: str) -> Obj:
    ident = Obj("ExternalIdentifier")
    ident.add("Type", "other")
    ident.add("OtherType", kind)
    ident.add("Value", value)
    return ident


def _id(kind: str, value: str) -> Obj:
    ident = Obj("ExternalIdentifier")
    ident.add("Type", kind)
    ident.add("Value", value)
    return ident


def _bulletin_ids(bulletin: Bulletin) -> list[Obj]:
    ids = [_other_id("escrutinio-bulletin-number", str(bulletin.number)),
           _other_id("escrutinio-bulletin-hash", bulletin.hash),
           _other_id("escrutinio-bulletin-cut-off", bulletin.body["cut_off"])]
    if bulletin.previous_hash:
        ids.append(_other_id("escrutinio-bulletin-previous-hash", bulletin.previous_hash))
    return ids


def _complete(bulletin: Bulletin) -> bool:
    return all(_count_state(bulletin.counters[c["code"]][0], len(c["options"])) == "completed"
               for c in bulletin.body["contests"])


def _count_state(row, n_options: int) -> str:
    counted = row[n_options + TAIL.index("counted")]
    expected = row[n_options + len(TAIL) + FIXED.index("expected")]
    return "not-processed" if counted == 0 else "completed" if counted >= expected else "in-process"


def _status(state: str) -> Obj:
    status = Obj("CountStatus")
    status.add("Status", state)
    status.add("Type", "total")
    return status


# -- geography -----------------------------------------------------------------------------------------------

def _units(ctx: _Context) -> list[Obj]:
    nodes, election = ctx.bulletin.nodes, ctx.election
    units = []
    for node in range(len(nodes)):
        code = nodes.codes[node]
        if nodes.kinds[node] == "area":
            units.append(_area_unit(ctx, node, election.area_by_code[code]))
        else:
            units.append(_centre_unit(ctx, node))
    if ctx.tally is not None:
        units += [_table_unit(ctx, i) for i in range(len(election.tables))]
    return units


def _ocd(ctx: _Context, code: str) -> str:
    known = ctx.ocd.get(code)
    if known is not None:
        return known
    area = ctx.election.area_by_code[code]
    level = ctx.election.levels[area.level]
    if area.parent is None:
        base = f"ocd-division/country:{ctx.country}"
        ocd = base if UNIT_TYPES.get(level.lower()) == "country" else f"{base}/{ocd_segment(level)}:{ocd_segment(code)}"
    else:
        ocd = f"{_ocd(ctx, area.parent)}/{ocd_segment(level)}:{ocd_segment(code)}"
    ctx.ocd[code] = ocd
    return ocd


def _node_figures(ctx: _Context, node: int) -> tuple[str, int | None, int | None]:
    """A node's count state over every contest on its ballots, and its register and ballots cast when every
    such contest agrees on them."""
    states, registered, cast = set(), set(), set()
    for contest in ctx.bulletin.body["contests"]:
        n = len(contest["options"])
        row = ctx.bulletin.counters[contest["code"]][node]
        if row[n + len(TAIL) + FIXED.index("expected")] == 0:
            continue
        states.add(_count_state(row, n))
        registered.add(int(row[n + len(TAIL) + FIXED.index("registered_all")]))
        cast.add(int(row[n + TAIL.index("ballots_cast")]) if _count_state(row, n) == "completed" else None)
    state = states.pop() if len(states) == 1 else "in-process" if states else "not-processed"
    return (state, registered.pop() if len(registered) == 1 else None,
            cast.pop() if len(cast) == 1 else None)


def _finish_unit(obj: Obj, *, ids: list[Obj], name: Text, parts: list[str], state: str, unit_type: str,
                 other: str | None, participated: int | None, registered: int | None) -> Obj:
    obj.add("ComposingGpUnitIds", Refs(parts))
    obj.add("ExternalIdentifier", ids)
    obj.add("Name", name)
    obj.add("CountStatus", [_status(state)])
    obj.add("Type", unit_type)
    obj.add("OtherType", other)
    obj.add("VotersParticipated", participated)
    obj.add("VotersRegistered", registered)
    return obj


def _area_unit(ctx: _Context, node: int, area) -> Obj:
    level = ctx.election.levels[area.level]
    unit_type = UNIT_TYPES.get(level.lower(), "other")
    nodes = ctx.bulletin.nodes
    parts = [_node_id(nodes, child) for child in nodes.children(area.code)]
    state, registered, cast = _node_figures(ctx, node)
    ids = [_id("ocd-id", _ocd(ctx, area.code)), _id("local-level", area.code)]
    return _finish_unit(Obj("ReportingUnit", id=unit_id("a", area.code), abstract=True), ids=ids,
                        name=Text(area.name, ctx.language), parts=parts, state=state, unit_type=unit_type,
                        other=level if unit_type == "other" else None, participated=cast, registered=registered)


def _centre_unit(ctx: _Context, node: int) -> Obj:
    code = ctx.bulletin.nodes.codes[node]
    tables = ctx.election.children[code][2] if ctx.tally is not None else []
    state, registered, cast = _node_figures(ctx, node)
    return _finish_unit(Obj("ReportingUnit", id=unit_id("c", code), abstract=True),
                        ids=[_id("local-level", code)], name=Text(ctx.bulletin.nodes.names[node], ctx.language),
                        parts=[unit_id("t", t.code) for t in tables], state=state, unit_type=CENTRE_TYPE,
                        other=None, participated=cast, registered=registered)


def _node_id(nodes, node: int) -> str:
    return unit_id("a" if nodes.kinds[node] == "area" else "c", nodes.codes[node])


def _table_unit(ctx: _Context, index: int) -> Obj:
    table = ctx.election.tables[index]
    states, cast = set(), set()
    for code in table.contests:
        ct = ctx.tally.contests[code]
        row = ct.table_rows[index]
        counted = bool(row[ct.col["counted"]])
        states.add(counted)
        cast.add(int(row[ct.col["ballots_cast"]]) if counted else None)
    state = ("completed" if states == {True} else "not-processed" if states <= {False} else "in-process")
    return _finish_unit(Obj("ReportingUnit", id=unit_id("t", table.code), abstract=True),
                        ids=[_id("local-level", table.code)], name=Text(table.code, ctx.language), parts=[],
                        state=state, unit_type=TABLE_TYPE, other=None,
                        participated=cast.pop() if len(cast) == 1 else None, registered=table.registered)


# -- contests -------------------------------------------------------------------------------------------------

def is_ballot_measure(option_codes: list[str]) -> bool:
    return {code.upper() for code in option_codes} in YES_NO


def _measure(ctx: _Context, contest: dict) -> bool:
    """A question (a referendum or a Swiss group's member by its rule, or a yes/no pair), not a race."""
    defined = ctx.election.contest_by_code.get(contest["code"])
    if defined is not None and (defined.rule.name in ("referendum", "tie_breaker") or defined.rule.kind):
        return True
    return is_ballot_measure([o["code"] for o in contest["options"]])


def party_id(name: str) -> str:
    return unit_id("x", name).replace("ru-x-", "party-", 1)


def _parties(ctx: _Context) -> list[Obj]:
    names = dict.fromkeys(o.party for c in ctx.election.contests for o in c.options if o.party)
    parties = []
    for name in names:
        party = Obj("Party", id=party_id(name))
        party.add("Abbreviation", Text(name, ctx.language))
        party.add("Name", Text(name, ctx.language))
        parties.append(party)
    return parties


def _election(ctx: _Context) -> Obj:
    election = Obj("Election")
    candidates, contests = [], []
    for order, contest in enumerate(ctx.bulletin.body["contests"], start=1):
        codes = [o["code"] for o in contest["options"]]
        if not _measure(ctx, contest):
            candidates += [_candidate(ctx, contest, option) for option in contest["options"]]
        contests.append(_contest(ctx, contest, order, codes))
    election.add("Candidate", candidates)
    election.add("Contest", contests)
    election.add("ElectionScopeId", unit_id("a", ctx.election.root.code))
    election.add("Name", Text(ctx.election.name, ctx.language))
    election.add("StartDate", ctx.election.date.isoformat())
    election.add("EndDate", ctx.election.date.isoformat())
    election.add("Type", "general")
    return election


def candidate_id(contest: str, option: str) -> str:
    return unit_id("x", f"{contest}/{option}").replace("ru-x-", "cand-", 1)


def selection_id(contest: str, option: str) -> str:
    return unit_id("x", f"{contest}/{option}").replace("ru-x-", "sel-", 1)


def _candidate(ctx: _Context, contest: dict, option: dict) -> Obj:
    candidate = Obj("Candidate", id=candidate_id(contest["code"], option["code"]))
    candidate.add("BallotName", Text(option["name"], ctx.language))
    candidate.add("ExternalIdentifier", [_id("local-level", option["code"])])
    defined = ctx.election.contest_by_code.get(contest["code"])
    party = next((o.party for o in defined.options if o.code == option["code"]), None) if defined else None
    if party:
        candidate.add("PartyId", party_id(party))
    return candidate


def _contest(ctx: _Context, contest: dict, order: int, codes: list[str]) -> Obj:
    measure = _measure(ctx, contest)
    obj = Obj("BallotMeasureContest" if measure else "CandidateContest",
              id=unit_id("x", contest["code"]).replace("ru-x-", "contest-", 1), abstract=True)
    counts = _contest_counts(ctx, contest)
    root = ctx.bulletin.counters[contest["code"]][0]
    n = len(codes)
    obj.add("Abbreviation", contest["code"])
    obj.add("BallotTitle", Text(contest["name"], ctx.language))
    obj.add("ContestSelection", [_selection(ctx, contest, i, option, measure, counts)
                                 for i, option in enumerate(contest["options"])])
    obj.add("CountStatus", [_status(_count_state(root, n))])
    obj.add("ElectionDistrictId", unit_id("a", ctx.election.root.code))
    obj.add("ExternalIdentifier", [_id("local-level", contest["code"])])
    obj.add("Name", contest["name"])
    obj.add("OtherCounts", [_other_counts(uid, row, n) for uid, row in counts])
    obj.add("SequenceOrder", order)
    obj.add("SubUnitsReported", int(root[n + TAIL.index("counted")]))
    obj.add("TotalSubUnits", int(root[n + len(TAIL) + FIXED.index("expected")]))
    if not measure:
        obj.add("VoteVariation", "plurality")
        obj.add("VotesAllowed", 1)
    return obj


def _contest_counts(ctx: _Context, contest: dict) -> list[tuple[str, np.ndarray]]:
    """(unit id, counter row) of every unit with at least one counted table of this contest."""
    code, n = contest["code"], len(contest["options"])
    counted_col = n + TAIL.index("counted")
    matrix = ctx.bulletin.counters[code]
    nodes = ctx.bulletin.nodes
    rows = [(_node_id(nodes, node), matrix[node]) for node in np.flatnonzero(matrix[:, counted_col] > 0).tolist()]
    if ctx.tally is not None:
        ct = ctx.tally.contests[code]
        tables = ctx.election.tables
        rows += [(unit_id("t", tables[i].code), ct.table_rows[i])
                 for i in np.flatnonzero(ct.table_rows[:, counted_col] > 0).tolist()]
    return rows


def _selection(ctx: _Context, contest: dict, index: int, option: dict, measure: bool,
               counts: list[tuple[str, np.ndarray]]) -> Obj:
    obj = Obj("BallotMeasureSelection" if measure else "CandidateSelection",
              id=selection_id(contest["code"], option["code"]), abstract=True)
    obj.add("SequenceOrder", index + 1)
    obj.add("VoteCounts", [_vote_count(uid, int(row[index])) for uid, row in counts])
    if measure:
        obj.add("ExternalIdentifier", [_id("local-level", option["code"])])
        obj.add("Selection", Text(option["name"], ctx.language))
    else:
        obj.add("CandidateIds", Refs([candidate_id(contest["code"], option["code"])]))
    return obj


def _vote_count(uid: str, count: int) -> Obj:
    obj = Obj("VoteCounts", abstract=True)
    obj.add("GpUnitId", uid)
    obj.add("Type", "total")
    obj.add("Count", count)
    return obj


def _other_counts(uid: str, row: np.ndarray, n: int) -> Obj:
    obj = Obj("OtherCounts")
    obj.add("GpUnitId", uid)
    obj.add("Overvotes", int(row[n + TAIL.index("null")]))
    obj.add("Undervotes", int(row[n + TAIL.index("blank")]))
    return obj


__all__ = ["Obj", "Refs", "Text", "build_report", "to_json", "to_xml", "unit_id"]

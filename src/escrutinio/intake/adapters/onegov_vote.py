"""Switzerland: a vote's results per municipality, as exported by OneGov (election_day).

Reads OneGov's "vote" CSV export, one row per municipality and ballot type,
with the columns of :data:`COLUMNS` (and ``district`` when there is one;
others, such as ``domain``, ``status`` and ``expats``, are ignored). Older
exports named three columns otherwise (:data:`OLD_NAMES`): they are read
under the new names, with a note. Several files of the same vote (say an
intermediate and the final export) are read together: the definition
covers the union of their municipalities, and each file gives its own acta
file.

Mapping (``docs/formats/adapters.md``): the canton is the root area (level
``Kanton``), with the districts (``Bezirk``) beneath it when the export
names them, and each municipality (``entity_id``, its BFS number) an area
with one centre and one table, both named after it, with
``eligible_voters`` registered voters. Entity 0, the Swiss abroad, is kept
as a municipality of its own. Each ballot type is a contest: a simple vote
is one (code ``shortcode``); a vote with a counter-proposal and tie-breaker
is three, linked as a Swiss group (``kind``/``group``): the initiative
(``shortcode``), the counter-proposal (``shortcode-GV``) and the
tie-breaker (``shortcode-SF``, whose options are the other two). Options are
``YES`` (Ja) and ``NO`` (Nein); ``empty`` ballots are blank and ``invalid``
ones null, per question as OneGov gives them; ballots cast are yeas + nays
+ invalid + empty. Rows not marked ``counted`` give no acta.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ...domain.errors import Problem
from ...domain.model import Acta, Area, Centre, Contest, Election, Option, Rule, Table
from ...domain.percent import PercentRule
from .bundle import Bundle
from ..sniff import ONEGOV_VOTE, mismatch
from .reading import read_rows, whole

COLUMNS = ("title_de_CH", "date", "shortcode", "type", "name", "entity_id", "counted", "yeas", "nays", "invalid",
           "empty", "eligible_voters")
COUNTS = ("yeas", "nays", "invalid", "empty")
SAME_FOR_ALL_ROWS = ("date", "shortcode")
# Older exports' names of three columns (e.g. canton St. Gallen's of 2017).
OLD_NAMES = {"title": "title_de_CH", "group": "name", "elegible_voters": "eligible_voters"}
PROPOSAL, COUNTER, TIE = "proposal", "counter-proposal", "tie-breaker"
BALLOT_TYPES = (PROPOSAL, COUNTER, TIE)
# Code suffix, the name's suffix when every type has the same title, and the kind of linked question.
TYPE_CONTEST = {PROPOSAL: ("", "", "initiative"), COUNTER: ("-GV", " – Gegenvorschlag", "counter_proposal"),
                TIE: ("-SF", " – Stichfrage", "tie_breaker")}
ABROAD = 0  # OneGov's entity of the Swiss abroad
ABROAD_NAME = "Auslandschweizerinnen und Auslandschweizer"
ABROAD_DISTRICT = "Ausland"
OPTIONS = (Option("YES", "Ja"), Option("NO", "Nein"))
CONTEST_WITHOUT_SHORTCODE = "VOTE"
# Federal votes close at noon on Sunday; the export says nothing of opening hours, which vary
# by municipality (and most ballots arrive by post), so 09:00 is a stand-in.
POLLS = (dt.time(9), dt.time(12))

# Canton -> (German name, first and last BFS municipality number of its block).
CANTONS = {
    "ZH": ("Zürich", 1, 299), "BE": ("Bern", 301, 999), "LU": ("Luzern", 1001, 1199),
    "UR": ("Uri", 1201, 1299), "SZ": ("Schwyz", 1301, 1399), "OW": ("Obwalden", 1401, 1499),
    "NW": ("Nidwalden", 1501, 1599), "GL": ("Glarus", 1601, 1699), "ZG": ("Zug", 1701, 1799),
    "FR": ("Freiburg", 2001, 2399), "SO": ("Solothurn", 2401, 2699), "BS": ("Basel-Stadt", 2701, 2759),
    "BL": ("Basel-Landschaft", 2761, 2899), "SH": ("Schaffhausen", 2901, 2999),
    "AR": ("Appenzell Ausserrhoden", 3001, 3099), "AI": ("Appenzell Innerrhoden", 3101, 3199),
    "SG": ("St. Gallen", 3201, 3499), "GR": ("Graubünden", 3501, 3999), "AG": ("Aargau", 4001, 4399),
    "TG": ("Thurgau", 4401, 4999), "TI": ("Tessin", 5001, 5399), "VD": ("Waadt", 5401, 5999),
    "VS": ("Wallis", 6001, 6399), "NE": ("Neuenburg", 6401, 6599), "GE": ("Genf", 6601, 6699),
    "JU": ("Jura", 6701, 6899),
}


@dataclass
class _Result:
    """One row of one file: its municipality, and its counts if it was counted."""

    source: str
    line: int
    type: str
    entity: int | None
    name: str
    district: str
    registered: int | None
    counted: bool | None
    counts: tuple[int | None, ...]
    sound: bool

    @property
    def where(self) -> tuple[str, int]:
        return self.source, self.line


@dataclass
class _Vote:
    """The fields every row of every file must share (the title: every row of one ballot type)."""

    first: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)

    def check(self, cells: dict[str, str], where: tuple[str, int], problems: list[Problem]) -> None:
        for key in SAME_FOR_ALL_ROWS:
            known = self.first.setdefault(key, cells[key])
            if cells[key] != known:
                problems.append(Problem(key, f"{cells[key]!r} here but {known!r} in the first row",
                                        "give only files of one and the same vote", *where))
        kind = cells["type"]
        if kind not in BALLOT_TYPES:
            problems.append(Problem("type", f"ballot type {kind!r} is not one of OneGov's",
                                    f"write one of: {', '.join(BALLOT_TYPES)}", *where))
            return
        title = self.titles.setdefault(kind, cells["title_de_CH"])
        if cells["title_de_CH"] != title:
            problems.append(Problem("title_de_CH", f"{cells['title_de_CH']!r} here but {title!r} in the first "
                                    f"{kind} row", "give only files of one and the same vote", *where))


def adapt_onegov_vote(paths: Iterable[str | Path], *, canton: str | None = None) -> Bundle:
    """Map the exports of one vote; ``canton`` (e.g. "ZG") is found from the BFS numbers if not given."""
    problems: list[Problem] = []
    notes: list[str] = []
    paths = list(paths)
    if not paths:
        problems.append(Problem("", "no files given", "give the CSV export(s) of one vote"))
    vote = _Vote()
    files = [(Path(p), _read_file(Path(p), vote, problems, notes)) for p in paths]
    results = [r for _, rs in files for r in rs]
    entities = _entities(results, problems)
    date = _date(vote, results, problems)
    root = _canton(canton, entities, problems)
    types = _types(vote, problems)
    if root is None or date is None or not entities or not types:
        return Bundle(None, {}, problems, notes)
    if ABROAD in entities:
        notes.append(f"entity 0 (the Swiss abroad) is kept as municipality 0, {entities[ABROAD].name!r}")
    election = _election(vote, date, root, entities, types, _present(results))
    codes = {kind: code for kind, code in zip(types, (c.code for c in election.contests))}
    actas: dict[str, list[Acta]] = {}
    for path, rows in files:
        actas[_acta_file(path, actas)] = [_acta(r, codes) for r in _sorted(rows) if r.sound and r.counted]
    return Bundle(election, actas, problems, notes)


def _types(vote: _Vote, problems: list[Problem]) -> list[str]:
    """The ballot types of the vote, in ballot order; a tie-breaker or counter-proposal needs the others."""
    types = [kind for kind in BALLOT_TYPES if kind in vote.titles]
    if types and types not in ([PROPOSAL], [PROPOSAL, COUNTER], [PROPOSAL, COUNTER, TIE]):
        problems.append(Problem("type", f"the files hold {', '.join(types)}",
                                "give a proposal alone, or with its counter-proposal (and tie-breaker)"))
        return []
    return types


def _present(results: list[_Result]) -> dict[int, set[str]]:
    """Per municipality, the ballot types it has a row of: the contests on its table's ballot."""
    present: dict[int, set[str]] = {}
    for r in results:
        if r.entity is not None:
            present.setdefault(r.entity, set()).add(r.type)
    return present


def _sorted(rows: list[_Result]) -> list[_Result]:
    return sorted(rows, key=lambda r: (BALLOT_TYPES.index(r.type) if r.type in BALLOT_TYPES else 9, r.line))


def _read_file(path: Path, vote: _Vote, problems: list[Problem], notes: list[str]) -> list[_Result]:
    """The file's rows; a municipality given twice for one ballot type gets no acta of that type from this
    file (which row is right?)."""
    results: list[_Result] = []
    seen: dict[tuple[str, int], _Result] = {}
    renamed: list[tuple[str, str]] = []
    wrong = mismatch(path, "a OneGov vote CSV export", ONEGOV_VOTE)
    if wrong is not None:
        problems.append(wrong)
        return results
    rows = read_rows(path, COLUMNS, problems, aliases=OLD_NAMES, renamed=renamed)
    if renamed:
        notes.append(f"{path}: an older OneGov header: " + ", ".join(f"{old!r} read as {new!r}"
                                                                    for old, new in renamed))
    for line, cells in rows:
        result = _parse(str(path), line, cells, vote, problems)
        key = (result.type, result.entity)
        first = seen.setdefault(key, result) if result.entity is not None else result
        if first is not result:
            problems.append(Problem("entity_id", f"municipality {result.entity} appears twice for ballot type "
                                    f"{result.type!r} in this file (first in row {first.line})",
                                    "keep one row per municipality and ballot type", *result.where))
            first.sound = False
            continue
        results.append(result)
    if not results and not problems:
        problems.append(Problem("", "no data rows", "give the export with one row per municipality", str(path)))
    return results


def _parse(source: str, line: int, cells: dict[str, str], vote: _Vote, problems: list[Problem]) -> _Result:
    where = (source, line)
    before = len(problems)
    vote.check(cells, where, problems)
    entity = whole(cells, "entity_id", where, problems)
    name = cells["name"] or (ABROAD_NAME if entity == ABROAD else "")
    if not name:
        problems.append(Problem("name", "empty cell", "write the municipality's name", *where))
    registered = whole(cells, "eligible_voters", where, problems)
    counted = _flag(cells, where, problems)
    counts = tuple(whole(cells, key, where, problems) for key in COUNTS) if counted else (None,) * len(COUNTS)
    district = cells.get("district", "")
    if "district" in cells and not district and entity == ABROAD:
        district = ABROAD_DISTRICT
    return _Result(source, line, cells["type"], entity, name, district, registered, counted, counts,
                   len(problems) == before)


def _flag(cells: dict[str, str], where: tuple[str, int], problems: list[Problem]) -> bool | None:
    text = cells["counted"]
    if text in ("True", "False"):
        return text == "True"
    problems.append(Problem("counted", f"{text!r} is neither True nor False",
                            "write True for a counted municipality, False otherwise", *where))
    return None


def _entities(results: list[_Result], problems: list[Problem]) -> dict[int, _Result]:
    """Every municipality of every file: its name and register, which all files must agree on.

    The register of a counted row wins over that of an uncounted one (an
    export may leave it at 0 until the municipality is counted): the first
    counted row in file order, else the largest uncounted one.
    """
    entities: dict[int, _Result] = {}
    usable = [r for r in results if r.entity is not None and r.name and r.registered is not None]
    for result in sorted(usable, key=lambda r: (not r.counted, 0 if r.counted else -r.registered)):
        known = entities.setdefault(result.entity, result)
        if known is result:
            continue
        if result.name != known.name:
            _disagree(result, known, "name", problems)
        elif result.district != known.district:
            _disagree(result, known, "district", problems)
        elif result.counted and result.registered != known.registered:
            _disagree(result, known, "eligible_voters", problems)
    return dict(sorted(entities.items()))


def _disagree(result: _Result, known: _Result, key: str, problems: list[Problem]) -> None:
    mine, theirs = {"name": (result.name, known.name), "district": (result.district, known.district),
                    "eligible_voters": (result.registered, known.registered)}[key]
    problems.append(Problem(key, f"municipality {result.entity} has {mine!r} here but {theirs!r} in "
                            f"{known.source} row {known.line}", "give exports of one vote, from one register",
                            *result.where))
    result.sound = False


def _date(vote: _Vote, results: list[_Result], problems: list[Problem]) -> dt.date | None:
    text = vote.first.get("date")
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        first = results[0]
        problems.append(Problem("date", f"{text!r} is not a date", "write the date as 2016-09-25", *first.where))
        return None


def _canton(code: str | None, entities: dict[int, _Result], problems: list[Problem]) -> str | None:
    if code is not None:
        if code.upper() in CANTONS:
            return code.upper()
        problems.append(Problem("canton", f"unknown canton {code!r}", f"use one of: {', '.join(CANTONS)}"))
        return None
    found = {_canton_of(e) for e in entities if e != ABROAD}
    if len(found) == 1 and None not in found:
        return found.pop()
    if entities:
        problems.append(Problem("entity_id", f"cannot tell the canton from the municipality numbers "
                                f"(they point to {', '.join(sorted(str(c) for c in found)) or 'none'})",
                                "name the canton (--canton ZG)"))
    return None


def _canton_of(entity: int) -> str | None:
    return next((code for code, (_, first, last) in CANTONS.items() if first <= entity <= last), None)


def _election(vote: _Vote, date: dt.date, canton: str, entities: dict[int, _Result], types: list[str],
              present: dict[int, set[str]]) -> Election:
    contests = _contests(vote, date, types)
    code_of = dict(zip(types, (c.code for c in contests)))
    districts = list(dict.fromkeys(r.district for r in entities.values() if r.district))
    areas = [Area(canton, CANTONS[canton][0], 0, None)]
    if districts:
        areas += [Area(d, d, 1, canton) for d in districts]
    areas += [Area(str(e), r.name, 2 if districts else 1, (r.district or canton) if districts else canton)
              for e, r in entities.items()]
    return Election(
        name=contests[0].name, date=date, time_zone="Europe/Zurich", polls_open=POLLS[0], polls_close=POLLS[1],
        locale="de_CH", percent_rule=PercentRule("half_up", 2), abstention_basis="counted_tables",
        extra_voters_allowed=0, contests=contests,
        levels=("Kanton", "Bezirk", "Gemeinde") if districts else ("Kanton", "Gemeinde"), areas=tuple(areas),
        centres=tuple(Centre(f"C{e}", r.name, str(e)) for e, r in entities.items()),
        tables=tuple(Table(str(e), f"C{e}", r.registered,
                           tuple(code_of[t] for t in types if t in present.get(e, ())))
                     for e, r in entities.items()),
        require_signatures=False)


def _contests(vote: _Vote, date: dt.date, types: list[str]) -> tuple[Contest, ...]:
    """One contest per ballot type; with a counter-proposal, the three are a Swiss group named by the shortcode."""
    base = vote.first["shortcode"] or CONTEST_WITHOUT_SHORTCODE
    first_title = vote.titles[PROPOSAL] or f"Abstimmung vom {date:%d.%m.%Y}"
    same_title = len(set(vote.titles.values())) == 1
    contests = []
    for kind in types:
        suffix, name_suffix, linked = TYPE_CONTEST[kind]
        name = first_title + name_suffix if same_title or not vote.titles[kind] else vote.titles[kind]
        options = OPTIONS if kind != TIE else (Option(base, "Initiative"), Option(base + "-GV", "Gegenvorschlag"))
        rule = Rule() if types == [PROPOSAL] else Rule(name="tie_breaker" if kind == TIE else "referendum",
                                                       kind=linked, group=base)
        contests.append(Contest(base + suffix, name, options, blank=True, rule=rule))
    return tuple(contests)


def _acta_file(path: Path, taken: dict[str, list[Acta]]) -> str:
    name, n = f"actas-{path.stem}.csv", 1
    while name in taken:  # two inputs of the same name from different folders
        n += 1
        name = f"actas-{path.stem}-{n}.csv"
    return name


def _acta(result: _Result, codes: dict[str, str]) -> Acta:
    yeas, nays, invalid, empty = result.counts
    contest = codes[result.type]
    # A tie-breaker's yeas prefer the initiative, its nays the counter-proposal.
    options = ("YES", "NO") if result.type != TIE else (codes[PROPOSAL], codes[COUNTER])
    return Acta(str(result.entity), contest, tuple(zip(options, (yeas, nays))), invalid, empty,
                yeas + nays + invalid + empty)

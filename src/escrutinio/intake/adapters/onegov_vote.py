"""Switzerland: a vote's results per municipality, as exported by OneGov (election_day).

Reads OneGov's "vote" CSV export, one row per municipality with the columns
of :data:`COLUMNS` (others, such as ``domain``, ``status`` and ``district``,
are ignored). Several files of the same vote (say an intermediate and the
final export) are read together: the definition covers the union of their
municipalities, and each file gives its own acta file.

Mapping (``docs/formats/adapters.md``): the canton is the root area (level
``Kanton``), each municipality (``entity_id``, its BFS number) an area under
it with one centre and one table, both named after it, with
``eligible_voters`` registered voters. One contest (code ``shortcode``) with
options ``YES`` (Ja) and ``NO`` (Nein); ``empty`` ballots are blank, and
``invalid`` ones null; ballots cast are yeas + nays + invalid + empty. Rows
not marked ``counted`` give no acta. Only simple votes: a counter-proposal or
tie-breaker (``type`` other than ``proposal``) is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ...domain.errors import Problem
from ...domain.model import Acta, Area, Centre, Contest, Election, Option, Table
from ...domain.percent import PercentRule
from .bundle import Bundle
from .reading import read_rows, whole

COLUMNS = ("title_de_CH", "date", "shortcode", "type", "name", "entity_id", "counted", "yeas", "nays", "invalid",
           "empty", "eligible_voters")
COUNTS = ("yeas", "nays", "invalid", "empty")
SAME_FOR_ALL_ROWS = ("title_de_CH", "date", "shortcode")
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
    entity: int | None
    name: str
    registered: int | None
    counted: bool | None
    counts: tuple[int | None, ...]
    sound: bool

    @property
    def where(self) -> tuple[str, int]:
        return self.source, self.line


@dataclass
class _Vote:
    """The fields every row of every file must share, as the first row gave them."""

    first: dict[str, str] = field(default_factory=dict)

    def check(self, cells: dict[str, str], where: tuple[str, int], problems: list[Problem]) -> None:
        for key in SAME_FOR_ALL_ROWS:
            known = self.first.setdefault(key, cells[key])
            if cells[key] != known:
                problems.append(Problem(key, f"{cells[key]!r} here but {known!r} in the first row",
                                        "give only files of one and the same vote", *where))
        if cells["type"] != "proposal":
            problems.append(Problem("type", f"ballot type {cells['type']!r} is not supported",
                                    "give only simple votes (type 'proposal'); votes with a counter-proposal "
                                    "and tie-breaker are not mapped yet", *where))


def adapt_onegov_vote(paths: Iterable[str | Path], *, canton: str | None = None) -> Bundle:
    """Map the exports of one vote; ``canton`` (e.g. "ZG") is found from the BFS numbers if not given."""
    problems: list[Problem] = []
    paths = list(paths)
    if not paths:
        problems.append(Problem("", "no files given", "give the CSV export(s) of one vote"))
    vote = _Vote()
    files = [(Path(p), _read_file(Path(p), vote, problems)) for p in paths]
    results = [r for _, rs in files for r in rs]
    entities = _entities(results, problems)
    date = _date(vote, results, problems)
    root = _canton(canton, entities, problems)
    if root is None or date is None or not entities:
        return Bundle(None, {}, problems)
    election = _election(vote, date, root, entities)
    contest = election.contests[0]
    actas: dict[str, list[Acta]] = {}
    for path, rows in files:
        actas[_acta_file(path, actas)] = [_acta(r, contest.code) for r in rows if r.sound and r.counted]
    return Bundle(election, actas, problems)


def _read_file(path: Path, vote: _Vote, problems: list[Problem]) -> list[_Result]:
    """The file's rows; a municipality given twice gets no acta from this file (which row is right?)."""
    results: list[_Result] = []
    seen: dict[int, _Result] = {}
    for line, cells in read_rows(path, COLUMNS, problems):
        result = _parse(str(path), line, cells, vote, problems)
        first = seen.setdefault(result.entity, result) if result.entity is not None else result
        if first is not result:
            problems.append(Problem("entity_id", f"municipality {result.entity} appears twice in this file "
                                    f"(first in row {first.line})", "keep one row per municipality",
                                    *result.where))
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
    if not cells["name"]:
        problems.append(Problem("name", "empty cell", "write the municipality's name", *where))
    registered = whole(cells, "eligible_voters", where, problems)
    counted = _flag(cells, where, problems)
    counts = tuple(whole(cells, key, where, problems) for key in COUNTS) if counted else (None,) * len(COUNTS)
    return _Result(source, line, entity, cells["name"], registered, counted, counts, len(problems) == before)


def _flag(cells: dict[str, str], where: tuple[str, int], problems: list[Problem]) -> bool | None:
    text = cells["counted"]
    if text in ("True", "False"):
        return text == "True"
    problems.append(Problem("counted", f"{text!r} is neither True nor False",
                            "write True for a counted municipality, False otherwise", *where))
    return None


def _entities(results: list[_Result], problems: list[Problem]) -> dict[int, tuple[str, int]]:
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
        elif result.counted and result.registered != known.registered:
            _disagree(result, known, "eligible_voters", problems)
    return {e: (r.name, r.registered) for e, r in sorted(entities.items())}


def _disagree(result: _Result, known: _Result, key: str, problems: list[Problem]) -> None:
    mine, theirs = (result.name, known.name) if key == "name" else (result.registered, known.registered)
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


def _canton(code: str | None, entities: dict[int, tuple[str, int]], problems: list[Problem]) -> str | None:
    if code is not None:
        if code.upper() in CANTONS:
            return code.upper()
        problems.append(Problem("canton", f"unknown canton {code!r}", f"use one of: {', '.join(CANTONS)}"))
        return None
    found = {_canton_of(e) for e in entities if e != 0}  # 0 is OneGov's "Swiss abroad"
    if len(found) == 1 and None not in found:
        return found.pop()
    if entities:
        problems.append(Problem("entity_id", f"cannot tell the canton from the municipality numbers "
                                f"(they point to {', '.join(sorted(str(c) for c in found)) or 'none'})",
                                "name the canton (--canton ZG)"))
    return None


def _canton_of(entity: int) -> str | None:
    return next((code for code, (_, first, last) in CANTONS.items() if first <= entity <= last), None)


def _election(vote: _Vote, date: dt.date, canton: str, entities: dict[int, tuple[str, int]]) -> Election:
    title = vote.first["title_de_CH"] or f"Abstimmung vom {date:%d.%m.%Y}"
    areas = [Area(canton, CANTONS[canton][0], 0, None)]
    areas += [Area(str(e), name, 1, canton) for e, (name, _) in entities.items()]
    code = vote.first["shortcode"] or CONTEST_WITHOUT_SHORTCODE
    return Election(
        name=title, date=date, time_zone="Europe/Zurich", polls_open=POLLS[0], polls_close=POLLS[1],
        locale="de_CH", percent_rule=PercentRule("half_up", 2), abstention_basis="counted_tables",
        extra_voters_allowed=0, contests=(Contest(code, title, OPTIONS, blank=True),),
        levels=("Kanton", "Gemeinde"), areas=tuple(areas),
        centres=tuple(Centre(f"C{e}", name, str(e)) for e, (name, _) in entities.items()),
        tables=tuple(Table(str(e), f"C{e}", registered, (code,)) for e, (_, registered) in entities.items()),
        require_signatures=False)


def _acta_file(path: Path, taken: dict[str, list[Acta]]) -> str:
    name, n = f"actas-{path.stem}.csv", 1
    while name in taken:  # two inputs of the same name from different folders
        n += 1
        name = f"actas-{path.stem}-{n}.csv"
    return name


def _acta(result: _Result, contest: str) -> Acta:
    yeas, nays, invalid, empty = result.counts
    return Acta(str(result.entity), contest, (("YES", yeas), ("NO", nays)), invalid, empty,
                yeas + nays + invalid + empty)

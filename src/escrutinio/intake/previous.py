"""Read a previous election: its results file (CSV per table or per area) and its mapping file (TOML).

The formats are documented in docs/formats/previous.md, with templates in
docs/formats/templates/previous/. Every problem of both files is collected
(file, row, field, what to do) before anything is stored.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..domain.comparison import AREA, TABLE, PreviousElection
from ..domain.errors import PreviousRejected, Problem
from ..domain.model import Election

FIXED = ("registered", "ballots_cast", "null")
MAPPING_KEYS = ("name", "date", "contest", "options", "map", "codes")


@dataclass
class Mapping:
    name: str = ""
    date: str | None = None
    contest: str | None = None                                 # from another escrutinio store: which contest
    options: dict[str, str] = field(default_factory=dict)      # earlier code -> name
    map: dict[str, str] = field(default_factory=dict)          # this night's option -> earlier option
    codes: dict[str, list[str]] = field(default_factory=dict)  # earlier code -> this night's code(s)


@dataclass
class Rows:
    unit: str                                    # TABLE or AREA
    options: list[str]                           # earlier option codes, in column order
    rows: list[tuple[int, str, tuple[int, ...]]]  # (row number, earlier code, figures)


def read_mapping(path: str | Path, problems: list[Problem], name_required: bool = True) -> Mapping:
    src = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        problems.append(Problem("", f"cannot read: {exc.strerror}", "check the file name", src))
        return Mapping()
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(Problem("", f"not a readable TOML file ({exc})", "fix the TOML syntax", src))
        return Mapping()
    for key in data:
        if key not in MAPPING_KEYS:
            problems.append(Problem(key, "unknown key", f"use only {', '.join(MAPPING_KEYS)}", src))
    mapping = Mapping(name=str(data.get("name", "")).strip(), date=_text(data.get("date")),
                      contest=_text(data.get("contest")))
    if not mapping.name and name_required:
        problems.append(Problem("name", "missing", 'name the previous election: name = "Presidential 2006"', src))
    for key, kind in (("options", "names"), ("map", "codes"), ("codes", "codes")):
        table = data.get(key, {})
        if not isinstance(table, dict):
            problems.append(Problem(key, "must be a table of key = value", f"write [{key}] and one line per {kind}",
                                    src))
            continue
        for k, v in table.items():
            values = v if isinstance(v, list) else [v]
            if not values or not all(isinstance(x, str) and x.strip() for x in values) or (
                    isinstance(v, list) and key != "codes"):
                problems.append(Problem(f"{key}.{k}", f"{v!r} is not a code or name",
                                        "give a text value (a list of codes only under [codes], for a split)", src))
                continue
            if key == "codes":
                mapping.codes[k] = [x.strip() for x in values]
            else:
                getattr(mapping, key)[k] = v.strip()
    return mapping


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def read_rows(path: str | Path, problems: list[Problem]) -> Rows | None:
    """The results file: first column ``table`` or ``area`` (the code), then registered, ballots_cast, null,
    an optional blank, then one column per earlier option."""
    src = str(path)
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            lines = list(csv.reader(handle))
    except OSError as exc:
        problems.append(Problem("", f"cannot read: {exc.strerror}", "check the file name", src))
        return None
    except (UnicodeDecodeError, csv.Error) as exc:
        problems.append(Problem("", f"not a readable UTF-8 CSV file ({exc})", "save the file as UTF-8 CSV", src))
        return None
    header = [h.strip() for h in lines[0]] if lines else []
    if len(header) < 5 or header[0] not in (TABLE, AREA) or tuple(header[1:4]) != FIXED:
        problems.append(Problem("", "the header must be table|area, registered, ballots_cast, null, [blank,] then "
                                    "one column per option", "start from docs/formats/templates/previous/", src, 1))
        return None
    blank = header[4] == "blank"
    options = header[5 if blank else 4:]
    if not options or len(set(options)) != len(options) or any(not o for o in options):
        problems.append(Problem("", "option columns missing, empty or repeated", "name each option once", src, 1))
        return None
    rows = []
    seen: set[str] = set()
    for n, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        figures = _row(cells, header, blank, src, n, problems)
        code = cells[0].strip()
        if code in seen:
            problems.append(Problem(header[0], f"{code!r} appears twice", "give each code one row", src, n))
        seen.add(code)
        if figures is not None:
            rows.append((n, code, figures))
    return Rows(header[0], options, rows)


def _row(cells: list[str], header: list[str], blank: bool, src: str, n: int,
         problems: list[Problem]) -> tuple[int, ...] | None:
    if len(cells) != len(header):
        problems.append(Problem("", f"{len(cells)} cells where the header has {len(header)}",
                                "give every row one cell per column", src, n))
        return None
    if not cells[0].strip():
        problems.append(Problem(header[0], "empty code", "give the code", src, n))
        return None
    numbers = []
    for name, cell in zip(header[1:], cells[1:]):
        text = cell.strip()
        if not text.isdigit():
            problems.append(Problem(name, f"{cell!r} is not a whole number >= 0", "write digits only", src, n))
            return None
        numbers.append(int(text))
    registered, cast, null, *rest = numbers
    if blank:
        null += rest.pop(0)
    if sum(rest) + null != cast:
        problems.append(Problem("ballots_cast", f"{cast} ballots cast, but options and null add up to "
                                                f"{sum(rest) + null}", "correct the row", src, n))
        return None
    if cast > registered:
        problems.append(Problem("ballots_cast", f"{cast} ballots cast with {registered} registered",
                                "correct the row", src, n))
        return None
    return (registered, cast, null, *rest)


def place(election: Election, mapping: Mapping, rows: Rows, source: str,
          problems: list[Problem]) -> PreviousElection:
    """Put each row on this night's geography (through [codes]); the mapping is checked first (``_check_map``)."""
    known = election.table_by_code if rows.unit == TABLE else election.area_by_code
    parent = _parent_of(election)
    units: dict[str, list[int]] = {}
    unmatched, split, direct = [], [], set()
    for n, code, figures in rows.rows:
        targets = mapping.codes.get(code, [code])
        missing = [t for t in targets if t not in known]
        if missing:
            unmatched.append({"code": code, "reason": f"no {rows.unit} {', '.join(missing)} tonight"})
            place_at = election.root.code
        elif len(targets) == 1:
            place_at = targets[0]
            direct.add(place_at)
        else:
            split.extend(targets)
            place_at = _common_ancestor(targets, parent, election)
        held = units.setdefault(place_at, [0] * len(figures))
        for i, v in enumerate(figures):
            held[i] += v
    level = _unit_level(election, rows, units)
    if level is not None:
        found = {a.code for a in election.areas if a.level == level}
        for code in sorted(found - set(units) - set(split)):
            unmatched.append({"code": code, "reason": "tonight's area has no row in the previous election"})
    elif rows.unit == TABLE:
        for table in election.tables:
            if table.code not in units and table.code not in split:
                unmatched.append({"code": table.code, "reason": "tonight's table has no row in the previous election"})
    if rows.unit == AREA:
        _check_nesting(election, direct, source, problems)
    options = tuple((code, mapping.options.get(code, code)) for code in rows.options)
    return PreviousElection(mapping.name, mapping.date, options, dict(mapping.map), rows.unit,
                            {k: tuple(v) for k, v in units.items()}, tuple(unmatched), tuple(split), source)


def _check_map(election: Election, mapping: Mapping, rows: Rows, src: str, problems: list[Problem]) -> None:
    tonight = {code for contest in election.contests for code in contest.option_codes}
    for now, then in mapping.map.items():
        if now not in tonight:
            problems.append(Problem(f"map.{now}", f"no option {now!r} tonight",
                                    f"use one of {', '.join(sorted(tonight))}", src))
        if then not in rows.options:
            problems.append(Problem(f"map.{now}", f"no option {then!r} in the results file",
                                    f"use one of {', '.join(rows.options)}", src))
    for code in mapping.options:
        if code not in rows.options:
            problems.append(Problem(f"options.{code}", "not a column of the results file",
                                    "name only the file's option columns", src))
    if not mapping.map:
        problems.append(Problem("map", "no option mapped", 'map tonight\'s options: [map] SI = "CHAVEZ"', src))


def _parent_of(election: Election) -> dict[str, str | None]:
    parent: dict[str, str | None] = {a.code: a.parent for a in election.areas}
    parent.update({c.code: c.area for c in election.centres})
    parent.update({t.code: t.centre for t in election.tables})
    return parent


def _common_ancestor(codes: list[str], parent: dict[str, str | None], election: Election) -> str:
    def chain(code: str) -> list[str]:
        out = []
        node = parent.get(code)
        while node is not None:
            out.append(node)
            node = parent.get(node)
        return out

    shared = set(chain(codes[0]))
    for code in codes[1:]:
        shared &= set(chain(code))
    return next((node for node in chain(codes[0]) if node in shared), election.root.code)


def _unit_level(election: Election, rows: Rows, units: dict[str, list[int]]) -> int | None:
    if rows.unit != AREA:
        return None
    levels = {election.area_by_code[c].level for c in units if c in election.area_by_code and c != election.root.code}
    return max(levels) if len(levels) == 1 else None


def load(election: Election, results: str | Path, mapping_file: str | Path) -> PreviousElection:
    """Both files read and placed, or PreviousRejected with every problem found."""
    problems: list[Problem] = []
    mapping = read_mapping(mapping_file, problems)
    rows = read_rows(results, problems)
    if rows is None:
        raise PreviousRejected("the previous election was not loaded", problems)
    return checked(election, mapping, rows, str(mapping_file), Path(results).name, problems)


def checked(election: Election, mapping: Mapping, rows: Rows, mapping_source: str, source: str,
            problems: list[Problem]) -> PreviousElection:
    """The mapping checked against both elections, then the rows placed; PreviousRejected with every problem
    (those already in ``problems`` too)."""
    _check_map(election, mapping, rows, mapping_source, problems)
    if problems:
        raise PreviousRejected("the previous election was not loaded", problems)
    previous = place(election, mapping, rows, source, problems)
    if problems:
        raise PreviousRejected("the previous election was not loaded", problems)
    return previous


def _check_nesting(election: Election, placed: set[str], source: str, problems: list[Problem]) -> None:
    """Area rows must not hold one another: a row and a row of an area beneath it would be counted twice."""
    for code in sorted(placed):
        node = election.area_by_code[code].parent
        while node is not None:
            if node in placed:
                problems.append(Problem(AREA, f"{code} lies inside {node}, which has a row too",
                                        "give rows of one level only (the finest you have)", source))
                break
            node = election.area_by_code[node].parent

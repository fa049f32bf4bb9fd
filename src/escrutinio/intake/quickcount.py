"""Read a quick-count file: one row per sampled table, its votes per option and its valid votes.

Columns: ``table``, optionally ``contest``, one column per option code of the
contest, ``valid``. Every row's problems are collected (file, row, field, what
to do) before anything is used; numbers must be plain non-negative integers and
``valid`` the sum of the options. The format is documented in docs/observers.md.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ..domain.errors import Problem
from ..domain.model import Election

HEADER_HELP = "the header needs table, (contest,) one column per option code, valid"


@dataclass(frozen=True)
class Row:
    table: str
    contest: str
    votes: dict[str, int]
    valid: int


def read_quickcount(path: str | Path, election: Election, contest: str | None) -> tuple[list[Row], list[Problem]]:
    """The rows of ``path`` and every problem found; a row with a problem is not among the rows."""
    source = str(path)
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            return _rows(list(csv.reader(handle)), source, election, contest)
    except OSError as exc:
        return [], [Problem("", f"cannot read: {exc.strerror}", "check the file name and its permissions", source)]
    except (UnicodeDecodeError, csv.Error) as exc:
        return [], [Problem("", f"not a readable UTF-8 CSV file ({exc})", "save the file as UTF-8 CSV", source)]


def _rows(lines: list[list[str]], source: str, election: Election,
          contest: str | None) -> tuple[list[Row], list[Problem]]:
    if not lines:
        return [], [Problem("", "empty file", HEADER_HELP, source, 1)]
    header = [h.strip() for h in lines[0]]
    missing = [c for c in ("table", "valid") if c not in header]
    if "contest" not in header and contest is None and len(election.contests) != 1:
        missing.append("contest")
    if missing:
        return [], [Problem(",".join(missing), f"missing column(s) {', '.join(missing)}",
                            f"{HEADER_HELP} (or name the contest with --contest)", source, 1)]
    rows, problems, seen = [], [], set()
    for n, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(Problem("", f"{len(cells)} cells where the header has {len(header)}",
                                    "give every row exactly one cell per column", source, n))
            continue
        row, found = _row(dict(zip(header, (c.strip() for c in cells))), election, contest)
        if row and (row.table, row.contest) in seen:
            found.append(Problem("table", f"table {row.table!r} appears twice for contest {row.contest!r}",
                                 "keep one row per table and contest", None, None))
        problems += [p.located(source, n) for p in found]
        if row and not found:
            seen.add((row.table, row.contest))
            rows.append(row)
    return rows, problems


def _row(cells: dict[str, str], election: Election, contest: str | None) -> tuple[Row | None, list[Problem]]:
    code = cells.get("contest") or contest or election.contests[0].code
    table = election.table_by_code.get(cells["table"])
    problems = []
    if table is None:
        problems.append(Problem("table", f"unknown table {cells['table']!r}", "use a table code of the election"))
    chosen = election.contest_by_code.get(code)
    if chosen is None:
        return None, problems + [Problem("contest", f"unknown contest {code!r}", "use a contest code of the election")]
    if table is not None and code not in table.contests:
        problems.append(Problem("contest", f"contest {code!r} is not on table {table.code!r}'s ballot",
                                "report only the contests of the table"))
    numbers = {}
    for name in chosen.option_codes + ("valid",):
        value = _count(cells.get(name))
        if value is None:
            problems.append(Problem(name, f"{cells.get(name, '')!r} is not a count" if name in cells
                                    else "missing column", "write a whole number of votes, 0 or more"))
        else:
            numbers[name] = value
    if len(numbers) == len(chosen.option_codes) + 1:
        votes = {o: numbers[o] for o in chosen.option_codes}
        if sum(votes.values()) != numbers["valid"]:
            problems.append(Problem("valid", f"valid is {numbers['valid']} but the options add up to "
                                    f"{sum(votes.values())}", "check the figures against the acta"))
        return Row(cells["table"], code, votes, numbers["valid"]), problems
    return None, problems


def _count(text: str | None) -> int | None:
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 12:
        return None
    return int(text)

"""Reading a foreign CSV file row by row, every problem kept with its file, row and field."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from ...domain.errors import Problem


def read_rows(path: Path, columns: tuple[str, ...], problems: list[Problem], *,
              aliases: dict[str, str] | None = None, renamed: list[tuple[str, str]] | None = None,
              ) -> list[tuple[int, dict[str, str]]]:
    """The data rows of ``path`` as (line, cells) with every column of ``columns`` present.

    A file that cannot be read, or whose header lacks a column, adds one
    problem and gives no rows: no row of it could be mapped. A row with the
    wrong number of cells adds a problem and is left out. ``aliases`` maps
    an older name of a column to its name in ``columns``: a header with the
    old name and not the new one is read under the new one, and the pair
    goes into ``renamed``.
    """
    source = str(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            _rename(reader, aliases or {}, renamed if renamed is not None else [])
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                problems.append(Problem(",".join(missing), f"missing column(s) {', '.join(missing)}",
                                        f"the header needs: {','.join(columns)}", source, 1))
                return []
            rows = (_cells(reader, row, source, problems) for row in _rows(reader, source, problems))
            return [row for row in rows if row]
    except OSError as exc:
        problems.append(Problem("", f"cannot read: {exc.strerror}", "check the file name and its permissions",
                                source))
    except csv.Error as exc:  # the header row itself
        problems.append(Problem("", f"unreadable CSV header ({exc})", "check the quoting of the header", source, 1))
    except UnicodeDecodeError as exc:
        problems.append(Problem("", f"not UTF-8 text ({exc.reason} at byte {exc.start})", "save the file as UTF-8",
                                source))
    return []


def _rename(reader: csv.DictReader, aliases: dict[str, str], renamed: list[tuple[str, str]]) -> None:
    header = [h.strip() for h in (reader.fieldnames or [])]
    for i, name in enumerate(header):
        new = aliases.get(name)
        if new is not None and new not in header:
            header[i] = new
            renamed.append((name, new))
    reader.fieldnames = header


def _rows(reader: csv.DictReader, source: str, problems: list[Problem]) -> Iterator[dict]:
    """The rows of ``reader``; a row the csv module cannot parse becomes a problem, and reading goes on."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(Problem("", f"unreadable CSV row ({exc})", "check the quoting of this row",
                                    source, reader.reader.line_num))


def _cells(reader: csv.DictReader, row: dict, source: str, problems: list[Problem]) -> tuple[int, dict] | None:
    line = reader.line_num
    if None in row or any(v is None for v in row.values()):
        count = len(row) - 1 + len(row[None]) if None in row else sum(v is not None for v in row.values())
        problems.append(Problem("", f"{count} cells where the header has {len(reader.fieldnames or [])}",
                                "give every row exactly one cell per column", source, line))
        return None
    return line, {k: v.strip() for k, v in row.items()}


def whole(cells: dict[str, str], key: str, where: tuple[str, int], problems: list[Problem]) -> int | None:
    """The cell ``key`` as a whole number ≥ 0, or None after adding a problem."""
    text = cells[key]
    if text.isascii() and text.isdigit():
        return int(text)
    problems.append(Problem(key, f"{text!r} is not a whole number ≥ 0" if text else "empty cell",
                            "write a whole number of 0 or more (digits only)", *where))
    return None


def digits(cells: dict[str, str], key: str, where: tuple[str, int], problems: list[Problem]) -> str | None:
    """The cell ``key`` when it is a code made of digits (leading zeros kept), or None after a problem."""
    text = cells[key]
    if text.isascii() and text.isdigit():
        return text
    problems.append(Problem(key, f"{text!r} is not a code of digits" if text else "empty cell",
                            "write the code as digits, as the source system issues it", *where))
    return None

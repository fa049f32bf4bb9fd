"""Read acta files (CSV and JSON Lines) into records for the rules.

A reader never stops at the first bad row: each row becomes a
:class:`Record` holding either its data or the problems that made it
unreadable. Counts written as digits become ints; anything else is left as
it was, for the rules to refuse with the field's name. The formats are
documented in ``docs/formats/actas.md``.

A JSON line is decoded by msgspec straight into a :class:`WireActa` (types
checked in the same pass: text codes, whole-number counts, no unknown field).
A line that does not decode so is read again with the standard library, as
before, so that every problem is named exactly as it always was.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from ..domain.errors import Problem
from ..domain.rules import LIST_AT_MOST, field_name, show
from .sniff import ACTAS_CSV, ACTAS_JSONL, mismatch

MAX_FILE_BYTES = 500_000_000  # larger acta files are refused whole: split them
MAX_DIGITS = 100  # a number written with more digits stays text, for the rules to refuse naming its field
FIXED_COLUMNS = ("table", "contest", "ballots_cast", "null", "blank", "signature")
JSON_KEYS = {"table", "contest", "votes", "null", "blank", "ballots_cast", "signature"}
_LONG_NUMBER = re.compile("[0-9]{%d}" % (MAX_DIGITS + 1))
REQUIRED_COLUMNS = ("table", "contest", "ballots_cast", "null")
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}


class WireActa(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """One JSON acta as sent, decoded and typed in one pass; an absent ``blank`` or ``signature`` is UNSET.
    Read it as the dict it was sent as with ``get`` (or ``as_dict``)."""

    table: str
    contest: str
    votes: dict[str, int]
    null: int
    ballots_cast: int
    blank: int | msgspec.UnsetType = msgspec.UNSET
    signature: str | msgspec.UnsetType = msgspec.UNSET

    def get(self, key: str, default: object = None) -> object:
        value = getattr(self, key, default) if key in JSON_KEYS else default
        return default if value is msgspec.UNSET else value

    def as_dict(self) -> dict:
        return {key: value for key in self.__struct_fields__
                if (value := getattr(self, key)) is not msgspec.UNSET}


_decode_wire = msgspec.json.Decoder(WireActa).decode


@dataclass
class Record:
    source: str
    row: int
    data: dict | WireActa | None
    problems: list[Problem] = field(default_factory=list)
    raw: str | bytes | None = None  # its bytes as read (a line, a CSV row, a request body): hashed if it is refused


def count_rows(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def read_actas(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> Iterator[Record]:
    """The records of one acta file; a file larger than ``max_bytes`` is one problem, and nothing is read."""
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        yield Record(str(path), 0, None, [Problem("", f"unknown file type {path.suffix!r}",
                     "name acta files *.csv or *.jsonl", str(path))])
        return
    other = mismatch(path, "an acta file", ACTAS_CSV, ACTAS_JSONL)
    if other is not None:  # one line, not one "not valid JSON" per line of someone else's format
        yield Record(str(path), 0, None, [other])
        return
    try:
        size = path.stat().st_size
        if size > max_bytes:
            yield Record(str(path), 0, None, [Problem(
                "", f"file of {size:,} bytes is larger than the limit of {max_bytes:,} bytes",
                f"split it into files of at most {max_bytes:,} bytes and ingest those", str(path))])
            return
        with path.open(newline="", encoding="utf-8-sig") as handle:
            yield from (_csv_records(handle, str(path)) if kind == "csv" else _jsonl_records(handle, str(path)))
    except OSError as exc:
        yield Record(str(path), 0, None, [Problem("", f"cannot read: {exc.strerror}",
                                                  "check the file name and its permissions", str(path))])
    except UnicodeDecodeError as exc:
        yield Record(str(path), 0, None, [Problem("", f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                                                  "save the file as UTF-8", str(path))])


class _Lines:
    """The lines of a file as csv.reader takes them, keeping those it took since the last ``take``: the raw text
    of each row (a quoted cell may span lines)."""

    def __init__(self, handle):
        self.handle, self.taken = handle, []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self.handle)
        self.taken.append(line)
        return line

    def take(self) -> str:
        text = "".join(self.taken)
        self.taken = []
        return text


def _csv_records(handle, source: str) -> Iterator[Record]:
    lines = _Lines(handle)
    reader = csv.reader(lines)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        yield Record(source, 1, None, [Problem("", f"unreadable CSV header ({exc})",
                     "the header needs table, contest, ballots_cast, null, then one column per option code",
                     source, 1)])
        return
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        yield Record(source, 1, None, [Problem(",".join(missing), f"missing column(s) {', '.join(missing)}",
                     "the header needs table, contest, ballots_cast, null, then one column per option code",
                     source, 1)])
        return
    lines.take()
    for n, cells in _cells(reader):
        raw = lines.take()
        if isinstance(cells, csv.Error):
            yield Record(source, n, None, [Problem("", f"unreadable CSV row ({cells})",
                         "check the quoting of this row; every cell must be short text or a number", source, n)],
                         raw)
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            yield Record(source, n, None, [Problem("", f"{len(cells)} cells where the header has {len(header)}",
                         "give every row exactly one cell per column", source, n)], raw)
            continue
        yield Record(source, n, _csv_row(dict(zip(header, cells))), raw=raw)


def _cells(reader) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """(first line number, cells) of each row of ``reader``, so a quoted cell spanning lines does not
    shift the rows after it; a row the csv module cannot parse comes as its error, and reading goes on."""
    while True:
        start = reader.line_num + 1
        try:
            yield start, next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, exc


def _csv_row(row: dict[str, str]) -> dict:
    data: dict = {key: row[key].strip() for key in ("table", "contest", "signature") if row.get(key, "").strip()}
    for key in ("ballots_cast", "null", "blank"):
        if key in row:
            data[key] = _number(row[key])
    data["votes"] = {k: _number(v) for k, v in row.items() if k not in FIXED_COLUMNS and v.strip()}
    return data


def _number(text: str) -> object:
    """Digits (with an optional minus sign, so the rules can say "negative") become an int (at most
    MAX_DIGITS of them: more stay text, as in JSON)."""
    text = text.strip()
    digits = text[1:] if text.startswith("-") else text
    if digits.isascii() and digits.isdigit() and len(digits) <= MAX_DIGITS:
        return int(text)
    return text


def _json_int(text: str) -> int | str:
    return int(text) if len(text.lstrip("-")) <= MAX_DIGITS else text


def loads(text: str | bytes) -> object:
    """``json.loads`` for actas, the same for files and HTTP: integers of more than MAX_DIGITS digits stay
    text (Python refuses to read ints of over 4,300 digits). Raises ValueError (JSONDecodeError,
    UnicodeDecodeError) or RecursionError (nested too deeply)."""
    if isinstance(text, str) and _LONG_NUMBER.search(text) is None:
        return json.loads(text)  # no number is long enough for _json_int to matter, and parsing is faster
    return json.loads(text, parse_int=_json_int)


def as_dict(data: dict | WireActa) -> dict:
    """A record's data as the dict it was sent as."""
    return data.as_dict() if type(data) is WireActa else data


def plain(record: Record) -> dict | None:
    """The data of a record read as a WireActa, read again from its line by the standard library (the
    dict every rule takes, with what it holds exactly as the line wrote it); any other record's data."""
    if type(record.data) is WireActa and isinstance(record.raw, str):
        try:
            return loads(record.raw)
        except (ValueError, RecursionError):  # the standard library refuses what msgspec read: keep its reading
            pass
    return as_dict(record.data) if record.data is not None else None


def _jsonl_records(handle, source: str) -> Iterator[Record]:
    for n, line in enumerate(handle, 1):
        try:
            yield Record(source, n, _decode_wire(line), raw=line)
            continue
        except (msgspec.DecodeError, ValueError, RecursionError):
            pass  # not a plainly typed acta: read as before, to name what is wrong with it
        if not line.strip():
            continue
        try:
            data = loads(line)
        except json.JSONDecodeError as exc:
            yield Record(source, n, None, [Problem("", f"not valid JSON ({exc.msg}, column {exc.colno})",
                         "write one JSON object per line", source, n)], line)
            continue
        except RecursionError:
            yield Record(source, n, None, [Problem("", "not valid JSON (nested too deeply)",
                         "write one JSON object per line, as in docs/formats/actas.md", source, n)], line)
            continue
        problems = check_json_shape(data)
        yield Record(source, n, None if problems else data, [p.located(source, n) for p in problems], line)


def check_json_shape(data: object) -> list[Problem]:
    """Problems with the shape of one JSON acta (types of counts are left to the rules)."""
    if not isinstance(data, dict):
        return [Problem("", "an acta must be a JSON object", 'write {"table": …, "contest": …, "votes": {…}, …}')]
    if data.keys() <= JSON_KEYS:
        return []
    unknown = sorted(set(data) - JSON_KEYS)
    use = f"use only: {', '.join(sorted(JSON_KEYS))}"
    problems = [Problem(field_name(k), f"unknown field {show(k)}", use) for k in unknown[:LIST_AT_MOST]]
    if len(unknown) > LIST_AT_MOST:
        problems.append(Problem("", f"{len(unknown) - LIST_AT_MOST:,} more unknown fields", use))
    return problems

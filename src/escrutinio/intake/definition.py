"""Read an election definition: a TOML file and the CSV files it names.

Every problem of the whole definition is collected before anything is
raised, so a results centre fixes its files in one pass, not one error at a
time. The format is documented in ``docs/formats/election.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import re
import tomllib
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..domain.errors import DefinitionError, Problem
from ..domain.model import ABSTENTION_BASES, Area, Centre, Contest, Election, Option, Table
from ..domain.percent import METHODS, PercentRule
from ..domain.publication import AreaClose, Policy, check_first_bulletin_when, check_publish_after, check_time_zone
from .maps import read_maps
from .rules import check_contest_rules, read_rule

AREA_COLUMNS = ("code", "name", "level", "parent")
CENTRE_COLUMNS = ("code", "name", "area")
TABLE_COLUMNS = ("code", "centre", "registered", "contests")
# Optional columns: an area's weight in a majority of cantons (``double_majority``).
AREA_OPTIONAL = ("weight", "polls_close", "time_zone")

# Every key the definition knows, per table: anything else is a problem (a mistyped key is never ignored).
TOP_KEYS = ("election", "contest", "geography", "levels")
ELECTION_KEYS = ("name", "date", "time_zone", "polls_open", "polls_close", "locale", "percent_rule",
                 "percent_decimals", "abstention_basis", "extra_voters_allowed", "require_signatures", "keys", "publish_after",
                 "first_bulletin_when")
CONTEST_KEYS = ("code", "name", "blank", "options", "rule", "rule_level", "runoff_count", "threshold_percent",
                "lead_percent", "lead_threshold_percent", "approval_percent", "quorum_percent",
                "approval_quorum_percent", "kind", "group", "double_majority", "canton_level", "seats",
                "seat_threshold_percent")
OPTION_KEYS = ("code", "name", "party", "colour", "photo")
GEOGRAPHY_KEYS = ("levels", "areas", "centres", "tables", "map")
LEVEL_KEYS = ("name",)  # [levels.<level>]: what the pages call a level, per language


class _Collector:
    """Gathers problems with their file and row."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, source: str, row: int | None, field: str, message: str, action: str) -> None:
        self.problems.append(Problem(field, message, action, source, row))


def load_definition(path: str | Path) -> Election:
    path = Path(path)
    found = _Collector()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DefinitionError(f"cannot read election definition {path}", [
            Problem("", "file not found", "give the path of the election's TOML file", str(path))]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"election definition {path} is not valid TOML", [
            Problem("", str(exc), "fix the TOML syntax at the place named", str(path))]) from None
    except RecursionError:
        raise DefinitionError(f"election definition {path} is nested too deeply", [
            Problem("", "tables or arrays nested too deeply to read", "write the definition as the template does",
                    str(path))]) from None
    except (OSError, ValueError) as exc:
        raise DefinitionError(f"cannot read election definition {path}", [
            Problem("", f"cannot read: {getattr(exc, 'strerror', None) or exc}", "check the file's name and path",
                    str(path))]) from None
    election = _election(data, path, found)
    if found.problems or election is None:
        raise DefinitionError(f"election definition {path} has {len(found.problems)} problem(s); nothing was created",
                              found.problems)
    return election


def _unknown_keys(table: dict, known: tuple[str, ...], prefix: str, src: str, found: _Collector,
                  row: int | None = None) -> None:
    """Every key of ``table`` that is not in ``known`` is a problem, naming the nearest known key."""
    for key in table:
        if key in known:
            continue
        near = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        hint = f" — did you mean `{near[0]}`?" if near else ""
        found.add(src, row, f"{prefix}{key}", f"`{key}`: unknown key{hint}",
                  f"use {'`' + near[0] + '`' if near else 'one of: ' + ', '.join(known)}, or remove it "
                  "(docs/formats/election.md lists every key)")


def _election(data: dict, path: Path, found: _Collector) -> Election | None:
    src = str(path)
    _unknown_keys(data, TOP_KEYS, "", src, found)
    head = data.get("election")
    if not isinstance(head, dict):
        found.add(src, None, "election", "missing [election] table", "add an [election] table (see the template)")
        head = {}
    _unknown_keys(head, ELECTION_KEYS, "election.", src, found)
    name = _string(head, "name", src, found)
    date = head.get("date")
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        found.add(src, None, "election.date", f"{date!r} is not a date", "write the date as 2007-12-02 (no quotes)")
    time_zone = _string(head, "time_zone", src, found)
    if time_zone:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a region such as "America" is a directory
            found.add(src, None, "election.time_zone", f"unknown time zone {time_zone!r}",
                      "use an IANA name such as America/Caracas")
    polls_open = _clock(head, "polls_open", src, found)
    polls_close = _clock(head, "polls_close", src, found)
    locale = head.get("locale", "en")
    rule = _percent_rule(head, src, found)
    basis = head.get("abstention_basis", "counted_tables")
    if basis not in ABSTENTION_BASES:
        found.add(src, None, "election.abstention_basis", f"{basis!r} is not a known basis",
                  f"use one of: {', '.join(ABSTENTION_BASES)}")
    extra = head.get("extra_voters_allowed", 0)
    if not isinstance(extra, int) or isinstance(extra, bool) or extra < 0:
        found.add(src, None, "election.extra_voters_allowed", f"{extra!r} is not a whole number ≥ 0",
                  "write how many voters beyond the register a table may admit, usually 0")
        extra = 0
    contests = _contests(data.get("contest"), src, found)
    geography = data.get("geography")
    if not isinstance(geography, dict):
        found.add(src, None, "geography", "missing [geography] table", "add a [geography] table (see the template)")
        return None
    _unknown_keys(geography, GEOGRAPHY_KEYS, "geography.", src, found)
    levels = geography.get("levels")
    if not (isinstance(levels, list) and levels and all(isinstance(x, str) and x for x in levels)):
        found.add(src, None, "geography.levels", "levels must be a list of names, the whole country first",
                  'write e.g. levels = ["país", "estado", "municipio"]')
        return None
    level_names = _level_names(data.get("levels"), levels, src, found)
    check_contest_rules(contests, levels, {c.code: f"contest[{n}]" for n, c in enumerate(contests, 1)},
                        lambda field, message, action: found.add(src, None, field, message, action))
    base = path.parent
    _check_photos(contests, base, src, found)
    # When a file cannot be read, checks against its contents would only repeat that one cause.
    area_rows = _csv(base, geography, "areas", AREA_COLUMNS, src, found, AREA_OPTIONAL)
    centre_rows = _csv(base, geography, "centres", CENTRE_COLUMNS, src, found)
    table_rows = _csv(base, geography, "tables", TABLE_COLUMNS, src, found)
    for rows in (area_rows, centre_rows, table_rows):
        _check_codes(rows, found)
    areas = _areas(area_rows, levels, found)
    centres = _centres(centre_rows, areas, found, check_areas=area_rows.read)
    tables = _tables(table_rows, centres, contests, found, check_centres=centre_rows.read)
    signed = head.get("require_signatures", True)
    if not isinstance(signed, bool):
        found.add(src, None, "election.require_signatures", f"{signed!r} is not true or false",
                  "write require_signatures = true (false only for demos and tests: unsigned mode)")
    keys = _keys_file(head, base, src, found)
    policy = _policy(head, area_rows, src, found)
    codes_at: dict[str, set[str]] = {}
    for area in areas.values():
        codes_at.setdefault(levels[area.level], set()).add(area.code)
    maps = read_maps(geography.get("map"), levels, codes_at, base,
                     lambda field, message, action: found.add(src, None, field, message, action))
    if found.problems:
        return None
    return Election(name=name, date=date, time_zone=time_zone, polls_open=polls_open, polls_close=polls_close,
                    locale=locale, percent_rule=rule, abstention_basis=basis, extra_voters_allowed=extra,
                    contests=tuple(contests), levels=tuple(levels), areas=tuple(areas.values()),
                    centres=tuple(centres.values()), tables=tuple(tables), require_signatures=signed,
                    extra={**({"keys_file": keys} if keys else {}), **({"level_names": level_names} if level_names
                                                                          else {}),
                           **({"maps": maps} if maps else {})},
                    publication=policy)


def _policy(head: dict, area_rows: _Rows, src: str, found: _Collector) -> Policy:
    """The publication policy: ``publish_after``, ``first_bulletin_when`` and the areas' own polls close."""
    for key, check in (("publish_after", check_publish_after), ("first_bulletin_when", check_first_bulletin_when)):
        if key in head and (problem := check(head[key])) is not None:
            found.add(src, None, problem.field, problem.message, problem.action)
    areas = []
    for n, row in area_rows.rows:
        close, zone = (row.get("polls_close") or "").strip(), (row.get("time_zone") or "").strip()
        if close and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", close):
            found.add(area_rows.source, n, "polls_close", f"{close[:20]!r} is not a time of day",
                      "write when polls close in this area as HH:MM (24 hours), or leave it empty")
            close = ""
        if zone and not check_time_zone(zone):
            found.add(area_rows.source, n, "time_zone", f"unknown time zone {zone[:40]!r}",
                      "use an IANA name such as America/Manaus, or leave it empty")
            zone = ""
        if close or zone:
            areas.append((row["code"].strip(), AreaClose(dt.time.fromisoformat(close) if close else None,
                                                        zone or None)))
    return Policy(head.get("publish_after"), head.get("first_bulletin_when"), tuple(sorted(areas)))


def _level_names(table, levels: list[str], src: str, found: _Collector) -> dict[str, dict[str, str]]:
    """``[levels.estado] name = {es = "estado", en = "state"}``: a level's name per language (code as in
    ``locale``: es, en, pt_BR, de_CH…); a plain string is the name in every language."""
    if table is None:
        return {}
    if not isinstance(table, dict):
        found.add(src, None, "levels", "levels must be a table of levels", 'write [levels.estado] name = {en = "state"}')
        return {}
    names = {}
    for level, entry in table.items():
        field = f"levels.{level}"
        if level not in levels:
            found.add(src, None, field, f"unknown level {level!r}", f"use one of: {', '.join(levels)}")
            continue
        if not isinstance(entry, dict):
            found.add(src, None, field, "a level's entry must be a table", 'write [levels.estado] name = {en = "state"}')
            continue
        _unknown_keys(entry, LEVEL_KEYS, f"{field}.", src, found)
        name = entry.get("name")
        if isinstance(name, str) and name.strip():
            name = {"*": name.strip()}
        if not (isinstance(name, dict) and name and all(
                isinstance(k, str) and re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2}|_[0-9]{3})?|\*", k)
                and isinstance(v, str) and v.strip() for k, v in name.items())):
            found.add(src, None, f"{field}.name", "a level's name must be a text or a table of language = text",
                      'write name = {es = "estado", en = "state", pt_BR = "estado", de_CH = "Bundesstaat"}')
            continue
        names[level] = {k: v.strip() for k, v in name.items()}
    return names


def _keys_file(head: dict, base: Path, src: str, found: _Collector) -> str | None:
    """The tables' public keys file named by the definition, if any (registered by `init`)."""
    name = head.get("keys")
    if name is None:
        return None
    path = base / str(name)
    if not path.is_file():
        found.add(src, None, "election.keys", f"keys file {path} not found",
                  "name the CSV of public keys (table,public_key) made by `escrutinio keys generate`")
        return None
    return str(path.resolve())


def _string(table: dict, key: str, src: str, found: _Collector) -> str:
    value = table.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    found.add(src, None, f"election.{key}", f"missing or empty {key}", f"write {key} = \"…\" under [election]")
    return ""


def _clock(table: dict, key: str, src: str, found: _Collector) -> dt.time:
    value = table.get(key)
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        found.add(src, None, f"election.{key}", f"{value!r} is not a time of day",
                  f'write {key} = "16:00" (local time of the election)')
        return dt.time(0, 0)


def _percent_rule(head: dict, src: str, found: _Collector) -> PercentRule:
    method = head.get("percent_rule", PercentRule.method)
    decimals = head.get("percent_decimals", PercentRule.decimals)
    try:
        return PercentRule(method, decimals)
    except (ValueError, TypeError):
        found.add(src, None, "election.percent_rule",
                  f"percent rule {method!r} with {decimals!r} decimals is not valid",
                  f"use percent_rule = one of {', '.join(METHODS)} and percent_decimals from 0 to 6")
        return PercentRule()


def _contests(items: object, src: str, found: _Collector) -> list[Contest]:
    if not isinstance(items, list) or not items:
        found.add(src, None, "contest", "no contests", "add one [[contest]] table per question or race")
        return []
    contests, seen = [], set()
    for n, item in enumerate(items, 1):
        where = f"contest[{n}]"
        if not isinstance(item, dict):
            found.add(src, None, where, f"{item!r} is not a contest table", "write each contest as a [[contest]] table")
            continue
        _unknown_keys(item, CONTEST_KEYS, f"{where}.", src, found)
        code, name = _text(item.get("code")), _text(item.get("name"))
        if not code or not name:
            found.add(src, None, where, "a contest needs a code and a name", "write code = \"A\" and name = \"…\"")
        elif _bad_code(code) or ";" in code:
            found.add(src, None, f"{where}.code", _bad_code(code) or "a contest code may not contain ';'",
                      f"use a code of at most {MAX_CODE} printable characters, without ';'")
        if code in seen:
            found.add(src, None, f"{where}.code", f"contest code {code!r} appears twice", "give each contest its own code")
        seen.add(code)
        options = _options(item.get("options"), f"{where}.options", src, found)
        blank = item.get("blank", False)
        if not isinstance(blank, bool):
            found.add(src, None, f"{where}.blank", "blank must be true or false",
                      "write blank = true if blank ballots are counted apart")
            blank = False
        rule = read_rule(item, where, lambda field, message, action: found.add(src, None, field, message, action))
        contests.append(Contest(code, name, tuple(options), blank, rule))
    return contests


RESERVED = {"table", "contest", "null", "blank", "ballots_cast", "votes"}


def _options(items: object, where: str, src: str, found: _Collector) -> list[Option]:
    if not isinstance(items, list) or not items:
        found.add(src, None, where, "a contest needs at least one option",
                  'write options = [{ code = "SI", name = "Sí" }, …]')
        return []
    options, seen = [], set()
    for item in items:
        if isinstance(item, dict):
            _unknown_keys(item, OPTION_KEYS, f"{where}.", src, found)
        code = _text(item.get("code")) if isinstance(item, dict) else ""
        name = _text(item.get("name")) if isinstance(item, dict) else ""
        if code and _bad_code(code):
            found.add(src, None, where, f"option {code[:40]!r}: {_bad_code(code)}",
                      f"use a code of at most {MAX_CODE} printable characters")
        elif not code or not name or code in RESERVED:
            found.add(src, None, where, f"option {item!r} needs a code and a name, and the code may not be one of "
                      f"{', '.join(sorted(RESERVED))}", 'write { code = "SI", name = "Sí" }')
        elif code in seen:
            found.add(src, None, where, f"option code {code!r} appears twice", "give each option its own code")
        seen.add(code)
        options.append(Option(code, name, **_option_extras(item, where, src, found)))
    return options


def _option_extras(item: object, where: str, src: str, found: _Collector) -> dict:
    """party, colour and photo of an option, where given as text."""
    extras = {}
    for key in ("party", "colour", "photo"):
        value = item.get(key) if isinstance(item, dict) else None
        if value is None:
            continue
        if not _text(value):
            found.add(src, None, f"{where}.{key}", f"{key} {value!r} is not text",
                      f'write {key} = "…" (colour: a CSS colour such as "#c0392b"; photo: a file path)')
            continue
        if key == "colour" and not COLOUR.fullmatch(_text(value)):
            found.add(src, None, f"{where}.colour", f"colour {value!r} is not a CSS colour this format takes",
                      'write "#c0392b" (# and 3, 4, 6 or 8 hexadecimal digits) or a colour name such as "teal"')
            continue
        extras[key] = _text(value)
    return extras


def _check_photos(contests: list[Contest], base: Path, src: str, found: _Collector) -> None:
    for n, contest in enumerate(contests, 1):
        for option in contest.options:
            if option.photo and not (base / option.photo).is_file():
                found.add(src, None, f"contest[{n}].options.photo", f"photo {option.photo!r} of option "
                          f"{option.code!r} is not a file in {base}", "give a file path relative to election.toml")


# Colours go into the site's style attributes: only these two shapes, nothing that could carry more CSS.
COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})|[a-zA-Z]{3,20}")


class _Rows(NamedTuple):
    source: str
    rows: list[tuple[int, dict]]
    read: bool  # False when the file itself could not be read


def _csv(base: Path, geography: dict, key: str, columns: tuple[str, ...], src: str,
         found: _Collector, optional: tuple[str, ...] = ()) -> _Rows:
    name = geography.get(key)
    if not isinstance(name, str):
        found.add(src, None, f"geography.{key}", f"missing file name for {key}", f'write {key} = "{key}.csv"')
        return _Rows(src, [], False)
    path = base / name
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                found.add(str(path), 1, ",".join(missing), f"missing column(s) {', '.join(missing)}",
                          f"the header must be: {','.join(columns)}")
                return _Rows(str(path), [], False)
            _unknown_columns(reader.fieldnames or [], columns + optional, str(path), found)
            # line_num, not a running count: blank lines are skipped but still lines of the file.
            # A short row's missing cells read as empty, for the checks below to name.
            rows = []
            for row in reader:
                if row.get(None):
                    found.add(str(path), reader.line_num, "", f"{len(row[None])} cell(s) more than the header",
                              f"give every row exactly the columns {','.join(columns)}")
                    continue
                rows.append((reader.line_num, {k: (v or "") for k, v in row.items() if k is not None}))
            return _Rows(str(path), rows, True)
    except (OSError, ValueError) as exc:  # ValueError: a file name no system accepts (a NUL in it)
        found.add(str(path), None, f"geography.{key}", f"cannot read: {getattr(exc, 'strerror', None) or exc}",
                  "check the file name and path")
    except UnicodeDecodeError:
        found.add(str(path), None, "", "not UTF-8 text", "save the file as UTF-8 CSV")
    return _Rows(str(path), [], False)


def _unknown_columns(header: list[str], known: tuple[str, ...], src: str, found: _Collector) -> None:
    for column in header:
        if column not in known:
            near = difflib.get_close_matches(column, known, n=1, cutoff=0.6)
            hint = f" — did you mean `{near[0]}`?" if near else ""
            found.add(src, 1, column, f"`{column}`: unknown column{hint}",
                      f"the header may hold only: {', '.join(known)}; rename or remove this column")


def _areas(source: _Rows, levels: list[str], found: _Collector) -> dict[str, Area]:
    src, rows = source.source, source.rows
    areas: dict[str, Area] = {}
    for n, row in rows:
        code, name, level = row["code"].strip(), row["name"].strip(), row["level"].strip()
        parent = row["parent"].strip() or None
        if not code or not name:
            found.add(src, n, "code" if not code else "name", "empty code or name", "fill in both")
            continue
        if code in areas:
            found.add(src, n, "code", f"area code {code!r} appears twice", "give each area its own code")
            continue
        if level not in levels:
            found.add(src, n, "level", f"unknown level {level!r}", f"use one of: {', '.join(levels)}")
            continue
        weight = (row.get("weight") or "").strip()
        if weight and not _is_count(weight):
            found.add(src, n, "weight", f"{weight[:40]!r} is not a whole number",
                      "write the area's weight in a majority of cantons (2 a canton, 1 a half-canton), "
                      "or leave it empty")
            continue
        areas[code] = Area(code, name, levels.index(level), parent, int(weight) if weight else None)
    roots = [a for a in areas.values() if a.parent is None]
    if rows and len(roots) != 1:
        found.add(src, None, "parent", f"{len(roots)} areas have no parent; exactly one must (the whole country)",
                  "leave parent empty only for the one area at the first level")
    for n, row in rows:
        area = areas.get(row["code"].strip())
        if area is None or area.parent is None:
            if area is not None and area.level != 0:
                found.add(src, n, "parent", f"area {area.code!r} has no parent but is not at level {levels[0]!r}",
                          "name its parent area")
            continue
        parent = areas.get(area.parent)
        if parent is None:
            found.add(src, n, "parent", f"unknown parent area {area.parent!r}", "name an area defined in this file")
        elif parent.level != area.level - 1:
            found.add(src, n, "level", f"area {area.code!r} at level {levels[area.level]!r} has parent "
                      f"{parent.code!r} at level {levels[parent.level]!r}",
                      "a parent must be exactly one level above its child")
    return areas


def _centres(source: _Rows, areas: dict[str, Area],
             found: _Collector, *, check_areas: bool = True) -> dict[str, Centre]:
    src, rows = source.source, source.rows
    centres: dict[str, Centre] = {}
    for n, row in rows:
        code, name, area = row["code"].strip(), row["name"].strip(), row["area"].strip()
        if not code or not name:
            found.add(src, n, "code" if not code else "name", "empty code or name", "fill in both")
        elif code in centres or code in areas:
            found.add(src, n, "code", f"code {code!r} is already used by another centre or area",
                      "give each centre a code of its own")
        elif area not in areas and check_areas:
            found.add(src, n, "area", f"unknown area {area!r}", "name an area of the areas file")
        else:
            centres[code] = Centre(code, name, area)
    return centres


def _tables(source: _Rows, centres: dict[str, Centre], contests: list[Contest],
            found: _Collector, *, check_centres: bool = True) -> list[Table]:
    src, rows = source.source, source.rows
    codes = [c.code for c in contests]
    tables, seen = [], set()
    for n, row in rows:
        code, centre, registered = row["code"].strip(), row["centre"].strip(), row["registered"].strip()
        on_ballot = tuple(c.strip() for c in (row["contests"] or "").split(";") if c.strip()) or tuple(codes)
        if not code:
            found.add(src, n, "code", "empty table code", "fill in the table code")
        elif code in seen:
            found.add(src, n, "code", f"table code {code!r} appears twice", "give each table its own code")
        if centre not in centres and check_centres:
            found.add(src, n, "centre", f"unknown centre {centre!r}", "name a centre of the centres file")
        if not _is_count(registered):
            found.add(src, n, "registered", f"{registered[:40]!r} is not a whole number from 0 to 999,999,999",
                      "write the number of registered voters of the table")
        unknown = [c for c in on_ballot if c not in codes]
        if unknown:
            found.add(src, n, "contests", f"unknown contest(s) {', '.join(unknown)}",
                      f"use contest codes separated by ';' ({';'.join(codes)}), or leave empty for all")
        seen.add(code)
        if _is_count(registered):
            tables.append(Table(code, centre, int(registered), on_ballot))
    return tables


def _text(value: object) -> str:
    """A TOML string, stripped; anything else (a number, a table) counts as missing."""
    return value.strip() if isinstance(value, str) else ""


def _is_count(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 9


MAX_CODE = 64


def _bad_code(code: object) -> str | None:
    """Why a code cannot be used (codes are stored in columns of 64 characters), or None."""
    if not isinstance(code, str):
        return f"{code!r} is not text"
    if len(code) > MAX_CODE:
        return f"code of {len(code)} characters (at most {MAX_CODE})"
    if any(ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF for ch in code):
        return "code with control characters"
    return None


def _check_codes(source: _Rows, found: _Collector) -> None:
    for n, row in source.rows:
        problem = _bad_code(row.get("code", ""))
        if problem:
            found.add(source.source, n, "code", problem, f"use codes of at most {MAX_CODE} printable characters")

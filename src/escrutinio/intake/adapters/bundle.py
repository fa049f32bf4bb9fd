"""What an adapter produces, and how it is written as escrutinio's own files.

A :class:`Bundle` is an election (or None when the input could not be mapped
at all), its actas grouped by the acta file they go to, and every problem
met on the way. :func:`write_bundle` writes it as the definition of
``docs/formats/election.md`` (``definition.toml`` with ``areas.csv``,
``centres.csv`` and ``tables.csv``) and one acta CSV of
``docs/formats/actas.md`` per group, ready for ``escrutinio init`` and
``escrutinio ingest``.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ...domain.errors import Problem
from ...domain.model import Acta, Contest, Election, Rule

DEFINITION = "definition.toml"
AREAS, CENTRES, TABLES = "areas.csv", "centres.csv", "tables.csv"


@dataclass
class Bundle:
    election: Election | None
    actas: dict[str, list[Acta]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the reader did that a user should know (not problems)


def write_bundle(bundle: Bundle, out: str | Path) -> list[Path]:
    """Write the bundle's files into directory ``out`` (created if needed); the paths written.

    Nothing at all is written when the bundle has no election or any
    problem: a user who ignores the exit code must not publish half a
    night. The files are written beside each other in a hidden folder of
    ``out`` and moved into place only when every one is complete; files of
    the same name are replaced.
    """
    if bundle.election is None or bundle.problems:
        return []
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".adapt-", dir=out))
    try:
        written = _write_all(bundle, bundle.election, staging)
        for path in written:
            os.replace(path, out / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / path.name for path in written]


def _write_all(bundle: Bundle, election: Election, out: Path) -> list[Path]:
    written = [_write(out / DEFINITION, definition_toml(election))]
    written.append(_write_csv(out / AREAS, ("code", "name", "level", "parent"),
                              [(a.code, a.name, election.levels[a.level], a.parent or "") for a in election.areas]))
    written.append(_write_csv(out / CENTRES, ("code", "name", "area"),
                              [(c.code, c.name, c.area) for c in election.centres]))
    every = tuple(c.code for c in election.contests)
    written.append(_write_csv(out / TABLES, ("code", "centre", "registered", "contests"),
                              [(t.code, t.centre, t.registered, "" if t.contests == every else ";".join(t.contests))
                               for t in election.tables]))
    for name, actas in bundle.actas.items():
        written.append(_write_actas(out / name, election.contests, actas))
    return written


def definition_toml(election: Election) -> str:
    """The [election], [[contest]] and [geography] tables of the definition, as TOML text."""
    rule = election.percent_rule
    lines = ["[election]",
             f"name = {_quote(election.name)}",
             f"date = {election.date.isoformat()}",
             f"time_zone = {_quote(election.time_zone)}",
             f"polls_open = {_quote(election.polls_open.strftime('%H:%M'))}",
             f"polls_close = {_quote(election.polls_close.strftime('%H:%M'))}",
             f"locale = {_quote(election.locale)}",
             f"percent_rule = {_quote(rule.method)}",
             f"percent_decimals = {rule.decimals}",
             f"abstention_basis = {_quote(election.abstention_basis)}",
             f"extra_voters_allowed = {election.extra_voters_allowed}",
             "# The source publishes no signatures: unsigned mode, announced on every page.",
             f"require_signatures = {'true' if election.require_signatures else 'false'}"]
    for contest in election.contests:
        lines += ["", "[[contest]]", f"code = {_quote(contest.code)}", f"name = {_quote(contest.name)}",
                  f"blank = {'true' if contest.blank else 'false'}"]
        lines += _rule_lines(contest.rule)
        lines.append("options = [")
        lines += [f"  {{ code = {_quote(o.code)}, name = {_quote(o.name)}"
                  + "".join(f", {key} = {_quote(value)}" for key, value in o.extras().items()) + " },"
                  for o in contest.options]
        lines.append("]")
    lines += ["", "[geography]", f"levels = [{', '.join(_quote(level) for level in election.levels)}]",
              f"areas = {_quote(AREAS)}", f"centres = {_quote(CENTRES)}", f"tables = {_quote(TABLES)}"]
    return "\n".join(lines) + "\n"


def _rule_lines(rule: Rule) -> list[str]:
    """The rule keys that differ from a plain plurality contest (a linked question's rule follows its kind)."""
    lines = []
    if rule.kind is not None:
        lines += [f"kind = {_quote(rule.kind)}", f"group = {_quote(rule.group or '')}"]
    elif rule.name != "plurality":
        lines.append(f"rule = {_quote(rule.name)}")
    return lines


def _quote(text: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also forbids a raw DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _write_csv(path: Path, header: tuple[str, ...], rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _write_actas(path: Path, contests: tuple[Contest, ...], actas: list[Acta]) -> Path:
    options = list(dict.fromkeys(code for c in contests for code in c.option_codes))
    blank = {c.code: c.blank for c in contests}
    rows = []
    for acta in actas:
        votes = dict(acta.votes)
        rows.append([acta.table, acta.contest, acta.ballots_cast, acta.null,
                     acta.blank if blank[acta.contest] else ""] + [votes.get(code, "") for code in options])
    return _write_csv(path, ("table", "contest", "ballots_cast", "null", "blank", *options), rows)

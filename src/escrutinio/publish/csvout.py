"""Bulletins as CSV: one row per area and contest, for spreadsheets and newsrooms."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from ..domain.bulletin import Bulletin

# A cell a spreadsheet would run as a formula (OWASP's list): such text gets a leading apostrophe.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
FIGURES = ("valid", "null", "blank", "ballots_cast", "registered_counted", "registered_all")


def bulletin_csv(bulletin: Bulletin, areas: Iterable[dict]) -> str:
    """``areas`` are bulletin area entries (e.g. one level, or an area and its children), read once."""
    contests = {c["code"]: c for c in bulletin.body["contests"]}
    options = [o["code"] for c in bulletin.body["contests"] for o in c["options"]]
    options = list(dict.fromkeys(options))
    head = ["bulletin", "cut_off", "area_code", "area_name", "kind", "level", "parent", "contest"]
    head += [f"votes_{o}" for o in options] + [f"percent_{o}" for o in options] + list(FIGURES)
    head += ["turnout_whole_register", "turnout_counted_tables", "abstention_whole_register",
             "abstention_counted_tables", "tables_expected", "tables_counted", "tables_quarantined",
             "tables_conflict", "decided", "leader", "lead", "remaining_max"]
    drill = bulletin.body.get("drill") is True  # a drill's rows say so, in a last column of their own
    head += ["drill"] if drill else []
    out = io.StringIO()
    writer = _Neutralising(csv.writer(out, lineterminator="\n"))
    writer.writerow(head)
    for area in areas:
        for code, f in area["results"].items():
            votes = {o["code"]: o for o in f["options"]}
            writer.writerow(
                [bulletin.number, bulletin.body["cut_off"], area["code"], area["name"], area["kind"], area["level"],
                 area["parent"] or "", contests[code]["code"]]
                + [votes[o]["votes"] if o in votes else "" for o in options]
                + [(votes[o]["percent"] or "") if o in votes else "" for o in options]
                + [f[k] for k in FIGURES]
                + [f["turnout"]["whole_register"], f["turnout"]["counted_tables"],
                   f["abstention"]["whole_register"], f["abstention"]["counted_tables"],
                   f["tables"]["expected"], f["tables"]["counted"], f["tables"]["quarantined"],
                   f["tables"]["conflict"], f["decided"]["decided"], f["decided"]["leader"] or "",
                   f["decided"]["lead"], f["decided"]["remaining_max"]] + (["true"] if drill else []))
    return out.getvalue()


def neutralised(cell: object) -> object:
    """Text that a spreadsheet would take for a formula, made inert; numbers and figures left as they are."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START) and not NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


class _Neutralising:
    def __init__(self, writer):
        self.writer = writer

    def writerow(self, row: list) -> None:
        self.writer.writerow([neutralised(cell) for cell in row])

"""The timeline's automatic bulletin entries against the bulletins they announce.

Each such entry carries the headline figures of its bulletin at the whole country (per contest: every
option's votes and share, tables counted and expected, the share of the register counted, decided).
They must be exactly the figures of that bulletin's root area as the site shows it, which
replay.py has already recomputed from the log.
"""

from __future__ import annotations

import json

from .report import Report


def headline(body: dict, root: dict) -> dict:
    """The figures an entry of this bulletin must show, from its head and its root area."""
    contests = []
    results = root.get("results") if isinstance(root.get("results"), dict) else {}
    for contest in body.get("contests") or []:
        figures = results.get(contest.get("code"))
        if not isinstance(figures, dict):
            continue
        names = {o.get("code"): o.get("name") for o in contest.get("options") or []}
        contests.append({
            "code": contest.get("code"), "name": contest.get("name"),
            "options": [{"code": o.get("code"), "name": names.get(o.get("code")), "votes": o.get("votes"),
                         "percent": o.get("percent")} for o in figures.get("options") or []],
            "tables_counted": (figures.get("tables") or {}).get("counted"),
            "tables_expected": (figures.get("tables") or {}).get("expected"),
            "register_counted_percent": figures.get("register_counted_percent"),
            "decided": (figures.get("decided") or {}).get("decided"),
        })
    return {"number": body.get("number"), "cut_off": body.get("cut_off"), "cut_off_local": body.get("cut_off_local"),
            "contests": contests}


def _flat(value: object, prefix: str = "") -> dict[str, object]:
    """Leaves of nested dicts and lists by path; list items of contests and options by their code."""
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        out = {}
        for i, item in enumerate(value):
            name = item.get("code") if isinstance(item, dict) and isinstance(item.get("code"), str) else i
            out.update(_flat(item, f"{prefix}[{name}]"))
        return out
    return {prefix: value}


def check_timeline(report: Report, entries: list[dict], shown: dict[int, tuple[dict, dict]]) -> None:
    """``shown``: bulletin number -> (its head, its root area as the site shows it)."""
    for entry in entries:
        number = entry.get("bulletin_number")
        where = f"timeline entry {entry.get('id')} (bulletin {number})"
        if number not in shown:
            report.add("timeline", f"{where}: announces a bulletin that is not published or could not be read")
            continue
        report.count("timeline entries")
        want, have = _flat(headline(*shown[number])), _flat(entry.get("data"))
        for field in sorted(set(want) | set(have)):
            if want.get(field) != have.get(field) or type(want.get(field)) is not type(have.get(field)):
                report.add("timeline", f"{where}: {field}: the entry says {_show(have.get(field))}, the bulletin "
                                       f"says {_show(want.get(field))}")


def _show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)

"""Bulletins as readable text for a terminal or a plain-text wire."""

from __future__ import annotations

import datetime as dt

from ..domain.bulletin import Bulletin

DASH = "—"


def _n(value: int) -> str:
    return f"{value:,}"


def _p(value: str | None) -> str:
    return f"{value} %" if value is not None else DASH


def render_bulletin(bulletin: Bulletin, area_code: str | None = None) -> str:
    body = bulletin.body
    area = bulletin.area(area_code) if area_code else bulletin.root
    cut = dt.datetime.fromisoformat(body["cut_off_local"])
    lines = ["DRILL — a rehearsal night: not official results"] if body.get("drill") is True else []
    lines += [
        f"{body['election']['name']}",
        f"Bulletin {body['number']} — cut-off {cut:%Y-%m-%d %H:%M} ({body['election']['time_zone']}, "
        f"UTC{cut:%z})",
        f"Area: {area['name']} ({area['level']}, {area['code']})",
        f"Rule: {body['percent_rule']['text']}",
        f"Hash: {bulletin.hash}",
        f"Previous: {body['previous_hash'] or DASH}",
    ]
    contests = {c["code"]: c for c in body["contests"]}
    for code, figures in area["results"].items():
        lines += [""] + _contest(contests[code], figures, body["abstention_basis"])
    return "\n".join(lines) + "\n"


def _contest(contest: dict, f: dict, basis: str) -> list[str]:
    names = {o["code"]: o["name"] for o in contest["options"]}
    rows = [(names[o["code"]], _n(o["votes"]), _p(o["percent"])) for o in f["options"]]
    rows.append(("Valid votes", _n(f["valid"]), ""))
    rows.append(("Null", _n(f["null"]), _p(f["null_percent"])))
    if contest["blank"]:
        rows.append(("Blank", _n(f["blank"]), _p(f["blank_percent"])))
    rows.append(("Ballots cast", _n(f["ballots_cast"]), ""))
    width = max(len(r[0]) for r in rows)
    numbers = max(len(r[1]) for r in rows)
    out = [f"{contest['name']} ({contest['code']})", "-" * (width + numbers + 14)]
    out += [f"{a:<{width}}  {b:>{numbers}}  {c:>9}".rstrip() for a, b, c in rows]
    t = f["tables"]
    other = "counted_tables" if basis == "whole_register" else "whole_register"
    label = {"whole_register": "over the whole register", "counted_tables": "over counted tables"}
    d = f["decided"]
    out += [
        f"Turnout {_p(f['turnout'][basis])} {label[basis]} ({_p(f['turnout'][other])} {label[other]})",
        f"Abstention {_p(f['abstention'][basis])} {label[basis]} "
        f"({_p(f['abstention'][other])} {label[other]})",
        f"Registered voters: {_n(f['registered_all'])} in all, {_n(f['registered_counted'])} at counted tables "
        f"({_p(f['register_counted_percent'])} of the register)",
        f"Tables: {_n(t['counted'])} counted of {_n(t['expected'])} expected; {_n(t['received'])} received, "
        f"{_n(t['quarantined'])} quarantined, {_n(t['conflict'])} in conflict",
    ]
    return out + _verdict(f, contest, names)


STATUS_WORDS = {"leading": "leading", "decided": "decided", "runoff": "runoff", "no_quorum": "no quorum",
                "accepted": "accepted", "rejected": "rejected"}


def _verdict(f: dict, contest: dict, names: dict) -> list[str]:
    """The leader's *decided* line under plurality; under any other rule, or away from the rule's level,
    the outcome instead (leading is not winning under a majority, a quorum or seats)."""
    rule = contest.get("rule") or {}
    if "outcome" not in f or rule.get("name", "plurality") == "plurality" and not rule.get("level"):
        return [_decided(f["decided"], names)]
    return [_outcome(f["outcome"], rule, names)]


def _outcome(o: dict | None, rule: dict, names: dict) -> str:
    if o is None:
        return f"Outcome: decided per {rule.get('level')}; figures only at this level"
    if "summary" in o:
        s = o["summary"]
        won = ", ".join(f"{party} {n}" for party, n in sorted(s["winners"].items(), key=lambda i: -i[1])) or DASH
        seats = ", ".join(f"{party} {n}" for party, n in s.get("seats", {}).items())
        return (f"Outcome per {o['level']}: {s['decided']} of {s['areas']} decided; won: {won}"
                + (f"; seats: {seats}" if seats else ""))
    parts = [f"Outcome ({o['rule']}): {STATUS_WORDS.get(o['status'], o['status'])}"]
    if o["winners"] and not o["seats"]:
        parts.append(" — " + ", ".join(names.get(w, w) for w in o["winners"]))
    if o["runoff"]:
        parts.append(" between " + " and ".join(names.get(w, w) for w in o["runoff"]))
    if o["seats"]:
        parts.append(" — seats " + ", ".join(f"{names.get(k, k)} {n}" for k, n in o["seats"].items()))
    swing = o["inputs"]["conflict_swing"]
    conflicts = f" + {_n(swing)} that open conflicts could move" if swing else ""
    parts.append("; can no longer change" if o["decided"] else
                 f"; could still change ({_n(o['inputs']['remaining_max'])} ballots still possible at tables not "
                 f"counted{conflicts})")
    return "".join(parts)


def _decided(d: dict, names: dict) -> str:
    if d["leader"] is None:
        return f"Decided: no — no single leader; {_n(d['remaining_max'])} ballots still possible"
    leader = names[d["leader"]]
    verdict = "yes" if d["decided"] else "not yet"
    relation = ">" if d["decided"] else "≤"  # of lead against what could still change
    swing = d.get("conflict_swing", 0)
    conflicts = f" + {_n(swing)} that open conflicts could move" if swing else ""
    return (f"Decided: {verdict} — {leader} leads by {_n(d['lead'])} {relation} {_n(d['remaining_max'])} "
            f"ballots still possible at tables not counted{conflicts}")


def render_diff(old: Bulletin, new: Bulletin, changes: list[dict]) -> str:
    lines = [f"Bulletin {old.number} → {new.number}: {len(changes)} figure(s) changed"]
    current = None
    for change in changes:
        key = (change["area"], change["contest"])
        if key != current:
            lines.append(f"\n{change['name']} ({change['area']}) — contest {change['contest']}")
            current = key
        lines.append(f"  {change['figure']}: {_fmt(change['old'])} → {_fmt(change['new'])}")
    return "\n".join(lines) + "\n"


def _fmt(value: object) -> str:
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return _n(value)
    return str(value)


def render_list(heads: list[dict], time_zone: str) -> str:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(time_zone)
    if not heads:
        return "No bulletin published yet.\n"
    lines = [f"{'No.':>4}  {'cut-off (' + time_zone + ')':<28}  hash"]
    for h in heads:
        lines.append(f"{h['number']:>4}  {h['cut_off'].astimezone(zone):%Y-%m-%d %H:%M:%S %z}     {h['hash'][:16]}…")
    return "\n".join(lines) + "\n"


def render_comparison(bulletin: Bulletin, compared: dict[str, dict]) -> str:
    """One area of a bulletin beside the previous election, per contest."""
    contests = {c["code"]: c for c in bulletin.body["contests"]}
    lines = []
    for code, c in compared.items():
        names = {o["code"]: o["name"] for o in contests[code]["options"]}
        lines += [f"{contests[code]['name']} (bulletin {bulletin.number}, {_p(c['register_counted_percent'])} of the "
                  f"register counted) vs {c['previous']}",
                  f"  {'option':<14}{'was':<18}{'votes':>12}{'before':>12}{'change':>12}{'points':>9}"]
        for option, o in c["options"].items():
            if o["previous_option"] is None:
                lines.append(f"  {names[option]:<14}(no counterpart)")
                continue
            lines.append(f"  {names[option]:<14}{(o['previous_name'] or '')[:17]:<18}{_n(o['votes']):>12}"
                         f"{_n(o['previous_votes']):>12}{o['votes_change']:>+12,}{o['points_change'] or DASH:>9}")
        lines.append(f"  turnout {_p(c['turnout'])} ({c['turnout_basis']}) vs {_p(c['previous_turnout'])}: "
                     f"{c['turnout_change_points'] or DASH} points")
        if c["leader_changed"]:
            lines.append(f"  leader changed: {names.get(c['previous_leader'])} then, {names.get(c['leader'])} now")
        lines.append("")
    if not compared:
        lines.append("No comparison here (no previous figures, or only part of a split area).")
    return "\n".join(lines) + "\n"


def render_transfer(found: dict) -> str:
    """The transfer table: per earlier group, where its voters went (bounds, and an estimate)."""
    names = found["row_names"]
    lines = [f"Where the voters of {found['previous']} went in contest {found['contest']} "
             f"(bulletin {found['bulletin']}, {found['units']:,} fully counted {found['unit_kind']}s)",
             "  per cent of each earlier group: bounds that always hold [low–high], then an estimate (95 % interval)"]
    for row in found["rows"]:
        t = found["transfers"][row]
        cells = []
        for column in found["columns"]:
            cell = t["to"][column]
            low, high = cell["bounds_percent"]
            lo, hi = cell["interval_percent"]
            cells.append(f"{names.get(column, column)} [{low}–{high}] ~{cell['estimate_percent']} ({lo}–{hi})")
        lines.append(f"  {names.get(row, row)} ({t['voters']:,}): " + "; ".join(cells))
    lines += [""] + [f"  * {c}" for c in found["caveats"]]
    return "\n".join(lines) + "\n"

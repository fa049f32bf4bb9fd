"""Bulletins: numbered, immutable, hash-chained snapshots of every area.

A bulletin's body is plain JSON; its hash is the SHA-256 of the body's
canonical encoding, and the body names the hash of the bulletin before it,
so changing any published number breaks the chain from there on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .canonical import canonical_json, sha256_hex
from .model import Election
from .percent import PercentRule
from .tally import ContestTally, Tally

FORMAT = "escrutinio-bulletin/1"


@dataclass(frozen=True)
class Bulletin:
    number: int
    body: dict
    hash: str

    @property
    def previous_hash(self) -> str | None:
        return self.body["previous_hash"]

    @property
    def cut_off(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.body["cut_off"])

    def area(self, code: str) -> dict | None:
        return next((a for a in self.body["areas"] if a["code"] == code), None)

    @classmethod
    def from_body(cls, body: dict) -> Bulletin:
        return cls(body["number"], body, bulletin_hash(body))


def bulletin_hash(body: dict) -> str:
    return sha256_hex(canonical_json(body))


def build_bulletin(election: Election, tally: Tally, number: int, cut_off: dt.datetime,
                   previous_hash: str | None, log: dict | None = None) -> Bulletin:
    """Snapshot every area and centre of ``tally`` as bulletin ``number``."""
    if cut_off.tzinfo is None:
        raise ValueError("cut_off must be an aware datetime")
    rule = election.percent_rule
    local = cut_off.astimezone(ZoneInfo(election.time_zone))
    body = {
        "format": FORMAT,
        "number": number,
        "previous_hash": previous_hash,
        "cut_off": cut_off.astimezone(dt.timezone.utc).isoformat(),
        "cut_off_local": local.isoformat(),
        "election": {"name": election.name, "date": election.date.isoformat(),
                     "time_zone": election.time_zone, "locale": election.locale},
        "percent_rule": {"method": rule.method, "decimals": rule.decimals, "text": rule.describe()},
        "abstention_basis": election.abstention_basis,
        "contests": [{"code": c.code, "name": c.name, "blank": c.blank,
                      "options": [{"code": o.code, "name": o.name} for o in c.options]}
                     for c in election.contests],
        "areas": _areas(election, tally),
    }
    if log is not None:
        # The public log as it stood at the cut-off: its size, root and the authority's signature.
        body["log"] = log
    return Bulletin(number, body, bulletin_hash(body))


def _areas(election: Election, tally: Tally) -> list[dict]:
    geo = tally.geography
    names = {a.code: (a.name, election.levels[a.level]) for a in election.areas}
    names.update({c.code: (c.name, "centre") for c in election.centres})
    remaining = {code: ct.remaining_capacity() for code, ct in tally.contests.items()}
    swing = {code: ct.conflict_swing() for code, ct in tally.contests.items()}
    areas = []
    for node, code in enumerate(geo.codes):
        parent = int(geo.parent[node])
        name, level = names[code]
        results = {c: area_figures(ct, node, election.percent_rule, int(remaining[c][node]), int(swing[c][node]))
                   for c, ct in tally.contests.items() if ct.expected[node] > 0}
        areas.append({"code": code, "name": name, "kind": geo.kinds[node], "level": level,
                      "parent": geo.codes[parent] if parent >= 0 else None, "results": results})
    return areas


def area_figures(ct: ContestTally, node: int, rule: PercentRule, remaining_max: int,
                 conflict_swing: int = 0) -> dict:
    """Every published figure of one contest at one node."""
    row = ct.node_rows[node].tolist()
    col = ct.col
    options = [(code, row[i]) for i, code in enumerate(ct.contest.option_codes)]
    valid = sum(n for _, n in options)
    cast = row[col["ballots_cast"]]
    reg_counted = row[col["registered_counted"]]
    reg_all = int(ct.registered_all[node])
    return {
        "options": [{"code": code, "votes": n, "percent": rule.format(n, valid)} for code, n in options],
        "valid": valid,
        "null": row[col["null"]],
        "null_percent": rule.format(row[col["null"]], cast),
        "blank": row[col["blank"]],
        "blank_percent": rule.format(row[col["blank"]], cast),
        "ballots_cast": cast,
        "registered_counted": reg_counted,
        "registered_all": reg_all,
        "register_counted_percent": rule.format(reg_counted, reg_all),
        "turnout": {"whole_register": rule.format(cast, reg_all),
                    "counted_tables": rule.format(cast, reg_counted)},
        "abstention": {"whole_register": rule.format(reg_all - cast, reg_all),
                       "counted_tables": rule.format(reg_counted - cast, reg_counted),
                       "voters_whole_register": reg_all - cast,
                       "voters_counted_tables": reg_counted - cast},
        "tables": {"expected": int(ct.expected[node]), "received": row[col["received"]],
                   "counted": row[col["counted"]], "quarantined": row[col["quarantined"]],
                   "conflict": row[col["conflict"]]},
        "decided": decided(options, remaining_max, conflict_swing),
    }


def decided(options: list[tuple[str, int]], remaining_max: int, conflict_swing: int = 0) -> dict:
    """Whether the leader can no longer be overtaken.

    The leader is decided when its lead over the runner-up is strictly larger
    than every ballot still possible at tables not yet counted (plus what
    open conflicts at counted tables could still move); an exact tie of the
    two could still end in a tie, so it is not decided.
    """
    ranked = sorted(options, key=lambda item: -item[1])
    top = ranked[0][1] if ranked else 0
    second = ranked[1][1] if len(ranked) > 1 else 0
    leader = ranked[0][0] if ranked and top > second else None
    lead = top - second
    return {"decided": leader is not None and lead > remaining_max + conflict_swing, "leader": leader,
            "lead": lead, "remaining_max": remaining_max, "conflict_swing": conflict_swing}


def diff_bulletins(old: Bulletin, new: Bulletin, codes: set[str] | None = None) -> list[dict]:
    """Every figure that differs between two bulletins, per area and contest."""
    before = {a["code"]: a for a in old.body["areas"]}
    changes = []
    for area in new.body["areas"]:
        if codes is not None and area["code"] not in codes:
            continue
        previous = before.get(area["code"], {"results": {}})
        for contest, figures in area["results"].items():
            for path, a, b in _changed(previous["results"].get(contest, {}), figures):
                changes.append({"area": area["code"], "name": area["name"], "contest": contest,
                                "figure": path, "old": a, "new": b})
    return changes


def _flatten(value: object, prefix: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}.{key}" if prefix else key))
        return out
    if isinstance(value, list):
        out = {}
        for item in value:
            out.update(_flatten({k: v for k, v in item.items() if k != "code"}, f"{prefix}.{item['code']}"))
        return out
    return {prefix: value}


def _changed(old: dict, new: dict) -> list[tuple[str, object, object]]:
    a, b = _flatten(old), _flatten(new)
    return [(k, a.get(k), b.get(k)) for k in b if a.get(k) != b.get(k)]

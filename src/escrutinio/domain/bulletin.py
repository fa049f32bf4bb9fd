"""Bulletins: numbered, immutable, hash-chained snapshots of every area.

A bulletin is a small JSON *head* and, per contest, one matrix of counters:
a row of 64-bit integers for every area and centre (the nodes, numbered
breadth-first from the root), one column per counter. Every published
figure (valid votes, percentages, turnout, abstention, *decided*) is a
function of one row and the percent rule, computed by ``figures``.

The head names the SHA-256 of each matrix (little-endian, row by row) and
of the list of nodes; the bulletin's hash is the SHA-256 of the head's
canonical JSON, and the head names the hash of the bulletin before it, so
changing any published number breaks the chain from there on. Building
one is a copy of the tally's counters and one hash per contest: no
per-area work, whatever the size of the country.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np

from .bulletin_outcomes import Outcomes
from .canonical import canonical_json, sha256_hex
from .model import Election
from .percent import PercentRule
from .projection import bulletin_projections, projection_entry
from .tally import TAIL, ContestTally, Tally, breadth_first

FORMAT = "escrutinio-bulletin/5"
# Earlier formats still read: /2 has no rules, levels or outcomes (its pages show no verdict); /3 has no
# projections; /4 has no previous election (its projections use the register).
READABLE = ("escrutinio-bulletin/2", "escrutinio-bulletin/3", "escrutinio-bulletin/4", FORMAT)
WITH_OUTCOMES = ("escrutinio-bulletin/3", "escrutinio-bulletin/4", FORMAT)
# After a contest's options and the tally's TAIL counters, three per-node columns.
FIXED = ("expected", "registered_all", "remaining_max")
ENCODING = "int64 little-endian, one row per node in the order of the node list, columns as named"


def counter_columns(option_codes: tuple[str, ...] | list[str]) -> list[str]:
    return [*option_codes, *TAIL, *FIXED]


class Nodes:
    """Every area and centre of an election in bulletin order, with what the pages show of each."""

    def __init__(self, election: Election):
        self.codes = breadth_first(election)
        self.index = {code: i for i, code in enumerate(self.codes)}
        info = {a.code: (a.name, "area", election.levels[a.level], a.parent) for a in election.areas}
        info.update({c.code: (c.name, "centre", "centre", c.area) for c in election.centres})
        self.names, self.kinds, self.levels, self.parents = (list(column) for column in
                                                             zip(*(info[code] for code in self.codes)))

    def __len__(self) -> int:
        return len(self.codes)

    def listing(self) -> list[dict]:
        """The node list as published (its SHA-256 is in every bulletin's head)."""
        return [{"code": code, "name": name, "kind": kind, "level": level, "parent": parent}
                for code, name, kind, level, parent in zip(self.codes, self.names, self.kinds, self.levels,
                                                           self.parents)]

    @cached_property
    def canonical(self) -> bytes:
        """The listing's canonical JSON, as published (made once: tens of MB for a national election)."""
        return canonical_json(self.listing())

    @cached_property
    def digest(self) -> str:
        return sha256_hex(self.canonical)

    @cached_property
    def parent_index(self) -> list[int]:
        return [self.index[p] if p is not None else -1 for p in self.parents]

    @cached_property
    def _children(self) -> dict[str, list[int]]:
        kids: dict[str, list[int]] = {}
        for node, parent in enumerate(self.parents):
            if parent is not None:
                kids.setdefault(parent, []).append(node)
        return kids

    def children(self, code: str) -> list[int]:
        return self._children.get(code, [])

    def at_level(self, level: str) -> list[int]:
        return [i for i, name in enumerate(self.levels) if name == level]


ENTRIES_KEPT = 4096  # nodes of a bulletin whose entries are kept in memory


@dataclass(frozen=True, eq=False)
class Bulletin:
    number: int
    body: dict  # the head
    hash: str
    counters: dict[str, np.ndarray] = field(repr=False)
    nodes: Nodes = field(repr=False)
    # The previous election's figures per node the head names (``previous``), or None: the projection's input.
    previous: np.ndarray | None = field(default=None, repr=False)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Bulletin) and (self.number, self.hash, self.body) == (other.number, other.hash,
                                                                                           other.body)
                and self.counters.keys() == other.counters.keys()
                and all(np.array_equal(m, other.counters[c]) for c, m in self.counters.items())
                and (self.previous is None) == (other.previous is None)
                and (self.previous is None or np.array_equal(self.previous, other.previous)))

    def previous_bytes(self) -> bytes | None:
        """The previous election's matrix as published (its SHA-256 is the head's ``previous.sha256``)."""
        return None if self.previous is None else self.previous.astype("<i8", copy=False).tobytes()

    @property
    def previous_hash(self) -> str | None:
        return self.body["previous_hash"]

    @property
    def cut_off(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.body["cut_off"])

    @cached_property
    def rule(self) -> PercentRule:
        return PercentRule(self.body["percent_rule"]["method"], self.body["percent_rule"]["decimals"])

    @cached_property
    def outcomes(self) -> Outcomes | None:
        return Outcomes(self.body, self.counters, self.nodes) if self.body.get("format") in WITH_OUTCOMES else None

    def counter_bytes(self, contest: str) -> bytes:
        return self.counters[contest].astype("<i8", copy=False).tobytes()

    @cached_property
    def _entries(self) -> dict[int, dict]:
        return {}

    def entry(self, node: int) -> dict:
        """One node as the API and the pages show it: who it is, and every figure of each contest.

        A bulletin never changes, so the last ``ENTRIES_KEPT`` nodes asked for are kept (the projection's
        figures cost milliseconds a node); each caller gets its own entry and its own dict of each contest's
        figures (the lists and dicts inside those are shared: read them, do not change them)."""
        kept = self._entries.get(node)
        if kept is None:
            if len(self._entries) >= ENTRIES_KEPT:
                self._entries.clear()
            kept = self._entries[node] = self._entry(node)
        return {**kept, "results": {code: dict(figures) for code, figures in kept["results"].items()}}

    def _entry(self, node: int) -> dict:
        nodes = self.nodes
        results = {}
        for contest in self.body["contests"]:
            row = self.counters[contest["code"]][node].tolist()
            if row[-len(FIXED)]:  # tables expected beneath this node
                results[contest["code"]] = figures([o["code"] for o in contest["options"]], row, self.rule)
                if self.outcomes is not None:
                    results[contest["code"]]["outcome"] = self.outcomes.of(contest["code"], node)
                if "projections" in self.body:
                    results[contest["code"]]["projection"] = projection_entry(self, contest["code"], node)
        entry = {"code": nodes.codes[node], "name": nodes.names[node], "kind": nodes.kinds[node],
                 "level": nodes.levels[node], "parent": nodes.parents[node], "results": results}
        groups = self.outcomes.groups(node) if self.outcomes is not None else {}
        if groups:
            entry["groups"] = groups
        return entry

    def area(self, code: str) -> dict | None:
        node = self.nodes.index.get(code)
        return None if node is None else self.entry(node)

    @property
    def root(self) -> dict:
        return self.entry(0)

    def children(self, code: str) -> list[dict]:
        return [self.entry(node) for node in self.nodes.children(code)]

    def at_level(self, level: str) -> Iterator[dict]:
        """Every node of one level (or every centre), one at a time: a million entries do not fit in memory."""
        return (self.entry(node) for node in self.nodes.at_level(level))

    def entries(self) -> Iterator[dict]:
        return (self.entry(node) for node in range(len(self.nodes)))


def bulletin_hash(head: dict) -> str:
    return sha256_hex(canonical_json(head))


def build_bulletin(election: Election, tally: Tally, number: int, cut_off: dt.datetime,
                   previous_hash: str | None, log: dict | None = None, nodes: Nodes | None = None,
                   entered: dict[str, int] | None = None, previous: tuple[dict, np.ndarray] | None = None
                   ) -> Bulletin:
    """Snapshot every area and centre of ``tally`` as bulletin ``number``.

    ``entered``: how many tables have a counted acta keyed in by hand ("manual") or from a board's recount
    ("recount"); published as the head's ``manual`` key (bulletins before it have none: read as zero).
    ``previous``: a previous election as the projection uses it -- (``{"name", "date", "columns", "mapping"}``,
    its figures per node in the columns named, one row per node): published with the bulletin, the head
    naming its SHA-256 (``previous``), so the bulletin's hash covers what the projection was given."""
    if cut_off.tzinfo is None:
        raise ValueError("cut_off must be an aware datetime")
    nodes = nodes or Nodes(election)
    if nodes.codes != tally.geography.codes:
        raise ValueError("the node list does not follow the tally's geography")
    rule = election.percent_rule
    local = cut_off.astimezone(ZoneInfo(election.time_zone))
    counters = {code: snapshot(ct) for code, ct in tally.contests.items()}
    head = {
        "format": FORMAT,
        "number": number,
        "previous_hash": previous_hash,
        "cut_off": cut_off.astimezone(dt.timezone.utc).isoformat(),
        "cut_off_local": local.isoformat(),
        "election": {"name": election.name, "date": election.date.isoformat(),
                     "time_zone": election.time_zone, "locale": election.locale,
                     **({"id": election.id} if election.id else {})},
        "percent_rule": {"method": rule.method, "decimals": rule.decimals, "text": rule.describe()},
        "abstention_basis": election.abstention_basis,
        "contests": [{"code": c.code, "name": c.name, "blank": c.blank,
                      "options": [{"code": o.code, "name": o.name, **o.extras()} for o in c.options],
                      "rule": c.rule.as_dict()}
                     for c in election.contests],
        "levels": list(election.levels),
        "weights": {a.code: a.weight for a in election.areas if a.weight is not None},
        "nodes": {"count": len(nodes), "sha256": nodes.digest},
        "counters": {"encoding": ENCODING,
                     "columns": {code: counter_columns(ct.contest.option_codes)
                                 for code, ct in tally.contests.items()},
                     "sha256": {code: hashlib.sha256(matrix.astype("<i8", copy=False)).hexdigest()
                                for code, matrix in counters.items()}},
    }
    if election.drill:
        head["drill"] = True  # a rehearsal night's bulletin says so in the bytes its hash covers
    head["outcomes"], head["groups"] = Outcomes(head, counters, nodes).root()
    if entered is not None:
        head["manual"] = {"tables": int(entered.get("manual", 0)), "recounted_tables": int(entered.get("recount", 0))}
    earlier = None
    if previous is not None:
        about, earlier = previous
        earlier = np.ascontiguousarray(earlier, dtype=np.int64)
        if earlier.shape != (len(nodes), len(about["columns"])):
            raise ValueError("the previous election's matrix does not have one row per node and its columns")
        head["previous"] = {**about, "encoding": ENCODING,
                            "sha256": hashlib.sha256(earlier.astype("<i8", copy=False)).hexdigest()}
    head["projections"] = bulletin_projections(head, counters, nodes.parent_index, nodes.kinds, nodes.codes,
                                               nodes.levels, earlier)
    if log is not None:
        # The public log as it stood at the cut-off: its size, root and the authority's signature.
        head["log"] = log
    return Bulletin(number, head, bulletin_hash(head), counters, nodes, earlier)


def snapshot(ct: ContestTally) -> np.ndarray:
    """The contest's counters at every node, with the FIXED columns after them."""
    width = ct.node_rows.shape[1]
    out = np.empty((ct.node_rows.shape[0], width + len(FIXED)), dtype=np.int64)
    out[:, :width] = ct.node_rows
    out[:, width] = ct.expected
    out[:, width + 1] = ct.registered_all
    out[:, width + 2] = ct.remaining_capacity()
    return out


def figures(option_codes: list[str], row: list[int], rule: PercentRule) -> dict:
    """Every published figure of one contest at one node, from its row of counters."""
    col = {name: i for i, name in enumerate(counter_columns(option_codes))}
    options = [(code, row[i]) for i, code in enumerate(option_codes)]
    valid = sum(n for _, n in options)
    cast = row[col["ballots_cast"]]
    reg_counted = row[col["registered_counted"]]
    reg_all = row[col["registered_all"]]
    null, blank = row[col["null"]], row[col["blank"]]
    return {
        "options": [{"code": code, "votes": n, "percent": rule.format(n, valid)} for code, n in options],
        "valid": valid,
        "null": null,
        "null_percent": rule.format(null, cast),
        "blank": blank,
        "blank_percent": rule.format(blank, cast),
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
        "tables": {"expected": row[col["expected"]], "received": row[col["received"]],
                   "counted": row[col["counted"]], "quarantined": row[col["quarantined"]],
                   "conflict": row[col["conflict"]]},
        "decided": decided(options, row[col["remaining_max"]], 2 * row[col["capacity_in_conflict"]]),
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
    moved: set[int] = set()
    for code, after in new.counters.items():
        before = old.counters.get(code)
        if before is None or before.shape != after.shape:
            moved.update(range(len(after)))
        else:
            moved.update(np.flatnonzero((before != after).any(axis=1)).tolist())
    changes = []
    for node in sorted(moved):
        code = new.nodes.codes[node]
        if codes is not None and code not in codes:
            continue
        was = old.entry(node)["results"] if node < len(old.nodes) else {}
        for contest, now in new.entry(node)["results"].items():
            for path, a, b in _changed(was.get(contest, {}), now):
                changes.append({"area": code, "name": new.nodes.names[node], "contest": contest,
                                "figure": path, "old": a, "new": b})
    return changes


def _flatten(value: object, prefix: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}.{key}" if prefix else key))
        return out
    if isinstance(value, list) and all(isinstance(item, dict) and "code" in item for item in value):
        out = {}
        for item in value:
            out.update(_flatten({k: v for k, v in item.items() if k != "code"}, f"{prefix}.{item['code']}"))
        return out
    return {prefix: value}


def _changed(old: dict, new: dict) -> list[tuple[str, object, object]]:
    a, b = _flatten(old), _flatten(new)
    return [(k, a.get(k), b.get(k)) for k in b if a.get(k) != b.get(k)]

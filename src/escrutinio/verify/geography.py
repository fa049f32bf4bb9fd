"""The published geography, prepared for adding up: nodes, their parents, tables and contests."""

from __future__ import annotations

from .common import canonical
from .report import Report

METHODS = ("truncate", "half_up")


class Tree:
    """Areas and centres (nodes), tables under centres, contests with their options in ballot order."""

    def signed(self, version_1: bytes, version_2: bytes, fields: dict) -> bytes:
        """The bytes a signature is over: the election's identifier, name and date with ``fields``, after the
        version 2 context; the version 1 context and no identifier for an election made before identifiers."""
        if self.election_id is None:
            return version_1 + canonical({"election": self.name, "date": self.date, **fields})
        return version_2 + canonical({"election_id": self.election_id, "election": self.name, "date": self.date,
                                      **fields})

    def __init__(self, geography: dict, report: Report):
        e = geography["election"]
        self.name: str = e["name"]
        self.date: str = e["date"]
        self.election_id: str | None = e.get("id")
        self.drill: bool = e.get("drill") is True
        self.time_zone: str = e.get("time_zone")
        self.method: str = e["percent_rule"]["method"]
        self.decimals: int = e["percent_rule"]["decimals"]
        self.abstention_basis = e.get("abstention_basis")
        self.extra: int = e.get("extra_voters_allowed") or 0
        self.require_signatures: bool = bool(e.get("require_signatures"))
        self.contests: dict[str, dict] = {c["code"]: c for c in geography["contests"]}
        self.options: dict[str, list[str]] = {c["code"]: [o["code"] for o in c["options"]]
                                              for c in geography["contests"]}
        self.contest_list = geography["contests"]
        self.distinct_options = {code: len(set(codes)) == len(codes) for code, codes in self.options.items()}
        self.levels: list[str] = list(e.get("levels") or [])
        self.weights: dict[str, int] = {a["code"]: a["weight"] for a in geography["areas"] if "weight" in a}
        # node code -> (name, kind, level, parent code or None)
        self.nodes: dict[str, tuple[str, str, str, str | None]] = {}
        for a in geography["areas"]:
            self._add_node(report, a["code"], (a["name"], "area", a["level"], a["parent"]))
        for c in geography["centres"]:
            self._add_node(report, c["code"], (c["name"], "centre", "centre", c["area"]))
        # table code -> (centre, registered, contests on its ballot)
        self.tables: dict[str, tuple[str, int, tuple[str, ...]]] = {}
        for t in geography["tables"]:
            if t["code"] in self.tables:
                report.add("geography", f"table {t['code']} is listed twice")
            self.tables[t["code"]] = (t["centre"], t["registered"], tuple(t["contests"]))
        self.usable = self._check(report)
        self.rollup = self._rollup_order() if self.usable else []
        self.order = self._breadth_first(geography) if self.usable else []

    def _add_node(self, report: Report, code: str, node: tuple) -> None:
        if code in self.nodes:
            report.add("geography", f"area or centre {code} is listed twice")
        self.nodes[code] = node

    def _check(self, report: Report) -> bool:
        before = len(report.of("geography"))
        if self.method not in METHODS or not isinstance(self.decimals, int) or not 0 <= self.decimals <= 6:
            report.add("geography", f"percent rule {self.method!r} with {self.decimals!r} decimals is not one "
                                    "this verifier knows (truncate or half_up, 0 to 6 decimals)")
        if not isinstance(self.extra, int) or self.extra < 0:
            report.add("geography", f"extra_voters_allowed {self.extra!r} is not a whole number >= 0")
        for code, (_, kind, _, parent) in self.nodes.items():
            if parent is not None and (parent not in self.nodes or self.nodes[parent][1] != "area"):
                report.add("geography", f"{kind} {code}: its parent {parent} is not an area")
        roots = [code for code, node in self.nodes.items() if node[3] is None]
        if len(roots) != 1:
            report.add("geography", f"the tree has {len(roots)} roots ({', '.join(roots[:5])}), not one")
        for code, (centre, registered, contests) in self.tables.items():
            if centre not in self.nodes or self.nodes[centre][1] != "centre":
                report.add("geography", f"table {code}: its centre {centre} is not a published centre")
            if not isinstance(registered, int) or registered < 0:
                report.add("geography", f"table {code}: registered {registered!r} is not a whole number >= 0")
            for contest in contests:
                if contest not in self.contests:
                    report.add("geography", f"table {code}: contest {contest} on its ballot is not a contest")
        for code in self.nodes:
            if self._cycle(code):
                report.add("geography", f"area {code} is its own ancestor")
                break
        return len(report.of("geography")) == before

    def _cycle(self, code: str) -> bool:
        seen = set()
        while code is not None and code in self.nodes:
            if code in seen:
                return True
            seen.add(code)
            code = self.nodes[code][3]
        return False

    def depth(self, code: str) -> int:
        n = 0
        while self.nodes[code][3] is not None:
            code = self.nodes[code][3]
            n += 1
        return n

    def _rollup_order(self) -> list[tuple[str, str]]:
        """(node, parent) for every node below the root, deepest first: adding each node into its
        parent in this order adds every table into every ancestor exactly once."""
        depth = {code: self.depth(code) for code in self.nodes}
        below = [code for code in self.nodes if self.nodes[code][3] is not None]
        below.sort(key=lambda code: -depth[code])
        return [(code, self.nodes[code][3]) for code in below]

    def _breadth_first(self, geography: dict) -> list[str]:
        """The bulletins' node order: the root, then level by level, each node's child areas and then its
        child centres in the order the geography lists them."""
        kids: dict[str, list[str]] = {}
        for a in geography["areas"]:
            if a["parent"] is not None:
                kids.setdefault(a["parent"], []).append(a["code"])
        for c in geography["centres"]:
            kids.setdefault(c["area"], []).append(c["code"])
        order = [code for code, node in self.nodes.items() if node[3] is None]
        for code in order:
            order += kids.get(code, [])
        return order

    def listing(self) -> list[dict]:
        """The node list a bulletin's head names the SHA-256 of."""
        return [{"code": code, "name": self.nodes[code][0], "kind": self.nodes[code][1],
                 "level": self.nodes[code][2], "parent": self.nodes[code][3]} for code in self.order]

    def label(self, code: str) -> str:
        node = self.nodes.get(code)
        return f"{node[1]} {code} ({node[0]})" if node else f"area {code}"

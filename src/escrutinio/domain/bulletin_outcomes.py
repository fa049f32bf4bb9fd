"""Outcomes in a bulletin: each contest's verdict at the level its rule applies, summaries above it.

Everything here is a function of the bulletin's head (which publishes each
contest's rule, the levels and the cantons' weights) and its counter
matrices, so the bulletin's hash covers every outcome. The head also
carries the outcomes at the root (``outcomes``, ``groups``), which
``escrutinio verify`` recomputes with its own code.

Below the rule's level, pages show figures without a verdict of their own;
above it, a summary: how many areas each party (or option) has won, how
many go to a runoff, how many seats each has in all.
"""

from __future__ import annotations

from collections import Counter

from .model import Rule
from .outcome import Counts, outcome
from .swiss import double_majority, group_outcome, tie_breaker

# A contest's columns after its options (see tally.TAIL and bulletin.FIXED).
CAST, REGISTERED_COUNTED, COUNTED, RECEIVED, QUARANTINED, CONFLICT, CAPACITY_IN_CONFLICT = 2, 3, 4, 5, 6, 7, 8
REGISTERED_ALL, REMAINING_MAX = -2, -1


def rule_of(contest: dict) -> Rule:
    return Rule(**contest.get("rule", {}))


def counts_of(option_codes: list[str], row: list[int]) -> Counts:
    k = len(option_codes)
    return Counts(tuple(zip(option_codes, row[:k])), row[k + CAST], row[REGISTERED_ALL], row[REMAINING_MAX],
                  row[k + CAPACITY_IN_CONFLICT])


class Outcomes:
    """The outcomes of one bulletin, computed on demand and kept (a bulletin never changes)."""

    def __init__(self, head: dict, counters: dict, nodes):
        self.head, self.counters, self.nodes = head, counters, nodes
        self.levels: list[str] = head.get("levels", [])
        self.contests = {c["code"]: c for c in head["contests"]}
        self.rules = {code: rule_of(c) for code, c in self.contests.items()}
        self.weights: dict[str, int] = head.get("weights", {})
        self._kept: dict[tuple[str, int], dict | None] = {}
        self.members: dict[str, dict[str, str]] = {}  # Swiss group -> kind -> contest code
        for code, rule in self.rules.items():
            if rule.group:
                self.members.setdefault(rule.group, {})[rule.kind] = code

    def rank(self, node: int) -> int:
        """A node's level as a number: the root 0, centres below every level."""
        level = self.nodes.levels[node]
        return self.levels.index(level) if level in self.levels else len(self.levels)

    def rule_rank(self, rule: Rule) -> int:
        return self.levels.index(rule.level) if rule.level in self.levels else 0

    def of(self, code: str, node: int) -> dict | None:
        """The contest's outcome at ``node``: a verdict at its rule's level, a summary above, None below."""
        if self.rank(node) > self.rule_rank(self.rules[code]):
            return None  # not kept: a national export walks a million centres below every rule's level
        key = (code, node)
        if key not in self._kept:
            self._kept[key] = self._compute(code, node)
        return self._kept[key]

    def _compute(self, code: str, node: int) -> dict | None:
        rule, rank = self.rules[code], self.rank(node)
        if rank > self.rule_rank(rule):
            return None
        if rank < self.rule_rank(rule):
            return self._summary(code, rule, node)
        counts = self._counts(code, node)
        if rule.name == "tie_breaker":
            return tie_breaker(rule, counts, self._cantons(code, rule, node))
        if rule.double_majority:
            return double_majority(rule, counts, self._cantons(code, rule, node))
        return outcome(rule, counts)

    def _counts(self, code: str, node: int) -> Counts:
        return counts_of([o["code"] for o in self.contests[code]["options"]], self.counters[code][node].tolist())

    def _cantons(self, code: str, rule: Rule, node: int) -> list[tuple[str, int, Counts]]:
        level = rule.canton_level or (self.levels[1] if len(self.levels) > 1 else None)
        return [(self.nodes.codes[n], self.weights.get(self.nodes.codes[n], 1), self._counts(code, n))
                for n in self.below(node, level) if self.counters[code][n][-3]]  # tables expected there

    def below(self, node: int, level: str | None) -> list[int]:
        """The nodes of ``level`` beneath ``node`` (in bulletin order)."""
        out = []
        for n in self.nodes.at_level(level) if level else []:
            up = n
            while up is not None and up != node:
                parent = self.nodes.parents[up]
                up = self.nodes.index[parent] if parent is not None else None
            if up == node:
                out.append(n)
        return out

    def _summary(self, code: str, rule: Rule, node: int) -> dict:
        level = rule.level
        parties = {o["code"]: o.get("party") or o["code"] for o in self.contests[code]["options"]}
        won, seats, statuses = Counter(), Counter(), Counter()
        areas = [n for n in self.below(node, level) if self.counters[code][n][-3]]
        for n in areas:
            there = self.of(code, n)
            statuses[there["status"]] += 1
            statuses["decided_areas"] += int(there["decided"])
            for option in there["winners"]:
                won[parties[option]] += 1
            for option, n_seats in there.get("seats", {}).items():
                seats[parties[option]] += n_seats
        summary = {"areas": len(areas), "decided": statuses.pop("decided_areas", 0), "statuses": dict(statuses),
                   "winners": dict(won)}
        if seats:
            summary["seats"] = {k: v for k, v in seats.items() if v}
        return {"rule": rule.name, "level": level, "summary": summary}

    def groups(self, node: int) -> dict[str, dict]:
        """Each Swiss group whose questions have a verdict at ``node``: its double-yes outcome."""
        out = {}
        for group, kinds in self.members.items():
            parts = {kind: (code, self.of(code, node)) for kind, code in kinds.items()}
            if any(o is None or "summary" in o for _, o in parts.values()) or len(parts) < 2:
                continue
            out[group] = group_outcome(group, parts["initiative"], parts["counter_proposal"],
                                       parts.get("tie_breaker"))
        return out

    def root(self) -> tuple[dict, dict]:
        """The outcomes the head publishes: each contest's at the root, and each group's."""
        return {code: self.of(code, 0) for code in self.contests}, self.groups(0)

"""A prototype, for the benchmark only: every figure of every node at once, with numpy, as columns.

``domain.bulletin.area_figures`` builds one dict per node and contest in Python (about 20 µs
each); this computes the same numbers for all nodes in a few vector operations, keeping shares as
integers scaled by 10**decimals (what ``PercentRule.scaled`` returns; None where the whole is 0
becomes ``NONE``). ``columnar_hash`` digests the columns as raw bytes. run.py times both beside
build_bulletin and checks the numbers against ``area_figures`` on sampled nodes: it measures what a
vectorised, columnar bulletin could cost, not anything escrutinio does today.

Also ``LevelRollUp``: the roll-up done level by level (tables into centres, centres into
parishes, …) with ``np.add.reduceat`` over rows sorted by parent once, instead of every table
adding into each ancestor with ``np.add.at``.
"""

from __future__ import annotations

import hashlib

import numpy as np

NONE = np.iinfo(np.int64).min


def scaled(rule, part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """PercentRule.scaled over arrays."""
    factor = 10 ** (rule.decimals + 2)
    ok = whole > 0
    safe = np.where(ok, whole, 1)
    numerator = np.abs(part) * factor
    if rule.method == "truncate":
        size = numerator // safe
    else:
        size = (2 * numerator + safe) // (2 * safe)
    return np.where(ok, np.sign(part + (part == 0)) * size, NONE)


def columnar_figures(tally, rule) -> dict[str, dict[str, np.ndarray]]:
    """Per contest, per figure: one array over every node (the nodes of tally.geography, in order)."""
    out = {}
    for code, ct in tally.contests.items():
        rows, col = ct.node_rows, ct.col
        k = len(ct.contest.option_codes)
        votes = rows[:, :k]
        valid = votes.sum(axis=1)
        cast, null, blank = rows[:, col["ballots_cast"]], rows[:, col["null"]], rows[:, col["blank"]]
        reg_counted, reg_all = rows[:, col["registered_counted"]], ct.registered_all
        ordered = np.sort(votes, axis=1)
        top = ordered[:, -1]
        second = ordered[:, -2] if k > 1 else np.zeros_like(top)
        lead = top - second
        remaining, swing = ct.remaining_capacity(), ct.conflict_swing()
        figures = {f"votes_{o}": votes[:, i] for i, o in enumerate(ct.contest.option_codes)}
        figures.update({f"percent_{o}": scaled(rule, votes[:, i], valid)
                        for i, o in enumerate(ct.contest.option_codes)})
        figures.update(
            valid=valid, null=null, null_percent=scaled(rule, null, cast), blank=blank,
            blank_percent=scaled(rule, blank, cast), ballots_cast=cast, registered_counted=reg_counted,
            registered_all=reg_all, register_counted_percent=scaled(rule, reg_counted, reg_all),
            turnout_whole_register=scaled(rule, cast, reg_all), turnout_counted_tables=scaled(rule, cast, reg_counted),
            abstention_whole_register=scaled(rule, reg_all - cast, reg_all),
            abstention_counted_tables=scaled(rule, reg_counted - cast, reg_counted),
            voters_whole_register=reg_all - cast, voters_counted_tables=reg_counted - cast,
            tables_expected=ct.expected, tables_received=rows[:, col["received"]],
            tables_counted=rows[:, col["counted"]], tables_quarantined=rows[:, col["quarantined"]],
            tables_conflict=rows[:, col["conflict"]],
            leader=np.where(top > second, np.argmax(votes, axis=1), -1), lead=lead, remaining_max=remaining,
            conflict_swing=swing, decided=(top > second) & (lead > remaining + swing))
        out[code] = figures
    return out


def columnar_hash(figures: dict[str, dict[str, np.ndarray]]) -> str:
    digest = hashlib.sha256()
    for code in sorted(figures):
        for name in sorted(figures[code]):
            digest.update(f"{code}.{name}\n".encode())
            digest.update(np.ascontiguousarray(figures[code][name], dtype=np.int64).tobytes())
    return digest.hexdigest()


def agrees(figures, tally, rule, nodes) -> bool:
    """The columns equal domain.bulletin.area_figures at the given nodes."""
    from escrutinio.domain.bulletin import area_figures

    def text(value: int) -> str | None:
        if value == NONE:
            return None
        sign = "-" if value < 0 else ""
        units, fraction = divmod(abs(int(value)), 10 ** rule.decimals)
        return f"{sign}{units}.{fraction:0{rule.decimals}d}" if rule.decimals else f"{sign}{units}"

    remaining = {c: ct.remaining_capacity() for c, ct in tally.contests.items()}
    swing = {c: ct.conflict_swing() for c, ct in tally.contests.items()}
    for node in nodes:
        for code, ct in tally.contests.items():
            want = area_figures(ct, node, rule, int(remaining[code][node]), int(swing[code][node]))
            f = {name: arr[node] for name, arr in figures[code].items()}
            got_options = [{"code": o, "votes": int(f[f"votes_{o}"]), "percent": text(f[f"percent_{o}"])}
                           for o in ct.contest.option_codes]
            leader = ct.contest.option_codes[f["leader"]] if f["leader"] >= 0 else None
            checks = [
                got_options == want["options"], f["valid"] == want["valid"], f["null"] == want["null"],
                text(f["null_percent"]) == want["null_percent"], text(f["blank_percent"]) == want["blank_percent"],
                f["ballots_cast"] == want["ballots_cast"], f["registered_all"] == want["registered_all"],
                text(f["register_counted_percent"]) == want["register_counted_percent"],
                text(f["turnout_whole_register"]) == want["turnout"]["whole_register"],
                text(f["turnout_counted_tables"]) == want["turnout"]["counted_tables"],
                text(f["abstention_whole_register"]) == want["abstention"]["whole_register"],
                text(f["abstention_counted_tables"]) == want["abstention"]["counted_tables"],
                f["tables_counted"] == want["tables"]["counted"], f["tables_expected"] == want["tables"]["expected"],
                leader == want["decided"]["leader"], f["lead"] == want["decided"]["lead"],
                bool(f["decided"]) == want["decided"]["decided"],
                f["remaining_max"] == want["decided"]["remaining_max"],
            ]
            if not all(checks):
                return False
    return True


class LevelRollUp:
    """Sum table rows into every node, one level at a time (compiled once per geography)."""

    def __init__(self, geography):
        self.size = geography.size
        parent = geography.parent
        depth = np.zeros(self.size, dtype=np.int64)
        for node in range(self.size):  # parents come before children in Geography's node order
            if parent[node] >= 0:
                depth[node] = depth[parent[node]] + 1
        centre_of_table = geography.ancestor_matrix[0]
        self.table_order = np.argsort(centre_of_table, kind="stable")
        self.table_sorted = bool((self.table_order == np.arange(len(self.table_order))).all())
        self.table_groups, self.table_starts = np.unique(centre_of_table[self.table_order], return_index=True)
        # Nodes grouped by depth, deepest first; each level's rows summed into its parents.
        self.levels = []
        for d in range(int(depth.max()), 0, -1):
            nodes = np.flatnonzero(depth == d)
            order = nodes[np.argsort(parent[nodes], kind="stable")]
            groups, starts = np.unique(parent[order], return_index=True)
            self.levels.append((order, groups, starts))

    def __call__(self, table_rows: np.ndarray) -> np.ndarray:
        totals = np.zeros((self.size,) + table_rows.shape[1:], dtype=np.int64)
        rows = table_rows if self.table_sorted else table_rows[self.table_order]
        totals[self.table_groups] = np.add.reduceat(rows, self.table_starts, axis=0)
        for order, groups, starts in self.levels:
            totals[groups] += np.add.reduceat(totals[order], starts, axis=0)
        return totals

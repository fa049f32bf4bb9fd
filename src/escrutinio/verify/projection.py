"""The projection a bulletin publishes, recomputed from our own counters with code of our own.

The method is specified in docs/verdicts.md ("How the projection is computed"): a ratio on the register
(or, when the bulletin publishes a previous election's figures, on the earlier votes of each option's
mapped earlier option, per centre, shared between its counted and uncounted parts by tonight's register;
a centre the earlier election does not cover takes its register times the country's earlier votes per
earlier registered voter) per stratum (the deepest areas), areas with fewer than ``min_donors`` centres counted borrowing the
ratio of the nearest ancestor with enough and, in the bootstrap, the ratio of a sibling picked at
random; Poisson(1) weights and picks from SplitMix64 seeded with the SHA-256 of the contest's counters;
every step in integers but one elementwise float product. Same inputs, same bits: the published
projection must equal ours exactly.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction

import numpy as np

M64 = (1 << 64) - 1
THRESHOLDS = (1580030168, 3160060337, 3950075421, 4213413783, 4279248373, 4292415291, 4294609777,
              4294923276)  # floor(2**32 * P(Poisson(1) <= k))
KNOWN_METHOD = "stratified-ratio/poisson-bootstrap"
# What a bulletin that publishes no projection (too little counted) would have used, per format.
DEFAULTS_4 = {"replicates": 200, "min_donors": 5, "widen": "2/1", "arrival_allowance_points": "8",
              "floor_tables": 100, "size": "register"}
DEFAULTS = {"replicates": 200, "min_donors": 5, "widen": "2/1", "arrival_allowance_points": "6",
            "arrival_allowance_previous_points": "2", "floor_tables": 100, "size": "register"}
EARLIER_HEAD = ("registered", "ballots_cast", "null")


def _splitmix(seed: int, count: int) -> np.ndarray:
    state = (np.arange(1, count + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) + np.uint64(seed & M64)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _seeds(contest: str, matrix: np.ndarray) -> tuple[int, int]:
    counters = hashlib.sha256(matrix.astype("<i8", copy=False).tobytes()).hexdigest()
    digest = hashlib.sha256(("escrutinio-projection\0" + contest + "\0" + counters).encode()).digest()
    return int.from_bytes(digest[0:8], "big"), int.from_bytes(digest[8:16], "big")


class Projector:
    """Projections of one bulletin: ``matrix(contest)`` is our counter matrix in the bulletins' order."""

    def __init__(self, tree, settings: dict):
        self.tree = tree
        order = tree.order
        self.index = {code: i for i, code in enumerate(order)}
        self.parent = [self.index[tree.nodes[c][3]] if tree.nodes[c][3] is not None else -1 for c in order]
        self.depth = [0] * len(order)
        for i, p in enumerate(self.parent):
            if p >= 0:
                self.depth[i] = self.depth[p] + 1
        kinds = [tree.nodes[c][1] for c in order]
        self.kinds = kinds
        self.bottom = max(self.depth[i] for i in range(len(order)) if kinds[i] == "area")
        self.units = [i for i in range(len(order)) if kinds[i] == "centre"]
        # Each unit's ancestors from the root down to the strata's depth (its own area repeated below it).
        self.lines = []
        for u in self.units:
            line, up = [], self.parent[u]
            while up >= 0:
                line.insert(0, up)
                up = self.parent[up]
            self.lines.append((line + [line[-1]] * (self.bottom + 1 - len(line)))[:self.bottom + 1])
        self.B = int(settings["replicates"])
        self.min_donors = int(settings["min_donors"])
        num, den = str(settings["widen"]).split("/")
        self.widen = (int(num), int(den))
        self.floor = int(settings["floor_tables"])
        self.allowance = int(Fraction(str(settings["arrival_allowance_points"])) * 10**6)
        self.allowance_previous = int(Fraction(str(settings.get("arrival_allowance_previous_points",
                                                                settings["arrival_allowance_points"]))) * 10**6)
        self.settings = dict(settings)

    def _sizes(self, code: str, reg_c: np.ndarray, reg_all: np.ndarray, earlier) -> tuple | None:
        """Per unit and option, the size of its counted and its uncounted part and whether the earlier
        election covers it; None when the register is the size (no earlier figures, no option mapped, no
        centre covered). ``earlier``: (matrix, columns, mapping) as the bulletin publishes them."""
        if earlier is None:
            return None
        table, columns, mapping = earlier
        where = {name: i for i, name in enumerate(columns)}
        options = self.tree.options[code]
        mapped = [mapping.get(o) if mapping.get(o) in where and mapping.get(o) not in EARLIER_HEAD else None
                  for o in options]
        if all(m is None for m in mapped):
            return None
        rows = table[np.array(self.units, dtype=np.int64)]
        prev_reg = rows[:, where["registered"]]
        covered = prev_reg > 0
        if not covered.any():
            return None
        D = int(prev_reg[covered].sum())
        k = len(options)
        size_c = np.tile(reg_c[:, None], (1, k)).astype(np.int64)
        size_u = np.tile((reg_all - reg_c)[:, None], (1, k)).astype(np.int64)
        for j, m in enumerate(mapped):
            if m is None:
                continue
            e = rows[:, where[m]].astype(np.int64)
            N = int(e[covered].sum())
            for u in range(len(e)):
                if covered[u]:
                    size_c[u, j] = int(e[u]) * int(reg_c[u]) // max(int(reg_all[u]), 1)
                    size_u[u, j] = int(e[u]) * int(reg_all[u] - reg_c[u]) // max(int(reg_all[u]), 1)
                else:
                    size_c[u, j] = int(reg_c[u]) * N // D
                    size_u[u, j] = int(reg_all[u] - reg_c[u]) * N // D
        return size_c, size_u, covered

    def contest(self, code: str, matrix: np.ndarray, rule: dict, level: float, earlier=None) -> dict | None:
        """One contest's projection as a bulletin publishes it; ``earlier``: the previous election's
        (matrix, columns, mapping) when the bulletin publishes one."""
        tree = self.tree
        k = len(tree.options[code])
        B = self.B
        units = np.array(self.units, dtype=np.int64)
        rows = matrix[units]
        votes, reg_c, counted, reg_all = rows[:, :k], rows[:, k + 3], rows[:, k + 4], rows[:, -2]
        donor = (counted > 0) & (reg_c > 0)
        sized = self._sizes(code, reg_c, reg_all, earlier)
        if sized is None:
            size_c = np.tile(reg_c[:, None], (1, k))
            size_u = np.tile((reg_all - reg_c)[:, None], (1, k))
            covered = np.zeros(len(units), dtype=bool)
        else:
            size_c, size_u, covered = sized
        lines = np.array(self.lines, dtype=np.int64).T if self.lines else np.zeros((self.bottom + 1, 0), np.int64)
        strata = sorted(set(lines[-1].tolist()))
        s_of = {node: i for i, node in enumerate(strata)}
        S = len(strata)
        unit_s = np.array([s_of[n] for n in lines[-1].tolist()], dtype=np.int64)
        dv = np.where(donor[:, None], votes, 0)
        dx = np.where(donor[:, None], size_c, 0)
        V = np.zeros((S, k), np.int64)
        np.add.at(V, unit_s, dv)
        X = np.zeros((S, k), np.int64)
        np.add.at(X, unit_s, dx)
        U = np.zeros((S, k), np.int64)
        np.add.at(U, unit_s, size_u)
        # The uncounted register of covered and of other units per stratum (for the allowance's blend).
        left = (reg_all - reg_c).astype(np.int64)
        left_covered = np.zeros(S, np.int64)
        np.add.at(left_covered, unit_s, np.where(covered, left, 0))
        left_other = np.zeros(S, np.int64)
        np.add.at(left_other, unit_s, np.where(covered, 0, left))
        n = np.zeros(S, np.int64)
        np.add.at(n, unit_s, donor.astype(np.int64))
        # Each stratum's ancestors by depth (its first unit's line).
        line_of = {}
        for i, node in enumerate(lines[-1].tolist()):
            line_of.setdefault(node, lines[:, i].tolist())
        # Sums under every node of every depth (by node index): counted votes, register, centres counted.
        under_v, under_x, under_n = {}, {}, {}
        strata_under: dict[int, list[int]] = {}  # node -> the strata beneath it, in stratum order
        for i, node in enumerate(strata):
            for a in set(line_of[node]):
                strata_under.setdefault(a, []).append(i)
                under_v[a] = under_v.get(a, 0) + V[i]
                under_x[a] = under_x.get(a, 0) + X[i]
                under_n[a] = under_n.get(a, 0) + int(n[i])
        # Replicate weights of counted units (in unit order) and their sums per stratum.
        which = np.flatnonzero(donor)
        draws = (_splitmix(_seeds(code, matrix)[0], B * len(which)) >> np.uint64(32)).reshape(B, len(which))
        weight = sum((draws >= np.uint64(t)).astype(np.int64) for t in THRESHOLDS)
        Vb = np.zeros((B, S, k), np.int64)
        Xb = np.zeros((B, S, k), np.int64)
        for b in range(B):
            np.add.at(Vb[b], unit_s[which], weight[b][:, None] * votes[which])
            np.add.at(Xb[b], unit_s[which], weight[b][:, None] * size_c[which])
        pred = np.zeros((S, k), np.int64)
        pred_b = np.zeros((B, S, k), np.int64)
        gap_of: dict[int, tuple[int, int]] = {}  # stratum -> (gap node, ancestor node)
        for i, node in enumerate(strata):
            if not U[i].any():
                continue
            if n[i] >= self.min_donors:
                pred[i] = U[i] * V[i] // np.maximum(X[i], 1)
                boot = np.where(Xb[:, i] > 0, U[i] * Vb[:, i] // np.maximum(Xb[:, i], 1), pred[i])
                factor = np.sqrt(1.0 + X[i].astype(np.float64) / np.maximum(U[i], 1).astype(np.float64))
                pred_b[:, i] = pred[i] + np.floor((boot - pred[i]) * factor).astype(np.int64)
                continue
            line = line_of[node]
            for d in range(self.bottom - 1, -1, -1):
                if under_n.get(line[d], 0) >= self.min_donors:
                    gap_of[i] = (line[d + 1], line[d])
                    break
            else:
                return None
        # Depth of a gap: its first place in the lines (an area above the strata may repeat).
        cells = sorted({(self._depth_in_line(line_of[strata[i]], g), g) for i, (g, _) in gap_of.items()})
        picks = _splitmix(_seeds(code, matrix)[1], B * max(len(cells), 1)).reshape(B, max(len(cells), 1))
        for c, (d, g) in enumerate(cells):
            members = [i for i, (gg, _) in gap_of.items() if gg == g]
            ancestor = gap_of[members[0]][1]
            for i in members:
                pred[i] = U[i] * under_v[ancestor] // np.maximum(under_x[ancestor], 1)
            siblings = sorted({line_of[node][d] for node in strata
                               if line_of[node][d - 1] == ancestor and under_n.get(line_of[node][d], 0) >= self.min_donors})
            if siblings:
                sib_strata = {s: [j for j, node in enumerate(strata) if line_of[node][d] == s] for s in siblings}
                for b in range(B):
                    s = siblings[int(picks[b, c] % np.uint64(len(siblings)))]
                    rv, rx = Vb[b, sib_strata[s]].sum(axis=0), Xb[b, sib_strata[s]].sum(axis=0)
                    rv, rx = np.where(rx > 0, rv, under_v[s]), np.where(rx > 0, rx, under_x[s])
                    for i in members:
                        pred_b[b, i] = U[i] * rv // np.maximum(rx, 1)
            else:
                inside = [j for j, node in enumerate(strata) if line_of[node][d - 1] == ancestor]
                for b in range(B):
                    rv, rx = Vb[b, inside].sum(axis=0), Xb[b, inside].sum(axis=0)
                    rv, rx = np.where(rx > 0, rv, under_v[ancestor]), np.where(rx > 0, rx, under_x[ancestor])
                    for i in members:
                        pred_b[b, i] = U[i] * rv // np.maximum(rx, 1)
        # Totals per area: counted votes beneath it plus the predictions of its strata.
        out = {}
        for a in sorted(under_v, key=lambda a: (self.depth[a], a)):
            if a != 0 and int(matrix[a][-3]) < self.floor:
                continue
            mine = strata_under[a]
            total = np.asarray(under_v[a]) + pred[mine].sum(axis=0)
            totals_b = under_v[a][None] + pred_b[:, mine].sum(axis=1)
            if total.sum() <= 0:
                continue
            at_rule = (tree.nodes[tree.order[a]][2] == rule.get("level")) if rule.get("level") else a == 0
            allowance = self.allowance
            if sized is not None:
                mc, mo = int(left_covered[mine].sum()), int(left_other[mine].sum())
                if mc + mo > 0:
                    allowance = -(-(self.allowance_previous * mc + self.allowance * mo) // (mc + mo))
            out[tree.order[a]] = self._area(code, total, totals_b, np.asarray(under_v[a]), rule if at_rule else None,
                                            level, allowance)
        kinds = {"own": 0, "gap": len(gap_of), "complete": int((~U.any(axis=1)).sum())}
        kinds["own"] = S - kinds["gap"] - kinds["complete"]
        return {"method": KNOWN_METHOD, "level": level,
                "settings": {**self.settings, "size": "register" if sized is None else "previous"},
                "strata_level": tree.nodes[tree.order[strata[0]]][2], "strata": kinds,
                "gaps": dict(sorted({tree.order[g]: tree.order[a] for g, a in gap_of.values()}.items())),
                "areas": out}

    def _depth_in_line(self, line: list[int], g: int) -> int:
        return line.index(g)

    def _area(self, code: str, total: np.ndarray, totals_b: np.ndarray, counted: np.ndarray, rule: dict | None,
              level: float, allowance: int) -> dict:
        options = self.tree.options[code]
        k = len(options)
        whole, whole_b = int(total.sum()), totals_b.sum(axis=1)
        share = [int(v) * 10**8 // whole for v in total.tolist()]
        share_b = totals_b * 10**8 // np.maximum(whole_b, 1)[:, None]
        pct = round(float(level) * 100)
        tail = self.B * (100 - pct) // 200

        def reach(point: int, reps: np.ndarray) -> int:
            dev = np.sort(reps - point)
            r = max(-int(dev[tail]), int(dev[self.B - 1 - tail]), 0)
            return -(-self.widen[0] * r // self.widen[1])

        predicted = int(total.sum()) - int(counted.sum())
        extra = -(-allowance * predicted // whole)
        w = [reach(share[j], share_b[:, j]) + extra for j in range(k)]
        text = self.tree.method, self.tree.decimals
        result = {"options": {}, "margin": None, "call": None}
        for j, o in enumerate(options):
            est = self.percent(int(total[j]), whole)
            result["options"][o] = {"estimate": est,
                                    "low": est if w[j] == 0 else _micro(share[j] - w[j], text[1], False),
                                    "high": est if w[j] == 0 else _micro(share[j] + w[j], text[1], True)}
        rank = sorted(range(k), key=lambda j: (-int(total[j]), j))
        mw = {(i, j): reach(share[i] - share[j], share_b[:, i] - share_b[:, j]) + 2 * extra for i in range(k)
              for j in range(k) if i != j}
        if k > 1:
            a, b = rank[0], rank[1]
            m, wm = share[a] - share[b], mw[(a, b)]
            est = self.percent(int(total[a] - total[b]), whole)
            result["margin"] = {"leader": options[a], "runner_up": options[b], "estimate": est,
                                "low": est if wm == 0 else _signed(m - wm, text[1], False),
                                "high": est if wm == 0 else _signed(m + wm, text[1], True)}
        leader = int(np.argmax(total))
        holds = all(share[leader] - share[j] - mw[(leader, j)] > 0 for j in range(k) if j != leader)
        call = leader if holds else None
        if rule is not None:
            call = self._rule_call(rule, share, w, mw, leader, holds, k)
        result["call"] = None if call is None else options[call]
        return result

    def _rule_call(self, rule, share, w, mw, leader, holds, k) -> int | None:
        name = rule.get("name", "plurality")
        if name == "plurality":
            return leader if holds else None
        if name == "referendum":
            if rule.get("quorum_percent") is not None or rule.get("approval_quorum_percent") is not None:
                return None
            bar = Fraction(rule.get("approval_percent", "50")) * 10**6
            if share[0] - w[0] > bar:
                return 0
            if share[0] + w[0] + 1 <= bar and k > 1:
                return 1
            return None
        if name in ("majority", "threshold"):
            if not holds:
                return None
            others = [j for j in range(k) if j != leader]
            runner = max(others, key=lambda j: share[j]) if others else None
            if name == "majority":
                ways = [(Fraction(50), None)]
            else:
                t = Fraction(rule["threshold_percent"]) if rule.get("threshold_percent") else Fraction(50)
                lead = Fraction(rule["lead_percent"]) if rule.get("lead_percent") else None
                ways = [(t, lead)] if lead is None or rule.get("lead_threshold_percent") is None else \
                    [(t, None), (Fraction(rule["lead_threshold_percent"]), lead)]
            for bar, lead in ways:
                if share[leader] - w[leader] > bar * 10**6 and (
                        lead is None or runner is None
                        or share[leader] - share[runner] - mw[(leader, runner)] > lead * 10**6):
                    return leader
            return None
        return None

    def percent(self, part: int, whole: int) -> str:
        d = self.tree.decimals
        numerator = part * 10 ** (d + 2)
        scaled = numerator // whole if self.tree.method == "truncate" else (2 * numerator + whole) // (2 * whole)
        return str(scaled) if d == 0 else f"{scaled // 10 ** d}.{scaled % 10 ** d:0{d}d}"


def _micro(value: int, decimals: int, up: bool) -> str:
    value = min(max(value, 0), 10**8)
    step = 10 ** (6 - decimals)
    q = -(-value // step) if up else value // step
    return str(q) if decimals == 0 else f"{q // 10 ** decimals}.{q % 10 ** decimals:0{decimals}d}"


def _signed(value: int, decimals: int, up: bool) -> str:
    return _micro(value, decimals, up) if value >= 0 else "-" + _micro(-value, decimals, not up)

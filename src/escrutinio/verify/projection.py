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


CHUNK = 20  # replicates worked out at once: a national night's replicates of every stratum are never held whole


def _splitmix(seed: int, count: int, start: int = 0) -> np.ndarray:
    """Outputs ``start`` to ``start + count - 1`` of the SplitMix64 stream seeded with ``seed``."""
    state = (np.arange(start + 1, start + count + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) + \
        np.uint64(seed & M64)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _seeds(contest: str, matrix: np.ndarray) -> tuple[int, int]:
    counters = hashlib.sha256(matrix.astype("<i8", copy=False).tobytes()).hexdigest()
    digest = hashlib.sha256(("escrutinio-projection\0" + contest + "\0" + counters).encode()).digest()
    return int.from_bytes(digest[0:8], "big"), int.from_bytes(digest[8:16], "big")


class Geometry:
    """What a projection needs of the tree, the same for every contest and bulletin (made once per tree):
    the units (centres, in node order), each unit's line of ancestors from the root down to the strata's depth
    (its own area repeated below it), the strata (the nodes at the end of a line, sorted) and each stratum's
    line, and, per depth, the strata beneath each node of that depth."""

    def __init__(self, tree):
        order = tree.order
        index = {code: i for i, code in enumerate(order)}
        self.parent = np.array([index[tree.nodes[c][3]] if tree.nodes[c][3] is not None else -1 for c in order],
                               dtype=np.int64)
        depth = [0] * len(order)
        for i, p in enumerate(self.parent.tolist()):
            if p >= 0:
                depth[i] = depth[p] + 1  # a parent comes before its children in the bulletins' order
        self.depth = np.array(depth, dtype=np.int64)
        centre = np.array([tree.nodes[c][1] == "centre" for c in order], dtype=bool)
        self.bottom = int(self.depth[~centre].max())
        self.units = np.flatnonzero(centre)
        lines = np.zeros((self.bottom + 1, len(self.units)), dtype=np.int64)
        up = self.parent[self.units]  # each unit's area; then, depth by depth, its ancestor there
        for d in range(self.bottom, -1, -1):
            up = np.where(self.depth[up] > d, self.parent[up], up)
            lines[d] = up
        self.strata, first, self.unit_s = np.unique(lines[-1], return_index=True, return_inverse=True)
        self.unit_s = self.unit_s.reshape(-1)
        self.lines = lines[:, first]  # each stratum's line
        nodes = np.unique(self.lines)
        self.ancestors = nodes[np.lexsort((nodes, self.depth[nodes]))]  # every node of a line, by depth then order
        self._under: dict[int, dict[int, np.ndarray]] = {}
        self._groups: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    @classmethod
    def of(cls, tree) -> Geometry:
        found = getattr(tree, "_projection_geometry", None)
        if found is None:
            found = tree._projection_geometry = cls(tree)
        return found

    def under(self, d: int, node: int) -> np.ndarray:
        """The strata (indexes, in order) whose line holds ``node`` at place ``d``."""
        if d not in self._under:
            row = self.lines[d]
            sort = np.argsort(row, kind="stable")
            values, starts = np.unique(row[sort], return_index=True)
            self._under[d] = dict(zip(values.tolist(), np.split(sort, starts[1:])))
        return self._under[d].get(node, _NONE)

    def groups(self, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The strata beneath each node of depth ``d``: (strata sorted by that node, where each node's run
        starts, the nodes)."""
        if d not in self._groups:
            row = self.lines[d]
            held = np.flatnonzero(self.depth[row] == d)  # a stratum above depth d is not beneath a node there
            sort = held[np.argsort(row[held], kind="stable")]
            nodes, starts = np.unique(row[sort], return_index=True)
            self._groups[d] = (sort, starts, nodes)
        return self._groups[d]

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Per node (rows by node index), the sum of ``values`` (one row per stratum) over the strata beneath."""
        out = np.zeros((len(self.depth), *values.shape[1:]), dtype=values.dtype)
        for d in range(self.bottom + 1):
            sort, starts, nodes = self.groups(d)
            if len(sort):
                out[nodes] = np.add.reduceat(values[sort], starts, axis=0)
        return out


_NONE = np.zeros(0, dtype=np.int64)


class Projector:
    """Projections of one bulletin: ``matrix(contest)`` is our counter matrix in the bulletins' order."""

    def __init__(self, tree, settings: dict):
        self.tree = tree
        self.geometry = Geometry.of(tree)
        self.units = self.geometry.units
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
        rows = table[self.units]
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
        tree, g = self.tree, self.geometry
        k = len(tree.options[code])
        B = self.B
        rows = matrix[g.units]
        votes, reg_c, counted, reg_all = rows[:, :k], rows[:, k + 3], rows[:, k + 4], rows[:, -2]
        donor = (counted > 0) & (reg_c > 0)
        sized = self._sizes(code, reg_c, reg_all, earlier)
        if sized is None:
            size_c = np.tile(reg_c[:, None], (1, k))
            size_u = np.tile((reg_all - reg_c)[:, None], (1, k))
            covered = np.zeros(len(g.units), dtype=bool)
        else:
            size_c, size_u, covered = sized
        strata, unit_s, S = g.strata, g.unit_s, len(g.strata)
        V, X, U = (np.zeros((S, k), np.int64) for _ in range(3))
        np.add.at(V, unit_s, np.where(donor[:, None], votes, 0))
        np.add.at(X, unit_s, np.where(donor[:, None], size_c, 0))
        np.add.at(U, unit_s, size_u)
        # The uncounted register of covered and of other units per stratum (for the allowance's blend).
        left = (reg_all - reg_c).astype(np.int64)
        left_covered, left_other = np.zeros(S, np.int64), np.zeros(S, np.int64)
        np.add.at(left_covered, unit_s, np.where(covered, left, 0))
        np.add.at(left_other, unit_s, np.where(covered, 0, left))
        n = np.bincount(unit_s[donor], minlength=S).astype(np.int64)
        # Sums under every node (by node index): counted votes, register, centres counted.
        under_v, under_x, under_n = g.sums(V), g.sums(X), g.sums(n)
        # Each stratum: its own (enough centres counted), complete (nothing left to count) or a gap (the ratio
        # of the nearest ancestor with enough centres counted).
        pred = np.zeros((S, k), np.int64)
        left_any = U.any(axis=1)
        own = np.flatnonzero(left_any & (n >= self.min_donors))
        pred[own] = U[own] * V[own] // np.maximum(X[own], 1)
        factor = np.sqrt(1.0 + X[own].astype(np.float64) / np.maximum(U[own], 1).astype(np.float64))
        # A node at place d of a line (d: the depth of the line's nodes) stands for the strata beneath it when d is
        # its own depth; repeated deeper (an area with centres of its own above the strata's depth), it stands
        # for its own centres only: the stratum that is the node itself.
        stratum_of = {int(node): i for i, node in enumerate(strata.tolist())}

        def held(d: int, node: int) -> tuple[np.ndarray, np.ndarray, int]:
            """Counted votes, size and centres counted of the strata node ``node`` stands for at place d."""
            if int(g.depth[node]) == d:
                return under_v[node], under_x[node], int(under_n[node])
            i = stratum_of[node]
            return V[i], X[i], int(n[i])

        gap_of: dict[int, tuple[int, int, int]] = {}  # stratum -> (gap node, ancestor node, the gap's place)
        for i in np.flatnonzero(left_any & (n < self.min_donors)).tolist():
            line = g.lines[:, i].tolist()
            for d in range(g.bottom - 1, -1, -1):
                if held(d, line[d])[2] >= self.min_donors:
                    gap_of[i] = (line[d + 1], line[d], d + 1)
                    break
            else:
                return None
        # Gaps by place and node (the gap of a stratum that is an area's own centres can be that area itself, one
        # place below the area's depth), and what each borrows from.
        members: dict[tuple[int, int], list[int]] = {}
        for i, (gap, _, d) in gap_of.items():
            members.setdefault((d, gap), []).append(i)
        cells = []
        for d, gap in sorted(members):
            inside = members[(d, gap)]
            ancestor = gap_of[inside[0]][1]  # at place d - 1, its own depth
            pred[inside] = U[inside] * under_v[ancestor] // np.maximum(under_x[ancestor], 1)
            beside = g.under(d - 1, ancestor)
            siblings = sorted({s for s in g.lines[d, beside].tolist() if held(d, s)[2] >= self.min_donors})
            if siblings:
                runs = [g.under(d, s) for s in siblings]
                starts = np.cumsum([0] + [len(run) for run in runs[:-1]])
                whole = [held(d, s)[:2] for s in siblings]
                cells.append((inside, np.concatenate(runs), starts,
                              (np.array([v for v, _ in whole]), np.array([x for _, x in whole]))))
            else:
                cells.append((inside, beside, None, (under_v[ancestor][None], under_x[ancestor][None])))
        picks = _splitmix(_seeds(code, matrix)[1], B * max(len(cells), 1)).reshape(B, max(len(cells), 1))
        # The areas published: every depth's nodes above the size floor with something projected.
        pred_under = g.sums(pred)
        areas = [a for a in g.ancestors.tolist() if (a == 0 or int(matrix[a][-3]) >= self.floor)
                 and (under_v[a] + pred_under[a]).sum() > 0]
        place = {a: j for j, a in enumerate(areas)}
        totals_b = np.zeros((B, len(areas), k), np.int64)
        by_depth = []
        for d in range(g.bottom + 1):
            sort, starts, nodes = g.groups(d)
            mine = [(j, place[a]) for j, a in enumerate(nodes.tolist()) if a in place]
            if mine and len(sort):
                by_depth.append((sort, starts, np.array([j for j, _ in mine]), np.array([p for _, p in mine])))
        # Replicates, CHUNK at a time: Poisson(1) weights of the counted units (row b of the weights is draws
        # b * D to (b + 1) * D - 1 of the stream), their sums per stratum, each stratum's replicate prediction,
        # and its sums per published area.
        which = np.flatnonzero(donor)
        by_unit = np.argsort(unit_s[which], kind="stable")
        order, ws = which[by_unit], unit_s[which][by_unit]
        runs = np.flatnonzero(np.r_[True, ws[1:] != ws[:-1]]) if len(ws) else _NONE
        present, dv, dx = ws[runs], votes[order], size_c[order]
        seed, D = _seeds(code, matrix)[0], len(which)
        Uo, predo = U[own], pred[own]
        for b0 in range(0, B, CHUNK):
            c = min(CHUNK, B - b0)
            Vb, Xb = np.zeros((c, S, k), np.int64), np.zeros((c, S, k), np.int64)
            if D:
                draws = (_splitmix(seed, c * D, b0 * D) >> np.uint64(32)).reshape(c, D)
                weight = np.zeros((c, D), np.int64)
                for t in THRESHOLDS:
                    weight += draws >= np.uint64(t)
                del draws
                weight = weight[:, by_unit]
                for j in range(k):
                    Vb[:, present, j] = np.add.reduceat(weight * dv[:, j], runs, axis=1)
                    Xb[:, present, j] = np.add.reduceat(weight * dx[:, j], runs, axis=1)
                del weight
            pred_b = np.zeros((c, S, k), np.int64)
            Vo, Xo = Vb[:, own], Xb[:, own]
            boot = np.where(Xo > 0, Uo * Vo // np.maximum(Xo, 1), predo)
            pred_b[:, own] = predo + np.floor((boot - predo) * factor).astype(np.int64)
            del Vo, Xo, boot
            for cell, (inside, strata_of, starts, (lent_v, lent_x)) in enumerate(cells):
                if starts is not None:  # a sibling picked at random, per replicate
                    pick = (picks[b0:b0 + c, cell] % np.uint64(len(lent_v))).astype(np.int64)
                    rv = np.add.reduceat(Vb[:, strata_of], starts, axis=1)[np.arange(c), pick]
                    rx = np.add.reduceat(Xb[:, strata_of], starts, axis=1)[np.arange(c), pick]
                    whole_v, whole_x = lent_v[pick], lent_x[pick]
                else:  # the ancestor's own strata
                    rv, rx = Vb[:, strata_of].sum(axis=1), Xb[:, strata_of].sum(axis=1)
                    whole_v, whole_x = lent_v, lent_x
                rv, rx = np.where(rx > 0, rv, whole_v), np.where(rx > 0, rx, whole_x)
                pred_b[:, inside] = U[inside][None] * rv[:, None, :] // np.maximum(rx, 1)[:, None, :]
            del Vb, Xb
            for sort, starts, groups, places in by_depth:
                totals_b[b0:b0 + c, places] = np.add.reduceat(pred_b[:, sort], starts, axis=1)[:, groups]
        # Totals per area: counted votes beneath it plus the predictions of its strata.
        out = {}
        for j, a in enumerate(areas):
            total = under_v[a] + pred_under[a]
            at_rule = (tree.nodes[tree.order[a]][2] == rule.get("level")) if rule.get("level") else a == 0
            allowance = self.allowance
            if sized is not None:
                beneath = self._beneath(a)
                mc, mo = int(left_covered[beneath].sum()), int(left_other[beneath].sum())
                if mc + mo > 0:
                    allowance = -(-(self.allowance_previous * mc + self.allowance * mo) // (mc + mo))
            out[tree.order[a]] = self._area(code, total, under_v[a][None] + totals_b[:, j], under_v[a],
                                            rule if at_rule else None, level, allowance)
        kinds = {"own": 0, "gap": len(gap_of), "complete": int((~left_any).sum())}
        kinds["own"] = S - kinds["gap"] - kinds["complete"]
        return {"method": KNOWN_METHOD, "level": level,
                "settings": {**self.settings, "size": "register" if sized is None else "previous"},
                "strata_level": tree.nodes[tree.order[int(strata[0])]][2], "strata": kinds,
                "gaps": dict(sorted({tree.order[gap]: tree.order[a] for gap, a, _ in gap_of.values()}.items())),
                "areas": out}

    def _beneath(self, a: int) -> np.ndarray:
        """The strata beneath node ``a`` (in stratum order)."""
        return self.geometry.under(int(self.geometry.depth[a]), a)

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

"""A projection of the final result from a partial count whose order of arrival is not random.

The cities report first and remote regions last, so the tables counted at
any moment are not a sample of the country. The projection never treats
them as one: it predicts each uncounted part of the country from counted
tables *like it*, in the same area.

Method (``stratified-ratio/poisson-bootstrap``), every step in integers so
that anyone can recompute it to the vote (``escrutinio verify`` does, with
code of its own):

1. Units are the polling centres (the finest level a bulletin publishes);
   each has a counted part (votes per option, the register of its counted
   tables) and an uncounted part (the register of the tables not counted).
2. Strata are the areas of the deepest level (parishes in the demo). A
   stratum with at least ``MIN_DONORS`` centres counted is predicted from
   its own counted centres: for each option, uncounted register ×
   (votes counted / register counted) -- a ratio estimator on the register,
   the size every table has. A stratum with fewer is merged upwards: its
   nearest ancestor with ``MIN_DONORS`` counted centres gives the ratio, and
   the child of that ancestor it lies in is a *gap* (an area counted too
   little to speak for itself).
3. Uncertainty by bootstrap, ``REPLICATES`` replicates: each counted centre
   gets a Poisson(1) weight (a resampling of counted centres within every
   stratum), the ratios are recomputed, and each stratum's deviation is
   scaled by sqrt(1 + counted register / uncounted register) so that it is
   the error of a *prediction* of the uncounted tables, not only of the
   ratio. A gap takes, in each replicate, the ratio of one of its sibling
   areas picked at random (its siblings that do have enough counted
   centres): the spread between areas, not only within one, is what an
   area never counted might differ by. Every stratum beneath a gap shares
   that pick, so a late region that leans differently moves as one.
4. Per area, each option's share of the valid votes (counted plus
   predicted) is computed in each replicate. The interval is the point
   estimate ± ``WIDEN`` × the largest distance from it to the 2.5th or the
   97.5th percentile of the replicates (symmetric, so it always holds the
   estimate). ``WIDEN`` is what the back-test (bench/projection_backtest.py)
   needed for the 95 % intervals to hold on nights with correlated biases;
   see docs/verdicts.md.
5. The **statistical call**: an option is called only when the interval
   excludes every other outcome -- the leader's margin over each other
   option stays above zero at both ends, or, under the contest's rule at the
   rule's level, the winner's share stays past the threshold (or the yes
   past the approval share). Seat rules, quorums and Swiss double majorities
   get no call (their outcome depends on more than the shares projected).

Random numbers come from SplitMix64 seeded with the SHA-256 of the
contest's counters (named in the head), so a bulletin's projection is a
function of its published counters alone. Poisson(1) draws take the upper
32 bits of each number against the fixed thresholds ``POISSON``.

The previous election as the size (``size`` "previous"). When a bulletin
publishes a previous election's figures per node (its hash covers them), a
contest whose options are mapped to the earlier ones is projected with the
earlier votes as the size instead of the register: for option j at a centre
that the earlier election covers (earlier register > 0), the size of its
counted part is earlier votes of j's earlier option × register counted ÷
register (floor), and of its uncounted part earlier votes × register not
counted ÷ register -- so a stratum's ratio is "votes tonight per earlier
vote", and a centre that voted otherwise before is predicted otherwise. A
centre the earlier election does not cover falls back to its register,
scaled by the country's earlier votes of j per earlier registered voter (the
covered centres' sums), so that a stratum with no covered centre is
projected exactly as with the register; an option mapped to nothing uses the
register. The arrival allowance is then a blend: ``ALLOWANCE_PREVIOUS`` for
the uncounted register of covered centres, ``ALLOWANCE`` for the rest
(weighted by each part's uncounted register beneath the area).
"""

from __future__ import annotations

import functools
import hashlib
import math
import threading
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

METHOD = "stratified-ratio/poisson-bootstrap"
LEVEL_PERCENT = 95
REPLICATES = 200
MIN_DONORS = 5
WIDEN = (2, 1)  # the back-test's widening factor (numerator, denominator)
# The arrival allowance: the tables still uncounted may vote this many points (in millionths of a percent)
# otherwise than the counted tables like them; the interval of a share grows by it times the share of the
# projected valid votes that is predicted (twice that for a margin). Set by the back-test.
ALLOWANCE = 6 * 10**6
# The same with the previous election as the size (its own back-test run, bench/projection_backtest.py).
ALLOWANCE_PREVIOUS = 2 * 10**6
FLOOR_TABLES = 100  # areas with fewer expected tables get no projection of their own
MICRO = 10**8  # a share times MICRO: its percent in millionths
# floor(2**32 * P(Poisson(1) <= k)) for k = 0..7: a weight is how many thresholds the draw reaches.
POISSON = (1580030168, 3160060337, 3950075421, 4213413783, 4279248373, 4292415291, 4294609777, 4294923276)
GAMMA = 0x9E3779B97F4A7C15


def seeds(contest: str, counters_sha256: str) -> tuple[int, int]:
    """The two SplitMix64 seeds of one contest's projection (weights, picks), from its counters' hash."""
    digest = hashlib.sha256(f"escrutinio-projection\0{contest}\0{counters_sha256}".encode()).digest()
    return int.from_bytes(digest[:8], "big"), int.from_bytes(digest[8:16], "big")


def splitmix(seed: int, count: int, start: int = 0) -> np.ndarray:
    """Outputs ``start`` .. ``start + count - 1`` of SplitMix64 from ``seed`` (uint64)."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + np.arange(start + 1, start + count + 1, dtype=np.uint64) * np.uint64(GAMMA)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def poisson_weights(seed: int, replicates: int, units: int, first: int = 0) -> np.ndarray:
    """A (replicates × units) matrix of Poisson(1) weights: rows ``first`` .. ``first + replicates - 1`` of
    the whole matrix (row-major draws)."""
    u = (splitmix(seed, replicates * units, first * units) >> np.uint64(32)).astype(np.uint32)
    w = np.zeros(u.shape, dtype=np.int8)
    for t in POISSON:
        w += u >= np.uint32(t)
    return w.reshape(replicates, units).astype(np.int64)


@dataclass
class Frame:
    """Units (centres) and the areas above them, for projecting.

    ``chain[d, u]``: the node index of unit u's ancestor at depth d (0: the root) down to the strata's
    depth; a unit hanging above that depth repeats its own area.
    """

    chain: np.ndarray  # (depth, units) int64
    _groups: _Groups | None = field(default=None, repr=False, compare=False)

    def groups(self) -> _Groups:
        """The groups of every depth and how they nest, made once per frame (the same for every contest)."""
        if self._groups is None:
            self._groups = _Groups(self.chain)
        return self._groups


class _Groups:
    """Per depth: the node of each group (``nodes``), each unit's group (``inv``), each stratum's group
    (``up``), the number of groups (``sizes``), and each group's group one depth up (``link``)."""

    def __init__(self, chain: np.ndarray):
        depth = chain.shape[0]
        self.nodes, self.inv = [], []
        for d in range(depth):
            u, i = np.unique(chain[d], return_inverse=True)
            self.nodes.append(u)
            self.inv.append(i.reshape(-1).astype(np.int64))
        S = len(self.nodes[-1])
        first = _first_of(self.inv[-1], S)
        self.up = [self.inv[d][first] for d in range(depth)]  # stratum -> its group at depth d
        self.sizes = [len(n) for n in self.nodes]
        self.link = [None] * depth  # link[d]: each group of depth d + 1 -> its group at depth d
        for d in range(depth - 1):
            self.link[d] = np.zeros(self.sizes[d + 1], dtype=np.int64)
            self.link[d][self.up[d + 1]] = self.up[d]
        self.stratum_nodes = self.nodes[-1].tolist()


class _Reps:
    """Replicate totals per depth, ``reps[d]``: (B, groups, k) int64, the valid votes counted plus the
    strata's replicate predictions summed beneath each group -- summed when a depth is first asked for, and
    ``at(d, groups)`` gives only some groups' (a bulletin publishes a few areas of each depth)."""

    def __init__(self, counted: list[np.ndarray], predicted: np.ndarray, groups: _Groups, scratch: dict | None):
        self._counted, self._g, self._scratch = counted, groups, scratch
        self._sums = {len(counted) - 1: predicted}  # depth -> (groups, k, B) predicted beneath each group

    def __len__(self) -> int:
        return len(self._counted)

    def __getitem__(self, d: int) -> np.ndarray:
        d = range(len(self))[d]
        return self.at(d, np.arange(self._g.sizes[d]))

    def __iter__(self):
        return (self[d] for d in range(len(self)))

    def predicted(self, d: int) -> np.ndarray:
        if d not in self._sums:  # from the depth below (integer sums: the same totals as from the strata)
            below = self.predicted(d + 1)
            self._sums[d] = _group_sums(below, self._g.link[d], self._g.sizes[d],
                                        out=_zeros(self._scratch, f"reps{d}", (self._g.sizes[d],) + below.shape[1:],
                                                   below.dtype))
        return self._sums[d]

    def at(self, d: int, groups: np.ndarray) -> np.ndarray:
        """(B, len(groups), k) replicate totals of the groups ``groups`` of depth d."""
        return np.ascontiguousarray(self.by_area(d, groups).transpose(2, 0, 1))

    def by_area(self, d: int, groups: np.ndarray) -> np.ndarray:
        """The same laid out (len(groups), k, B)."""
        return self.predicted(d)[groups] + self._counted[d][groups][:, :, None]


@dataclass
class Result:
    """Point and replicate totals of valid votes per option, per area of every depth."""

    nodes: list[np.ndarray]   # per depth: the node indexes of the groups
    counted: list[np.ndarray]  # per depth: (groups, k) int64, the valid votes counted
    point: list[np.ndarray]   # per depth: (groups, k) int64
    reps: _Reps               # per depth: (B, groups, k) int64 (reps[d]; reps.at(d, groups) for some groups)
    strata: dict              # stratum node -> how it was predicted: "own", "complete" or ("gap", gap node, ancestor)


def _first_of(inv: np.ndarray, groups: int) -> np.ndarray:
    rep = np.zeros(groups, dtype=np.int64)
    rep[inv[::-1]] = np.arange(len(inv) - 1, -1, -1)
    return rep


def _runs(index: np.ndarray) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """(order, starts, targets): ``index`` sorted (order None when it already is), where each run of equal
    values starts, and each run's value."""
    order = None
    if len(index) > 1 and (index[1:] < index[:-1]).any():
        order = np.argsort(index, kind="stable")
        index = index[order]
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
    return order, starts, index[starts]


def _sum_into(values: np.ndarray, index: np.ndarray, groups: int) -> np.ndarray:
    """Sum ``values`` (..., n, k) into ``groups`` rows by ``index`` (n), in integers."""
    out = np.zeros(values.shape[:-2] + (groups, values.shape[-1]), dtype=np.int64)
    if values.shape[-2] == 0:
        return out
    order, starts, targets = _runs(index)
    if order is not None:
        values = np.take(values, order, axis=-2)
    sums = np.add.reduceat(values, starts, axis=-2)
    if len(targets) == groups:  # every group has a member: the runs are the groups, in order
        return sums.astype(np.int64, copy=False)
    out[..., targets, :] = sums
    return out


SLOTS = 32  # runs of rows up to this long are summed slot by slot over all runs at once, longer ones one by one
CHUNK = 512  # units whose weights are drawn at once (a few hundred kilobytes of draws)
NARROW = 2**31  # replicate sums are made in 32 bits when every one stays below this


def _run_sums(values: np.ndarray, rows: np.ndarray | None, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Sums of runs of rows of ``values`` (n, ...): run r is rows ``rows[starts[r]:starts[r] + sizes[r]]``
    (``rows`` None: those rows themselves); every size at least 1. Rows are whole rows of values: the sums
    go slot by slot (every run's first row, then every run's second, ...), each a gather of contiguous rows,
    not one short sum per run and per column."""
    out = np.empty((len(starts),) + values.shape[1:], dtype=values.dtype)
    big = sizes > SLOTS
    for r in np.flatnonzero(big).tolist():
        a, b = int(starts[r]), int(starts[r] + sizes[r])
        out[r] = (values[a:b] if rows is None else values[rows[a:b]]).sum(axis=0)
    small = np.flatnonzero(~big)
    if len(small):
        by = small[np.argsort(-sizes[small], kind="stable")]  # the longest first: runs still going are a prefix
        first, longest = starts[by], -sizes[by]
        acc = values[first if rows is None else rows[first]]
        for p in range(1, -int(longest[0])):
            m = int(np.searchsorted(longest, -p, side="left"))  # runs longer than p
            at = first[:m] + p
            acc[:m] += values[at if rows is None else rows[at]]
        out[by] = acc
    return out


def _group_sums(values: np.ndarray, index: np.ndarray, groups: int, subset: np.ndarray | None = None,
                out: np.ndarray | None = None) -> np.ndarray:
    """Rows of ``values`` (n, ...) summed into ``groups`` rows by ``index`` (n), only the rows ``subset`` when
    given, into ``out`` (zeros) when given; a group with no row is zero. Integer sums: any order gives the
    same totals."""
    if out is None:
        out = np.zeros((groups,) + values.shape[1:], dtype=values.dtype)
    rows = np.arange(len(index)) if subset is None else subset
    if len(rows) == 0:
        return out
    order = rows[np.argsort(index[rows], kind="stable")]
    keys = index[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    out[keys[starts]] = _run_sums(values, order, starts, np.diff(np.r_[starts, len(order)]))
    return out


def _zeros(scratch: dict | None, key: str, shape: tuple, dtype) -> np.ndarray:
    """``np.zeros(shape, dtype)``, made in the memory ``scratch[key]`` kept from an earlier call when there
    is enough of it (``scratch`` None: new memory). New memory costs a page fault per page when first
    written, which at a million tables costs more than the arithmetic done in it (hundreds of megabytes a
    contest); an array so made is only good until the next call with the same scratch and key."""
    if scratch is None:
        return np.zeros(shape, dtype=dtype)
    size = math.prod(shape)
    kept = scratch.get(key)
    if kept is None or kept.dtype != np.dtype(dtype) or kept.size < size:
        kept = scratch[key] = np.zeros(size, dtype=dtype)
        return kept.reshape(shape)
    out = kept[:size].reshape(shape)
    out.fill(0)
    return out


_MIX = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))


def unit_weights(seed: int, replicates: int, units: int, which: np.ndarray) -> np.ndarray:
    """The columns ``which`` of ``poisson_weights(seed, replicates, units)``, one row per unit:
    (len(which), replicates) int8, entry [i, b] the weight of draw b × units + which[i]."""
    with np.errstate(over="ignore"):
        z = (np.uint64(seed) + (which.astype(np.uint64) + np.uint64(1)) * np.uint64(GAMMA))[:, None] \
            + np.arange(replicates, dtype=np.uint64)[None, :] * np.uint64(units * GAMMA % 2**64)
        t = np.right_shift(z, np.uint64(30))
        z ^= t
        z *= _MIX[0]
        np.right_shift(z, np.uint64(27), out=t)
        z ^= t
        z *= _MIX[1]
        np.right_shift(z, np.uint64(31), out=t)
        z ^= t
        np.right_shift(z, np.uint64(32), out=t)
    u = t.astype(np.uint32)
    w = np.zeros(u.shape, dtype=np.int8)
    for threshold in POISSON:
        w += u >= np.uint32(threshold)
    return w


def _replicate_sums(seed: int, replicates: int, n: int, units: np.ndarray, keys: np.ndarray, columns: np.ndarray,
                    out: np.ndarray, chunk: int | None = None) -> np.ndarray:
    """(groups, c, replicates) sums by ``keys`` (sorted) of the rows of ``columns`` (m × c) times the
    Poisson(1) weights of ``units`` (their columns among the n of ``poisson_weights(seed, replicates, n)``),
    into ``out`` (zeros, in ``columns``' dtype). A few hundred units at a time, their weights drawn unit by
    unit for every replicate and laid out slot by slot (every run's first unit, then every run's second,
    ...), so that each slot is added to the runs still going as one slice; no (replicates × n) array is
    held, and no short sum is made per run and per column."""
    B, chunk = replicates, chunk or CHUNK
    if len(units) == 0:
        return out
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    targets = keys[starts]

    def weighted(rows: np.ndarray) -> np.ndarray:  # (len(rows), c, B): each row's values times its weights
        return unit_weights(seed, B, n, units[rows])[:, None, :] * columns[rows][:, :, None]

    for r in np.flatnonzero(sizes > SLOTS).tolist():  # long runs, a chunk of units at a time
        for a in range(int(starts[r]), int(starts[r] + sizes[r]), chunk):
            out[targets[r]] += weighted(np.arange(a, min(a + chunk, int(starts[r] + sizes[r])))).sum(
                axis=0, dtype=out.dtype)
    short = np.flatnonzero(sizes <= SLOTS)
    by = short[np.argsort(-sizes[short], kind="stable")]  # the longest first: the runs still going are a prefix
    ends = np.cumsum(sizes[by])
    r0 = 0
    while r0 < len(by):
        r1 = max(int(np.searchsorted(ends, (ends[r0 - 1] if r0 else 0) + chunk, "right")), r0 + 1)
        first, longer = starts[by[r0:r1]], -sizes[by[r0:r1]]
        going = np.searchsorted(longer, -np.arange(-int(longer[0])), "left").tolist()  # runs longer than p
        part = weighted(np.concatenate([first[:m] + p for p, m in enumerate(going)]))
        acc = part[:going[0]].copy()
        at = going[0]
        for m in going[1:]:
            acc[:m] += part[at:at + m]
            at += m
        out[targets[by[r0:r1]]] = acc
        r0 = r1
    return out


EXACT = 2**52  # integer quotients of numbers whose sum stays below this are floored exactly in float64


def _floor_div(a: np.ndarray, b: np.ndarray, exact: bool) -> np.ndarray:
    """``a // b`` for non-negative integers a and positive b (int64): in float64 when ``exact`` (a + b below
    2**53: the correctly rounded quotient is never rounded up to the next integer, so its floor is the
    quotient), as a float64 array of integers; else in integers."""
    if exact:
        return np.floor(a / b)
    return a // b


def project(frame: Frame, votes: np.ndarray, donor: np.ndarray, aux_counted: np.ndarray,
            aux_uncounted: np.ndarray, seed: tuple[int, int], replicates: int = REPLICATES,
            min_donors: int = MIN_DONORS, scratch: dict | None = None) -> Result | None:
    """Project the valid votes of every option at every area; None if too little is counted.

    ``votes`` (units × options): counted valid votes; ``donor`` (units): the unit has tables counted;
    ``aux_counted``/``aux_uncounted`` (units × options): the size of its counted and uncounted parts
    (the register, or a previous election's votes for each option). ``scratch``: a dict whose memory the
    large arrays reuse from one call to the next (see ``_zeros``): the result must then not be read at all
    after the next call with it (its replicate totals are summed when first asked for, into the same memory).
    """
    grouping = frame.groups()
    nodes, inv, up, sizes, link = grouping.nodes, grouping.inv, grouping.up, grouping.sizes, grouping.link
    depth = len(nodes)
    k = votes.shape[1]
    B = replicates
    S = sizes[-1]

    donor = donor.astype(bool)
    votes = votes.astype(np.int64) * donor[:, None]
    aux_counted = aux_counted.astype(np.int64) * donor[:, None]
    V = _sum_into(votes, inv[-1], S)
    X = _sum_into(aux_counted, inv[-1], S)
    U = _sum_into(aux_uncounted.astype(np.int64), inv[-1], S)
    n_don = _sum_into(donor.astype(np.int64)[:, None], inv[-1], S)[:, 0]

    def by_depth(values: np.ndarray) -> list[np.ndarray]:  # (S, k) per stratum -> per group of every depth
        out = [values] * depth
        for d in range(depth - 2, -1, -1):  # each depth from the one below (integer sums: the same totals)
            out[d] = _sum_into(out[d + 1], link[d], sizes[d])
        return out

    Vg, Xg = by_depth(V), by_depth(X)
    ng = [g[:, 0] for g in by_depth(n_don[:, None])]

    P = np.zeros((S, k), dtype=np.int64)
    # How each stratum is predicted: nothing left, its own counted centres, or (a gap) the ratio of its
    # nearest ancestor with enough counted centres.
    complete = ~U.any(axis=1)
    own_mask = ~complete & (n_don >= min_donors)
    lender = np.full(S, -1, dtype=np.int64)  # the depth of a gap's ancestor
    for d in range(depth - 2, -1, -1):
        lender[~complete & ~own_mask & (lender < 0) & (ng[d][up[d]] >= min_donors)] = d
    if (~complete & ~own_mask & (lender < 0)).any():
        return None  # not even the whole country has enough centres counted
    how: dict = {}
    gaps: dict[tuple[int, int], list[int]] = {}
    gap_of = {}
    for s in np.flatnonzero(lender >= 0).tolist():
        d = int(lender[s])
        cell = (d + 1, int(up[d + 1][s]))
        gaps.setdefault(cell, []).append(s)
        gap_of[s] = ("gap", int(nodes[d + 1][cell[1]]), int(nodes[d][up[d][s]]))
    complete_list, own_list = complete.tolist(), own_mask.tolist()
    for s, node in enumerate(grouping.stratum_nodes):
        how[node] = "complete" if complete_list[s] else "own" if own_list[s] else gap_of[s]

    # Gaps, by cell (a gap area at depth d): the parent whose ratio gives the point estimate, and in each
    # replicate the group whose replicate ratio it takes: a sibling with enough counted centres picked at
    # random (depth d), or the parent itself when there is none (depth d - 1).
    cells = sorted(gaps)
    draws = splitmix(seed[1], B * max(len(cells), 1)).reshape(B, max(len(cells), 1))
    cell_d = np.array([d for d, _ in cells], dtype=np.int64)
    members = [gaps[c] for c in cells]
    gap_strata = np.array([s for m in members for s in m], dtype=np.int64)
    gap_cell = np.repeat(np.arange(len(cells)), [len(m) for m in members])
    cell_parent = np.zeros(len(cells), dtype=np.int64)
    chosen = np.zeros((len(cells), B), dtype=np.int64)
    used = np.zeros(len(cells), dtype=np.int64)  # the depth of the groups chosen
    first = gap_strata[np.searchsorted(gap_cell, np.arange(len(cells)))] if len(cells) else gap_strata
    for d in np.unique(cell_d).tolist():
        cs = np.flatnonzero(cell_d == d)
        parent = up[d - 1][first[cs]]
        cell_parent[cs] = parent
        parents_d = np.zeros(sizes[d], dtype=np.int64)
        parents_d[up[d]] = up[d - 1]
        able = np.flatnonzero(ng[d] >= min_donors)  # the groups of depth d with enough counted centres, by parent
        able = able[np.argsort(parents_d[able], kind="stable")]
        lo = np.searchsorted(parents_d[able], parent, "left")
        count = np.searchsorted(parents_d[able], parent, "right") - lo
        has = count > 0
        pick = (draws[:, cs[has]] % count[has].astype(np.uint64)).astype(np.int64)  # (B, cells)
        chosen[cs[has]] = able[lo[has][None, :] + pick].T
        used[cs[has]] = d
        chosen[cs[~has]] = parent[~has][:, None]
        used[cs[~has]] = d - 1
    # The strata whose replicate sums are read: the own ones and every one beneath a group chosen for a gap.
    needed = own_mask.copy()
    picked = {}
    for d in np.unique(used).tolist():
        picked[d] = np.unique(chosen[used == d])
        inside = np.zeros(sizes[d], dtype=bool)
        inside[picked[d]] = True
        needed |= inside[up[d]]

    # Replicates: a Poisson(1) weight for each counted unit (in unit order), sums per stratum of the votes
    # and of the size (one column when the size is the same for every option, as the register is).
    which = np.flatnonzero(donor)
    stratum = inv[-1][which]
    take = np.flatnonzero(needed[stratum])
    take = take[np.argsort(stratum[take], kind="stable")]
    size_c = aux_counted[which[take]]
    if k > 1 and (size_c == size_c[:, :1]).all():
        size_c = size_c[:, :1]
    wmax = len(POISSON)  # the largest weight: a replicate sum is at most this times the sum
    # In 32 bits when no replicate sum can reach 2**31 (every one is at most wmax times the country's sum).
    narrow = np.int32 if wmax * max(int(Vg[0].max(initial=0)), int(Xg[0].max(initial=0))) < NARROW else np.int64
    columns = np.concatenate([votes[which[take]], size_c], axis=1).astype(narrow)
    R = _replicate_sums(seed[0], B, len(which), take, stratum[take], columns,
                        _zeros(scratch, "R", (S, columns.shape[1], B), narrow))  # (S, k + 1 or 2k, B)
    Vb, Xb = R[:, :k], R[:, k:]

    Pb = _zeros(scratch, "Pb", (S, k, B), np.int64)  # each stratum's replicate predictions
    own = np.flatnonzero(own_mask)
    if len(own):
        whole = U * V // np.maximum(X, 1)
        P[own] = whole[own]
        scale = np.sqrt(1.0 + X / np.maximum(U, 1))
        exact = bool(wmax * (U[own] * 1.0 * V[own]).max() + wmax * X[own].max() + 1 < EXACT)
        for a in range(0, len(own), 256):  # a few hundred strata at a time
            rows = own[a:a + 256]
            Vr, Xr = Vb[rows], Xb[rows]
            w_, U_, scale_ = whole[rows][:, :, None], U[rows][:, :, None], scale[rows][:, :, None]
            if exact:  # the same integers in float64 (every one below 2**52), the same float product
                w_ = w_.astype(np.float64)
                pb = np.where(Xr > 0, _floor_div(U_ * Vr, np.maximum(Xr, 1), True), w_)
                pb -= w_
                pb *= scale_
                np.floor(pb, out=pb)
                pb += w_
                Pb[rows] = pb
            else:
                pb = np.where(Xr > 0, U_ * Vr // np.maximum(Xr, 1), w_)
                Pb[rows] = w_ + np.floor((pb - w_) * scale_).astype(np.int64)
    if len(cells):
        sums = {}  # per depth chosen from: the replicate sums of its groups (those chosen)
        for d in np.unique(used).tolist():
            sums[d] = R if d == depth - 1 else _group_sums(
                R, up[d], sizes[d], np.flatnonzero(np.isin(up[d], picked[d])),
                out=_zeros(scratch, f"sums{d}", (sizes[d],) + R.shape[1:], R.dtype))
        for d in np.unique(cell_d).tolist():
            inside = np.flatnonzero(cell_d[gap_cell] == d)
            s, parent = gap_strata[inside], cell_parent[gap_cell[inside]]
            P[s] = U[s] * Vg[d - 1][parent] // np.maximum(Xg[d - 1][parent], 1)
        exact = bool(wmax * (U.max() * 1.0) * Vg[0].max() + wmax * Xg[0].max() + 1 < EXACT)
        replicate = np.arange(B)
        for a in range(0, len(gap_strata), 256):  # a few hundred gap strata at a time
            s, c = gap_strata[a:a + 256], gap_cell[a:a + 256]
            got = np.empty((len(s), B, R.shape[1]), dtype=R.dtype)  # the chosen group's replicate sums
            fV, fX = np.empty((len(s), B, k), dtype=np.int64), np.empty((len(s), B, k), dtype=np.int64)
            for d in np.unique(used[c]).tolist():
                i = np.flatnonzero(used[c] == d)
                ch = chosen[c[i]]  # (strata, B)
                got[i] = sums[d][ch, :, replicate]
                fV[i], fX[i] = Vg[d][ch], Xg[d][ch]
            gV, gX = got[:, :, :k], got[:, :, k:]
            rV, rX = np.where(gX > 0, gV, fV), np.where(gX > 0, gX, fX)
            Pb[s] = _floor_div(U[s][:, None, :] * rV, np.maximum(rX, 1), exact).transpose(0, 2, 1)
    point = [Vg[d] + g for d, g in enumerate(by_depth(P))]
    return Result(nodes, Vg, point, _Reps(Vg, Pb, grouping, scratch), how)


# -- intervals and calls ------------------------------------------------------------------------------

def shares(totals: np.ndarray) -> np.ndarray:
    """Each option's share in millionths of a percent (floor), over the last axis."""
    whole = totals.sum(axis=-1, keepdims=True)
    return totals * MICRO // np.maximum(whole, 1)


def half_width(point: np.ndarray, reps: np.ndarray, level: int = LEVEL_PERCENT,
               widen: tuple[int, int] = WIDEN) -> np.ndarray:
    """WIDEN × the largest distance from ``point`` to the replicates' lower or upper percentile."""
    B = reps.shape[0]
    tail = B * (100 - level) // 200
    dev = np.partition(reps - point[None], (tail, B - 1 - tail), axis=0)  # the two order statistics, as sorted
    reach = np.maximum(np.maximum(-dev[tail], dev[B - 1 - tail]), 0)
    num, den = widen
    return (num * reach + den - 1) // den


def summary(point: np.ndarray, reps: np.ndarray, counted: np.ndarray, level: int = LEVEL_PERCENT,
            widen: tuple[int, int] = WIDEN, allowance: int = ALLOWANCE) -> dict:
    """Shares, their half-widths and each option's margin over every other (all in millionths of a percent).

    A half-width is the bootstrap's (widened) plus the arrival allowance times the predicted part of the
    projected valid votes (``point`` less ``counted``)."""
    share, rep_share = shares(point), shares(reps)
    whole = int(point.sum())
    extra = -(-allowance * int((point - counted).sum()) // whole) if whole > 0 else 0
    w = half_width(share, rep_share, level, widen) + extra
    k = len(point)
    margins = np.zeros((k, k), dtype=np.int64)
    margin_w = np.zeros((k, k), dtype=np.int64)
    for i in range(k):
        for j in range(k):
            if i != j:
                margins[i, j] = share[i] - share[j]
                margin_w[i, j] = half_width(np.array(margins[i, j]), rep_share[:, i] - rep_share[:, j], level,
                                            widen) + 2 * extra
    return {"share": share, "w": w, "margins": margins, "margin_w": margin_w}


def summaries(point: np.ndarray, reps: np.ndarray, counted: np.ndarray, allowance: np.ndarray,
              level: int = LEVEL_PERCENT, widen: tuple[int, int] = WIDEN) -> list[dict]:
    """``summary`` of many areas at once: ``point`` and ``counted`` (areas × k), ``reps`` (B × areas × k),
    ``allowance`` (areas): the same figures, each area's as its own dict."""
    found = _summaries(point, np.moveaxis(reps, 0, -1), counted, allowance, level, widen)
    return [{"share": found[0][g], "w": found[1][g], "margins": found[2][g], "margin_w": found[3][g]}
            for g in range(len(point))]


def _reach(dev: np.ndarray, level: int, widen: tuple[int, int]) -> np.ndarray:
    """``half_width`` of deviations from the point laid out with the replicates last (..., B)."""
    B = dev.shape[-1]
    tail = B * (100 - level) // 200
    dev = np.partition(dev, (tail, B - 1 - tail), axis=-1)  # the two order statistics, as sorted
    reach = np.maximum(np.maximum(-dev[..., tail], dev[..., B - 1 - tail]), 0)
    num, den = widen
    return (num * reach + den - 1) // den


def _summaries(point: np.ndarray, reps: np.ndarray, counted: np.ndarray, allowance: np.ndarray,
               level: int = LEVEL_PERCENT, widen: tuple[int, int] = WIDEN, chunk: int = 256) -> tuple:
    """(share, w, margins, margin_w) of many areas, as ``summaries`` gives them area by area, from replicate
    totals laid out (areas × k × B): each replicate's shares and every pair's spread with the replicates
    contiguous, a few hundred areas at a time."""
    k = point.shape[1]
    share = shares(point)
    whole = point.sum(axis=1)
    extra = np.where(whole > 0, -(-allowance * (point - counted).sum(axis=1) // np.maximum(whole, 1)), 0)
    margins = share[:, :, None] - share[:, None, :]  # (areas, k, k)
    w = np.zeros(point.shape, dtype=np.int64)
    margin_w = np.zeros(margins.shape, dtype=np.int64)
    for a in range(0, len(point), chunk):
        r = reps[a:a + chunk]
        rep_share = r * MICRO // np.maximum(r.sum(axis=1, keepdims=True), 1)  # (areas, k, B)
        w[a:a + chunk] = _reach(rep_share - share[a:a + chunk, :, None], level, widen)
        spread = rep_share[:, :, None, :] - rep_share[:, None, :, :]  # (areas, k, k, B)
        margin_w[a:a + chunk] = _reach(spread - margins[a:a + chunk, :, :, None], level, widen)
    w += extra[:, None]
    margin_w += 2 * extra[:, None, None]
    margin_w[:, np.arange(k), np.arange(k)] = 0
    return share, w, margins, margin_w


def leader_call(point: np.ndarray, s: dict) -> int | None:
    """The index of the option whose lead over every other holds at both ends of its interval."""
    if point.sum() <= 0:
        return None
    leader = int(np.argmax(point))  # the first of equals, in ballot order
    k = len(point)
    if all(s["margins"][leader, j] - s["margin_w"][leader, j] > 0 for j in range(k) if j != leader):
        return leader
    return None


def rule_call(rule: dict, point: np.ndarray, s: dict) -> int | None:
    """The option called under ``rule`` (a bulletin's published rule) at its level, or None."""
    name = rule.get("name", "plurality")
    if point.sum() <= 0:
        return None
    if name == "plurality":
        return leader_call(point, s)
    if name == "referendum":
        if rule.get("quorum_percent") is not None or rule.get("approval_quorum_percent") is not None:
            return None
        bar = Fraction(rule.get("approval_percent", "50")) * 10**6
        yes, w = int(s["share"][0]), int(s["w"][0])
        if yes - w > bar:
            return 0
        if yes + w + 1 <= bar and len(point) > 1:  # the share is a floor: +1 bounds it from above
            return 1
        return None
    if name in ("majority", "threshold"):
        leader = leader_call(point, s)
        if leader is None:
            return None
        share, w = int(s["share"][leader]), int(s["w"][leader])
        runner = max((j for j in range(len(point)) if j != leader), key=lambda j: s["share"][j], default=None)
        for bar, lead in _ways(rule):
            if share - w > bar * 10**6 and (lead is None or runner is None or
                                           s["margins"][leader, runner] - s["margin_w"][leader, runner]
                                           > lead * 10**6):
                return leader
        return None
    return None  # seats: the shares are projected, the seats are not called


def _ways(rule: dict) -> list[tuple[Fraction, Fraction | None]]:
    if rule.get("name") == "majority":
        return [(Fraction(50), None)]
    threshold = Fraction(rule["threshold_percent"]) if rule.get("threshold_percent") else Fraction(50)
    lead = Fraction(rule["lead_percent"]) if rule.get("lead_percent") else None
    if lead is None:
        return [(threshold, None)]
    if rule.get("lead_threshold_percent") is None:
        return [(threshold, lead)]
    return [(threshold, None), (Fraction(rule["lead_threshold_percent"]), lead)]


def micro_text(value: int, decimals: int, up: bool) -> str:
    """Millionths of a percent as text with ``decimals`` decimals, rounded down (or up), within 0..100."""
    value = min(max(value, 0), 100 * 10**6)
    step = 10 ** (6 - decimals)
    scaled = -(-value // step) if up else value // step
    if decimals == 0:
        return str(scaled)
    units, fraction = divmod(scaled, 10**decimals)
    return f"{units}.{fraction:0{decimals}d}"


# -- in a bulletin --------------------------------------------------------------------------------------

SETTINGS = {"replicates": REPLICATES, "min_donors": MIN_DONORS, "widen": f"{WIDEN[0]}/{WIDEN[1]}",
            "arrival_allowance_points": f"{ALLOWANCE / 10**6:g}",
            "arrival_allowance_previous_points": f"{ALLOWANCE_PREVIOUS / 10**6:g}",
            "floor_tables": FLOOR_TABLES, "size": "register"}
# The columns of a bulletin's previous-election matrix before the earlier options' votes (one row per node).
PREVIOUS_HEAD = ("registered", "ballots_cast", "null")


def frame_of(parents: list[int], kinds: list[str]) -> tuple[Frame, np.ndarray, int]:
    """The frame of a bulletin's nodes (parent index per node, -1 at the root; kinds), its unit nodes
    (the centres, in node order) and the strata's depth (the deepest area's)."""
    depth = [0] * len(parents)
    for n, p in enumerate(parents):
        depth[n] = depth[p] + 1 if p >= 0 else 0  # parents come first
    areas = [n for n, kind in enumerate(kinds) if kind == "area"]
    strata_depth = max(depth[n] for n in areas)
    units = np.array([n for n, kind in enumerate(kinds) if kind == "centre"], dtype=np.int64)
    parent = np.array(parents, dtype=np.int64)
    level = np.array(depth, dtype=np.int64)
    chain = np.zeros((strata_depth + 1, len(units)), dtype=np.int64)
    node = parent[units]  # each centre's area; above its depth, the chain repeats it
    for d in range(strata_depth, -1, -1):  # one step up wherever the node is deeper than d
        node = np.where(level[node] > d, parent[node], node)
        chain[d] = node
    return Frame(chain), units, strata_depth


def unit_inputs(matrix: np.ndarray, units: np.ndarray, k: int):
    """(votes, donor, aux_counted, aux_uncounted) of every unit from a contest's counter matrix."""
    rows = matrix[units]
    votes = rows[:, :k]
    reg_counted, counted = rows[:, k + 3], rows[:, k + 4]
    reg_all = rows[:, -2]
    donor = (counted > 0) & (reg_counted > 0)
    aux_counted = np.repeat(reg_counted[:, None], k, axis=1)
    aux_uncounted = np.repeat((reg_all - reg_counted)[:, None], k, axis=1)
    return votes, donor, aux_counted, aux_uncounted


def previous_sizes(reg_counted: np.ndarray, reg_all: np.ndarray, earlier: np.ndarray, earlier_registered: np.ndarray,
                   mapped: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(aux_counted, aux_uncounted, covered) per unit with the previous election as the size.

    ``earlier`` (units × k): the earlier votes of the option each of tonight's k options is mapped to (0
    where ``mapped`` is False); ``earlier_registered`` (units): the earlier register (0: not covered)."""
    reg_counted = reg_counted.astype(np.int64)
    reg_all = reg_all.astype(np.int64)
    earlier = earlier.astype(np.int64)
    covered = earlier_registered > 0
    uncounted = reg_all - reg_counted
    whole = np.maximum(reg_all, 1)[:, None]
    aux_c = np.repeat(reg_counted[:, None], len(mapped), axis=1)
    aux_u = np.repeat(uncounted[:, None], len(mapped), axis=1)
    D = int(earlier_registered[covered].sum())
    if D <= 0:
        return aux_c, aux_u, covered
    for j in np.flatnonzero(mapped).tolist():
        N = int(earlier[covered, j].sum())
        aux_c[:, j] = np.where(covered, earlier[:, j] * reg_counted // whole[:, 0], reg_counted * N // D)
        aux_u[:, j] = np.where(covered, earlier[:, j] * uncounted // whole[:, 0], uncounted * N // D)
    return aux_c, aux_u, covered


def blended_allowance(covered_uncounted: int, other_uncounted: int, allowance: int = ALLOWANCE,
                      allowance_previous: int = ALLOWANCE_PREVIOUS) -> int:
    """The arrival allowance of an area: each size's allowance weighted by its uncounted register (ceiling)."""
    total = covered_uncounted + other_uncounted
    if total <= 0:
        return allowance
    return -(-(allowance_previous * covered_uncounted + allowance * other_uncounted) // total)


def previous_inputs(previous: np.ndarray, columns: list[str], mapping: dict[str, str], units: np.ndarray,
                    options: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(earlier votes per option, earlier register, mapped) of every unit from a bulletin's previous matrix;
    None when no option of the contest is mapped or no unit is covered."""
    col = {name: i for i, name in enumerate(columns)}
    mapped = np.array([mapping.get(o) in col and mapping.get(o) not in PREVIOUS_HEAD for o in options])
    if not mapped.any():
        return None
    rows = previous[units]
    earlier = np.zeros((len(units), len(options)), dtype=np.int64)
    for j, o in enumerate(options):
        if mapped[j]:
            earlier[:, j] = rows[:, col[mapping[o]]]
    registered = rows[:, col["registered"]]
    if not (registered > 0).any():
        return None
    return earlier, registered, mapped


def describe(codes: list[str], point: np.ndarray, s: dict, call: int | None, decimals: int, method: str) -> dict:
    """One area's projection as published: each option's estimate and interval, the margin, the call."""
    rule = _percent_rule(method, decimals)
    point = point.tolist()
    whole = sum(point)
    share, width = s["share"].tolist(), s["w"].tolist()
    options = {}
    for j, code in enumerate(codes):
        estimate = rule.format(point[j], whole)
        w = width[j]
        low = estimate if w == 0 else micro_text(share[j] - w, decimals, up=False)
        high = estimate if w == 0 else micro_text(share[j] + w, decimals, up=True)
        options[code] = {"estimate": estimate, "low": low, "high": high}
    ranked = sorted(range(len(codes)), key=lambda j: (-point[j], j))
    margin = None
    if len(codes) > 1:
        a, b = ranked[0], ranked[1]
        w = int(s["margin_w"][a, b])
        m = int(s["margins"][a, b])
        estimate = rule.format(point[a] - point[b], whole)
        margin = {"leader": codes[a], "runner_up": codes[b], "estimate": estimate,
                  "low": estimate if w == 0 else _signed_text(m - w, decimals, up=False),
                  "high": estimate if w == 0 else _signed_text(m + w, decimals, up=True)}
    return {"options": options, "margin": margin, "call": None if call is None else codes[call]}


@functools.lru_cache(maxsize=None)
def _percent_rule(method: str, decimals: int):
    from .percent import PercentRule

    return PercentRule(method, decimals)


def _signed_text(value: int, decimals: int, up: bool) -> str:
    if value >= 0:
        return micro_text(value, decimals, up)
    return "-" + micro_text(-value, decimals, not up)


class _Kept:
    """What one bulletin's projections leave for the next in this process: the frame of its nodes (its groups
    are made once) and the memory of its large arrays (hundreds of MB at 1M tables). One per process, used
    under its lock by one bulletin at a time (publication is one at a time anyway): a copy per thread would
    keep that memory once for every thread that ever published."""

    lock = threading.Lock()
    frame_key: tuple | None = None
    frame: tuple | None = None
    scratch: dict = {}


def _frame_kept(parents: list[int], kinds: list[str]) -> tuple[Frame, np.ndarray, int]:
    """``frame_of`` kept for the next bulletin of the same nodes (call it holding ``_Kept.lock``)."""
    key = (tuple(parents), tuple(kinds))
    if _Kept.frame_key != key:
        _Kept.frame_key, _Kept.frame = key, frame_of(parents, kinds)
    return _Kept.frame


def bulletin_projections(head: dict, counters: dict, parents: list[int], kinds: list[str],
                         codes: list[str], node_levels: list[str], previous: np.ndarray | None = None) -> dict:
    """Every contest's projection as a bulletin's head publishes it (None where too little is counted).

    ``previous``: the previous election's matrix the head names (``head["previous"]``), one row per node."""
    with _Kept.lock:
        return _projections(head, counters, parents, kinds, codes, node_levels, previous)


def _projections(head: dict, counters: dict, parents: list[int], kinds: list[str], codes: list[str],
                 node_levels: list[str], previous: np.ndarray | None) -> dict:
    frame, units, strata_depth = _frame_kept(parents, kinds)
    scratch = _Kept.scratch  # the large arrays' memory, reused contest after contest and bulletin after bulletin
    out = {}
    rule_method, decimals = head["percent_rule"]["method"], head["percent_rule"]["decimals"]
    groups = frame.groups().inv if len(units) else []
    is_area = np.array([kind == "area" for kind in kinds], dtype=bool)
    for contest in head["contests"]:
        code = contest["code"]
        options = [o["code"] for o in contest["options"]]
        k = len(options)
        matrix = counters[code]
        seed = seeds(code, head["counters"]["sha256"][code])
        votes, donor, aux_c, aux_u = unit_inputs(matrix, units, k)
        earlier = None
        if previous is not None and head.get("previous") and len(units):
            earlier = previous_inputs(previous, head["previous"]["columns"], head["previous"]["mapping"], units,
                                      options)
        uncounted = (matrix[units, -2] - matrix[units, k + 3]) if len(units) else np.zeros(0, np.int64)
        covered = np.zeros(len(units), dtype=bool)
        if earlier is not None:
            aux_c, aux_u, covered = previous_sizes(matrix[units, k + 3], matrix[units, -2], *earlier)
        result = project(frame, votes, donor, aux_c, aux_u, seed, scratch=scratch) if len(units) else None
        if result is None:
            out[code] = None
            continue
        # The uncounted register of covered and other units beneath every area (by depth and group).
        split = [(np.bincount(groups[d], weights=uncounted * covered, minlength=len(result.nodes[d])).astype(np.int64),
                  np.bincount(groups[d], weights=uncounted * ~covered, minlength=len(result.nodes[d])).astype(np.int64))
                 for d in range(len(result.nodes))]
        rule = contest.get("rule") or {}
        rule_level = rule.get("level")
        areas = {}
        seen = np.zeros(len(kinds), dtype=bool)
        for d in range(len(result.nodes)):
            # The groups of this depth published: areas (an area repeated deeper is published once) over the
            # floor with valid votes.
            nodes_d = result.nodes[d]
            keep = is_area[nodes_d] & ~seen[nodes_d] & (result.point[d].sum(axis=1) > 0)
            if d > 0:
                keep &= matrix[nodes_d, -3] >= FLOOR_TABLES
            at = np.flatnonzero(keep)
            chosen = list(zip(at.tolist(), nodes_d[at].tolist()))
            seen[nodes_d[at]] = True
            if not chosen:
                continue
            if earlier is not None:
                allowance = np.array([blended_allowance(int(split[d][0][g]), int(split[d][1][g])) for g, _ in chosen],
                                     dtype=np.int64)
            else:
                allowance = np.full(len(chosen), ALLOWANCE, dtype=np.int64)
            points = result.point[d][at]
            share, w, margins, margin_w = _summaries(points, result.reps.by_area(d, at), result.counted[d][at],
                                                     allowance)
            # leader_call of every area: the leader's margin over each other option holds at both ends
            leader = np.argmax(points, axis=1)  # the first of equals, in ballot order
            ahead = margins[np.arange(len(at)), leader] - margin_w[np.arange(len(at)), leader]
            ahead[np.arange(len(at)), leader] = 1
            holds = (ahead > 0).all(axis=1).tolist()
            for i, ((g, node), leads) in enumerate(zip(chosen, leader.tolist())):
                point = points[i]
                s = {"share": share[i], "w": w[i], "margins": margins[i], "margin_w": margin_w[i]}
                at_rule = node_levels[node] == rule_level if rule_level is not None else node == 0
                call = rule_call(rule, point, s) if at_rule else leads if holds[i] else None
                areas[codes[node]] = describe(options, point, s, call, decimals, rule_method)
        gaps = {codes[how[1]]: codes[how[2]] for how in result.strata.values() if isinstance(how, tuple)}
        kinds_count = {"own": 0, "gap": 0, "complete": 0}
        for how in result.strata.values():
            kinds_count["gap" if isinstance(how, tuple) else how] += 1
        out[code] = {"method": METHOD, "level": LEVEL_PERCENT / 100,
                     "settings": {**SETTINGS, "size": "previous" if earlier is not None else "register"},
                     "strata_level": node_levels[int(result.nodes[-1][0])],
                     "strata": kinds_count, "gaps": dict(sorted(gaps.items())), "areas": areas}
    return out


def projection_entry(bulletin, contest: str, node: int) -> dict | None:
    """One area's projection of one contest as the API and pages show it, with its inputs; None if the
    bulletin publishes none there (too little counted, or an area under the size floor)."""
    published = (bulletin.body.get("projections") or {}).get(contest)
    code = bulletin.nodes.codes[node]
    if not published or code not in published["areas"]:
        return None
    area = published["areas"][code]
    return {"method": published["method"], "level": published["level"], "options": area["options"],
            "margin": area["margin"], "call": area["call"],
            "inputs": {**published["settings"], "method": published["method"], "level": published["level"],
                       **({"previous": (bulletin.body.get("previous") or {}).get("name")}
                          if published["settings"].get("size") == "previous" else {}),
                       "strata_level": published["strata_level"],
                       "tables": _tables(bulletin, contest, node),
                       "strata": _strata_below(bulletin, contest, node, published)}}


def _tables(bulletin, contest: str, node: int) -> dict:
    row = bulletin.counters[contest][node]
    k = len(next(c for c in bulletin.body["contests"] if c["code"] == contest)["options"])
    return {"counted": int(row[k + 4]), "expected": int(row[-3])}


def _strata_below(bulletin, contest: str, node: int, published: dict) -> list[dict]:
    """Each stratum beneath ``node``: its tables counted and expected, and where its prediction comes from
    ("own": its own counted centres; "complete": nothing left; else the area whose ratio it borrows)."""
    nodes = bulletin.nodes
    level = published["strata_level"]
    gaps = published["gaps"]
    out = []
    for n in _beneath(nodes, node, level):
        row = bulletin.counters[contest][n]
        if not row[-3]:
            continue
        tables = _tables(bulletin, contest, n)
        source = "complete" if tables["counted"] == tables["expected"] else "own"
        up = n
        while up is not None:
            if nodes.codes[up] in gaps:
                source = gaps[nodes.codes[up]]
                break
            parent = nodes.parents[up]
            up = nodes.index[parent] if parent is not None else None
        out.append({"code": nodes.codes[n], "name": nodes.names[n], **tables, "from": source})
    return out


def _beneath(nodes, node: int, level: str) -> list[int]:
    if nodes.levels[node] == level:
        return [node]
    found, todo = [], [node]
    while todo:
        n = todo.pop()
        for child in nodes.children(nodes.codes[n]):
            if nodes.levels[child] == level:
                found.append(child)
            elif nodes.kinds[child] == "area":
                todo.append(child)
    return sorted(found)

"""The vectorised projection against a straightforward one written here: loops over units, strata and gaps,
sums with np.add.at, the whole weight matrix drawn at once. Same frames, same numbers, same draws.

Trees are generated with areas and centres interleaved in node order and centres at several depths, so the
strata, groups and units are not laid out in order of their parents."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escrutinio.domain.projection import POISSON, frame_of, project, splitmix


def _chain(parents, kinds):
    depth = []
    for p in parents:
        depth.append(depth[p] + 1 if p >= 0 else 0)
    strata_depth = max(d for d, kind in zip(depth, kinds) if kind == "area")
    units = [n for n, kind in enumerate(kinds) if kind == "centre"]
    columns = []
    for u in units:
        line, up = [], parents[u]
        while up >= 0:
            line.append(up)
            up = parents[up]
        line.reverse()
        columns.append(line + [line[-1]] * (strata_depth + 1 - len(line)))
    return np.array(columns, dtype=np.int64).T.reshape(strata_depth + 1, len(units)), np.array(units), strata_depth


def _weights(seed, B, n):
    u = [int(x) >> 32 for x in splitmix(seed, B * n)]
    return np.array([sum(v >= t for t in POISSON) for v in u], dtype=np.int64).reshape(B, n)


def _reference(chain, votes, donor, aux_c, aux_u, seed, B, min_donors):
    depth, n = chain.shape
    k = votes.shape[1]
    nodes = [sorted(set(chain[d].tolist())) for d in range(depth)]
    pos = [{node: g for g, node in enumerate(nodes[d])} for d in range(depth)]
    stratum = [pos[-1][int(chain[-1, u])] for u in range(n)]
    S = len(nodes[-1])
    group = [[pos[d][int(chain[d, u])] for u in range(n)] for d in range(depth)]
    up = [[None] * S for _ in range(depth)]  # stratum -> its group at each depth
    for u in range(n):
        for d in range(depth):
            up[d][stratum[u]] = group[d][u]
    V, X, U = (np.zeros((S, k), np.int64) for _ in range(3))
    nd = np.zeros(S, np.int64)
    w = _weights(seed[0], B, int(donor.sum()))
    Vb, Xb = np.zeros((B, S, k), np.int64), np.zeros((B, S, k), np.int64)
    i = 0
    for u in range(n):
        s = stratum[u]
        U[s] += aux_u[u]
        if donor[u]:
            V[s] += votes[u]
            X[s] += aux_c[u]
            nd[s] += 1
            Vb[:, s] += w[:, i, None] * votes[u][None]
            Xb[:, s] += w[:, i, None] * aux_c[u][None]
            i += 1

    def by(values, d):  # sum strata (last axes S, k) into the groups of depth d
        out = np.zeros(values.shape[:-2] + (len(nodes[d]), k), np.int64)
        for s in range(S):
            out[..., up[d][s], :] += values[..., s, :]
        return out

    Vg, Xg = [by(V, d) for d in range(depth)], [by(X, d) for d in range(depth)]
    ng = [np.bincount([up[d][s] for s in range(S)], weights=nd, minlength=len(nodes[d])).astype(np.int64)
          for d in range(depth)]
    P, Pb = np.zeros((S, k), np.int64), np.zeros((B, S, k), np.int64)
    how, gaps = {}, {}
    for s in range(S):
        if not U[s].any():
            how[nodes[-1][s]] = "complete"
        elif nd[s] >= min_donors:
            how[nodes[-1][s]] = "own"
            P[s] = U[s] * V[s] // np.maximum(X[s], 1)
            for b in range(B):
                for j in range(k):
                    if Xb[b, s, j] > 0:
                        est = U[s, j] * Vb[b, s, j] // Xb[b, s, j]
                    else:
                        est = P[s, j]
                    scale = np.sqrt(1.0 + X[s, j] / max(U[s, j], 1))
                    Pb[b, s, j] = P[s, j] + int(np.floor((est - P[s, j]) * scale))
        else:
            for d in range(depth - 2, -1, -1):
                if ng[d][up[d][s]] >= min_donors:
                    gaps.setdefault((d + 1, up[d + 1][s]), []).append(s)
                    how[nodes[-1][s]] = ("gap", nodes[d + 1][up[d + 1][s]], nodes[d][up[d][s]])
                    break
            else:
                return None
    cells = sorted(gaps)
    draws = splitmix(seed[1], B * max(len(cells), 1)).reshape(B, max(len(cells), 1))
    for c, (d, g) in enumerate(cells):
        parent = up[d - 1][gaps[(d, g)][0]]
        siblings = sorted({up[d][s] for s in range(S) if up[d - 1][s] == parent and ng[d][up[d][s]] >= min_donors})
        for s in gaps[(d, g)]:
            P[s] = U[s] * Vg[d - 1][parent] // np.maximum(Xg[d - 1][parent], 1)
        for b in range(B):
            if siblings:
                at, chosen = d, siblings[int(draws[b, c] % np.uint64(len(siblings)))]
            else:
                at, chosen = d - 1, parent
            rV = sum((Vb[b, s] for s in range(S) if up[at][s] == chosen), np.zeros(k, np.int64))
            rX = sum((Xb[b, s] for s in range(S) if up[at][s] == chosen), np.zeros(k, np.int64))
            for j in range(k):
                if rX[j] <= 0:
                    rV[j], rX[j] = Vg[at][chosen][j], Xg[at][chosen][j]
            for s in gaps[(d, g)]:
                Pb[b, s] = U[s] * rV // np.maximum(rX, 1)
    point = [Vg[d] + by(P, d) for d in range(depth)]
    reps = [Vg[d][None] + by(Pb, d) for d in range(depth)]
    return nodes, Vg, point, reps, how


@st.composite
def elections(draw):
    """Areas and centres added in any order under any area made before (so nodes interleave), options, sizes."""
    k = draw(st.integers(1, 4))
    parents, kinds = [-1], ["area"]
    for _ in range(draw(st.integers(8, 60))):
        areas = [n for n, kind in enumerate(kinds) if kind == "area"]
        parents.append(draw(st.sampled_from(areas)))
        kinds.append(draw(st.sampled_from(["area", "centre", "centre", "centre"])))
    if "centre" not in kinds:
        parents.append(0)
        kinds.append("centre")
    n = kinds.count("centre")
    registered = np.array(draw(st.lists(st.integers(0, 900), min_size=n, max_size=n)), dtype=np.int64)
    part = np.array(draw(st.lists(st.sampled_from([0, 1, 2, 3]), min_size=n, max_size=n)))
    counted = registered * part // 3
    votes = np.array([[draw(st.integers(0, max(int(c) // k, 0))) for _ in range(k)] for c in counted], np.int64)
    donor = counted > 0
    if draw(st.booleans()):  # the register as the size: every option's column the same
        aux_c = np.repeat(counted[:, None], k, axis=1)
        aux_u = np.repeat((registered - counted)[:, None], k, axis=1)
    else:  # a size of each option's own (as the previous election gives)
        earlier = np.array([[draw(st.integers(0, 400)) for _ in range(k)] for _ in range(n)], np.int64)
        aux_c = earlier * counted[:, None] // np.maximum(registered, 1)[:, None]
        aux_u = earlier * (registered - counted)[:, None] // np.maximum(registered, 1)[:, None]
    seed = (draw(st.integers(0, 2**64 - 1)), draw(st.integers(0, 2**64 - 1)))
    return parents, kinds, votes, donor, aux_c, aux_u, seed, draw(st.integers(1, 4)), draw(st.integers(1, 9))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(elections())
def test_vectorised_projection_is_the_reference(election):
    parents, kinds, votes, donor, aux_c, aux_u, seed, min_donors, B = election
    chain, units, strata_depth = _chain(parents, kinds)
    frame, units_v, strata_depth_v = frame_of(parents, kinds)
    assert np.array_equal(frame.chain, chain) and np.array_equal(units_v, units) and strata_depth_v == strata_depth
    got = project(frame, votes, donor, aux_c, aux_u, seed, replicates=B, min_donors=min_donors)
    want = _reference(chain, votes, donor, aux_c, aux_u, seed, B, min_donors)
    if want is None:
        assert got is None
        return
    assert got is not None
    nodes, counted, point, reps, how = want
    assert [g.tolist() for g in got.nodes] == nodes
    for d in range(len(nodes)):
        assert np.array_equal(got.counted[d], counted[d])
        assert np.array_equal(got.point[d], point[d])
        assert np.array_equal(got.reps[d], reps[d])
    assert got.strata == how


def test_a_larger_night_is_the_reference():
    """Many centres per stratum and a few replicates in more than one chunk of weights."""
    rng = np.random.default_rng(3)
    parents, kinds = [-1], ["area"]
    for _ in range(40):
        areas = [n for n, kind in enumerate(kinds) if kind == "area"]
        parents.append(int(rng.choice(areas)))
        kinds.append("area")
    areas = [n for n, kind in enumerate(kinds) if kind == "area"]
    for _ in range(600):
        parents.append(int(rng.choice(areas)))
        kinds.append("centre")
    n, k = 600, 3
    registered = rng.integers(100, 1200, n)
    counted = registered * rng.integers(0, 4, n) // 3
    counted[np.array(parents[-n:]) % 3 == 0] = 0  # a third of the areas with nothing counted: gaps
    votes = (counted[:, None] * rng.dirichlet([3, 2, 1], n) * 0.8).astype(np.int64)
    aux_c = np.repeat(counted[:, None], k, axis=1)
    aux_u = np.repeat((registered - counted)[:, None], k, axis=1)
    frame, _, _ = frame_of(parents, kinds)
    got = project(frame, votes, counted > 0, aux_c, aux_u, (99, 100), replicates=21, min_donors=3)
    nodes, counted_g, point, reps, how = _reference(frame.chain, votes, counted > 0, aux_c, aux_u, (99, 100), 21, 3)
    assert got is not None and got.strata == how
    assert any(isinstance(h, tuple) for h in how.values()) and "own" in how.values()
    for d in range(len(nodes)):
        assert np.array_equal(got.point[d], point[d]) and np.array_equal(got.reps[d], reps[d])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(0, 6), st.integers(1, 30), st.integers(0, 2**32 - 1))
def test_summaries_of_many_areas_are_each_areas_summary(k, areas, B, seed):
    from escrutinio.domain.projection import summaries, summary

    rng = np.random.default_rng(seed)
    point = rng.integers(0, 5000, (areas, k)) * rng.integers(0, 2, (areas, 1))
    counted = point * rng.integers(0, 4, (areas, 1)) // 3
    reps = np.maximum(point[None] + rng.integers(-400, 400, (B, areas, k)), 0)
    allowance = rng.integers(0, 10**7, areas)
    many = summaries(point, reps, counted, allowance)
    assert len(many) == areas
    for g in range(areas):
        one = summary(point[g], reps[:, g], counted[g], allowance=int(allowance[g]))
        for key in ("share", "w", "margins", "margin_w"):
            assert np.array_equal(many[g][key], one[key]), key


def test_unit_weights_are_columns_of_the_weight_matrix():
    """Weights drawn unit by unit for every replicate are the same draws as the row-major matrix's."""
    from escrutinio.domain.projection import poisson_weights, unit_weights

    rng = np.random.default_rng(11)
    for seed, B, n in ((0, 1, 1), (2**64 - 1, 7, 300), (123456789, 200, 1000)):
        which = rng.choice(n, size=min(n, 97), replace=False)
        got = unit_weights(seed, B, n, which)
        assert got.shape == (len(which), B)
        assert np.array_equal(got.T, poisson_weights(seed, B, n)[:, which])


def _night(rng, areas=30, centres=900, k=3, previous=False):
    """A night with large strata (many centres in one area), gaps and complete strata."""
    parents, kinds = [-1], ["area"]
    for _ in range(areas):
        choices = [n for n, kind in enumerate(kinds) if kind == "area"]
        parents.append(int(rng.choice(choices)))
        kinds.append("area")
    choices = np.array([n for n, kind in enumerate(kinds) if kind == "area"])
    weight = rng.pareto(1.2, len(choices)) + 0.05  # a few areas hold most centres: runs longer than SLOTS
    for _ in range(centres):
        parents.append(int(rng.choice(choices, p=weight / weight.sum())))
        kinds.append("centre")
    registered = rng.integers(100, 1500, centres)
    counted = registered * rng.integers(0, 4, centres) // 3
    counted[np.array(parents[-centres:]) % 4 == 1] = 0  # areas with nothing counted: gaps
    counted[np.array(parents[-centres:]) % 4 == 2] = registered[np.array(parents[-centres:]) % 4 == 2]  # complete
    votes = (counted[:, None] * rng.dirichlet(np.arange(k, 0, -1), centres) * 0.8).astype(np.int64)
    if previous:
        earlier = rng.integers(0, 600, (centres, k))
        aux_c = earlier * counted[:, None] // registered[:, None]
        aux_u = earlier * (registered - counted)[:, None] // registered[:, None]
    else:
        aux_c = np.repeat(counted[:, None], k, axis=1)
        aux_u = np.repeat((registered - counted)[:, None], k, axis=1)
    return parents, kinds, votes, counted > 0, aux_c, aux_u


def _assert_reference(parents, kinds, votes, donor, aux_c, aux_u, seed, B, min_donors, scratch=None):
    frame, _, _ = frame_of(parents, kinds)
    got = project(frame, votes, donor, aux_c, aux_u, seed, replicates=B, min_donors=min_donors, scratch=scratch)
    want = _reference(frame.chain, votes, donor, aux_c, aux_u, seed, B, min_donors)
    assert (got is None) == (want is None)
    if want is None:
        return
    nodes, counted, point, reps, how = want
    assert got.strata == how
    for d in range(len(nodes)):
        assert np.array_equal(got.counted[d], counted[d])
        assert np.array_equal(got.point[d], point[d])
        assert np.array_equal(got.reps[d], reps[d])
        some = np.arange(len(nodes[d]))[::2]
        assert np.array_equal(got.reps.at(d, some), reps[d][:, some])


@pytest.mark.parametrize("previous", [False, True])
@pytest.mark.parametrize("narrow, exact, slots, chunk", [(2**31, 2**52, 32, 512), (0, 0, 3, 5), (2**31, 2**52, 1, 64)])
def test_every_way_of_summing_is_the_reference(monkeypatch, previous, narrow, exact, slots, chunk):
    """Long runs of one stratum's units, units drawn a few at a time, 64-bit replicate sums and integer
    division where float64 is not exact: the same figures as the reference."""
    from escrutinio.domain import projection

    monkeypatch.setattr(projection, "NARROW", narrow)
    monkeypatch.setattr(projection, "EXACT", exact)
    monkeypatch.setattr(projection, "SLOTS", slots)
    monkeypatch.setattr(projection, "CHUNK", chunk)
    rng = np.random.default_rng(5 + previous)
    night = _night(rng, previous=previous)
    _assert_reference(*night, (2**63 + 5, 77), 9, 3)
    _assert_reference(*night, (1, 2), 3, 1)


def test_memory_kept_from_one_call_gives_the_next_its_own_figures():
    """With scratch memory reused, each call's figures are those of a fresh call (larger, then smaller)."""
    scratch = {}
    for seed, centres in ((1, 900), (2, 300), (3, 600)):
        night = _night(np.random.default_rng(seed), centres=centres, previous=seed == 2)
        _assert_reference(*night, (seed, seed + 1), 6, 2, scratch=scratch)
    assert scratch  # the arrays were kept

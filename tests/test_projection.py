"""The projection's arithmetic: exact when every table is counted, honest about what it borrows otherwise.

Expected values come from sums and percent rules computed here from the generated votes, not from the
projection's own output.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escrutinio.domain.percent import PercentRule
from escrutinio.domain.projection import (ALLOWANCE, Frame, describe, frame_of, leader_call, micro_text, poisson_weights,
                                          project, seeds, splitmix, summary)


@st.composite
def countries(draw, complete: bool):
    """A root, regions, districts and centres; votes for k options; a counted share per centre."""
    k = draw(st.integers(2, 4))
    regions = draw(st.integers(1, 3))
    parents, kinds = [-1], ["area"]
    region_nodes = []
    for _ in range(regions):
        parents.append(0)
        kinds.append("area")
        region_nodes.append(len(parents) - 1)
    district_nodes = []
    for r in region_nodes:
        for _ in range(draw(st.integers(1, 3))):
            parents.append(r)
            kinds.append("area")
            district_nodes.append(len(parents) - 1)
    centre_nodes = []
    for d in district_nodes:
        for _ in range(draw(st.integers(1, 8))):
            parents.append(d)
            kinds.append("centre")
            centre_nodes.append(len(parents) - 1)
    n = len(centre_nodes)
    registered = np.array(draw(st.lists(st.integers(10, 3000), min_size=n, max_size=n)), dtype=np.int64)
    votes = np.array([[draw(st.integers(1, int(r) // k)) for _ in range(k)] for r in registered], dtype=np.int64)
    if complete:
        counted_register = registered.copy()
    else:
        part = np.array(draw(st.lists(st.sampled_from([0.0, 0.3, 1.0]), min_size=n, max_size=n)))
        counted_register = np.floor(registered * part).astype(np.int64)
        votes = np.where(counted_register[:, None] > 0, votes * counted_register[:, None] // registered[:, None], 0)
    return parents, kinds, np.array(centre_nodes), registered, counted_register, votes


def _run(parents, kinds, registered, counted_register, votes, seed=(7, 11)):
    frame, units, _ = frame_of(parents, kinds)
    k = votes.shape[1]
    donor = counted_register > 0
    aux_c = np.repeat(counted_register[:, None], k, axis=1)
    aux_u = np.repeat((registered - counted_register)[:, None], k, axis=1)
    return frame, units, project(frame, votes, donor, aux_c, aux_u, seed, replicates=60, min_donors=2)


def _areas_of(parents, units):
    """For every unit, each area above it (an independent walk up the parents)."""
    out = []
    for u in units.tolist():
        line, up = [], parents[u]
        while up >= 0:
            line.append(up)
            up = parents[up]
        out.append(line)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(country=countries(complete=True), method=st.sampled_from(["truncate", "half_up"]),
       decimals=st.integers(0, 4))
def test_every_table_counted_the_projection_is_the_count_with_no_width(country, method, decimals):
    parents, kinds, centres, registered, counted_register, votes = country
    frame, units, result = _run(parents, kinds, registered, counted_register, votes)
    assert list(units) == list(centres)
    rule = PercentRule(method, decimals)
    # The count per area, added up here from the units.
    counted: dict[int, np.ndarray] = {}
    for i, line in enumerate(_areas_of(parents, units)):
        for area in line:
            counted[area] = counted.get(area, 0) + votes[i]
    seen = 0
    for d, nodes in enumerate(result.nodes):
        for g, node in enumerate(nodes.tolist()):
            point, reps = result.point[d][g], result.reps[d][:, g]
            assert point.tolist() == counted[node].tolist()
            assert (reps == point[None]).all()
            whole = int(counted[node].sum())
            if whole == 0:
                continue
            s = summary(point, reps, result.counted[d][g])
            assert not s["w"].any() and not s["margin_w"].any()
            shown = describe([f"O{j}" for j in range(len(point))], point, s, leader_call(point, s), decimals, method)
            for j, value in enumerate(counted[node].tolist()):
                option = shown["options"][f"O{j}"]
                assert option["estimate"] == option["low"] == option["high"] == rule.format(value, whole)
            assert shown["margin"]["low"] == shown["margin"]["estimate"] == shown["margin"]["high"]
            top = sorted(counted[node].tolist(), reverse=True)
            leader = int(np.argmax(counted[node]))
            assert shown["call"] == (f"O{leader}" if top[0] > top[1] else None)
            seen += 1
    assert seen >= 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(country=countries(complete=False))
def test_a_partial_count_gets_an_interval_around_its_estimate_and_keeps_what_is_counted(country):
    parents, kinds, centres, registered, counted_register, votes = country
    frame, units, result = _run(parents, kinds, registered, counted_register, votes)
    if result is None:  # fewer than two centres counted in the whole country
        assert (counted_register > 0).sum() < 2
        return
    root = result.point[0][0]
    # Never fewer votes than counted, and the uncounted register bounds what is added.
    assert (root >= votes.sum(axis=0)).all()
    s = summary(root, result.reps[0][:, 0], result.counted[0][0])
    assert (s["w"] >= 0).all()
    assert (s["margin_w"] >= 0).all()


def test_the_same_counts_give_the_same_projection_and_the_seed_comes_from_the_counters():
    assert seeds("A", "ab" * 32) == seeds("A", "ab" * 32)
    assert seeds("A", "ab" * 32) != seeds("B", "ab" * 32)
    # SplitMix64's published first outputs from seed 0 (Vigna's reference implementation).
    assert splitmix(0, 3).tolist() == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    w = poisson_weights(5, 200, 500)
    assert 0.9 < w.mean() < 1.1 and 0.85 < w.var() < 1.15  # Poisson(1): mean 1, variance 1
    assert (w == 0).mean() > 0.3


def test_an_area_never_counted_borrows_from_its_siblings():
    # Root; two regions; region 0 has districts a, b, c (counted), region 1 has d (counted) and e (never).
    parents = [-1, 0, 0, 1, 1, 1, 2, 2]
    kinds = ["area"] * 8
    centre_parent = [3] * 6 + [4] * 6 + [5] * 6 + [6] * 6 + [7] * 6
    parents += centre_parent
    kinds += ["centre"] * len(centre_parent)
    n = len(centre_parent)
    registered = np.full(n, 1000, dtype=np.int64)
    share = np.array([0.40] * 6 + [0.45] * 6 + [0.50] * 6 + [0.60] * 6 + [0.55] * 6)
    counted_register = np.where(np.array(centre_parent) == 7, 0, 1000)
    votes = np.column_stack([np.floor(600 * share), 600 - np.floor(600 * share)]).astype(np.int64)
    votes[counted_register == 0] = 0
    frame = frame_of(parents, kinds)[0]
    donor = counted_register > 0
    aux_c = np.repeat(counted_register[:, None], 2, axis=1)
    aux_u = np.repeat((registered - counted_register)[:, None], 2, axis=1)
    result = project(frame, votes, donor, aux_c, aux_u, (1, 2), replicates=200, min_donors=5)
    assert result.strata[7] == ("gap", 7, 2)  # district e predicted from region 1
    # Its point: region 1's counted ratio (district d alone) times e's register.
    assert result.point[0][0].tolist() == (votes.sum(axis=0) + votes[18:24].sum(axis=0)).tolist()
    point, counted = result.point[0][0], result.counted[0][0]
    s = summary(point, result.reps[0][:, 0], counted)
    # Its only sibling with centres counted is d, whose centres all vote alike: the bootstrap adds nothing,
    # the width is the arrival allowance on the predicted votes alone.
    assert (point - counted).sum() == 6 * 600
    assert s["w"][0] == -(-ALLOWANCE * 3600 // int(point.sum()))
    # Region 0's districts are complete: their interval has no width.
    region0 = list(result.nodes[1]).index(1)
    assert not summary(result.point[1][region0], result.reps[1][:, region0], result.counted[1][region0])["w"].any()


def test_text_of_millionths():
    assert micro_text(50_123_456, 2, up=False) == "50.12"
    assert micro_text(50_123_456, 2, up=True) == "50.13"
    assert micro_text(50_120_000, 2, up=True) == "50.12"
    assert micro_text(-5, 2, up=False) == "0.00"
    assert micro_text(100_000_001, 1, up=True) == "100.0"

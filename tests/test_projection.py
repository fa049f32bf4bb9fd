"""The projection's arithmetic: exact when every table is counted, honest about what it borrows otherwise.

Expected values come from sums and percent rules computed here from the generated votes, not from the
projection's own output.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escrutinio.domain.percent import PercentRule
from escrutinio.domain.projection import (ALLOWANCE, Frame, blended_allowance, describe, frame_of, leader_call,
                                          micro_text, poisson_weights, previous_sizes, project, seeds, splitmix,
                                          summary)


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


# -- the previous election as the size ----------------------------------------------------------------

@st.composite
def earlier_of(draw, country):
    """The previous election per unit for ``country``: votes of the options tonight's map to, its register
    (0: a new centre it does not cover), and which of tonight's options are mapped."""
    parents, kinds, centres, registered, counted_register, votes = country
    n, k = votes.shape
    mapped = np.array(draw(st.lists(st.booleans(), min_size=k, max_size=k)))
    covered = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    earlier_registered = np.where(covered, registered * 95 // 100, 0)
    earlier = np.array([[draw(st.integers(0, max(1, int(r) // k))) for _ in range(k)] for r in earlier_registered],
                       dtype=np.int64) * mapped[None]
    return earlier, earlier_registered, mapped


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), method=st.sampled_from(["truncate", "half_up"]), decimals=st.integers(0, 4))
def test_with_a_previous_election_every_table_counted_is_still_the_count_with_no_width(data, method, decimals):
    country = data.draw(countries(complete=True))
    earlier, earlier_registered, mapped = data.draw(earlier_of(country))
    parents, kinds, centres, registered, counted_register, votes = country
    frame, units, _ = frame_of(parents, kinds)
    aux_c, aux_u, covered = previous_sizes(counted_register, registered, earlier, earlier_registered, mapped)
    assert not aux_u.any()  # nothing left uncounted: no size to predict
    result = project(frame, votes, counted_register > 0, aux_c, aux_u, (3, 5), replicates=60, min_donors=2)
    rule = PercentRule(method, decimals)
    counted: dict[int, np.ndarray] = {}
    for i, line in enumerate(_areas_of(parents, units)):
        for area in line:
            counted[area] = counted.get(area, 0) + votes[i]
    for d, nodes in enumerate(result.nodes):
        for g, node in enumerate(nodes.tolist()):
            point, reps = result.point[d][g], result.reps[d][:, g]
            assert point.tolist() == counted[node].tolist() and (reps == point[None]).all()
            whole = int(point.sum())
            if whole == 0:
                continue
            s = summary(point, reps, result.counted[d][g], allowance=blended_allowance(0, 0))
            assert not s["w"].any() and not s["margin_w"].any()
            shown = describe([f"O{j}" for j in range(len(point))], point, s, None, decimals, method)
            for j, value in enumerate(counted[node].tolist()):
                option = shown["options"][f"O{j}"]
                assert option["estimate"] == option["low"] == option["high"] == rule.format(value, whole)


def test_the_previous_election_predicts_a_centre_that_voted_otherwise_before():
    """One district, ten centres of equal register: five lean to A, five to B, tonight as before (a swing of
    ten points to B everywhere). Only the A-leaning centres and one B-leaning centre are counted: the
    register's ratio predicts the missing B centres like the counted ones (mostly A), the previous election
    predicts them as they voted before, swung as the counted ones swung."""
    parents = [-1, 0] + [1] * 10
    kinds = ["area", "area"] + ["centre"] * 10
    registered = np.full(10, 1000, dtype=np.int64)
    before = np.array([[600, 300]] * 5 + [[300, 600]] * 5, dtype=np.int64)
    tonight = before * np.array([[5, 6]]) // np.array([[6, 5]])  # A loses a sixth of its voters, B gains a fifth
    counted_register = np.array([1000] * 6 + [0] * 4, dtype=np.int64)
    votes = tonight * (counted_register > 0)[:, None]
    frame = frame_of(parents, kinds)[0]
    truth = tonight.sum(axis=0)
    aux_c, aux_u, covered = previous_sizes(counted_register, registered, before, registered, np.array([True, True]))
    assert covered.all()
    assert aux_u[6:].tolist() == before[6:].tolist() and not aux_c[6:].any()
    with_previous = project(frame, votes, counted_register > 0, aux_c, aux_u, (1, 2), replicates=50, min_donors=5)
    register = project(frame, votes, counted_register > 0, np.repeat(counted_register[:, None], 2, axis=1),
                       np.repeat((registered - counted_register)[:, None], 2, axis=1), (1, 2), replicates=50,
                       min_donors=5)
    # Per option: counted votes + the missing centres' earlier votes × (counted tonight ÷ counted before).
    expected = votes.sum(axis=0) + before[6:].sum(axis=0) * votes.sum(axis=0) // before[:6].sum(axis=0)
    assert with_previous.point[0][0].tolist() == expected.tolist()
    assert abs(int(with_previous.point[0][0][1]) - int(truth[1])) < abs(int(register.point[0][0][1]) - int(truth[1]))


def test_a_centre_the_previous_election_does_not_cover_falls_back_to_its_register():
    registered = np.array([1000, 2000, 500], dtype=np.int64)
    counted = np.array([400, 0, 500], dtype=np.int64)
    earlier = np.array([[300, 200, 7], [0, 0, 0], [100, 300, 9]], dtype=np.int64)
    earlier_registered = np.array([900, 0, 450], dtype=np.int64)
    aux_c, aux_u, covered = previous_sizes(counted, registered, earlier, earlier_registered,
                                           np.array([True, True, False]))
    assert covered.tolist() == [True, False, True]
    # Covered: the earlier votes shared by tonight's register counted and not counted.
    assert aux_c[0].tolist() == [300 * 400 // 1000, 200 * 400 // 1000, 400]
    assert aux_u[0].tolist() == [300 * 600 // 1000, 200 * 600 // 1000, 600]
    # Not covered: its register at the country's earlier votes per earlier registered voter (400/1350, 500/1350).
    assert aux_u[1].tolist() == [2000 * 400 // 1350, 2000 * 500 // 1350, 2000]
    assert aux_c[1].tolist() == [0, 0, 0]
    # The option mapped to nothing keeps the register everywhere.
    assert aux_c[:, 2].tolist() == counted.tolist()
    # Nobody covered at all: the register.
    aux_c, aux_u, covered = previous_sizes(counted, registered, earlier, np.zeros(3, np.int64),
                                           np.array([True, True, True]))
    assert not covered.any() and aux_u[:, 0].tolist() == (registered - counted).tolist()


def test_the_allowance_is_blended_by_the_uncounted_register():
    assert blended_allowance(0, 0, 8, 4) == 8
    assert blended_allowance(100, 0, 8, 4) == 4
    assert blended_allowance(0, 100, 8, 4) == 8
    assert blended_allowance(300, 100, 8_000_000, 4_000_000) == 5_000_000
    assert blended_allowance(1, 2, 8, 4) == 7  # (4 + 16) / 3, rounded up

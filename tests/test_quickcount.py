"""Quick count: the published sample, the sample size and the stratified ratio estimator.

Expected figures are worked by hand in the comments, or come from brute force over
every possible sample of a small population.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escrutinio.domain import quickcount as qc

# --- the sample -------------------------------------------------------------------------------


def redraw(seed: str, size: int, strata: dict[str, str]) -> set[str]:
    """The draw as docs/observers.md states it, written again from the text alone."""
    groups: dict[str, list[str]] = {}
    for table, stratum in strata.items():
        groups.setdefault(stratum, []).append(table)
    total = len(strata)
    share = {h: size * len(t) // total for h, t in groups.items()}
    remainder = {h: Fraction(size * len(t), total) - share[h] for h, t in groups.items()}
    for h in sorted(groups, key=lambda h: (-remainder[h], h))[:size - sum(share.values())]:
        share[h] += 1
    chosen = set()
    for h, tables in groups.items():
        ranked = sorted(tables, key=lambda t: (hashlib.sha256(f"{seed}:{t}".encode("utf-8")).hexdigest(), t))
        chosen.update(ranked[:share[h]])
    return chosen


def test_the_key_is_sha256_of_seed_colon_table():
    # sha256("2007-12-02:T1") computed independently of the program by the hashlib reference
    assert qc.sample_key("2007-12-02", "T1") == hashlib.sha256(b"2007-12-02:T1").hexdigest()


def test_the_same_seed_gives_the_same_tables_as_the_documented_algorithm():
    strata = {f"{e:02d}-{m:03d}": f"E{e:02d}" for e in range(1, 25) for m in range(1, 1 + 10 * e)}
    drawn = qc.draw_sample("20071202-loteria-07-31-12", 300, strata)
    assert {p.table for p in drawn} == redraw("20071202-loteria-07-31-12", 300, strata)
    assert [p.table for p in drawn] == [p.table for p in qc.draw_sample("20071202-loteria-07-31-12", 300, strata)]
    assert {p.table for p in drawn} != {p.table for p in qc.draw_sample("another seed", 300, strata)}
    assert all(strata[p.table] == p.stratum for p in drawn)


@given(st.dictionaries(st.text("ABC", min_size=1, max_size=2), st.integers(1, 9), min_size=1, max_size=5),
       st.text(min_size=1, max_size=8), st.data())
def test_any_draw_matches_the_documented_algorithm(sizes, seed, data):
    strata = {f"{h}{i}": h for h, n in sizes.items() for i in range(n)}
    size = data.draw(st.integers(1, len(strata)))
    drawn = qc.draw_sample(seed, size, strata)
    assert len(drawn) == size
    assert {p.table for p in drawn} == redraw(seed, size, strata)


def test_allocation_in_proportion_with_largest_remainders():
    assert qc.allocate({"A": 50, "B": 30, "C": 20}, 10) == {"A": 5, "B": 3, "C": 2}
    # quotas 3.5, 2.1, 1.4: floors 3, 2, 1, and the one left goes to the largest remainder (A)
    assert qc.allocate({"A": 5, "B": 3, "C": 2}, 7) == {"A": 4, "B": 2, "C": 1}
    # equal remainders (2/3 each): the stratum codes that sort first
    assert qc.allocate({"C": 1, "A": 1, "B": 1}, 2) == {"A": 1, "B": 1, "C": 0}
    with pytest.raises(ValueError):
        qc.allocate({"A": 3}, 4)


# --- the sample size --------------------------------------------------------------------------


def test_sample_size_by_hand():
    # n = 0.25 / (0.01²/2² + 0.25/1,000,000) = 0.25 / 0.00002525 = 9,900.99 -> 9,901 voters;
    # 9,901 / 500 voters per table = 19.8 -> 20 tables
    assert qc.sample_size(1_000_000, 0.01, 2, 500) == qc.SampleSize(9901, 20)


def test_sample_size_of_ndi_peru_2001_example():
    # NDI's handbook: N = 14,570,774, E = 0.32 %, z = 2.58. With E² written exactly (0.00001024, the
    # handbook rounds it to .000010 and prints 163,185): 0.25 / (1.024e-5 / 6.6564 + 0.25 / 14,570,774)
    # = 0.25 / 0.0000015555 = 160,717.6 -> 160,718 voters; at 200 per station, 803.6 -> 804 stations
    assert qc.sample_size(14_570_774, 0.0032, 2.58, 200) == qc.SampleSize(160_718, 804)


def test_sample_size_refuses_nonsense():
    for args in [(0, 0.01, 2, 500), (100, 0, 2, 500), (100, 1.5, 2, 500), (100, 0.01, 2, 0)]:
        with pytest.raises(ValueError):
            qc.sample_size(*args)


# --- the estimator ----------------------------------------------------------------------------


def report(table, stratum, yes, valid):
    return qc.Report(table, stratum, {"SI": yes, "NO": valid - yes}, valid)


def test_estimate_by_hand():
    # A: 4 tables, reports (60 of 100) and (40 of 100); B: 2 tables, both reported, (30 of 50), (20 of 50).
    # Y = 4·50 + 2·25 = 250, X = 4·100 + 2·50 = 500, p = 0.5.
    # residuals y - 0.5x: A 10, -10 (s² = 200), B 5, -5 (but B is a census, so it adds nothing).
    # V = 4² · (1 - 2/4) · 200 / 2 / 500² = 800 / 250,000 = 0.0032; margin = 1.96 · √0.0032 = 0.110874
    found = qc.estimate([report("a1", "A", 60, 100), report("a2", "A", 40, 100),
                         report("b1", "B", 30, 50), report("b2", "B", 20, 50)], {"A": 4, "B": 2}, ["SI", "NO"])
    assert found.option("SI").share == pytest.approx(0.5)
    assert found.option("SI").margin == pytest.approx(1.96 * math.sqrt(0.0032))
    assert found.option("NO").margin == pytest.approx(1.96 * math.sqrt(0.0032))
    assert (found.reports, found.strata_reporting, found.strata) == (4, 2, 2)


def test_a_census_gives_the_exact_share_and_no_margin():
    population = [report(f"t{i}", "A" if i < 5 else "B", 10 * i + 3, 100 + i) for i in range(9)]
    found = qc.estimate(population, {"A": 5, "B": 4}, ["SI", "NO"])
    truth = Fraction(sum(r.votes["SI"] for r in population), sum(r.valid for r in population))
    assert found.option("SI").share == pytest.approx(float(truth))
    assert found.option("SI").margin == pytest.approx(0.0, abs=1e-12)


def test_one_report_has_no_margin_and_a_lonely_stratum_borrows_the_pooled_variance():
    assert qc.estimate([report("a1", "A", 60, 100)], {"A": 4}, ["SI"]).option("SI").margin is None
    # A: two reports, residuals ±10 about p; C: one report of 100 with 50 SI (residual 0).
    # p = (4·50 + 3·50) / (4·100 + 3·100) = 0.5; pooled residuals 10, -10, 0: s² = 100.
    # V = (16 · 0.5 · 200/2 + 9 · (1 - 1/3) · 100 / 1) / 700² = (800 + 600) / 490,000
    found = qc.estimate([report("a1", "A", 60, 100), report("a2", "A", 40, 100), report("c1", "C", 50, 100)],
                        {"A": 4, "C": 3}, ["SI"])
    assert found.option("SI").margin == pytest.approx(1.96 * math.sqrt(1400 / 490_000))


small_population = st.lists(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=2, max_size=5),
                            min_size=1, max_size=3)


def every_sample(strata: list[list], sizes: list[int]):
    """Every stratified sample: one combination of n_h tables from each stratum."""
    return itertools.product(*(itertools.combinations(s, n) for s, n in zip(strata, sizes)))


@settings(max_examples=60, deadline=None)
@given(small_population, st.data())
def test_expansion_total_and_its_variance_are_unbiased_over_every_sample(strata, data):
    # Brute force: over all equally likely stratified samples, the mean of Σ N_h ȳ_h is the true total,
    # and the mean of the estimated variance is the true variance of that estimate (both exact theorems).
    sizes = [data.draw(st.integers(2, len(s))) for s in strata]
    population = {str(h): len(s) for h, s in enumerate(strata)}
    truth = sum(y for s in strata for y, _ in s)
    totals, variances = [], []
    for sample in every_sample(strata, sizes):
        values = {str(h): [y for y, _ in picked] for h, picked in enumerate(sample)}
        totals.append(qc.stratified_total(values, population))
        variances.append(qc.stratified_variance(values, population))
    mean = sum(totals) / len(totals)
    assert mean == pytest.approx(truth, abs=1e-6)
    true_variance = sum((t - mean) ** 2 for t in totals) / len(totals)
    assert sum(variances) / len(variances) == pytest.approx(true_variance, rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(small_population, st.data())
def test_ratio_estimate_matches_a_brute_force_computation(strata, data):
    sizes = [data.draw(st.integers(1, len(s))) for s in strata]
    population = {str(h): len(s) for h, s in enumerate(strata)}
    sample = data.draw(st.sampled_from(list(itertools.islice(every_sample(strata, sizes), 50))))
    reports = [report(f"{h}-{i}", str(h), y, y + n) for h, picked in enumerate(sample) for i, (y, n) in enumerate(picked)]
    found = qc.estimate(reports, population, ["SI"]).option("SI")
    # the same estimator, written out in exact fractions
    big_x = sum(Fraction(len(s) * sum(y + n for y, n in p), len(p)) for s, p in zip(strata, sample))
    big_y = sum(Fraction(len(s) * sum(y for y, _ in p), len(p)) for s, p in zip(strata, sample))
    if big_x == 0:
        assert found.margin is None or found.share == 0
        return
    share = big_y / big_x
    assert found.share == pytest.approx(float(share))
    residuals = [[y - share * (y + n) for y, n in p] for p in sample]
    pooled = [d for r in residuals for d in r]

    def s2(values):
        mean = sum(values) / len(values)
        return sum((d - mean) ** 2 for d in values) / (len(values) - 1) if len(values) > 1 else 0

    variance = sum(Fraction(len(s) ** 2) * (1 - Fraction(len(r), len(s))) * (s2(r) if len(r) > 1 else s2(pooled))
                   / len(r) for s, r in zip(strata, residuals)) / big_x ** 2
    if len(reports) < 2:
        assert found.margin is None
    else:
        assert found.margin == pytest.approx(1.96 * math.sqrt(variance), abs=1e-9)

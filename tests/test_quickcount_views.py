"""The quick count's lead and convergence, claims judged on the quick count, and the convergence chart.

Expected figures are worked by hand in the comments or recomputed independently (a lead is the
difference of two shares of one ratio estimator; a census has no margin).
"""

from __future__ import annotations

import datetime as dt
import math
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escrutinio.domain import quickcount as qc
from escrutinio.domain.claims import CONTRADICTED, NOT_YET, SUPPORTED, judge_quick_count, parse_claim
from escrutinio.publish.chart import Line, convergence_svg, y_range
from escrutinio.services.quickcount import cuts

CONTESTS = {"A": ("SI", "NO")}
SVG = "{http://www.w3.org/2000/svg}"


def report(table, stratum, yes, no, other=0):
    return qc.Report(table, stratum, {"SI": yes, "NO": no}, yes + no + other)


reports_strategy = st.lists(st.tuples(st.sampled_from("AB"), st.integers(0, 80), st.integers(0, 80),
                                      st.integers(0, 20)), min_size=2, max_size=12)


@settings(max_examples=80, deadline=None)
@given(reports_strategy)
def test_the_lead_is_the_difference_of_the_shares_and_no_wider_than_their_margins(rows):
    reports = [report(f"t{i}", h, y, n, o) for i, (h, y, n, o) in enumerate(rows)]
    population = {"A": 30, "B": 30}
    both = qc.estimate(reports, population, ("SI", "NO"))
    lead = qc.lead(reports, population, "SI", "NO")
    if both.valid_estimate <= 0:
        assert lead.margin is None
        return
    assert lead.share == pytest.approx(both.option("SI").share - both.option("NO").share, abs=1e-12)
    # Minkowski: the difference's standard error is at most the sum of the two standard errors
    assert lead.margin <= both.option("SI").margin + both.option("NO").margin + 1e-12


def test_the_lead_by_hand():
    # One stratum of 4 tables, two reported: (SI 60, NO 40) and (SI 40, NO 60), 100 valid each.
    # lead = (100 - 100) / 200 = 0; residuals d = (y_SI - y_NO) - 0 · x = 20, -20: s² = 800.
    # V = 4² (1 - 2/4) · 800 / 2 / (4 · 100)² = 3200 / 160,000 = 0.02; margin = 1.96 √0.02
    lead = qc.lead([report("a", "H", 60, 40), report("b", "H", 40, 60)], {"H": 4}, "SI", "NO")
    assert lead.share == pytest.approx(0.0)
    assert lead.margin == pytest.approx(1.96 * math.sqrt(0.02))


def test_the_convergence_is_the_estimate_from_the_reports_received_by_each_cut():
    t = [dt.datetime(2007, 12, 2, 22, m, tzinfo=dt.timezone.utc) for m in (5, 20, 40)]
    timed = [(t[0], report("a", "H", 60, 40)), (t[1], report("b", "H", 40, 60)), (t[2], report("c", "H", 50, 50))]
    marks = [t[0], t[1] + dt.timedelta(minutes=1), t[2]]
    found = qc.convergence(timed, marks, {"H": 10}, ("SI",))
    assert [e.reports for e in found] == [1, 2, 3]
    assert [e.option("SI").share for e in found] == pytest.approx([0.6, 0.5, 0.5])
    assert found[0].option("SI").margin is None and found[1].option("SI").margin is not None


def test_cuts_are_round_times_from_the_first_report_to_the_last():
    utc = dt.timezone.utc
    first, last = dt.datetime(2007, 12, 2, 21, 31, 10, tzinfo=utc), dt.datetime(2007, 12, 3, 1, 4, tzinfo=utc)
    # 213 minutes: 10-minute steps would give 21 cuts and fit within 24; 5-minute ones (42) would not
    found = cuts(first, last)
    assert found[0] == dt.datetime(2007, 12, 2, 21, 40, tzinfo=utc)
    assert found[-2] == dt.datetime(2007, 12, 3, 1, 0, tzinfo=utc) and found[-1] == last
    assert all((b - a) == dt.timedelta(minutes=10) for a, b in zip(found, found[1:-1]))
    assert cuts(first, first) == [first]


# --- claims judged on the quick count --------------------------------------------------------------

def judged(text, reports, population):
    return judge_quick_count(parse_claim(text, CONTESTS), reports, population, CONTESTS["A"])


def test_a_census_of_the_sample_judges_the_lead_exactly():
    # every table of the stratum reported: no margin. NO - SI = (55 + 53) - (45 + 47) = 16 of 200 valid:
    # SI minus NO is -8 points, exactly.
    census = [report("a", "H", 45, 55), report("b", "H", 47, 53)]
    assert judged("in contest A, SI leads NO by 6 to 8 points", census, {"H": 2}).verdict == CONTRADICTED
    assert judged("in contest A, NO leads SI by 6 to 8 points", census, {"H": 2}).verdict == SUPPORTED
    assert judged("NO wins", census, {"H": 2}).verdict == SUPPORTED
    assert judged("SI wins", census, {"H": 2}).verdict == CONTRADICTED
    verdict = judged("SI leads NO", census, {"H": 2})
    assert verdict.verdict == CONTRADICTED and "-8.00 points" in verdict.reason and "2 sampled tables" in verdict.reason


def test_an_interval_that_overlaps_the_claim_cannot_judge_it_yet():
    # two of 100 tables, lead of SI +10 and -10 points: the interval is far wider than 6 to 8 points
    wide = [report("a", "H", 55, 45), report("b", "H", 45, 55)]
    assert judged("in contest A, SI leads NO by 6 to 8 points", wide, {"H": 100}).verdict == NOT_YET
    assert judged("SI wins", wide, {"H": 100}).verdict == NOT_YET


def test_what_the_quick_count_cannot_judge():
    two = [report("a", "H", 55, 45), report("b", "H", 45, 55)]
    assert judged("turnout above 60 %", two, {"H": 2}).verdict == NOT_YET
    assert judged("in contest A, NO gained less than 100,000 votes over the previous election", two,
                  {"H": 2}).verdict == NOT_YET
    assert "needs two" in judged("SI wins", two[:1], {"H": 2}).reason


# --- the chart -------------------------------------------------------------------------------------

def test_the_chart_is_one_line_and_band_per_option_with_the_official_share_dashed():
    lines = [Line("Sí", "#2166ac", [(0.47, None, None), (0.49, 0.48, 0.50), (0.494, 0.491, 0.497)], 0.4929),
             Line("No", "#b2182b", [(0.53, None, None), (0.51, 0.50, 0.52), (0.506, 0.503, 0.509)], 0.5070)]
    svg = convergence_svg(lines, ["18:00", "19:00", "20:00"], title="Quick count <A>", description="3 reports",
                          percent=lambda v, d: f"{100 * v:.{d}f} %", ident="qc-A")
    root = ET.fromstring(svg)  # well-formed, the title escaped
    assert root.find(f"{SVG}title").text == "Quick count <A>" and root.get("role") == "img"
    assert len(root.findall(f"{SVG}polyline")) == 2 and len(root.findall(f"{SVG}polygon")) == 2
    dashed = [e for e in root.findall(f"{SVG}line") if e.get("stroke-dasharray")]
    assert {e.get("stroke") for e in dashed} == {"#2166ac", "#b2182b"}
    labels = [e.text for e in root.findall(f"{SVG}text")]
    assert "18:00" in labels and "20:00" in labels and "50 %" in labels  # ticks every 2 points: no decimals


@given(st.lists(st.floats(0, 1), min_size=1, max_size=10))
def test_the_vertical_range_holds_every_value_on_round_ticks(values):
    bottom, top, step = y_range([Line("x", "#000", [(v, None, None) for v in values])])
    assert 0 <= bottom <= min(values) and max(values) <= top <= 1
    assert (top - bottom) / step == pytest.approx(round((top - bottom) / step))

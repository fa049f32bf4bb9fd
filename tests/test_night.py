"""The night for readers: leader changes between bulletins, the chart of shares against progress."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings, strategies as st

from escrutinio.publish.svgchart import HEIGHT, LEFT, RIGHT, WIDTH, Series, render_chart, y_range
from escrutinio.web.night import leader_changes

CONTEST = {"code": "Q", "options": [{"code": "YES", "name": "Yes"}, {"code": "NO", "name": "No"},
                                    {"code": "MAYBE", "name": "Maybe"}]}


def bulletin(rows: list[list[int]], kinds: list[str]):
    matrix = np.array([row + [0, 0] for row in rows], dtype=np.int64)  # two trailing counters, not options
    nodes = SimpleNamespace(kinds=kinds, codes=[f"N{i}" for i in range(len(rows))],
                            names=[f"Area {i}" for i in range(len(rows))], levels=["level"] * len(rows))
    return SimpleNamespace(counters={"Q": matrix}, nodes=nodes)


def leader(row: list[int]) -> int | None:
    """By hand: the index of the most votes, none when nothing is counted or the top two tie."""
    best = max(row)
    if best == 0 or row.count(best) > 1:
        return None
    return row.index(best)


def test_a_leader_change_is_listed_and_centres_and_ties_are_not():
    old = bulletin([[10, 5, 0], [3, 9, 0], [0, 0, 0], [4, 4, 0], [5, 1, 0]], ["area", "area", "area", "area", "centre"])
    new = bulletin([[10, 12, 0], [3, 9, 0], [1, 0, 0], [4, 4, 0], [5, 9, 0]], ["area", "area", "area", "area", "centre"])
    count, listed = leader_changes(old, new, CONTEST)
    assert count == 2
    assert [(a["code"], a["before"], a["after"]) for a in listed] == [("N0", "Yes", "No"), ("N2", None, "Yes")]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.lists(st.integers(0, 5), min_size=3, max_size=3),
                          st.lists(st.integers(0, 5), min_size=3, max_size=3)), min_size=1, max_size=12))
def test_leader_changes_match_a_count_by_hand(pairs):
    old = bulletin([a for a, _ in pairs], ["area"] * len(pairs))
    new = bulletin([b for _, b in pairs], ["area"] * len(pairs))
    expected = [i for i, (a, b) in enumerate(pairs) if leader(b) is not None and leader(a) != leader(b)]
    count, listed = leader_changes(old, new, CONTEST)
    assert count == len(expected)
    assert [a["code"] for a in listed] == [f"N{i}" for i in expected]


def test_the_chart_places_each_bulletin_by_progress_and_share():
    series = [Series("No", "#b2182b", [(87.9, 50.70, "b1"), (100.0, 50.63, "b5")]),
              Series("Sí", "#2166ac", [(87.9, 49.29, "b1"), (100.0, 49.36, "b5")])]
    svg = render_chart(series, title="Bloque A", description="d", x_label="x", y_label="y", line=50)
    low, high = y_range(series, 50)
    assert low <= 49.29 and high >= 50.70 and high - low <= 6  # zoomed on the race, not 0–100
    circles = [(float(x), float(y)) for x, y in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', svg)]
    inner_w = WIDTH - LEFT - RIGHT
    assert abs(circles[1][0] - (LEFT + inner_w)) < 0.2  # 100 % counted is the right edge
    assert abs(circles[0][0] - (LEFT + inner_w * 0.879)) < 0.2
    assert circles[0][1] < circles[2][1]  # No (50.70) above Sí (49.29): SVG y grows downwards
    assert 'class="rule-line"' in svg and 'role="img"' in svg and "<script" not in svg
    assert f'viewBox="0 0 {WIDTH} {HEIGHT}"' in svg

"""The projection on trees of uneven depth: centres hanging under a region and under its districts at once.

An area with centres of its own above the strata's depth is, at every deeper place, the stratum of its own
centres; when they are counted too little it is a gap beneath itself (its ratio, counted with its areas
beneath, is the estimate; in the bootstrap it takes the ratio of one of the areas beneath it that have enough
centres counted, picked at random). The verifier's code of its own must give the published figures to the
last digit, and a small tree worked by hand from docs/verdicts.md pins what both give.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escrutinio.domain.model import Area, Centre, Contest, Election, Option, Rule, Table
from escrutinio.domain.percent import PercentRule
from escrutinio.domain.projection import SETTINGS
from escrutinio.services.published import geography_of
from escrutinio.verify.geography import Tree
from escrutinio.verify.projection import Projector
from escrutinio.verify.report import Report

from .test_projection_bulletin import bulletin_of

OPTIONS = (Option("A", "A"), Option("B", "B"), Option("C", "C"))


def _election(areas, centres, tables) -> Election:
    return Election(name="Uneven", date=dt.date(2024, 5, 5), time_zone="UTC", polls_open=dt.time(6),
                    polls_close=dt.time(18), locale="en", percent_rule=PercentRule("truncate", 2),
                    abstention_basis="whole_register", extra_voters_allowed=0,
                    contests=(Contest("Q", "Question", OPTIONS, rule=Rule("plurality")),),
                    levels=("country", "region", "district", "sub-district")[:1 + max(a.level for a in areas)],
                    areas=tuple(areas), centres=tuple(centres), tables=tuple(tables))


def uneven(data) -> Election:
    """Regions, some with districts (some of those with sub-districts), centres under areas of every depth."""
    areas, centres, tables = [Area("X", "Country", 0, None)], [], []

    def hang(area: str, count: int) -> None:
        for c in range(count):
            centre = f"{area}C{c}"
            centres.append(Centre(centre, f"Centre {c}", area))
            for t in range(data.draw(st.integers(1, 3))):
                tables.append(Table(f"{centre}T{t}", centre, 150 + 41 * ((len(tables) * 7) % 11), ("Q",)))

    for r in range(data.draw(st.integers(2, 3))):
        region = f"R{r}"
        areas.append(Area(region, f"Region {r}", 1, "X"))
        hang(region, data.draw(st.integers(0, 8)))
        for d in range(data.draw(st.integers(0, 3))):
            district = f"{region}D{d}"
            areas.append(Area(district, f"District {r}.{d}", 2, region))
            hang(district, data.draw(st.integers(1, 12)))
            if data.draw(st.booleans()):
                sub = f"{district}S"
                areas.append(Area(sub, f"Sub-district {r}.{d}", 3, district))
                hang(sub, data.draw(st.integers(1, 10)))
        if not any(c.area.startswith(region) for c in centres):
            hang(region, 1)
    return _election(areas, centres, tables)


def recompute(election: Election, bulletin) -> dict | None:
    published = bulletin.body["projections"]["Q"]
    tree = Tree(geography_of(election), Report("test"))
    return Projector(tree, published["settings"] if published else SETTINGS).contest(
        "Q", bulletin.counters["Q"], bulletin.body["contests"][0]["rule"], 0.95)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_verifier_recomputes_the_projection_of_an_uneven_tree(data):
    election = uneven(data)
    n = len(election.tables)
    counted = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    shares = np.array(data.draw(st.lists(st.tuples(st.integers(10, 50), st.integers(10, 45)), min_size=n,
                                         max_size=n)))
    bulletin = bulletin_of(election, counted, shares)
    assert recompute(election, bulletin) == bulletin.body["projections"]["Q"]


def _night(rows) -> tuple[Election, object]:
    """Areas X > R > (RD0, RD1) and, per area, centres of one table of 1,000 registered: (area, centres,
    counted, (A %, B %) of the 600 ballots) as ``bulletin_of`` fills them."""
    areas = [Area("X", "Country", 0, None), Area("R", "Region", 1, "X"), Area("RD0", "District 0", 2, "R"),
             Area("RD1", "District 1", 2, "R")]
    centres, tables, counted, shares = [], [], [], []
    for area, count, done, share in rows:
        for c in range(count):
            centres.append(Centre(f"{area}C{c}", f"Centre {c}", area))
            tables.append(Table(f"{area}C{c}T0", f"{area}C{c}", 1000, ("Q",)))
            counted.append(c < done)
            shares.append(share)
    election = _election(areas, centres, tables)
    return election, bulletin_of(election, np.array(counted), np.array(shares))


def test_a_region_counted_too_little_borrows_the_spread_of_its_districts():
    """Worked by hand from docs/verdicts.md. One region R with two centres of its own, not counted (1,000
    registered each), and two districts of five centres each, all counted (one table of 1,000 registered,
    600 ballots, 3 null): in D0 every centre gives A 300, B 180, C 117; in D1 A 120, B 360, C 117.

    R's own centres are a stratum with no centre counted; the nearest area with five counted is R itself
    (ten), so R is the gap beneath R. Estimate: their 2,000 registered times R's ratio, (2,100, 2,700,
    1,170) / 10,000 -> (420, 540, 234); the country: (2,520, 3,240, 1,404) of 7,164 valid votes. In each
    replicate the gap takes the ratio of D0 or of D1 (both have five counted), picked at random; every centre
    of a district has the same ratio, so whatever the Poisson weights the prediction is (600, 360, 234) or
    (240, 720, 234): A's share is 37,688,442 or 32,663,316 millionths of a percent against 35,175,879
    (floors of 2,700, 2,340 and 2,520 x 10^8 / 7,164). With 200 replicates picking each about half the time,
    the 2.5th percentile is the one and the 97.5th the other: reach 2,512,563 either way, widened x 2, plus
    the allowance 6 points x 1,194 / 7,164 predicted = 1 point: half-width 6,025,126. A: 29.15 to 41.21
    (low rounded down, high up). C is 1,404 in every replicate: only the allowance, 18.59 to 20.60. The margin
    B - A is 10,050,251 against 5,025,125 or 15,075,377 in the replicates: 2 x 5,025,126 + 2 points,
    -2.01 to 22.11, so no call."""
    election, bulletin = _night((("R", 2, 0, (0, 0)), ("RD0", 5, 5, (50, 30)), ("RD1", 5, 5, (20, 60))))
    published = bulletin.body["projections"]["Q"]
    assert published["gaps"] == {"R": "R"}
    assert published["strata"] == {"own": 0, "gap": 1, "complete": 2}
    country = published["areas"]["X"]
    assert country["options"] == {"A": {"estimate": "35.17", "low": "29.15", "high": "41.21"},
                                  "B": {"estimate": "45.22", "low": "39.20", "high": "51.26"},
                                  "C": {"estimate": "19.59", "low": "18.59", "high": "20.60"}}
    assert country["margin"] == {"leader": "B", "runner_up": "A", "estimate": "10.05", "low": "-2.01",
                                 "high": "22.11"}
    assert country["call"] is None
    assert set(published["areas"]) == {"X"}  # R and its districts are under the size floor
    assert recompute(election, bulletin) == published


def test_a_regions_own_centres_are_a_sibling_by_their_own_count():
    """Worked by hand from docs/verdicts.md. R has three centres of its own, all counted (A 60, B 420, C 117
    each); D0 five centres, two counted (300, 180, 117); D1 five, all counted (120, 360, 117).

    D0 is a gap (two counted) beneath R (ten counted). Estimate: 3,000 registered times R's ratio (1,380,
    3,420, 1,170) / 10,000 -> (414, 1,026, 351); the country (1,794, 4,446, 1,521) of 7,761. Its siblings
    beneath R: R's own centres have three counted, too few to lend; D1 has five. So every replicate takes
    D1's ratio, the same whatever the weights: (360, 1,080, 351), the country (1,740, 4,500, 1,521). A's
    share 23,115,577 millionths of a percent, 22,419,791 in every replicate: 2 x 695,786 plus the allowance,
    ceil(6 points x 1,791 / 7,761) = 1,384,616: 20.33 to 25.90. B 57,286,432 against 57,982,218: 54.51 to
    60.07. C only the allowance: 18.21 to 20.99. Margin B - A 34,170,855 against 35,562,427: 2 x 1,391,572
    + 2 x 1,384,616, 28.61 to 39.73, so B is called. (Were R's own centres judged by all R's ten counted,
    about half the replicates would take their ratio, (180, 1,260, 351), A 20.10 % of the country, and the
    interval would be wider.)"""
    election, bulletin = _night((("R", 3, 3, (10, 70)), ("RD0", 5, 2, (50, 30)), ("RD1", 5, 5, (20, 60))))
    published = bulletin.body["projections"]["Q"]
    assert published["gaps"] == {"RD0": "R"}
    assert published["strata"] == {"own": 0, "gap": 1, "complete": 2}
    country = published["areas"]["X"]
    assert country["options"] == {"A": {"estimate": "23.11", "low": "20.33", "high": "25.90"},
                                  "B": {"estimate": "57.28", "low": "54.51", "high": "60.07"},
                                  "C": {"estimate": "19.59", "low": "18.21", "high": "20.99"}}
    assert country["margin"] == {"leader": "B", "runner_up": "A", "estimate": "34.17", "low": "28.61",
                                 "high": "39.73"}
    assert country["call"] == "B"
    assert recompute(election, bulletin) == published

"""The projection in a bulletin: its hash covers it, the verifier recomputes it with code of its own."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escrutinio.domain.bulletin import build_bulletin
from escrutinio.domain.model import Area, Centre, Contest, Election, Option, Rule, Table
from escrutinio.domain.percent import PercentRule
from escrutinio.domain.projection import SETTINGS
from escrutinio.domain.tally import Tally
from escrutinio.services.published import geography_of
from escrutinio.verify.geography import Tree
from escrutinio.verify.projection import Projector
from escrutinio.verify.report import Report

RULES = [Rule("plurality"), Rule("referendum"), Rule("majority"), Rule("threshold", threshold_percent="40"),
         Rule("threshold", threshold_percent="40", lead_percent="10")]


def country(regions: int, districts: int, centres: int, tables: int, rule: Rule, decimals: int) -> Election:
    areas = [Area("X", "Country", 0, None)]
    centre_list, table_list = [], []
    for r in range(regions):
        areas.append(Area(f"R{r}", f"Region {r}", 1, "X"))
        for d in range(districts):
            code = f"R{r}D{d}"
            areas.append(Area(code, f"District {r}.{d}", 2, f"R{r}"))
            for c in range(centres):
                centre = f"{code}C{c}"
                centre_list.append(Centre(centre, f"Centre {c}", code))
                for t in range(tables):
                    table_list.append(Table(f"{centre}T{t}", centre, 200 + 37 * ((r + d + c + t) % 9), ("Q",)))
    options = (Option("A", "A"), Option("B", "B"), Option("C", "C"))
    return Election(name="Projection test", date=dt.date(2024, 5, 5), time_zone="UTC", polls_open=dt.time(6),
                    polls_close=dt.time(18), locale="en", percent_rule=PercentRule("truncate", decimals),
                    abstention_basis="whole_register", extra_voters_allowed=0,
                    contests=(Contest("Q", "Question", options, rule=rule),),
                    levels=("country", "region", "district"), areas=tuple(areas), centres=tuple(centre_list),
                    tables=tuple(table_list))


def bulletin_of(election: Election, counted: np.ndarray, shares: np.ndarray, previous=None):
    tally = Tally(election)
    slots = {}
    for i, table in enumerate(election.tables):
        if counted[i]:
            cast = table.registered * 6 // 10
            a = cast * int(shares[i, 0]) // 100
            b = cast * int(shares[i, 1]) // 100
            slots[(table.code, "Q")] = ([a, b, cast - a - b - 3, 3, 0, cast], True, False, False)
    tally.load_counts(slots)
    return build_bulletin(election, tally, 1, dt.datetime(2024, 5, 5, 22, tzinfo=dt.timezone.utc), None,
                          previous=previous)


def draw_night(data, rule, decimals, fewest_centres):
    """A generated country, which of its tables are counted, and each table's shares of A and B."""
    election = country(data.draw(st.integers(2, 3)), data.draw(st.integers(1, 3)),
                       data.draw(st.integers(fewest_centres, 7)), data.draw(st.integers(1, 3)), rule, decimals)
    n = len(election.tables)
    counted = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    shares = np.array(data.draw(st.lists(st.tuples(st.integers(10, 50), st.integers(10, 45)), min_size=n,
                                         max_size=n)))
    return election, counted, shares


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), rule=st.sampled_from(RULES), decimals=st.integers(0, 3))
def test_the_verifier_recomputes_every_published_projection_to_the_last_digit(data, rule, decimals):
    election, counted, shares = draw_night(data, rule, decimals, fewest_centres=2)
    n = len(election.tables)
    bulletin = bulletin_of(election, counted, shares)
    published = bulletin.body["projections"]["Q"]
    report = Report("test")
    tree = Tree(geography_of(election), report)
    settings_used = published["settings"] if published else SETTINGS
    ours = Projector(tree, settings_used).contest("Q", bulletin.counters["Q"], bulletin.body["contests"][0]["rule"],
                                                  0.95)
    assert ours == published
    if published is not None:
        root = bulletin.root["results"]["Q"]["projection"]
        assert root["options"] == published["areas"]["X"]["options"]
        assert root["inputs"]["tables"] == {"counted": int(counted.sum()), "expected": n}
        assert sum(s["expected"] for s in root["inputs"]["strata"]) == n


def test_a_district_never_counted_borrows_its_region_s_ratio_and_says_so():
    election = country(3, 3, 6, 2, Rule("plurality"), 2)
    n = len(election.tables)
    region = np.array([int(t.code[1]) for t in election.tables])
    district = np.array([int(t.code[3]) for t in election.tables])
    # Region 2 leans to B; its district 2 is not counted at all.
    shares = np.where((region == 2)[:, None], [[30, 45]], [[48, 30]])
    counted = ~((region == 2) & (district == 2))
    bulletin = bulletin_of(election, counted, shares)
    published = bulletin.body["projections"]["Q"]
    assert published["gaps"] == {"R2D2": "R2"}
    assert published["strata"] == {"own": 0, "gap": 1, "complete": 8}
    strata = {s["code"]: s for s in bulletin.root["results"]["Q"]["projection"]["inputs"]["strata"]}
    assert strata["R2D2"] == {"code": "R2D2", "name": "District 2.2", "counted": 0, "expected": 12, "from": "R2"}
    assert strata["R0D1"]["from"] == "complete"
    assert bulletin.area("R2")["results"]["Q"]["projection"] is None  # under the size floor of 100 tables
    # R2D2 (12 tables, 2,796 registered) is predicted with region 2's counted ratio of votes to register.
    root = bulletin.root["results"]["Q"]
    counted_votes = {o["code"]: o["votes"] for o in root["options"]}
    r2 = bulletin.area("R2")["results"]["Q"]
    r2_votes = {o["code"]: o["votes"] for o in r2["options"]}
    missing = sum(t.registered for t in election.tables if t.code.startswith("R2D2"))
    expected = {code: counted_votes[code] + missing * r2_votes[code] // r2["registered_counted"] for code in "ABC"}
    total = sum(expected.values())
    for code in "ABC":
        assert root["projection"]["options"][code]["estimate"] == PercentRule("truncate", 2).format(expected[code],
                                                                                                      total)
    assert n == 108 and root["projection"]["call"] == "A"


def test_the_verifier_names_a_projection_its_counters_do_not_give():
    from escrutinio.verify.replay import Replay

    election = country(2, 2, 6, 2, Rule("plurality"), 2)
    n = len(election.tables)
    counted = np.arange(n) % 3 != 0
    shares = np.tile([[45, 35]], (n, 1))
    bulletin = bulletin_of(election, counted, shares)
    head = dict(bulletin.body)
    head["projections"] = {"Q": {**head["projections"]["Q"], "areas": {
        **head["projections"]["Q"]["areas"], "X": {**head["projections"]["Q"]["areas"]["X"], "call": "B"}}}}
    report = Report("test")
    tree = Tree(geography_of(election), report)
    replay = Replay(report, tree, [])
    replay._check_projections("bulletin 1", head, {"Q": _sums(replay, bulletin)})
    assert any('projection areas.X.call: published "B", recomputed "A"' in p for p in report.of("projection")), \
        report.of("projection")


def _sums(replay, bulletin):
    """Our sums as the replay keeps them: the bulletin's counters without the three FIXED columns."""
    return bulletin.counters["Q"][:, :-3]


# -- with a previous election ---------------------------------------------------------------------------

PREVIOUS_COLUMNS = ["registered", "ballots_cast", "null", "E1", "E2", "E3"]


def previous_of(election: Election, earlier: np.ndarray, covered: np.ndarray):
    """(about, matrix) as a bulletin publishes a previous election: per table (registered, E1, E2, E3), added up
    to every node here; tables of centres not ``covered`` (per table) are left out."""
    from escrutinio.domain.bulletin import Nodes

    nodes = Nodes(election)
    matrix = np.zeros((len(nodes), len(PREVIOUS_COLUMNS)), dtype=np.int64)
    for i, table in enumerate(election.tables):
        if covered[i]:
            reg, e1, e2, e3 = (int(v) for v in earlier[i])
            matrix[nodes.index[table.centre]] += [reg, e1 + e2 + e3 + 2, 2, e1, e2, e3]
    for node in range(len(nodes) - 1, 0, -1):
        matrix[nodes.parent_index[node]] += matrix[node]
    about = {"name": "Earlier", "date": "2020-05-05", "columns": PREVIOUS_COLUMNS, "mapping": {"A": "E1", "B": "E2"}}
    return about, matrix


def bulletin_with_previous(election, counted, shares, earlier, covered):
    return bulletin_of(election, counted, shares, previous=previous_of(election, earlier, covered))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), rule=st.sampled_from(RULES), decimals=st.integers(0, 3))
def test_the_verifier_recomputes_a_projection_on_the_previous_election_to_the_last_digit(data, rule, decimals):
    election, counted, shares = draw_night(data, rule, decimals, fewest_centres=3)
    n = len(election.tables)
    earlier = np.array(data.draw(st.lists(st.tuples(st.integers(150, 200), st.integers(0, 60), st.integers(0, 60),
                                                    st.integers(0, 20)), min_size=n, max_size=n)))
    covered = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    bulletin = bulletin_with_previous(election, counted, shares, earlier, covered)
    assert bulletin.body["format"] == "escrutinio-bulletin/5"
    assert bulletin.body["previous"]["sha256"] == __import__("hashlib").sha256(bulletin.previous_bytes()).hexdigest()
    published = bulletin.body["projections"]["Q"]
    report = Report("test")
    tree = Tree(geography_of(election), report)
    earlier_input = (bulletin.previous, bulletin.body["previous"]["columns"], bulletin.body["previous"]["mapping"])
    settings_used = published["settings"] if published else SETTINGS
    ours = Projector(tree, settings_used).contest("Q", bulletin.counters["Q"], bulletin.body["contests"][0]["rule"],
                                                  0.95, earlier_input)
    assert ours == published
    if published is not None:
        assert published["settings"]["size"] == ("previous" if covered.any() else "register")
        root = bulletin.root["results"]["Q"]["projection"]
        if covered.any():
            assert root["inputs"]["size"] == "previous" and root["inputs"]["previous"] == "Earlier"


def test_with_a_previous_election_every_table_counted_the_projection_is_the_count():
    election = country(2, 2, 6, 2, Rule("plurality"), 2)
    n = len(election.tables)
    rng = np.random.default_rng(3)
    shares = np.column_stack([rng.integers(20, 50, n), rng.integers(20, 45, n)])
    earlier = np.column_stack([np.full(n, 180), rng.integers(0, 60, n), rng.integers(0, 60, n), rng.integers(0, 9, n)])
    bulletin = bulletin_with_previous(election, np.ones(n, dtype=bool), shares, earlier, np.ones(n, dtype=bool))
    published = bulletin.body["projections"]["Q"]
    assert published["settings"]["size"] == "previous"
    for code, area in published["areas"].items():
        shown = bulletin.area(code)["results"]["Q"]
        for option in shown["options"]:
            cell = area["options"][option["code"]]
            assert cell["estimate"] == cell["low"] == cell["high"] == option["percent"]


def test_the_verifier_names_a_previous_election_that_is_not_the_one_published():
    from escrutinio.verify.replay import Replay

    election = country(2, 2, 6, 2, Rule("plurality"), 2)
    n = len(election.tables)
    rng = np.random.default_rng(5)
    counted = np.arange(n) % 3 != 0
    shares = np.column_stack([rng.integers(20, 50, n), rng.integers(20, 45, n)])
    earlier = np.column_stack([np.full(n, 180), rng.integers(0, 60, n), rng.integers(0, 60, n), rng.integers(0, 9, n)])
    bulletin = bulletin_with_previous(election, counted, shares, earlier, np.ones(n, dtype=bool))
    head = bulletin.body
    assert head["projections"]["Q"]["settings"]["size"] == "previous"

    def check(data: bytes, body: dict) -> Report:
        report = Report("test")
        replay = Replay(report, Tree(geography_of(election), report), [])
        replay._check_projections("bulletin 1", body, {"Q": _sums(replay, bulletin)},
                                  replay._previous("bulletin 1", body, lambda: data))
        return report

    assert check(bulletin.previous_bytes(), head).of("projection") == []
    # One centre's earlier votes for A changed: the digest no longer matches, and the projection differs.
    changed = bulletin.previous.copy()
    centre = next(i for i, kind in enumerate(bulletin.nodes.kinds) if kind == "centre")
    changed[centre, 3] += 40
    problems = check(changed.astype("<i8").tobytes(), head).of("projection")
    assert problems[0].startswith("bulletin 1: the SHA-256 of its previous election's figures is ")
    assert any(", projection areas.X.options.A.estimate: published " in p for p in problems), problems
    # The published projection changed instead (its estimate for A at the country): named.
    area = head["projections"]["Q"]["areas"]["X"]
    tampered = {**head, "projections": {"Q": {**head["projections"]["Q"], "areas": {
        **head["projections"]["Q"]["areas"],
        "X": {**area, "options": {**area["options"], "A": {**area["options"]["A"], "estimate": "99.99"}}}}}}}
    problems = check(bulletin.previous_bytes(), tampered).of("projection")
    assert problems == [f'bulletin 1, contest Q, projection areas.X.options.A.estimate: published "99.99", '
                        f'recomputed "{area["options"]["A"]["estimate"]}"'], problems
    # A bulletin that says it used the register, when it publishes a previous election: named.
    register = {**head, "projections": {"Q": {**head["projections"]["Q"], "settings": {
        **head["projections"]["Q"]["settings"], "size": "register"}}}}
    assert any('projection settings.size: published "register", recomputed "previous"' in p
               for p in check(bulletin.previous_bytes(), register).of("projection"))


def test_a_bulletin_of_format_4_is_still_recomputed_with_the_settings_it_published(monkeypatch):
    """Bulletins of format /4 were projected on the register with an 8-point allowance and no previous
    election: the verifier recomputes them with what they published, and names a change."""
    from escrutinio.domain import projection as domain
    from escrutinio.verify.projection import DEFAULTS_4
    from escrutinio.verify.replay import Replay

    monkeypatch.setattr(domain, "ALLOWANCE", 8 * 10**6)
    monkeypatch.setattr(domain, "SETTINGS", dict(DEFAULTS_4))
    election = country(2, 2, 6, 2, Rule("plurality"), 2)
    n = len(election.tables)
    counted = np.arange(n) % 4 != 0
    shares = np.tile([[44, 36]], (n, 1))
    bulletin = bulletin_of(election, counted, shares)
    head = {**bulletin.body, "format": "escrutinio-bulletin/4"}
    assert head["projections"]["Q"]["settings"] == {**DEFAULTS_4, "size": "register"}

    def check(body: dict) -> list[str]:
        report = Report("test")
        replay = Replay(report, Tree(geography_of(election), report), [])
        replay._check_projections("bulletin 1", body, {"Q": _sums(replay, bulletin)})
        return report.of("projection")

    assert check(head) == []
    area = head["projections"]["Q"]["areas"]["X"]["options"]["A"]
    narrower = {**head, "projections": {"Q": {**head["projections"]["Q"], "settings": {
        **head["projections"]["Q"]["settings"], "arrival_allowance_points": "6"}}}}
    assert any(p.startswith("bulletin 1, contest Q, projection areas.X.options.A.low: published "
                            f'"{area["low"]}"') for p in check(narrower)), check(narrower)

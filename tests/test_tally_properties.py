"""Property tests of the tally: random elections, random slot states, sums
recomputed here with plain dicts and compared with every node of the tally."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escrutinio.domain.bulletin import build_bulletin
from escrutinio.domain.model import Acta, Area, Centre, Contest, Election, Option, Table
from escrutinio.domain.percent import PercentRule
from escrutinio.domain.tally import SlotState, Tally

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FLAGS = ("counted", "received", "quarantined", "conflict")
CUT_OFF = dt.datetime(2007, 12, 3, 5, 7, tzinfo=dt.timezone.utc)


# -- strategies ------------------------------------------------------------------------------------

@st.composite
def elections(draw) -> Election:
    depth = draw(st.integers(min_value=1, max_value=4))
    areas = [Area("A", "Root", 0, None)]
    frontier = ["A"]
    for level in range(1, depth):
        children = []
        for parent in frontier:
            for i in range(draw(st.integers(min_value=1, max_value=3))):
                children.append(f"{parent}.{i}")
                areas.append(Area(children[-1], children[-1], level, parent))
        frontier = children
    area_codes = [a.code for a in areas]
    centres = [Centre(f"C{i}", f"Centre {i}", draw(st.sampled_from(area_codes)))
               for i in range(draw(st.integers(min_value=1, max_value=8)))]
    contests = tuple(
        Contest(f"K{k}", f"Contest {k}",
                tuple(Option(f"O{k}{j}", f"Option {j}") for j in range(draw(st.integers(1, 4)))),
                blank=draw(st.booleans()))
        for k in range(draw(st.integers(min_value=1, max_value=3))))
    codes = [c.code for c in contests]
    tables = []
    for centre in centres:
        for _ in range(draw(st.integers(min_value=0, max_value=4))):
            on_ballot = draw(st.lists(st.sampled_from(codes), min_size=1, unique=True))
            tables.append(Table(f"T{len(tables)}", centre.code, draw(st.integers(0, 1000)), tuple(on_ballot)))
    # The tree comes in any order: a child may be listed before its parent.
    areas = draw(st.permutations(areas))
    return Election(
        name="Random", date=dt.date(2007, 12, 2), time_zone="America/Caracas", polls_open=dt.time(6),
        polls_close=dt.time(16), locale="es_VE",
        percent_rule=PercentRule(draw(st.sampled_from(["truncate", "half_up"])), draw(st.integers(0, 4))),
        abstention_basis="whole_register", extra_voters_allowed=draw(st.integers(0, 5)),
        contests=contests, levels=tuple(f"level{i}" for i in range(depth)), areas=tuple(areas),
        centres=tuple(centres), tables=tuple(tables))


def slot_states(contest: Contest, table: Table) -> st.SearchStrategy[SlotState]:
    count = st.integers(min_value=0, max_value=2000)
    actas = st.builds(
        lambda votes, null, blank, cast: Acta(table.code, contest.code, tuple(zip(contest.option_codes, votes)),
                                              null, blank, cast),
        st.lists(count, min_size=len(contest.options), max_size=len(contest.options)),
        count, count if contest.blank else st.just(0), count)
    return st.builds(SlotState, counted=st.none() | actas, received=st.booleans(), quarantined=st.booleans(),
                     conflict=st.booleans())


@st.composite
def nights(draw) -> tuple[Election, dict, list]:
    """An election, the final state of some slots, and a shuffled history of sets ending in them."""
    election = draw(elections())
    slots = [(t, election.contest_by_code[c]) for t in election.tables for c in t.contests]
    history: dict[tuple[str, str], list[SlotState]] = {}
    for table, contest in slots:
        if draw(st.booleans()):
            history[(table.code, contest.code)] = draw(st.lists(slot_states(contest, table), min_size=1, max_size=3))
    events = [slot for slot, states in history.items() for _ in states]
    order = draw(st.permutations(events))
    seen: Counter = Counter()
    sets = []
    for slot in order:  # the i-th time a slot comes up it gets its i-th state, so its last state wins
        sets.append((slot, history[slot][seen[slot]]))
        seen[slot] += 1
    final = {slot: states[-1] for slot, states in history.items()}
    return election, final, sets


# -- independent sums ----------------------------------------------------------------------------

def table_figures(contest: Contest, table: Table, state: SlotState | None, extra: int = 0) -> Counter:
    """What one table contributes, by the meaning of each figure."""
    row: Counter = Counter()
    if state is None:
        return row
    if state.counted is not None:
        row.update(dict(state.counted.votes))
        row.update(null=state.counted.null, blank=state.counted.blank, ballots_cast=state.counted.ballots_cast,
                   registered_counted=table.registered, counted=1)
    row["received"] = int(state.received or state.counted is not None)
    row["quarantined"] = int(state.quarantined and state.counted is None)
    row["conflict"] = int(state.conflict)
    if state.counted is not None and state.conflict:
        row["capacity_in_conflict"] = table.registered + extra
    return row


def tables_beneath(election: Election) -> dict[str, list[Table]]:
    """Every area and centre code -> the tables under it, by walking up parent links."""
    parent = {a.code: a.parent for a in election.areas}
    parent.update({c.code: c.area for c in election.centres})
    beneath: dict[str, list[Table]] = defaultdict(list)
    for table in election.tables:
        node = table.centre
        while node is not None:
            beneath[node].append(table)
            node = parent[node]
    return beneath


def children_of(election: Election) -> dict[str, list[str]]:
    kids: dict[str, list[str]] = defaultdict(list)
    for area in election.areas:
        if area.parent is not None:
            kids[area.parent].append(area.code)
    for centre in election.centres:
        kids[centre.area].append(centre.code)
    return kids


def node_codes(election: Election) -> list[str]:
    return [a.code for a in election.areas] + [c.code for c in election.centres]


def row_of(tally: Tally, contest: str, code: str) -> Counter:
    ct = tally.contests[contest]
    values = ct.node_rows[tally.geography.index[code]].tolist()
    return +Counter(dict(zip(ct.columns, values)))  # unary + drops zeros, as the expected Counters lack them


def table_row_of(tally: Tally, contest: str, table: str) -> Counter:
    ct = tally.contests[contest]
    values = ct.table_rows[tally.geography.table_index[table]].tolist()
    return +Counter(dict(zip(ct.columns, values)))


def incremental(election: Election, sets: list) -> Tally:
    tally = Tally(election)
    for (table, contest), state in sets:
        tally.set(table, contest, state)
    return tally


def bulk(election: Election, final: dict) -> Tally:
    tally = Tally(election)
    tally.load(final)
    return tally


# -- properties ------------------------------------------------------------------------------------

@SETTINGS
@given(night=nights())
def test_every_node_is_the_sum_of_the_tables_beneath_it(night):
    election, final, sets = night
    beneath = tables_beneath(election)
    for tally in (incremental(election, sets), bulk(election, final)):
        for contest in election.contests:
            for code in node_codes(election):
                expected = sum((table_figures(contest, t, final.get((t.code, contest.code)), election.extra_voters_allowed)
                                for t in beneath[code]), Counter())
                assert row_of(tally, contest.code, code) == +expected, (contest.code, code)


@SETTINGS
@given(night=nights())
def test_every_node_is_the_sum_of_its_children(night):
    election, final, sets = night
    kids = children_of(election)
    tally = incremental(election, sets)
    for contest in election.contests:
        for code in node_codes(election):
            if code in election.centre_by_code:
                parts = [table_row_of(tally, contest.code, t.code) for t in election.tables if t.centre == code]
            else:
                parts = [row_of(tally, contest.code, kid) for kid in kids[code]]
            assert row_of(tally, contest.code, code) == sum(parts, Counter()), (contest.code, code)


@SETTINGS
@given(night=nights())
def test_incremental_and_bulk_agree(night):
    election, final, sets = night
    one_by_one, at_once = incremental(election, sets), bulk(election, final)
    for contest in election.contests:
        ct, other = one_by_one.contests[contest.code], at_once.contests[contest.code]
        assert ct.table_rows.tolist() == other.table_rows.tolist()
        assert ct.node_rows.tolist() == other.node_rows.tolist()


@SETTINGS
@given(night=nights())
def test_static_figures(night):
    election, final, sets = night
    beneath = tables_beneath(election)
    tally = incremental(election, sets)
    extra = election.extra_voters_allowed
    for contest in election.contests:
        ct = tally.contests[contest.code]
        for code in node_codes(election):
            node = tally.geography.index[code]
            on_ballot = [t for t in beneath[code] if contest.code in t.contests]
            counted = [t for t in on_ballot if (s := final.get((t.code, contest.code))) and s.counted is not None]
            assert ct.expected[node] == len(on_ballot)
            assert ct.registered_all[node] == sum(t.registered for t in on_ballot)
            assert ct.remaining_capacity()[node] == sum(t.registered + extra for t in on_ballot) - \
                sum(t.registered + extra for t in counted)


@SETTINGS
@given(night=nights())
def test_bulletin_areas_add_up(night):
    election, final, sets = night
    bulletin = build_bulletin(election, incremental(election, sets), 1, CUT_OFF, None)
    areas = {a["code"]: a for a in bulletin.entries()}
    assert set(areas) == set(node_codes(election))
    kids = children_of(election)
    beneath = tables_beneath(election)
    for contest in election.contests:
        for area in election.areas:
            own = published(areas[area.code], contest)
            assert own == sum((published(areas[kid], contest) for kid in kids[area.code]), Counter())
            assert own == expected_area(election, contest, beneath[area.code], final), (contest.code, area.code)


def published(area: dict, contest: Contest) -> Counter:
    """The figures of one contest at one area that must add up over its children."""
    figures = area["results"].get(contest.code)
    if figures is None:  # the contest is on no ballot beneath this area
        return Counter()
    out = Counter({o["code"]: o["votes"] for o in figures["options"]})
    out.update({k: figures[k] for k in ("null", "blank", "ballots_cast", "registered_counted", "registered_all")})
    out.update({k: figures["tables"][k] for k in ("expected", "counted", "received", "quarantined", "conflict")})
    out["remaining_max"] = figures["decided"]["remaining_max"]
    out["capacity_in_conflict"] = figures["decided"]["conflict_swing"] // 2
    assert figures["valid"] == sum(o["votes"] for o in figures["options"])
    return +out


def expected_area(election: Election, contest: Contest, tables: list[Table], final: dict) -> Counter:
    out: Counter = Counter()
    for table in tables:
        if contest.code not in table.contests:
            continue
        state = final.get((table.code, contest.code))
        out.update(table_figures(contest, table, state, election.extra_voters_allowed))
        out.update(registered_all=table.registered, expected=1)
        if state is None or state.counted is None:
            out["remaining_max"] += table.registered + election.extra_voters_allowed
    return +out

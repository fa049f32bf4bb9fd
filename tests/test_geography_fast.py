"""The Geography compiled with numpy against the straightforward construction (a breadth-first walk of
Election.children, a dict per code, a chain of ancestors per table) on random trees listed in any order."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escrutinio.domain.model import Area, Centre, Contest, Election, Option, Table
from escrutinio.domain.percent import PercentRule
from escrutinio.domain.tally import Geography

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def trees(draw) -> Election:
    """A random tree: each area under any area made before it (so depths vary along branches), centres under
    any area, tables under any centre; areas, centres and tables each listed in a random order."""
    areas = [Area("R", "Root", 0, None)]
    for i in range(draw(st.integers(0, 25))):
        parent = draw(st.sampled_from(areas))
        areas.append(Area(f"A{i}", f"Area {i}", parent.level + 1, parent.code))
    centres = [Centre(f"C{i}", f"Centre {i}", draw(st.sampled_from(areas)).code)
               for i in range(draw(st.integers(1, 30)))]
    contests = tuple(Contest(f"K{k}", f"Contest {k}", (Option("X", "X"), Option("Y", "Y"))) for k in range(3))
    codes = [c.code for c in contests]
    tables = [Table(f"T{i}", draw(st.sampled_from(centres)).code, draw(st.integers(0, 900)),
                    tuple(draw(st.lists(st.sampled_from(codes), min_size=1, unique=True))))
              for i in range(draw(st.integers(0, 60)))]
    depth = max(a.level for a in areas) + 1
    return Election(
        name="Random", date=dt.date(2007, 12, 2), time_zone="America/Caracas", polls_open=dt.time(6),
        polls_close=dt.time(16), locale="es_VE", percent_rule=PercentRule("truncate", 2),
        abstention_basis="whole_register", extra_voters_allowed=2, contests=contests,
        levels=tuple(f"level{i}" for i in range(depth)), areas=tuple(draw(st.permutations(areas))),
        centres=tuple(draw(st.permutations(centres))), tables=tuple(draw(st.permutations(tables))))


def straightforward(election: Election) -> dict:
    """Every array of a Geography, made one node and one table at a time."""
    children = election.children
    order = [election.root.code]
    for code in order:
        areas, centres, _ = children[code]
        order += [a.code for a in areas] + [c.code for c in centres]
    index = {code: i for i, code in enumerate(order)}
    parents = {a.code: a.parent for a in election.areas} | {c.code: c.area for c in election.centres}
    parent = [index[parents[code]] if parents[code] else -1 for code in order]
    depth = []
    for p in parent:
        depth.append(depth[p] + 1 if p >= 0 else 0)
    chains = []
    for table in election.tables:
        chain = [index[table.centre]]
        while parent[chain[-1]] >= 0:
            chain.append(parent[chain[-1]])
        chains.append(chain)
    centre_codes = {c.code for c in election.centres}
    return {"codes": order, "index": index, "parent": parent, "depth": depth, "chains": chains,
            "kinds": ["centre" if code in centre_codes else "area" for code in order],
            "table_index": {t.code: i for i, t in enumerate(election.tables)}}


@SETTINGS
@given(trees(), st.randoms(use_true_random=False))
def test_the_compiled_geography_is_the_straightforward_one(election, rng):
    geo, plain = Geography(election), straightforward(election)
    assert geo.codes == plain["codes"]
    assert geo.kinds == plain["kinds"]
    assert geo.index == plain["index"]
    assert geo.table_index == plain["table_index"]
    assert geo.parent.tolist() == plain["parent"]
    assert geo.depth.tolist() == plain["depth"]
    assert geo.size == len(plain["codes"])
    assert len(geo.ancestors) == len(election.tables)
    for t, chain in enumerate(plain["chains"]):
        assert geo.ancestors[t].tolist() == chain
        column = geo.ancestor_matrix[:, t].tolist()
        assert column == chain + [geo.size] * (len(column) - len(chain))
    assert geo.registered.tolist() == [t.registered for t in election.tables]
    for contest in election.contests:
        assert geo.on_ballot(contest.code).tolist() == [contest.code in t.contests for t in election.tables]
    # The roll-up: each node holds the sum of the tables beneath it, summed here along each table's chain.
    values = np.array([[rng.randint(0, 99), rng.randint(0, 99)] for _ in election.tables], dtype=np.int64)
    expected = np.zeros((len(plain["codes"]), 2), dtype=np.int64)
    for chain, row in zip(plain["chains"], values):
        for node in chain:
            expected[node] += row
    assert geo.roll_up(values.reshape(-1, 2)).tolist() == expected.tolist()

"""Synthetic elections of any size, deterministic from a seed, for the benchmarks.

Five levels: a country, ~30 states, municipalities (~3.5 parishes each), parishes (~10 centres
each), centres of 2-4 tables (3 on average). The tree is laid out in definition order (every
state's municipalities together, and so on), as a real definition file would be. Two contests:
``A`` (Sí / No) and ``B`` (three candidates, blank ballots counted apart); both are on every
table's ballot. The proportions follow Venezuela 2007 (24 states, 335 municipalities, 1,100
parishes, ~11,000 centres, ~33,000 tables).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid

import numpy as np

from escrutinio.domain.model import Acta, Area, Centre, Contest, Election, Option, Table
from escrutinio.domain.percent import PercentRule

LEVELS = ("country", "state", "municipality", "parish")
STATES = 30
CONTESTS = (
    Contest("A", "Bloque A", (Option("SI", "Sí"), Option("NO", "No"))),
    Contest("B", "Gobernación", (Option("C1", "Candidata 1"), Option("C2", "Candidato 2"),
                                 Option("C3", "Candidata 3")), blank=True),
)


def _split(items: list, rng: random.Random, low: int, high: int) -> list[list]:
    """``items`` cut into consecutive groups of ``low``..``high`` members (the last may be smaller)."""
    groups, start = [], 0
    while start < len(items):
        size = rng.randint(low, high)
        groups.append(items[start:start + size])
        start += size
    return groups


def _spread(items: list, parts: int) -> list[list]:
    """``items`` cut into ``parts`` consecutive groups of near-equal size (none empty if possible)."""
    parts = max(1, min(parts, len(items)))
    bounds = [round(i * len(items) / parts) for i in range(parts + 1)]
    return [items[bounds[i]:bounds[i + 1]] for i in range(parts)]


def synthetic_election(tables: int, seed: int = 2007) -> Election:
    """An election of exactly ``tables`` tables, the same for the same (tables, seed)."""
    rng = random.Random(seed)
    sizes, total = [], 0
    while total < tables:
        size = min(rng.randint(2, 4), tables - total)
        sizes.append(size)
        total += size
    centre_ids = list(range(len(sizes)))
    parishes = _split(centre_ids, rng, 5, 15)                 # ~10 centres a parish
    municipalities = _split(list(range(len(parishes))), rng, 2, 5)  # ~3.5 parishes a municipality
    states = _spread(list(range(len(municipalities))), STATES)

    areas = [Area("VE", "País", 0, None)]
    centres: list[Centre] = []
    table_list: list[Table] = []
    contests = tuple(c.code for c in CONTESTS)
    registered = rng.choices(range(150, 601), k=tables)
    for s, state_munis in enumerate(states, 1):
        state = f"E{s:02d}"
        areas.append(Area(state, f"Estado {s}", 1, "VE"))
        for m in state_munis:
            muni = f"{state}-M{m:05d}"
            areas.append(Area(muni, f"Municipio {m}", 2, state))
            for p in municipalities[m]:
                parish = f"{muni}-P{p:06d}"
                areas.append(Area(parish, f"Parroquia {p}", 3, muni))
                for c in parishes[p]:
                    centre = f"C{c:07d}"
                    centres.append(Centre(centre, f"Centro {c}", parish))
                    for _ in range(sizes[c]):
                        n = len(table_list)
                        table_list.append(Table(f"M{n:08d}", centre, registered[n], contests))
    return Election(
        name=f"Elección sintética de {tables:,} mesas", date=dt.date(2007, 12, 2), time_zone="America/Caracas",
        polls_open=dt.time(6), polls_close=dt.time(16), locale="es_VE", percent_rule=PercentRule("truncate", 2),
        abstention_basis="whole_register", extra_voters_allowed=0, contests=CONTESTS, levels=LEVELS,
        areas=tuple(areas), centres=tuple(centres), tables=tuple(table_list), require_signatures=True,
        # An identifier fixed by (tables, seed), which init keeps: actas signed once serve every store made
        # from the same election (a real night's identifier is random).
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"escrutinio-synthetic/{tables}/{seed}")))


def shape(election: Election) -> dict[str, int]:
    """How many nodes each level holds."""
    counts = {name: 0 for name in election.levels}
    for area in election.areas:
        counts[election.levels[area.level]] += 1
    counts["centre"] = len(election.centres)
    counts["table"] = len(election.tables)
    return counts


def acta_record(election: Election, table: Table, contest: Contest, rng: random.Random) -> dict:
    """A valid raw acta (as a channel sends it) with plausible random figures."""
    cast = rng.randint(table.registered * 4 // 10, table.registered * 8 // 10)
    null = rng.randint(0, cast // 50)
    blank = rng.randint(0, cast // 40) if contest.blank else 0
    left = cast - null - blank
    votes = {}
    for option in contest.options[:-1]:
        votes[option.code] = rng.randint(0, left)
        left -= votes[option.code]
    votes[contest.options[-1].code] = left
    record = {"table": table.code, "contest": contest.code, "votes": votes, "null": null, "ballots_cast": cast}
    if contest.blank:
        record["blank"] = blank
    return record


def counted_rows(election: Election, contest: Contest, seed: int) -> np.ndarray:
    """Per table, random counts for ``contest``: columns options..., null, blank, ballots_cast (consistent)."""
    rng = np.random.default_rng(seed)
    registered = np.array([t.registered for t in election.tables], dtype=np.int64)
    cast = (registered * rng.uniform(0.4, 0.8, len(registered))).astype(np.int64)
    null = (cast * rng.uniform(0, 0.02, len(cast))).astype(np.int64)
    blank = (cast * rng.uniform(0, 0.025, len(cast))).astype(np.int64) if contest.blank else np.zeros_like(cast)
    valid = cast - null - blank
    shares = rng.dirichlet(np.ones(len(contest.options)), len(cast))
    votes = np.floor(shares * valid[:, None]).astype(np.int64)
    votes[:, -1] += valid - votes.sum(axis=1)
    return np.column_stack([votes, null, blank, cast])


def counted_actas(election: Election, contest: Contest, rows: np.ndarray) -> list[Acta]:
    """The rows of :func:`counted_rows` as Acta objects, one per table."""
    codes = contest.option_codes
    k = len(codes)
    return [Acta(t.code, contest.code, tuple(zip(codes, r[:k])), r[k], r[k + 1], r[k + 2])
            for t, r in zip(election.tables, rows.tolist())]

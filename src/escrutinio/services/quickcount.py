"""Quick count (parallel vote tabulation): draw the sample, size it, estimate from observers' figures.

The statistics are in :mod:`escrutinio.domain.quickcount`; this module finds
the tables, their strata and the contest in the stored election. A quick count
is separate from the official count: nothing here reads or writes actas.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..domain import quickcount as qc
from ..domain.errors import ObservationRejected, QuickCountError
from ..domain.model import Election
from ..intake.quickcount import read_quickcount
from ..store import Store

WHOLE = "all"  # the one stratum of an unstratified sample


def strata_of(election: Election, level: str | None, contest: str | None = None) -> dict[str, str]:
    """Each table's stratum: the code of its area at ``level`` (one stratum when None).

    With ``contest``, only the tables that have it on their ballot.
    """
    tables = [t for t in election.tables if contest is None or contest in t.contests]
    if level is None:
        return {t.code: WHOLE for t in tables}
    if level not in election.levels:
        raise QuickCountError(f"unknown level {level!r}: the election's levels are {', '.join(election.levels)}")
    depth = election.levels.index(level)
    by_centre: dict[str, str] = {}
    for centre in election.centres:
        areas = election.lineage(centre.code)[:-1]
        # A centre placed above the level (rare) is its own area's stratum.
        by_centre[centre.code] = next((a.code for a in areas if a.level == depth), centre.area)
    return {t.code: by_centre[t.centre] for t in tables}


def draw(store: Store, seed: str, size: int, level: str | None = None) -> list[qc.SampledTable]:
    """The sample of ``size`` tables drawn from ``seed`` (see docs/observers.md, "The sample")."""
    if not seed:
        raise QuickCountError("the seed is empty: publish a seed (say, the evening's lottery numbers) and use it")
    strata = strata_of(store.election(), level)
    if not 0 < size <= len(strata):
        raise QuickCountError(f"a sample of {size} tables cannot be drawn from {len(strata)} tables: "
                              f"choose a size from 1 to {len(strata)}")
    return qc.draw_sample(seed, size, strata)


def average_register(election: Election) -> float:
    return sum(t.registered for t in election.tables) / len(election.tables)


def size(population: int, margin: float, z: float, per_table: float) -> qc.SampleSize:
    """NDI's sample size in voters, then in tables of ``per_table`` registered voters on average."""
    try:
        return qc.sample_size(population, margin, z, per_table)
    except ValueError as exc:
        raise QuickCountError(str(exc)) from None


def estimate_file(store: Store, path: str | Path, level: str | None = None,
                  contest: str | None = None) -> dict[str, qc.Estimate]:
    """Each contest's estimate from a quick-count file; any problem in the file refuses it whole."""
    election = store.election()
    rows, problems = read_quickcount(path, election, contest)
    if problems:
        raise ObservationRejected(f"{path}: {len(problems)} problem(s); nothing was estimated", problems)
    if not rows:
        raise QuickCountError(f"{path} has no rows: add one row per sampled table that reported")
    estimates = {}
    for code in sorted({r.contest for r in rows}):
        strata = strata_of(election, level, code)
        reports = [qc.Report(r.table, strata[r.table], r.votes, r.valid) for r in rows if r.contest == code]
        population = Counter(strata.values())
        estimates[code] = qc.estimate(reports, population, election.contest_by_code[code].option_codes)
    return estimates


def estimate_json(found: qc.Estimate) -> dict:
    """An estimate as the API and ``--json`` give it: shares and margins as fractions of valid votes."""
    return {
        "reports": found.reports,
        "strata": found.strata,
        "strata_reporting": found.strata_reporting,
        "options": [{"option": o.option, "share": o.share, "margin": o.margin, "low": o.low, "high": o.high}
                    for o in found.options],
    }

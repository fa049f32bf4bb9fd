"""Quick count (parallel vote tabulation): draw the sample, size it, estimate from observers' figures.

The statistics are in :mod:`escrutinio.domain.quickcount`; this module finds
the tables, their strata and the contest in the stored election. A quick count
is separate from the official count: nothing here reads or writes actas.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..domain import quickcount as qc
from ..domain.errors import ObservationRejected, QuickCountError
from ..domain.model import Election
from ..intake.quickcount import read_quickcount
from ..store import Store
from . import publication
from .clock import now_utc

WHOLE = "all"  # the one stratum of an unstratified sample


def strata_of(election: Election, level: str | None, contest: str | None = None) -> dict[str, str]:
    """Each table's stratum: the code of its area at ``level`` (one stratum when None).

    With ``contest``, only the tables that have it on their ballot. Kept with the election (its tree never
    changes): the pages ask for it on every quick-count view. The dict returned is shared: do not change it.
    """
    kept = _kept(election, "strata")
    if (level, contest) not in kept:
        kept[(level, contest)] = _strata_of(election, level, contest)
    return kept[(level, contest)]


def _kept(election: Election, what: str) -> dict:
    """A dict kept with ``election`` for what is computed from it alone (its tree and tables never change)."""
    memo = election.__dict__.setdefault("_quickcount_kept", {})
    return memo.setdefault(what, {})


def _strata_of(election: Election, level: str | None, contest: str | None) -> dict[str, str]:
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
    election = store.election()
    strata = strata_of(election, level)
    if not 0 < size <= len(strata):
        raise QuickCountError(f"a sample of {size} tables cannot be drawn from {len(strata)} tables: "
                              f"choose a size from 1 to {len(strata)}")
    drawn = _kept(election, "samples")  # the same seed, size and strata always draw the same tables
    if (seed, size, level) not in drawn:
        if len(drawn) >= 8:
            drawn.clear()
        drawn[(seed, size, level)] = tuple(qc.draw_sample(seed, size, strata))
    return list(drawn[(seed, size, level)])


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


# -- the night's quick count: a saved sample, observers' reports, the check against the official count

def save_sample(store: Store, seed: str, size: int, level: str | None = None,
                now: dt.datetime | None = None) -> list[qc.SampledTable]:
    """Draw the sample and keep its seed, size and strata as the night's quick count."""
    drawn = draw(store, seed, size, level)
    with store.transaction() as conn:
        store.save_sample(conn, seed, size, level, now or now_utc())
    return drawn


def status(store: Store, *, convergence: bool = True, figures: bool | None = None) -> dict:
    """The quick count now: its sample, the sampled tables that reported, each contest's estimate with
    its 95 % margins, the official count of the latest bulletin checked against the interval, and how
    the estimate converged as reports arrived."""
    saved = store.saved_sample()
    held = not (figures if figures is not None else publication.is_public(store))
    if saved is None:
        return {"sample": None, "reports_outside_sample": 0, "contests": [], "note": NOTE, "held": held}
    official = latest_official(store)
    election = store.election()
    sampled = sampled_reports(store, saved)
    contests = []
    for contest in election.contests:
        timed, population, sampled_tables = sampled.contests[contest.code]
        found = qc.estimate([r for _, r in timed], population, contest.option_codes)
        if held:  # the publication policy holds every figure, the observers' estimate too
            contests.append({"contest": contest.code, "sampled_tables": sampled_tables, **estimate_json(found),
                             "options": [], "official": None, "convergence": []})
            continue
        contests.append({"contest": contest.code, "sampled_tables": sampled_tables,
                         **estimate_json(found), "official": _official(official, contest.code, found),
                         "convergence": converging(timed, population, contest.option_codes) if convergence else []})
    return {"sample": {"seed": saved["seed"], "size": saved["size"], "strata": saved["strata"],
                       "saved_at": saved["saved_at"].isoformat()},
            "reports_outside_sample": sampled.outside, "contests": contests, "note": NOTE, "held": held}


@dataclass
class Sampled:
    """Per contest: (received_at, report) of each sampled table that reported, tables per stratum, tables sampled."""

    contests: dict[str, tuple[list[tuple[dt.datetime, qc.Report]], Counter, int]]
    outside: int  # result reports from tables not in the sample


def sampled_reports(store: Store, saved: dict | None = None) -> Sampled | None:
    """The sampled tables' latest reports, each with the time it was received; None without a sample."""
    saved = saved or store.saved_sample()
    if saved is None:
        return None
    election = store.election()
    sample = {p.table: p.stratum for p in draw(store, saved["seed"], saved["size"], saved["strata"])}
    results = store.latest_results()
    contests = {}
    for contest in election.contests:
        strata = strata_of(election, saved["strata"], contest.code)
        timed = [(at, qc.Report(t, sample[t], votes, valid)) for t, c, votes, valid, at in results
                 if c == contest.code and t in sample and t in strata]
        contests[contest.code] = (timed, Counter(strata.values()), sum(1 for t in sample if t in strata))
    return Sampled(contests, sum(1 for t, _, _, _, _ in results if t not in sample))


CONVERGENCE_POINTS = 24
STEPS_MINUTES = (1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 1440)


def cuts(first: dt.datetime, last: dt.datetime, points: int = CONVERGENCE_POINTS) -> list[dt.datetime]:
    """Round times from the first report to the last, at most ``points`` of them, the last report's time last.

    The step is the shortest of 1, 2, 5, 10, 15, 30 minutes, 1, 2, 4, 8 hours or a day that keeps within
    ``points``; each cut is a whole multiple of the step (UTC), so two readers draw the same chart.
    """
    span = (last - first).total_seconds() / 60
    step = next((m for m in STEPS_MINUTES if span / m < points - 1), STEPS_MINUTES[-1])
    start = first.replace(second=0, microsecond=0)
    start -= dt.timedelta(minutes=(start.hour * 60 + start.minute) % step)
    out, at = [], start + dt.timedelta(minutes=step)
    while at < last:
        if at >= first:
            out.append(at)
        at += dt.timedelta(minutes=step)
    return out + [last]


def converging(timed: list[tuple[dt.datetime, qc.Report]], population: Counter,
               options: tuple[str, ...]) -> list[dict]:
    """The estimate at round times as reports arrived: reports in, each option's share and 95 % interval."""
    if not timed:
        return []
    times = [at for at, _ in timed]
    marks = cuts(min(times), max(times))
    return [{"at": at.isoformat(), **estimate_json(found)}
            for at, found in zip(marks, qc.convergence(timed, marks, population, options))]


def latest_official(store: Store) -> dict | None:
    """The latest bulletin's number and whole-country figures, or None before the first."""
    head = store.last_bulletin_head()
    if head is None:
        return None
    bulletin = store.bulletin(head[0])
    return {"number": bulletin.number, "root": bulletin.root}


NOTE = "A quick count by observers from a random sample of tables: an estimate, not the official count."


def _official(bulletin: dict | None, contest: str, found: qc.Estimate) -> dict | None:
    """The latest bulletin's shares beside the quick count's interval; ``outside`` flags the options whose
    official share falls outside it (the check NDI's handbook asks for)."""
    if bulletin is None or contest not in bulletin["root"]["results"]:
        return None
    figures = bulletin["root"]["results"][contest]
    valid = figures["valid"]
    options = []
    for o in found.options:
        votes = next(x["votes"] for x in figures["options"] if x["code"] == o.option)
        share = votes / valid if valid else None
        # a hair of tolerance: a census's interval has width 0, and its float sums may differ in the last bit
        inside = None if share is None or o.margin is None else o.low - 1e-12 <= share <= o.high + 1e-12
        options.append({"option": o.option, "share": share, "within_interval": inside})
    return {"bulletin": bulletin["number"], "options": options,
            "outside": [o["option"] for o in options if o["within_interval"] is False]}

"""Quick count (parallel vote tabulation): the sample, its size and the estimator.

Pure functions of table codes and counts; no I/O. docs/observers.md states each
algorithm so that anyone can redo it with their own code.

The sample. Every table gets a key, the SHA-256 of the UTF-8 text
``"<seed>:<table code>"`` in lower-case hex. The size is shared among strata in
proportion to their number of tables (largest remainders; ties to the stratum
code that sorts first); each stratum takes its tables with the smallest keys
(ties, which need a SHA-256 collision, to the smaller code). The seed is
published before the draw, so nobody can choose the tables, and everybody can
check them.

The size. NDI's formula for a simple random sample of voters,
``n = P(1-P) / (E²/Z² + P(1-P)/N)`` with ``P = 0.5`` (the most cautious
assumption), rounded up; then tables = voters / average register per table,
rounded up.

The estimator. A combined ratio estimator over strata: each option's share is
``p = Σ N_h ȳ_h / Σ N_h x̄_h`` (y: the option's votes, x: valid votes, N_h the
tables of stratum h, ȳ_h and x̄_h the means over its n_h reporting tables).
Its variance is the linearised one with the finite-population correction,
``V = Σ N_h² (1 - n_h/N_h) s²_h / n_h / X²`` where s²_h is the sample variance
of the residuals ``d = y - p x`` in stratum h and ``X = Σ N_h x̄_h``; the 95 %
margin is ``1.96 √V``. A stratum with one report has no variance of its own:
it borrows the variance of the residuals of every report.
Strata with no report yet are left out, and the estimate then speaks for the
strata that have reported (``strata_reporting`` says how many).

The lead of one option over another is the same estimator applied to the
difference of their votes, ``y = y_a - y_b``: its own margin, narrower than
one read off the two options' intervals, because their errors move together.
The convergence is the estimate recomputed at successive times from the
reports received by each.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

Z95 = 1.96
WORST_CASE_SHARE = 0.5


def sample_key(seed: str, table: str) -> str:
    """The table's place in the draw: SHA-256 of ``seed:table`` as lower-case hex."""
    return hashlib.sha256(f"{seed}:{table}".encode()).hexdigest()


def allocate(stratum_sizes: Mapping[str, int], size: int) -> dict[str, int]:
    """Share ``size`` tables among strata in proportion to their sizes (largest remainders)."""
    total = sum(stratum_sizes.values())
    if not 0 < size <= total:
        raise ValueError(f"a sample of {size} tables cannot be drawn from {total} tables")
    quotas = {h: Fraction(size * n, total) for h, n in stratum_sizes.items()}
    shares = {h: math.floor(q) for h, q in quotas.items()}
    left = size - sum(shares.values())
    by_remainder = sorted(quotas, key=lambda h: (-(quotas[h] - shares[h]), h))
    for h in by_remainder[:left]:
        shares[h] += 1
    return shares


@dataclass(frozen=True)
class SampledTable:
    table: str
    stratum: str
    key: str


def draw_sample(seed: str, size: int, strata: Mapping[str, str]) -> list[SampledTable]:
    """The sample of ``size`` tables; ``strata`` maps each table code to its stratum.

    Returned by stratum, then by key: the order in which the draw picked them.
    """
    members: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for table, stratum in strata.items():
        members[stratum].append((sample_key(seed, table), table))
    shares = allocate({h: len(m) for h, m in members.items()}, size)
    picked = []
    for stratum in sorted(members):
        for key, table in sorted(members[stratum])[:shares[stratum]]:
            picked.append(SampledTable(table, stratum, key))
    return picked


@dataclass(frozen=True)
class SampleSize:
    voters: int
    tables: int


def sample_size(population: int, margin: float, z: float, average_register: float) -> SampleSize:
    """NDI's sample of voters for a margin ``margin`` (a fraction) at ``z``, then its tables."""
    if population <= 0 or average_register <= 0:
        raise ValueError("population and average register must be positive")
    if not 0 < margin < 1 or z <= 0:
        raise ValueError("margin must be a fraction between 0 and 1, and z positive")
    pq = WORST_CASE_SHARE * (1 - WORST_CASE_SHARE)
    voters = math.ceil(pq / (margin ** 2 / z ** 2 + pq / population) - 1e-9)
    return SampleSize(voters, math.ceil(voters / average_register - 1e-9))


@dataclass(frozen=True)
class Report:
    """One sampled table's figures for one contest, as an observer sent them."""

    table: str
    stratum: str
    votes: Mapping[str, int]
    valid: int


@dataclass(frozen=True)
class OptionEstimate:
    option: str
    share: float
    margin: float | None  # half-width of the 95 % interval; None below two reports

    @property
    def low(self) -> float | None:
        return None if self.margin is None else self.share - self.margin

    @property
    def high(self) -> float | None:
        return None if self.margin is None else self.share + self.margin


@dataclass(frozen=True)
class Estimate:
    options: tuple[OptionEstimate, ...]
    reports: int
    strata_reporting: int
    strata: int
    valid_estimate: float  # the estimated valid votes of the reporting strata

    def option(self, code: str) -> OptionEstimate:
        return next(o for o in self.options if o.option == code)


def stratified_total(values: Mapping[str, list[float]], population: Mapping[str, int]) -> float:
    """Σ N_h ȳ_h over the strata that have values: the expansion estimate of a total."""
    return sum(population[h] * sum(v) / len(v) for h, v in values.items() if v)


def stratified_variance(values: Mapping[str, list[float]], population: Mapping[str, int]) -> float:
    """Σ N_h² (1 - n_h/N_h) s²_h / n_h: the estimated variance of :func:`stratified_total`.

    A stratum with one value takes the sample variance of all values pooled.
    """
    pooled = _sample_variance([x for v in values.values() for x in v])
    total = 0.0
    for h, v in values.items():
        n, big_n = len(v), population[h]
        if n == 0:
            continue
        s2 = _sample_variance(v) if n > 1 else pooled
        total += big_n * big_n * (1 - n / big_n) * s2 / n
    return total


def _sample_variance(values: list[float]) -> float:
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return sum((x - mean) ** 2 for x in values) / (len(values) - 1)


def estimate(reports: Iterable[Report], population: Mapping[str, int], options: Iterable[str],
             z: float = Z95) -> Estimate:
    """Each option's share of valid votes, with its margin at ``z`` (95 % by default)."""
    reports = list(reports)
    options = tuple(options)
    by_stratum: dict[str, list[Report]] = defaultdict(list)
    for r in reports:
        by_stratum[r.stratum].append(r)
    valid = stratified_total({h: [r.valid for r in rs] for h, rs in by_stratum.items()}, population)
    estimates = tuple(_option_estimate(o, by_stratum, population, valid, z, len(reports)) for o in options)
    return Estimate(estimates, len(reports), len(by_stratum), len(population), valid)


def _option_estimate(option: str, by_stratum: Mapping[str, list[Report]], population: Mapping[str, int],
                     valid: float, z: float, reports: int) -> OptionEstimate:
    if valid <= 0:
        return OptionEstimate(option, 0.0, None)
    votes = {h: [r.votes.get(option, 0) for r in rs] for h, rs in by_stratum.items()}
    share = stratified_total(votes, population) / valid
    if reports < 2:
        return OptionEstimate(option, share, None)
    residuals = {h: [r.votes.get(option, 0) - share * r.valid for r in rs] for h, rs in by_stratum.items()}
    variance = stratified_variance(residuals, population) / (valid * valid)
    return OptionEstimate(option, share, z * math.sqrt(max(variance, 0.0)))


LEAD = "lead"


def lead(reports: Iterable[Report], population: Mapping[str, int], a: str, b: str,
         z: float = Z95) -> OptionEstimate:
    """The lead of ``a`` over ``b`` as a share of valid votes (negative when ``b`` is ahead), with its margin."""
    differences = [Report(r.table, r.stratum, {LEAD: r.votes.get(a, 0) - r.votes.get(b, 0)}, r.valid)
                   for r in reports]
    return estimate(differences, population, (LEAD,), z).options[0]


def convergence(timed: Iterable[tuple[object, Report]], cuts: Iterable[object], population: Mapping[str, int],
                options: Iterable[str], z: float = Z95) -> list[Estimate]:
    """The estimate at each cut from the reports received by then (``timed``: (received, report) pairs)."""
    timed = sorted(timed, key=lambda pair: pair[0])
    options = tuple(options)
    out = []
    for cut in cuts:
        out.append(estimate([r for at, r in timed if at <= cut], population, options, z))
    return out

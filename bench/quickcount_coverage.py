"""Coverage of the quick count's 95 % margins: how often the interval holds the true share.

Builds a known population of tables (strata of different sizes and leanings, tables of
different sizes), draws many samples with the published-seed draw (seeds "coverage-1",
"coverage-2", …), estimates each option's share with the stratified ratio estimator and
counts the samples whose interval holds the truth. Prints figures; checks nothing.

    .venv/bin/python bench/quickcount_coverage.py                       # 1,000 samples (about a minute)
    .venv/bin/python bench/quickcount_coverage.py --samples 50 --tables 2000 --size 200   # quick look
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter

from escrutinio.domain import quickcount as qc

OPTIONS = ("SI", "NO")


def population(tables: int, strata: int, rng: random.Random) -> dict[str, qc.Report]:
    """Tables spread over strata of unequal size, each stratum with its own leaning."""
    weights = [rng.uniform(0.3, 3.0) for _ in range(strata)]
    leaning = [rng.uniform(0.35, 0.65) for _ in range(strata)]
    found = {}
    for i in range(tables):
        h = rng.choices(range(strata), weights)[0]
        valid = rng.randint(80, 600)
        share = min(max(rng.gauss(leaning[h], 0.08), 0.0), 1.0)
        yes = round(valid * share)
        code = f"T{i:06d}"
        found[code] = qc.Report(code, f"E{h:02d}", {"SI": yes, "NO": valid - yes}, valid)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--tables", type=int, default=10_000)
    parser.add_argument("--strata", type=int, default=24)
    parser.add_argument("--size", type=int, default=600)
    parser.add_argument("--population-seed", type=int, default=2007)
    args = parser.parse_args()

    tables = population(args.tables, args.strata, random.Random(args.population_seed))
    strata = {code: r.stratum for code, r in tables.items()}
    sizes = Counter(strata.values())
    valid = sum(r.valid for r in tables.values())
    truth = {o: sum(r.votes[o] for r in tables.values()) / valid for o in OPTIONS}
    covered, margins, errors = Counter(), [], []
    started = time.perf_counter()
    for n in range(1, args.samples + 1):
        drawn = qc.draw_sample(f"coverage-{n}", args.size, strata)
        found = qc.estimate([tables[p.table] for p in drawn], sizes, OPTIONS)
        for o in found.options:
            covered[o.option] += o.low <= truth[o.option] <= o.high
        margins.append(found.option("SI").margin)
        errors.append(found.option("SI").share - truth["SI"])
    elapsed = time.perf_counter() - started

    print(f"population: {args.tables:,} tables in {args.strata} strata, {valid:,} valid votes; "
          f"true SI share {100 * truth['SI']:.3f} %")
    print(f"samples: {args.samples:,} of {args.size} tables (seeds coverage-1 … coverage-{args.samples}), "
          f"{elapsed:.1f} s")
    for o in OPTIONS:
        print(f"coverage of the 95 % margins, {o}: {covered[o]} of {args.samples} = "
              f"{100 * covered[o] / args.samples:.1f} %")
    print(f"mean margin ± {100 * statistics.mean(margins):.3f} points; mean error {100 * statistics.mean(errors):+.4f} "
          f"points; standard deviation of the error {100 * statistics.pstdev(errors):.3f} points "
          f"(1.96 × it = {196 * statistics.pstdev(errors):.3f})")


if __name__ == "__main__":
    main()

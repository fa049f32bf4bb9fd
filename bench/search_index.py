"""Search at 1M tables: building the index once, and answering queries (escrutinio.publish.search).

    .venv/bin/python bench/search_index.py                 # 1,000,000 tables (bench/synth.py), ~1.3M names
    .venv/bin/python bench/search_index.py --tables 30000  # quicker

Prints the build time, the process's peak memory, and per kind of query the median and 99th percentile of
one ``search`` (10 results) over ``--queries`` random queries: exact table codes, area and centre names
without accents or case, prefixes of codes, and one letter (the widest slice).
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import synthetic_election  # noqa: E402

from escrutinio.publish.search import SearchIndex  # noqa: E402


def _timed(index: SearchIndex, queries: list[str]) -> tuple[float, float, int]:
    times, found = [], 0
    for q in queries:
        start = time.perf_counter()
        hits = index.search(q)
        times.append(time.perf_counter() - start)
        found += bool(hits)
    times.sort()
    return statistics.median(times) * 1e6, times[int(len(times) * 0.99) - 1] * 1e6, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(11)
    start = time.perf_counter()
    election = synthetic_election(args.tables)
    made = time.perf_counter() - start
    start = time.perf_counter()
    index = SearchIndex(election)
    built = time.perf_counter() - start
    names = len(election.areas) + len(election.centres) + len(election.tables)
    print(f"{args.tables:,} tables: {names:,} names and codes indexed ({len(election.areas):,} areas, "
          f"{len(election.centres):,} centres); election made in {made:.1f} s")
    print(f"index built once in {built:.2f} s; peak memory of the process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    kinds = {
        "table code, exact": [rng.choice(election.tables).code for _ in range(args.queries)],
        "area name, folded": [rng.choice(election.areas).name.lower().replace("í", "i") for _ in range(args.queries)],
        "centre name, folded": [rng.choice(election.centres).name.upper() for _ in range(args.queries)],
        "code prefix (5 chars)": [rng.choice(election.tables).code[:5] for _ in range(args.queries)],
        "one letter": [rng.choice("aeioumcpz") for _ in range(args.queries)],
        "nothing found": [f"zz{rng.randrange(10**6)}q" for _ in range(args.queries)],
    }
    print(f"{'query':<24} {'p50 [µs]':>10} {'p99 [µs]':>10} {'found':>8}")
    for name, queries in kinds.items():
        p50, p99, found = _timed(index, queries)
        print(f"{name:<24} {p50:>10,.0f} {p99:>10,.0f} {found:>8,}")


if __name__ == "__main__":
    main()

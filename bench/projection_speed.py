"""Time ``projection.bulletin_projections`` alone on a synthetic country (two contests, three options).

    .venv/bin/python bench/projection_speed.py 100000 1000000 [--src DIR]

Shaped like bench/synth.py's (30 states, ~3.5 parishes a municipality, ~10 centres a parish, 3 tables a
centre, 70 % of centres counted in part or whole), with the counters rolled up from the centres; prints the
wall and CPU time of each call (the second call of a process is the one to read), the peak RSS, and a SHA-256
of the published projections (equal before and after a change that must not move the figures). ``--src``
imports escrutinio from another source tree (an older commit's ``src``) to compare."""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import time

import numpy as np


def country(tables: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    centres = tables // 3
    parishes = max(centres // 10, 1)
    munis = max(parishes * 2 // 7, 1)
    states = 30
    parents, kinds = [-1] + [0] * states, ["area"] * (1 + states)
    parents += rng.integers(1, states + 1, munis).tolist()
    first_muni = 1 + states
    parents += (first_muni + np.sort(rng.integers(0, munis, parishes))).tolist()
    first_parish = first_muni + munis
    parents += (first_parish + np.sort(rng.integers(0, parishes, centres))).tolist()
    kinds += ["area"] * (munis + parishes) + ["centre"] * centres
    levels = ["country"] + ["state"] * states + ["municipality"] * munis + ["parish"] * parishes + ["centre"] * centres
    return [int(p) for p in parents], kinds, levels, rng


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("tables", type=int, nargs="+")
    ap.add_argument("--src")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    if args.src:
        sys.path.insert(0, args.src)
    from escrutinio.domain import projection as P
    print(P.__file__)
    for tables in args.tables:
        parents, kinds, levels, rng = country(tables)
        units = np.array([n for n, kind in enumerate(kinds) if kind == "centre"])
        n, k = len(units), 3
        reg = rng.integers(300, 1500, n)
        part = rng.random(n) * (rng.random(n) < 0.7)
        reg_counted = (reg * part).astype(np.int64)
        matrix = np.zeros((len(parents), k + 8), np.int64)
        matrix[units, :k] = (reg_counted[:, None] * rng.dirichlet([3, 2, 1], n) * 0.7).astype(np.int64)
        matrix[units, k + 3] = reg_counted
        matrix[units, k + 4] = (reg_counted > 0) * 3
        matrix[units, -3] = 3
        matrix[units, -2] = reg
        for node in range(len(parents) - 1, 0, -1):  # parents come first: roll up from the last node
            matrix[parents[node]] += matrix[node]
        head = {"percent_rule": {"method": "truncate", "decimals": 2},
                "contests": [{"code": c, "options": [{"code": o} for o in "xyz"]} for c in "AB"],
                "counters": {"sha256": {"A": "00", "B": "01"}}}
        codes = [f"n{i}" for i in range(len(parents))]
        for _ in range(args.repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            out = P.bulletin_projections(head, {"A": matrix, "B": matrix}, parents, kinds, codes, levels)
            print(f"{tables:>9,} tables: bulletin_projections {time.perf_counter() - wall:.3f} s "
                  f"(CPU {time.process_time() - cpu:.3f} s), {len(out['A']['areas'])} areas a contest", flush=True)
        digest = hashlib.sha256(json.dumps(out, sort_keys=True).encode()).hexdigest()
        print(f"{tables:>9,} tables: projections sha256 {digest}; peak RSS so far "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB", flush=True)


if __name__ == "__main__":
    main()

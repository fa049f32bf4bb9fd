"""The first tally of a new process on a kept store: ``current_tally`` (every acta's packed counts read, the
tally compiled and rolled up), with its parts, each in a fresh process.

    python bench/first_tally.py STORE.db [--repeat N]

The election is loaded first and timed apart (as bench/stages.py's publish stage does)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def once(db: str) -> dict:
    from escrutinio.domain.tally import Tally
    from escrutinio.services import current_tally, open_store

    store = open_store(f"sqlite:///{db}", migrate=False)
    out = {}
    start = time.perf_counter()
    election = store.election()
    out["load_election_s"] = time.perf_counter() - start
    start = time.perf_counter()
    tally = current_tally(store)
    out["current_tally_s"] = time.perf_counter() - start
    out["tables"] = len(election.tables)
    # Its parts, again in this process (the election's Geography is made anew for each part timed here).
    from escrutinio.domain import tally as tally_module
    tally_module._geographies.clear()
    start = time.perf_counter()
    Tally(election)
    out["compile_tally_s"] = time.perf_counter() - start
    start = time.perf_counter()
    store.acta_count_columns()
    out["read_counts_s"] = time.perf_counter() - start
    out["counted"] = {code: int(ct.node_rows[0, ct.col["counted"]]) for code, ct in tally.contests.items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(once(args.db)))
        return
    for run in range(args.repeat):
        load = os.getloadavg()[0]
        done = subprocess.run([sys.executable, __file__, args.db, "--child"], check=True, capture_output=True,
                              text=True)
        figures = json.loads(done.stdout)
        print(f"run {run + 1}: {figures['tables']:,} tables, election loaded in {figures['load_election_s']:.2f} s; "
              f"current_tally {figures['current_tally_s']:.2f} s (compiling the tally "
              f"{figures['compile_tally_s']:.2f} s, reading the counts {figures['read_counts_s']:.2f} s); "
              f"load {load:.2f} before, {os.getloadavg()[0]:.2f} after; counted {figures['counted']}", flush=True)


if __name__ == "__main__":
    main()

"""bench/run.py runs end to end at a tiny size and prints every row of its report (no timing is checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ROWS = (
    "raw Ed25519 verify, 1 core",
    "ingest API, 1 worker",
    "ratio ingest API 1 worker / raw verify",
    "ingest API, 2 workers",
    "full bulletin from table counters (roll-up + bulletin)",
    "full bulletin from the live tally (publish's path)",
    "roll-up escrutinio (recompute, level by level)",
    "roll-up DuckDB (GROUP BY ROLLUP)",
    "ratio full bulletin / DuckDB roll-up",
    "one acta update, every level (median)",
    "peak RSS bulletin + roll-up",
    "publish_bulletin, the next one in a new process (100 more)",
    "static export with a JSON file per area and centre",
    "growth between sizes",
    "targets",
)


def test_bench_runs_at_a_tiny_size(tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--tables", "300", "600", "--ingest-sample", "200",
         "--skip-http", "--skip-postgres", "--publish", "--repeat", "1", "--updates", "200", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    for row in ROWS:
        assert row in done.stdout, f"missing row {row!r}"
    checks = done.stdout.split("checks:", 1)[1]
    assert "NO" not in checks.split(), checks
    assert checks.count("accepted") >= 4, checks

"""bench/run.py runs end to end at a tiny size and prints every row of its report (no timing is checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from .conftest import PG_URL, require_postgresql

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


def test_bench_runs_on_postgresql_at_a_tiny_size(tmp_path):
    """The PostgreSQL stages too: the roll-up, and two workers ingesting into a database of their own."""
    require_postgresql()
    url = sa.engine.make_url(PG_URL)
    dsn = " ".join(f"{key}={value}" for key, value in (("host", url.host), ("port", url.port or 5432),
                                                          ("dbname", url.database), ("user", url.username),
                                                          ("password", url.password)) if value)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--tables", "300", "--ingest-sample", "200",
         "--skip-http", "--repeat", "1", "--updates", "200", "--dsn", dsn, "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    for row in ("ingest API into PostgreSQL, 2 workers", "roll-up PostgreSQL (GROUP BY ROLLUP)"):
        assert row in done.stdout, f"missing row {row!r}"
    checks = done.stdout.split("checks:", 1)[1]
    assert "NO" not in checks.split(), checks
    assert "pgN outcomes {'accepted': 200}: yes" in checks
    assert "PostgreSQL roll-up equals escrutinio's: yes" in checks


def test_projection_backtest_runs_50_nights_and_prints_its_coverage():
    """The back-test's smoke run: its coverage is printed, not held to a threshold (bench/RESULTS.md has the
    1,000-night figures)."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "projection_backtest.py"), "--nights", "50",
                           "--sample", "0.25"], capture_output=True, text=True, timeout=1800, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    print(done.stdout)
    lines = done.stdout.splitlines()
    assert any(line.startswith("projection back-test: 50 nights") for line in lines)
    # Both sizes: on the register (no previous election) and on the night's previous election.
    assert [line for line in lines if line.startswith("size: ")] == ["size: register", "size: previous"]
    rows = [line for line in lines if "|" in line and line.split()[0] in ("50", "70", "88", "95")]
    assert [row.split()[0] for row in rows] == ["50", "70", "88", "95"] * 2
    for row in rows:
        coverage = float(row.split("|")[1].strip().rstrip("%"))
        assert 0 <= coverage <= 100

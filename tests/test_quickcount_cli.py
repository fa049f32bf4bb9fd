"""The quickcount commands over a stored election (the small election of tests/factory.py)."""

from __future__ import annotations

import csv
import hashlib
import io
import json

from click.testing import CliRunner

from escrutinio.cli import main


def run(db_url, *args):
    return CliRunner().invoke(main, [*args, "--db", db_url], catch_exceptions=False)


def test_sample_stratified_by_region_is_the_documented_draw(small_store, db_url):
    done = run(db_url, "quickcount", "sample", "--seed", "s33d", "--size", "3", "--strata", "region")
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.output)))
    # North holds T1-T4 and South T5-T6: quotas 2 and 1 of 3. Each region's smallest SHA-256("s33d:T").
    def smallest(tables, n):
        return sorted(tables, key=lambda t: hashlib.sha256(f"s33d:{t}".encode()).hexdigest())[:n]
    assert {r["table"] for r in rows} == set(smallest(["T1", "T2", "T3", "T4"], 2) + smallest(["T5", "T6"], 1))
    assert {r["stratum"] for r in rows} == {"N", "S"}
    assert all(r["key"] == hashlib.sha256(f"s33d:{r['table']}".encode()).hexdigest() for r in rows)


def test_sample_refuses_an_unknown_level_and_a_size_too_large(small_store, db_url):
    done = CliRunner().invoke(main, ["quickcount", "sample", "--seed", "x", "--size", "2", "--strata", "estado",
                                     "--db", db_url])
    assert done.exit_code == 1 and "unknown level 'estado'" in done.output and "country, region, district" in done.output
    done = CliRunner().invoke(main, ["quickcount", "sample", "--seed", "x", "--size", "7", "--db", db_url])
    assert done.exit_code == 1 and "from 6 tables" in done.output


def test_sample_size_prints_voters_then_tables(small_store, db_url):
    # 0.25 / (0.01²/2² + 0.25/1,000,000) = 9,900.99 -> 9,901 voters; the small election's tables hold
    # 1,650 voters in 6 tables (275 each): 9,901 / 275 = 36.004 -> 37 tables
    done = run(db_url, "quickcount", "sample-size", "--population", "1000000", "--margin", "1%", "--z", "2")
    assert done.output.splitlines() == ["voters: 9901", "tables: 37"]
    done = run(db_url, "quickcount", "sample-size", "--population", "1000000", "--margin", "0.01", "--z", "2",
               "--average-register", "500")
    assert done.output.splitlines() == ["voters: 9901", "tables: 20"]


def test_estimate_from_a_file(small_store, db_url, tmp_path):
    # Unstratified, contest Q on 6 tables; reports T1 (60 YES of 100) and T2 (40 of 100):
    # p = 0.5; residuals ±10, s² = 200; V = 6² · (1 - 2/6) · 200 / 2 / (6·100)² = 2400 / 360,000
    # margin = 1.96 · √(1/150) = 0.16003 -> "50.00 %  ± 16.00"
    path = tmp_path / "qc.csv"
    path.write_text("table,YES,NO,valid\nT1,60,40,100\nT2,40,60,100\n")
    done = run(db_url, "quickcount", "estimate", str(path), "--contest", "Q")
    assert "2 tables reported, from 1 of 1 strata" in done.output
    assert "YES           50.00 %  ± 16.00  (34.00 – 66.00)" in done.output
    as_json = json.loads(run(db_url, "quickcount", "estimate", str(path), "--contest", "Q", "--json").output)
    assert as_json["Q"]["options"][0]["margin"] == 1.96 * (1 / 150) ** 0.5


def test_estimate_lists_every_problem_and_estimates_nothing(small_store, db_url, tmp_path):
    path = tmp_path / "qc.csv"
    path.write_text("table,contest,YES,NO,valid\nT1,Q,60,40,100\nT99,Q,1,1,2\nT2,Q,4O,60,100\n"
                    "T3,Q,10,10,21\nT6,R,1,1,2\nT1,Q,60,40,100\n")
    done = CliRunner().invoke(main, ["quickcount", "estimate", str(path), "--db", db_url])
    assert done.exit_code == 1
    assert "nothing was estimated" in done.output
    assert "row 3, field 'table': unknown table 'T99'" in done.output
    assert "row 4, field 'YES': '4O' is not a count" in done.output
    assert "row 5, field 'valid': valid is 21 but the options add up to 20" in done.output
    assert "row 6, field 'contest': contest 'R' is not on table 'T6'" in done.output
    assert "row 7, field 'table': table 'T1' appears twice" in done.output

"""A previous election: loading it (per table, per area, renamed and split codes), comparing a bulletin with it.

Expected figures are worked out here by hand from the files the tests write, never taken from the program.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from escrutinio import services
from escrutinio.domain.errors import PreviousRejected
from escrutinio.intake.actas import Record

from .conftest import escrutinio
from .factory import acta

MAPPING = """
name = "Earlier election"
date = "2020-05-03"
[options]
INC = "The incumbent"
OPP = "The opposition"
OTH = "Others"
[map]
YES = "INC"
NO = "OPP"
"""
# table, registered, ballots_cast, null, INC, OPP, OTH
PER_TABLE = [("T1", 290, 200, 2, 120, 70, 8), ("T2", 240, 180, 0, 100, 80, 0), ("T3", 400, 300, 10, 100, 190, 0),
             ("T4", 110, 90, 0, 60, 30, 0), ("T5", 480, 350, 0, 200, 150, 0), ("T6", 80, 60, 0, 30, 30, 0)]
# Tonight, contest Q: (YES, NO, null) per table; registered 300, 250, 400, 120, 500, 80.
TONIGHT = {"T1": (60, 40, 0), "T2": (90, 50, 2), "T3": (100, 150, 5), "T4": (30, 60, 0), "T5": (150, 120, 3),
           "T6": (20, 30, 0)}
REGISTERED = {"T1": 300, "T2": 250, "T3": 400, "T4": 120, "T5": 500, "T6": 80}


def _write(tmp_path: Path, rows, header="table,registered,ballots_cast,null,INC,OPP,OTH", mapping=MAPPING):
    results = tmp_path / "results.csv"
    results.write_text(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "mapping.toml").write_text(mapping, encoding="utf-8")
    return results, tmp_path / "mapping.toml"


def _night(store, tables=TONIGHT):
    records = [acta(t, "Q", {"YES": y, "NO": n}, null=null) for t, (y, n, null) in tables.items()]
    services.ingest_records(store, [Record("test", i, r) for i, r in enumerate(records, 1)])
    return services.publish_bulletin(store)


def _points(a: int, whole_a: int, b: int, whole_b: int) -> str:
    """Exact difference of two shares in points, truncated to 2 decimals (the small election's rule)."""
    x = Fraction(100 * a, whole_a) - Fraction(100 * b, whole_b)
    scaled = abs(x) * 100 // 1
    return f"{'-' if x < 0 else ''}{scaled // 100}.{scaled % 100:02d}"


def test_per_table_comparison_at_the_root_and_an_area(small_store, tmp_path):
    results, mapping = _write(tmp_path, PER_TABLE)
    loaded = services.comparison.load_previous(small_store, results, mapping)
    assert loaded.unmatched == () and loaded.unit == "table"
    bulletin = _night(small_store)
    root = services.comparison.comparison(small_store, bulletin)["Q"]
    yes, no = sum(v[0] for v in TONIGHT.values()), sum(v[1] for v in TONIGHT.values())
    inc, opp = sum(r[4] for r in PER_TABLE), sum(r[5] for r in PER_TABLE)
    valid_then = sum(r[4] + r[5] + r[6] for r in PER_TABLE)
    assert root["previous"] == "Earlier election"
    assert root["options"]["YES"]["previous_option"] == "INC"
    assert root["options"]["YES"]["votes_change"] == yes - inc == 450 - 610
    assert root["options"]["NO"]["votes_change"] == no - opp == 450 - 550
    assert root["options"]["YES"]["points_change"] == _points(yes, yes + no, inc, valid_then)
    cast_now = sum(sum(v) for v in TONIGHT.values())
    cast_then = sum(r[2] for r in PER_TABLE)
    assert root["turnout_change_points"] == _points(cast_now, sum(REGISTERED.values()), cast_then,
                                                    sum(r[1] for r in PER_TABLE))
    # District N2 (table T4): INC led 60 to 30, tonight NO leads 60 to 30: the leader changed.
    n2 = services.comparison.comparison(small_store, bulletin, "N2")["Q"]
    assert n2["leader_changed"] and n2["previous_leader"] == "YES" and n2["leader"] == "NO"
    assert n2["options"]["NO"]["votes_change"] == 30
    # District N1 (T1–T3): OPP led 340 to 320, tonight YES leads 250 to 240: changed the other way.
    n1 = services.comparison.comparison(small_store, bulletin, "N1")["Q"]
    assert n1["previous_leader"] == "NO" and n1["leader"] == "YES" and n1["leader_changed"]
    assert n1["options"]["YES"]["votes_change"] == 250 - 320
    # Region S (T5, T6): INC 230 vs OPP 180 then, YES 170 vs NO 150 now: no change.
    s = services.comparison.comparison(small_store, bulletin, "S")["Q"]
    assert s["leader"] == s["previous_leader"] == "YES" and not s["leader_changed"]


def test_previous_figures_for_other_use_cases(small_store, tmp_path):
    services.comparison.load_previous(small_store, *_write(tmp_path, PER_TABLE))
    found = services.comparison.previous_figures(small_store)
    assert found.by_table["T3"] == {"registered": 400, "ballots_cast": 300, "null": 10,
                                    "votes": {"YES": 100, "NO": 190}, "other": 0}
    assert found.by_area["N1"]["votes"] == {"YES": 320, "NO": 340}
    assert found.by_area["X"]["other"] == 8 and found.by_area["C-S1"]["registered"] == 560


def test_per_area_with_a_renamed_and_a_split_area(small_store, tmp_path):
    # Earlier areas: OLD-N1 is tonight's N1 (renamed); SS was split into tonight's S1 and N2;
    # GONE exists no more. The whole country still adds up; N1 compares; S1 and N2 do not.
    rows = [("OLD-N1", 930, 680, 12, 320, 340, 8), ("SS", 670, 500, 0, 290, 210, 0), ("GONE", 10, 5, 0, 5, 0, 0)]
    mapping = MAPPING + '[codes]\n"OLD-N1" = "N1"\nSS = ["S1", "N2"]\n'
    loaded = services.comparison.load_previous(small_store, *_write(
        tmp_path, rows, header="area,registered,ballots_cast,null,INC,OPP,OTH", mapping=mapping))
    assert {u["code"] for u in loaded.unmatched} == {"GONE"}
    assert set(loaded.split) == {"S1", "N2"}
    bulletin = _night(small_store)
    compare = services.comparison.comparison
    assert compare(small_store, bulletin, "N1")["Q"]["options"]["YES"]["previous_votes"] == 320
    assert compare(small_store, bulletin, "S1") == {} and compare(small_store, bulletin, "N2") == {}
    root = compare(small_store, bulletin)["Q"]
    assert root["options"]["YES"]["previous_votes"] == 320 + 290 + 5
    # N (holding the split SS's N2 part) is compared as a whole only if SS lies inside it: it does not.
    assert compare(small_store, bulletin, "N")["Q"]["options"]["YES"]["previous_votes"] == 320


def test_every_problem_is_reported_and_nothing_stored(small_store, tmp_path):
    rows = [("T1", 290, 200, 2, 120, 70, 9), ("T2", 240, 300, 0, 300, 0, 0), ("T3", 400, "x", 0, 1, 1, 1)]
    mapping = MAPPING.replace('YES = "INC"', 'MAYBE = "NOPE"')
    with pytest.raises(PreviousRejected) as caught:
        services.comparison.load_previous(small_store, *_write(tmp_path, rows, mapping=mapping))
    text = str(caught.value)
    assert "row 2" in text and "row 3" in text and "row 4" in text
    assert "MAYBE" in text and "NOPE" in text
    assert services.comparison.get_previous(small_store) is None


def test_loading_again_replaces(small_store, tmp_path):
    services.comparison.load_previous(small_store, *_write(tmp_path, PER_TABLE))
    changed = [(r[0], r[1], r[2], r[3], r[4] - 1, r[5] + 1, r[6]) for r in PER_TABLE]
    services.comparison.load_previous(small_store, *_write(tmp_path, changed))
    found = services.comparison.previous_figures(small_store)
    assert found.by_area["X"]["votes"]["YES"] == 610 - 6


def test_cli_load_and_bulletin_show_json(tmp_path):
    from .factory import small_election  # noqa: F401 - the CLI reads a definition: write the small one

    results, mapping = _write(tmp_path, PER_TABLE)
    db = f"sqlite:///{tmp_path / 'night.db'}"
    store = services.open_store(db)
    services.init_election(store, small_election())
    _night(store)
    store.close()
    done = escrutinio(tmp_path, "previous", "load", str(results), "--mapping", str(mapping), "--db", db)
    assert done.returncode == 0, done.stderr
    assert "Loaded Earlier election" in done.stdout
    shown = escrutinio(tmp_path, "bulletin", "show", "1", "--json", "--db", db)
    data = json.loads(shown.stdout)
    assert data["comparison"]["Q"]["options"]["NO"]["votes_change"] == 450 - 550
    assert data["area"]["results"]["Q"]["comparison"]["options"]["YES"]["previous_option"] == "INC"
    assert "R" not in data["comparison"]  # the race's options have no counterpart
    text = escrutinio(tmp_path, "previous", "compare", "1", "--db", db)
    assert text.returncode == 0 and "-160" in text.stdout


def test_the_api_and_the_comparison_page(small_store, tmp_path):
    from fastapi.testclient import TestClient

    from escrutinio.settings import load_settings
    from escrutinio.web.app import create_app

    bulletin = _night(small_store)
    with TestClient(create_app(load_settings(database_url=small_store.url), small_store)) as client:
        assert client.get("/api/v1/previous").status_code == 404
        assert client.get("/api/v1/bulletins/1/comparison").status_code == 404
        services.comparison.load_previous(small_store, *_write(tmp_path, PER_TABLE))
        record = client.get("/api/v1/previous").json()
        assert record["votes"] == {"INC": 610, "OPP": 550, "OTH": 8} and record["unmatched"] == []
        whole = client.get("/api/v1/bulletins/1/comparison").json()
        assert whole["contests"]["Q"]["options"]["YES"]["votes_change"] == -160
        level = client.get("/api/v1/bulletins/1/comparison?level=district").json()
        changed = {a["code"] for a in level["areas"] if a["comparison"]["Q"]["leader_changed"]}
        assert changed == {"N1", "N2"}  # worked out in test_per_table_comparison_at_the_root_and_an_area
        moved = client.get("/api/v1/bulletins/1/transfer/Q").json()
        assert moved["rows"] == ["INC", "OPP", "OTH", "null", "did_not_vote"]
        assert moved["columns"] == ["YES", "NO", "null", "did_not_vote"]
        assert moved["units"] == 4  # every centre is fully counted
        page = client.get("/comparison?lang=en&level=district")
        assert page.status_code == 200
        assert "Where the leader changed" in page.text and "North Two" in page.text
        assert "Where the votes went" in page.text and "The bounds hold without any assumption" in page.text
        home = client.get("/?lang=en").text
        assert 'href="/comparison"' in home and "Comparison with Earlier election" in home
        area = client.get("/areas/N2?lang=en").text
        assert "Leader changed" in area
    assert bulletin.number == 1


def test_transfer_bounds_hold_the_truth_on_a_small_night(small_store, tmp_path):
    """One centre, one table (T4, 120 registered tonight, 110 then): where its voters went is bounded by hand."""
    services.comparison.load_previous(small_store, *_write(tmp_path, PER_TABLE))
    bulletin = _night(small_store, {"T4": TONIGHT["T4"]})
    moved = services.comparison.transfer(small_store, bulletin, "Q")
    assert moved["units"] == 1
    # base N = max(110, 120) = 120; then INC 60, OPP 30, did not vote 120 - 90 = 30; now YES 30, NO 60, dnv 30.
    inc = moved["transfers"]["INC"]["to"]
    assert inc["YES"]["bounds_voters"] == [0, 30]       # max(0, 60 + 30 - 120), min(60, 30)
    assert inc["NO"]["bounds_voters"] == [0, 60]
    assert moved["transfers"]["did_not_vote"]["to"]["did_not_vote"]["bounds_voters"] == [0, 30]
    assert moved["transfers"]["INC"]["voters"] == 60


def test_loading_from_another_escrutinio_store(tmp_path):
    """Last time's night, kept in its own store, becomes tonight's previous election (its counted actas per table)."""
    from .factory import small_election

    earlier_db = tmp_path / "earlier.db"
    earlier = services.open_store(f"sqlite:///{earlier_db}")
    services.init_election(earlier, small_election())
    _night(earlier, {"T1": (100, 80, 4), "T4": (50, 40, 1), "T5": (200, 150, 0)})
    earlier.close()
    (tmp_path / "mapping.toml").write_text('contest = "Q"\n[map]\nYES = "YES"\nNO = "NO"\n[codes]\nT5 = "GONE"\n',
                                           encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'tonight.db'}"
    tonight = services.open_store(db)
    services.init_election(tonight, small_election())
    tonight.close()
    done = escrutinio(tmp_path, "previous", "load", str(earlier_db), "--mapping", "mapping.toml", "--db", db)
    assert done.returncode == 0, done.stderr
    assert "Loaded Small test election" in done.stdout and "T5: no table GONE tonight" in done.stdout
    tonight = services.open_store(db)
    found = services.comparison.previous_figures(tonight)
    assert found.by_table["T1"] == {"registered": 300, "ballots_cast": 184, "null": 4,
                                    "votes": {"YES": 100, "NO": 80}, "other": 0}
    assert found.by_area["N2"]["votes"] == {"YES": 50, "NO": 40}
    assert found.by_area["X"]["votes"] == {"YES": 350, "NO": 270}  # T5, unmatched, still in the whole
    tonight.close()


def test_area_rows_that_hold_one_another_are_refused(small_store, tmp_path):
    rows = [("N", 930, 680, 12, 320, 340, 8), ("N1", 500, 400, 0, 200, 200, 0)]
    with pytest.raises(PreviousRejected) as caught:
        services.comparison.load_previous(small_store, *_write(
            tmp_path, rows, header="area,registered,ballots_cast,null,INC,OPP,OTH"))
    assert "N1 lies inside N" in str(caught.value)

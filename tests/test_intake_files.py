"""Acta files (CSV and JSON Lines) through services.ingest_files.

Every problem must say which file, which line and which field; a bad row
never stops the good rows of the same file.
"""

from __future__ import annotations

import json

import pytest

from escrutinio.services import ingest_files
from escrutinio.services import intake as intake_service

HEADER = "table,contest,ballots_cast,null,blank,YES,NO,C1,C2,C3"


def write(tmp_path, name, lines, encoding="utf-8"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def jsonl(tmp_path, name, items):
    return write(tmp_path, name, [i if isinstance(i, str) else json.dumps(i) for i in items])


def q(table, yes=60, no=40, null=0, cast=None):
    return {"table": table, "contest": "Q", "votes": {"YES": yes, "NO": no}, "null": null,
            "ballots_cast": yes + no + null if cast is None else cast}


def stored(store):
    return [(r.acta.table, r.acta.contest, dict(r.acta.votes), r.source) for r in store.actas()]


def where(problem):
    return problem.source, problem.row, problem.field


# -- CSV ----------------------------------------------------------------------

def test_good_csv_rows_of_both_contests_are_stored(small_store, tmp_path):
    path = write(tmp_path, "actas.csv", [HEADER, "T1,Q,100,0,,60,40,,,", "T1,R,65,3,2,,,30,20,10"])
    report = ingest_files(small_store, [path])
    assert [o.result for o in report.outcomes] == ["accepted", "accepted"]
    assert report.problems == []
    assert stored(small_store) == [("T1", "Q", {"YES": 60, "NO": 40}, f"{path}:2"),
                                   ("T1", "R", {"C1": 30, "C2": 20, "C3": 10}, f"{path}:3")]
    [r_acta] = [r.acta for r in small_store.actas() if r.acta.contest == "R"]
    assert (r_acta.null, r_acta.blank, r_acta.ballots_cast) == (3, 2, 65)


def test_not_a_number_cell_names_file_line_and_column(small_store, tmp_path):
    path = write(tmp_path, "actas.csv", [HEADER, "T1,Q,100,0,,60,40,,,", "T2,Q,100,0,,6O,40,,,"])
    report = ingest_files(small_store, [path])
    assert [o.result for o in report.outcomes] == ["accepted", "rejected"]
    [problem] = report.problems
    assert where(problem) == (str(path), 3, "YES")
    assert "'6O'" in problem.message
    assert str(problem).startswith(f"{path}, row 3, field 'YES': ")


def test_negative_cell_is_rejected(small_store, tmp_path):
    path = write(tmp_path, "actas.csv", [HEADER, "T1,Q,100,-1,,61,40,,,"])
    [problem] = ingest_files(small_store, [path]).problems
    assert where(problem) == (str(path), 2, "null")
    assert problem.message == "count -1 is negative"
    assert stored(small_store) == []


def test_empty_option_cell_is_a_missing_count(small_store, tmp_path):
    path = write(tmp_path, "actas.csv", [HEADER, "T1,Q,60,0,,60,,,,"])
    [problem] = ingest_files(small_store, [path]).problems
    assert where(problem) == (str(path), 2, "NO")
    assert "missing" in problem.message


def test_wrong_cell_count_is_reported_with_its_line(small_store, tmp_path):
    path = write(tmp_path, "actas.csv", [HEADER, "T1,Q,100,0,,60,40", "T2,Q,100,0,,60,40,,,,,"])
    report = ingest_files(small_store, [path])
    assert [o.result for o in report.outcomes] == ["rejected", "rejected"]
    assert [(p.row, p.source) for p in report.problems] == [(2, str(path)), (3, str(path))]
    assert "7 cells where the header has 10" in report.problems[0].message
    assert "12 cells" in report.problems[1].message
    assert stored(small_store) == []


def test_missing_header_columns_are_named_and_nothing_is_stored(small_store, tmp_path):
    path = write(tmp_path, "actas.csv", ["table,contest,YES,NO", "T1,Q,60,40"])
    report = ingest_files(small_store, [path])
    assert report.counts["rejected"] == 1 and report.counts["accepted"] == 0
    [problem] = report.problems
    assert (problem.source, problem.row) == (str(path), 1)
    assert set(problem.field.split(",")) == {"ballots_cast", "null"}
    assert "ballots_cast" in problem.message and "null" in problem.message
    assert stored(small_store) == []


def test_empty_lines_are_skipped_and_lines_keep_their_numbers(small_store, tmp_path):
    path = write(tmp_path, "actas.csv", [HEADER, "", "T1,Q,100,0,,60,40,,,", " , ,,", "", "T2,Q,1,0,,x,1,,,"])
    report = ingest_files(small_store, [path])
    assert [(o.result, o.row) for o in report.outcomes] == [("accepted", 3), ("rejected", 6)]
    assert where(report.problems[0]) == (str(path), 6, "YES")


def test_csv_with_byte_order_mark_is_read(small_store, tmp_path):
    path = write(tmp_path, "actas.csv", [HEADER, "T1,Q,100,0,,60,40,,,"], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    report = ingest_files(small_store, [path])
    assert [o.result for o in report.outcomes] == ["accepted"]
    assert stored(small_store)[0][:3] == ("T1", "Q", {"YES": 60, "NO": 40})


def test_mixed_file_reports_every_bad_row_and_stores_every_good_one(small_store, tmp_path):
    path = write(tmp_path, "actas.csv", [
        HEADER,
        "T1,Q,100,0,,60,40,,,",
        "T9,Q,100,0,,60,40,,,",       # unknown table
        "T2,Q,90,0,,50,40,,,",
        "T3,Q,100,0,,60,40",          # too few cells
        "T4,Q,100,0,,60,40,,,",
        "T5,Q,100,zero,,60,40,,,",    # not a number
        "T6,Q,50,0,,30,20,,,",
    ])
    report = ingest_files(small_store, [path])
    assert report.counts == {"accepted": 4, "already_present": 0, "conflict": 0, "quarantined": 0, "rejected": 3}
    assert [(p.row, p.field) for p in report.problems] == [(3, "table"), (5, ""), (7, "null")]
    assert all(p.source == str(path) for p in report.problems)
    assert [t for t, *_ in stored(small_store)] == ["T1", "T2", "T4", "T6"]


def test_every_outcome_survives_batching(small_store, tmp_path, monkeypatch):
    monkeypatch.setattr(intake_service, "BATCH", 2)
    rows = [f"T{n},Q,100,0,,60,40,,," for n in (1, 2, 3, 4, 5)]
    rows[2] = "T3,Q,100,0,,60,x,,,"
    path = write(tmp_path, "actas.csv", [HEADER, *rows])
    seen = []
    report = ingest_files(small_store, [path], progress=seen.append)
    assert seen == [2, 2, 1]
    assert [(o.row, o.result) for o in report.outcomes] == [
        (2, "accepted"), (3, "accepted"), (4, "rejected"), (5, "accepted"), (6, "accepted")]
    assert len(stored(small_store)) == 4


# -- JSON Lines ----------------------------------------------------------------

def test_good_jsonl_is_stored_with_its_line(small_store, tmp_path):
    race = {"table": "T2", "contest": "R", "votes": {"C1": 1, "C2": 2, "C3": 3}, "null": 0, "blank": 4,
            "ballots_cast": 10}
    path = jsonl(tmp_path, "actas.jsonl", [q("T1"), race])
    report = ingest_files(small_store, [path])
    assert [o.result for o in report.outcomes] == ["accepted", "accepted"]
    assert [s[3] for s in stored(small_store)] == [f"{path}:1", f"{path}:2"]


def test_invalid_json_line_is_reported_and_the_rest_stored(small_store, tmp_path):
    path = jsonl(tmp_path, "actas.jsonl", [q("T1"), '{"table": "T2", "contest": "Q",', q("T3")])
    report = ingest_files(small_store, [path])
    assert [o.result for o in report.outcomes] == ["accepted", "rejected", "accepted"]
    [problem] = report.problems
    assert (problem.source, problem.row) == (str(path), 2)
    assert "not valid JSON" in problem.message and "one JSON object per line" in problem.action
    assert [t for t, *_ in stored(small_store)] == ["T1", "T3"]


def test_json_line_that_is_not_an_object_is_rejected(small_store, tmp_path):
    path = jsonl(tmp_path, "actas.jsonl", ['["T1", "Q", 60, 40]'])
    [problem] = ingest_files(small_store, [path]).problems
    assert problem.row == 1 and "JSON object" in problem.message


def test_unknown_json_key_is_named(small_store, tmp_path):
    path = jsonl(tmp_path, "actas.jsonl", [q("T1"), dict(q("T2"), comment="signed late", ballot=1)])
    report = ingest_files(small_store, [path])
    assert [o.result for o in report.outcomes] == ["accepted", "rejected"]
    assert sorted(where(p) for p in report.problems) == [(str(path), 2, "ballot"), (str(path), 2, "comment")]
    assert all("ballots_cast" in p.action for p in report.problems)  # the allowed keys are listed
    assert len(stored(small_store)) == 1


def test_rule_problems_in_jsonl_carry_file_line_and_field(small_store, tmp_path):
    path = jsonl(tmp_path, "actas.jsonl", ["", q("T1"), "   ", dict(q("T2"), null=-2)])
    report = ingest_files(small_store, [path])
    assert [(o.row, o.result) for o in report.outcomes] == [(2, "accepted"), (4, "rejected")]
    [problem] = report.problems
    assert where(problem) == (str(path), 4, "null")
    assert "negative" in problem.message


def test_jsonl_with_string_counts_is_rejected(small_store, tmp_path):
    path = jsonl(tmp_path, "actas.jsonl", [dict(q("T1"), votes={"YES": "60", "NO": 40})])
    [problem] = ingest_files(small_store, [path]).problems
    assert where(problem) == (str(path), 1, "YES")


def test_quarantine_and_conflict_come_through_files_too(small_store, tmp_path):
    path = jsonl(tmp_path, "actas.jsonl", [q("T1"), q("T1", yes=61, no=39), q("T2", cast=99), q("T1")])
    report = ingest_files(small_store, [path])
    assert [o.result for o in report.outcomes] == ["accepted", "conflict", "quarantined", "already_present"]
    assert report.problems == []
    assert "ballots cast = 99" in report.outcomes[2].reasons[0]


# -- files that cannot be read -------------------------------------------------

def test_unknown_file_type_is_refused(small_store, tmp_path):
    path = write(tmp_path, "actas.txt", [HEADER, "T1,Q,100,0,,60,40,,,"])
    [problem] = ingest_files(small_store, [path]).problems
    assert problem.source == str(path) and "'.txt'" in problem.message
    assert ".csv" in problem.action and ".jsonl" in problem.action
    assert stored(small_store) == []


def test_missing_file_is_reported_and_the_next_file_still_read(small_store, tmp_path):
    good = write(tmp_path, "good.csv", [HEADER, "T1,Q,100,0,,60,40,,,"])
    report = ingest_files(small_store, [tmp_path / "absent.csv", good])
    assert [o.result for o in report.outcomes] == ["rejected", "accepted"]
    assert report.problems[0].source == str(tmp_path / "absent.csv")
    assert "cannot read" in report.problems[0].message


@pytest.mark.parametrize("name", ["latin1.csv", "latin1.jsonl"])
def test_file_that_is_not_utf8_is_reported(small_store, tmp_path, name):
    path = tmp_path / name
    path.write_bytes("table,contest,ballots_cast,null,YES,NO\nT1,Q,100,0,60,40 # Año\n".encode("latin-1"))
    report = ingest_files(small_store, [path])
    assert report.counts["rejected"] == 1
    assert "UTF-8" in report.problems[0].message and "UTF-8" in report.problems[0].action
    assert stored(small_store) == []


def test_unparseable_csv_row_is_reported_and_reading_goes_on(small_store, tmp_path):
    huge = "x" * 200_000  # beyond the csv module's field size limit
    path = write(tmp_path, "actas.csv", [HEADER, "T1,Q,100,0,,60,40,,,", f"T2,Q,{huge},0,,60,40,,,",
                                         "T3,Q,100,0,,60,40,,,"])
    report = ingest_files(small_store, [path])
    assert [(o.row, o.result) for o in report.outcomes] == [(2, "accepted"), (3, "rejected"), (4, "accepted")]
    assert "unreadable CSV row" in report.problems[0].message
    assert [t for t, *_ in stored(small_store)] == ["T1", "T3"]


def test_a_quoted_cell_spanning_lines_does_not_shift_later_row_numbers(small_store, tmp_path):
    path = write(tmp_path, "actas.csv", [HEADER, 'T1,"Q",100,0,,60,40,,,', '"T2\nstill T2",Q,100,0,,60,40,,,',
                                         "T3,Q,100,x,,60,40,,,"])
    problems = ingest_files(small_store, [path]).problems
    assert [where(p) for p in problems] == [(str(path), 3, "table"), (str(path), 5, "null")]

"""The register of refused actas: every acta refused at intake (files and HTTP) is recorded with its table,
time, source, reason code and the SHA-256 of its bytes, never the bytes; a flood keeps it bounded; a failure
to record never turns a refusal into an error."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from escrutinio.intake.actas import Record
from escrutinio.intake.signatures import public_key
from escrutinio.services import ingest_files, ingest_records, init_election, keys, tokens
from escrutinio.services import intake

from .factory import acta, small_election

T0 = dt.datetime(2024, 5, 5, 22, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def signed(store):
    election = init_election(store, small_election(signed=True))
    private = keys.generate_keys(election, seed="refused-tests")
    keys.register_keys(store, {t: public_key(k) for t, k in private.items() if t != "T6"}, T0)
    return store, election, private


def test_refused_lines_of_a_file_are_recorded_by_hash_and_reason(signed, tmp_path):
    store, election, private = signed
    good = keys.sign_record(election, acta("T1"), private["T1"])
    forged = {**keys.sign_record(election, acta("T2"), private["T2"]), "null": 1, "ballots_cast": 101}
    lines = [json.dumps(good), json.dumps(forged), json.dumps({**acta("T9"), "signature": good["signature"]}),
             "{not json", json.dumps(acta("T3")), json.dumps(keys.sign_record(election, acta("T6"), private["T6"]))]
    path = tmp_path / "actas.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = ingest_files(store, [path], now=T0)
    assert report.counts["accepted"] == 1 and report.counts["rejected"] == 5
    rows = store.refused()
    assert [(r["table_code"], r["reason"], r["source"]) for r in rows] == [
        ("T2", "bad_signature", f"{path}:2"), ("T9", "unknown_table", f"{path}:3"),
        (None, "malformed", f"{path}:4"), ("T3", "unsigned", f"{path}:5"), ("T6", "unknown_key", f"{path}:6")]
    for row, line in zip(rows, lines[1:]):
        assert row["sha256"] == hashlib.sha256((line + "\n").encode()).hexdigest()
        assert row["at"] == T0
    assert store.refused_counts() == {"bad_signature": 1, "malformed": 1, "unknown_key": 1, "unknown_table": 1,
                                      "unsigned": 1}


def test_a_csv_rows_bytes_are_its_own(signed, tmp_path):
    store, _, _ = signed
    path = tmp_path / "actas.csv"
    path.write_text("table,contest,ballots_cast,null,YES,NO\nT1,Q,100,0,60,40\nT1,Q,x,0,60,40\n")
    ingest_files(store, [path], now=T0)
    rows = store.refused()
    assert [r["sha256"] for r in rows] == [hashlib.sha256(b"T1,Q,100,0,60,40\n").hexdigest(),
                                           hashlib.sha256(b"T1,Q,x,0,60,40\n").hexdigest()]
    assert [r["reason"] for r in rows] == ["unsigned", "malformed"]


def test_a_flood_keeps_the_register_bounded_and_every_refusal_counted(signed, monkeypatch):
    store, _, _ = signed
    keep, sent = 50, 0
    monkeypatch.setattr(intake, "REFUSED_KEPT", keep)
    for batch in range(12):
        records = [Record("flood", n, None if n % 3 else {"table": f"Z{n}"}, [], f"garbage {batch} {n}")
                   for n in range(1, 31)]
        for r in records:
            if r.data is None:
                r.problems = [intake.Problem("", "not valid JSON", "write JSON")]
        ingest_records(store, records, now=T0 + dt.timedelta(minutes=batch))
        sent += len(records)
        assert len(store.refused()) <= keep
    counts = store.refused_counts()
    assert sum(counts.values()) == sent  # nothing lost: folded rows are counted per reason
    # two of three records of each batch are unreadable; the third names a table the election lacks (and so
    # is refused as malformed too: it has no contest, votes or counts)
    assert counts == {"malformed": 240, "unknown_table": 120}
    folded = store.refused_summary()
    assert folded and sum(r["count"] for r in folded) == sent - len(store.refused())
    assert min(r["first_at"] for r in folded) == T0
    newest = store.refused()[-1]
    assert newest["source"] == "flood:30" and newest["at"] == T0 + dt.timedelta(minutes=11)


def test_a_failure_to_record_never_fails_the_intake(signed, monkeypatch):
    store, _, _ = signed

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "add_refused", broken)
    [outcome] = ingest_records(store, [Record("t", 1, acta("T1"))], now=T0)
    assert outcome.result == "rejected"
    assert intake.record_refusals(store, [intake.refusal("T1", "t", "malformed", b"x")]) is False


def test_http_refusals_name_the_client_and_token_and_show_on_the_bulletin_page(signed):
    from fastapi.testclient import TestClient

    from escrutinio.services import publish_bulletin
    from escrutinio.settings import load_settings
    from escrutinio.web.app import create_app

    store, _, _ = signed
    _, device = tokens.create_token(store, "device 7", "transmission")
    publish_bulletin(store, now=T0)
    settings = load_settings(database_url=store.url, max_body_bytes=2000)
    with TestClient(create_app(settings, store)) as client:
        headers = {"Authorization": f"Bearer {device}", "Content-Type": "application/json"}
        body = json.dumps(acta("T1")).encode()
        assert client.post("/api/v1/actas", content=body, headers=headers).status_code == 422
        assert client.post("/api/v1/actas", content=b"{oops", headers=headers).status_code == 400
        assert client.post("/api/v1/actas", content=b"x" * 5000, headers=headers).status_code == 413
        rows = store.refused()
        assert [r["reason"] for r in rows] == ["unsigned", "malformed", "too_large"]
        assert rows[0]["sha256"] == hashlib.sha256(body).hexdigest() and rows[0]["table_code"] == "T1"
        assert all("token device 7 (token 1)" in r["source"] and r["source"].startswith("http ") for r in rows)
        page = client.get("/bulletins/1").text
        assert "refused-actas" in page
        api = client.get("/api/v1/published/refused").json()
        assert api["counts"] == {"malformed": 1, "too_large": 1, "unsigned": 1}


def test_cli_lists_the_refused_actas(signed, tmp_path):
    from .conftest import escrutinio

    store, _, _ = signed
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(acta("T4")) + "\n")
    done = escrutinio(tmp_path, "ingest", str(path), "--db", store.url)
    assert done.returncode == 1
    listed = escrutinio(tmp_path, "actas", "--status", "refused", "--db", store.url)
    assert listed.returncode == 0, listed.stderr
    [line] = [l for l in listed.stdout.splitlines() if "T4" in l]
    assert "unsigned" in line and f"{path}:1" in line
    assert hashlib.sha256((json.dumps(acta("T4")) + "\n").encode()).hexdigest() in line

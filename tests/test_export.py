"""Bulletins as static files: the same bytes and documents as the API, for a CDN."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from fastapi.testclient import TestClient

from escrutinio.intake.actas import Record
from escrutinio.services import export_bulletin, ingest_records, publish_bulletin
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app

from .factory import acta

UTC = dt.timezone.utc


def test_export_writes_what_the_api_serves(small_store, tmp_path):
    ingest_records(small_store, [Record("t", 1, acta("T1", "Q")), Record("t", 2, acta("T5", "R", blank=2))])
    first = publish_bulletin(small_store, dt.datetime(2024, 5, 5, 23, tzinfo=UTC))
    ingest_records(small_store, [Record("t", 1, acta("T2", "Q", {"YES": 10, "NO": 90}))])
    second = publish_bulletin(small_store, dt.datetime(2024, 5, 6, 1, tzinfo=UTC))
    out = tmp_path / "site"
    done = export_bulletin(small_store, out, 1)
    export_bulletin(small_store, out)  # the latest

    head = (out / "bulletins/1/head.json").read_bytes()
    assert hashlib.sha256(head).hexdigest() == first.hash
    assert json.loads((out / "bulletins.json").read_text())[1]["hash"] == second.hash
    assert json.loads((out / "latest.json").read_text())["number"] == 2
    client = TestClient(create_app(load_settings(database_url=small_store.url), small_store))
    assert (out / "nodes.json").read_bytes() == client.get("/api/v1/nodes").content
    for contest in ("Q", "R"):
        assert (out / f"bulletins/1/counters/{contest}.i64").read_bytes() == \
            client.get(f"/api/v1/bulletins/1/counters/{contest}").content
    for code in ("X", "N1", "C-S1"):
        static = json.loads((out / f"bulletins/2/areas/{code}.json").read_text())
        served = client.get(f"/api/v1/bulletins/2/areas/{code}").json()
        assert static.pop("full") == "bulletins/2/head.json" and served.pop("full") == "/api/v1/bulletins/2/full"
        assert static == served
    district = (out / "bulletins/2/csv/district.csv").read_text().splitlines()
    assert district[0].startswith("bulletin,cut_off,area_code")
    assert {line.split(",")[2] for line in district[1:]} == {"N1", "N2", "S1"}
    assert done.files == len(list((out / "bulletins/1").rglob("*"))) - 3 + 2  # minus 3 folders, plus 2 indexes
    assert not list(out.rglob("*.partial"))


def test_file_names_are_the_codes_with_only_unsafe_characters_encoded():
    from escrutinio.services.export import _file_name

    assert _file_name("país") == "país"  # a server finds /csv/pa%C3%ADs.csv here, as for any UTF-8 name
    assert _file_name("ZU-01/2") == "ZU-01%2F2"
    assert _file_name("50%") == "50%25"
    assert _file_name("..") == "%2E."
    assert _file_name("a\\b") == "a%5Cb"

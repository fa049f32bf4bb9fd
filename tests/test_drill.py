"""Drills: a rehearsal night says so everywhere, its actas are refused by the real night, and it resets.

The drill and the real night share the definition and the tables' keys, as they would: only the
election's identifier, inside every signed acta, tells them apart.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil

import pytest
from fastapi.testclient import TestClient

from escrutinio.domain.errors import UpkeepRefused
from escrutinio.intake import signatures
from escrutinio.intake.actas import Record
from escrutinio.services import (export_bulletin, export_nist, ingest_records, init_election, open_store,
                                 publish_bulletin, upkeep)
from escrutinio.services import log as public_log
from escrutinio.services.keys import generate_keys, register_keys, sign_record
from escrutinio.services.tokens import create_token, list_tokens
from escrutinio.settings import load_settings
from escrutinio.verify import verify_source
from escrutinio.web.app import create_app

from .conftest import escrutinio
from .factory import acta, small_election
from .test_docs import DEFINITION

SEED = "the same devices on both nights"


def _night(store, *, drill: bool):
    election = init_election(store, small_election(signed=True), drill=drill)
    private = generate_keys(election, seed=SEED)
    register_keys(store, {t: signatures.public_key(k) for t, k in private.items()})
    return election, private


def _send(store, election, private, *tables):
    records = [Record("night", n, sign_record(election, acta(t), private[t])) for n, t in enumerate(tables, 1)]
    return [o.result for o in ingest_records(store, records)]


@pytest.fixture
def drill(db_url):
    store = open_store(db_url)
    election, private = _night(store, drill=True)
    assert _send(store, election, private, "T1", "T2", "T3") == ["accepted"] * 3
    publish_bulletin(store)
    store.private = private
    yield store
    store.close()


# -- the real night refuses the drill's actas ---------------------------------------------------------------

def test_a_drills_acta_is_refused_by_the_real_night(tmp_path):
    rehearsal, real = (open_store(f"sqlite:///{tmp_path / name}.db") for name in ("drill", "real"))
    drill_election, private = _night(rehearsal, drill=True)
    real_election, same_keys = _night(real, drill=False)
    assert same_keys == private and drill_election.id != real_election.id
    signed = [Record("drill", n, sign_record(drill_election, acta(t), private[t])) for n, t in enumerate(("T1", "T2"), 1)]
    assert [o.result for o in ingest_records(rehearsal, signed)] == ["accepted", "accepted"]
    outcomes = ingest_records(real, signed)
    assert [o.result for o in outcomes] == ["rejected", "rejected"]
    assert all("for this election" in o.problems[0].message for o in outcomes)
    assert list(real.actas()) == []
    # The same figures signed for the real night get in.
    assert _send(real, real_election, private, "T1") == ["accepted"]
    rehearsal.close()
    real.close()


def signed_definition(where) -> str:
    """The docs' template election, with signatures required (as a real night has them)."""
    shutil.copytree(DEFINITION.parent, where / "definition")
    path = where / "definition" / DEFINITION.name
    path.write_text(path.read_text(encoding="utf-8").replace("require_signatures = false", "require_signatures = true"),
                    encoding="utf-8")
    return str(path)


def test_a_drills_acta_file_is_refused_by_the_real_night_over_the_cli(tmp_path):
    definition = signed_definition(tmp_path)
    for folder, extra in (("drill", ["--drill"]), ("real", [])):
        (tmp_path / folder).mkdir()
        done = escrutinio(tmp_path / folder, "init", definition, *extra)
        assert done.returncode == 0, done.stderr
        assert ("This is a drill" in done.stdout) == bool(extra)
        assert escrutinio(tmp_path / folder, "keys", "generate", "--out", "keys", "--seed", SEED).returncode == 0
        assert escrutinio(tmp_path / folder, "keys", "register", "keys/table-keys.csv").returncode == 0
    actas = DEFINITION.parent.parent / "actas.csv"
    signed = escrutinio(tmp_path / "drill", "keys", "sign", str(actas), "--keys", "keys/table-keys.secret.csv",
                        "--out", "signed")
    assert signed.returncode == 0, signed.stderr
    [file] = (tmp_path / "drill" / "signed").iterdir()
    assert escrutinio(tmp_path / "drill", "ingest", str(file)).returncode == 0
    refused = escrutinio(tmp_path / "real", "ingest", str(file))
    assert refused.returncode == 1
    assert "accepted 0," in refused.stdout and "for this election" in refused.stdout


# -- every page, response and file of a drill says drill ------------------------------------------------------

def _client(store):
    return TestClient(create_app(load_settings(database_url=store.url, rate_limit_per_second=0), store))


API = ["/api/v1/election", "/api/v1/areas", "/api/v1/areas/X", "/api/v1/tables/T1", "/api/v1/bulletins",
       "/api/v1/bulletins/1", "/api/v1/bulletins/latest", "/api/v1/log", "/api/v1/published/actas",
       "/api/v1/published/keys", "/api/v1/published/log", "/api/v1/areas/NOWHERE", "/api/v1/timeline"]
PAGES = ["/", "/areas", "/areas/N1", "/tables/T1", "/bulletins", "/bulletins/1", "/timeline", "/incidents", "/claims",
         "/quickcount", "/observe", "/bulletins/1/certificate/X", "/nowhere"]


def test_every_api_response_of_a_drill_says_drill(drill):
    with _client(drill) as client:
        for path in API:
            response = client.get(path)
            assert response.headers.get("escrutinio-drill") == "true", path
            body = response.json()
            if isinstance(body, dict):
                assert body.get("drill") is True, (path, response.status_code)
            assert "x-escrutinio-canonical" not in response.headers
        full = client.get("/api/v1/bulletins/1/full")
        # A bulletin's head is hashed: served byte for byte, and it says drill inside itself.
        assert hashlib.sha256(full.content).hexdigest() == client.get("/api/v1/bulletins/1").json()["hash"]
        assert full.json()["drill"] is True and full.headers["escrutinio-drill"] == "true"
        geography = client.get("/api/v1/published/geography").json()
        assert geography["election"]["drill"] is True and geography["election"]["id"] == drill.election().id


def test_every_page_of_a_drill_has_the_banner(drill):
    with _client(drill) as client:
        for path in PAGES:
            for lang, word in (("es", "Simulacro"), ("en", "Drill")):
                page = client.get(path, params={"lang": lang})
                assert page.headers["content-type"].startswith("text/html"), path
                assert page.headers["escrutinio-drill"] == "true"
                assert f'<p class="drill" role="note"><strong>{word}</strong>' in page.text, (path, lang)
                assert f"<title>{word} · " in page.text


def test_a_real_night_says_nothing_of_drills(db_url):
    store = open_store(db_url)
    election, private = _night(store, drill=False)
    _send(store, election, private, "T1")
    bulletin = publish_bulletin(store)
    assert "drill" not in bulletin.body
    with _client(store) as client:
        for path in API:
            response = client.get(path)
            assert "escrutinio-drill" not in response.headers and "x-escrutinio-canonical" not in response.headers
            body = response.json()
            assert not (isinstance(body, dict) and "drill" in body) or path == "/api/v1/election", path
        assert client.get("/api/v1/election").json()["drill"] is False
        assert 'class="drill"' not in client.get("/").text
    store.close()


def test_every_exported_file_of_a_drill_says_drill(drill, tmp_path):
    export_bulletin(drill, tmp_path / "site")
    files = sorted(p for p in (tmp_path / "site").rglob("*") if p.is_file())
    hashed = {"nodes.json"}  # its SHA-256 is in head.json, which says drill
    for path in files:
        if path.suffix == ".json" and path.name not in hashed:
            value = json.loads(path.read_text(encoding="utf-8"))
            items = value if isinstance(value, list) else [value]
            assert items and all(item.get("drill") is True for item in items), path
        elif path.suffix == ".csv":
            rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
            assert rows and all(row["drill"] == "true" for row in rows), path
    assert {p.suffix for p in files} >= {".json", ".csv", ".i64"}
    export_nist(drill, tmp_path / "report.xml")
    xml = (tmp_path / "report.xml").read_text(encoding="utf-8")
    assert "<IsTest>true</IsTest>" in xml and "<TestType>drill</TestType>" in xml


def test_the_cli_shows_a_drills_bulletin_as_a_drill(drill, tmp_path):
    done = escrutinio(tmp_path, "bulletin", "show", "1", "--db", drill.url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("DRILL — a rehearsal night: not official results\n")


def test_a_drill_verifies_and_the_verifier_says_drill(drill):
    report = verify_source(db=drill.url)
    assert report.ok, report.text()
    assert report.election == "Small test election (2024-05-05, a drill)"


# -- reset -------------------------------------------------------------------------------------------------

def test_reset_needs_yes_and_a_drill(drill, tmp_path):
    with pytest.raises(UpkeepRefused, match="--yes"):
        upkeep.reset_drill(drill, confirmed=False)
    assert len(list(drill.actas())) == 3
    real = open_store(f"sqlite:///{tmp_path / 'real.db'}")
    election, private = _night(real, drill=False)
    _send(real, election, private, "T1")
    with pytest.raises(UpkeepRefused, match="real night"):
        upkeep.reset_drill(real, confirmed=True)
    assert len(list(real.actas())) == 1
    real.close()


def test_reset_clears_the_night_and_keeps_the_definition_keys_and_tokens(drill):
    election, keys_before = drill.election(), drill.table_keys(refresh=True)
    create_token(drill, "desk", "admin")
    authority_before = drill.authority_key()
    deleted = upkeep.reset_drill(drill, confirmed=True)
    assert deleted["acta"] == 3 and deleted["bulletin"] == 1
    again = open_store(drill.url)
    assert again.election() == election and again.election().id == election.id and again.election().drill
    assert again.table_keys(refresh=True) == keys_before
    assert again.authority_key() == authority_before
    assert [t["name"] for t in list_tokens(again)] == ["desk"]
    assert list(again.actas()) == [] and again.bulletin_heads() == []
    # A fresh log: the election at position 0, then the keys as registered now.
    leaves = again.log_leaves(0, 100)
    assert [json.loads(leaf["data"])["kind"] for leaf in leaves] == ["election", "keys"]
    assert json.loads(leaves[1]["data"])["tables"] == {t: signatures.encode(k) for t, k in sorted(keys_before.items())}
    # The next rehearsal runs and verifies.
    assert _send(again, again.election(), drill.private, "T4") == ["accepted"]
    assert publish_bulletin(again).number == 1
    again.close()
    report = verify_source(db=drill.url)
    assert report.ok, report.text()
    assert report.counts.get("signatures") == 1


def test_reset_in_the_same_process_forgets_the_old_log(drill):
    upkeep.reset_drill(drill, confirmed=True)
    assert len(public_log.merkle(drill)) == 2
    assert _send(drill, drill.election(), drill.private, "T1") == ["accepted"]
    assert publish_bulletin(drill).body["log"]["size"] == 3


def test_reset_over_the_cli(tmp_path):
    assert escrutinio(tmp_path, "init", str(DEFINITION), "--drill").returncode == 0
    refused = escrutinio(tmp_path, "reset")
    assert refused.returncode == 1 and "--yes" in refused.stderr
    done = escrutinio(tmp_path, "reset", "--yes")
    assert done.returncode == 0, done.stderr
    assert "the log starts again with 1 leaves" in done.stdout
    real = tmp_path / "real"
    real.mkdir()
    assert escrutinio(real, "init", str(DEFINITION)).returncode == 0
    kept = escrutinio(real, "reset", "--yes")
    assert kept.returncode == 1 and "never cleared" in kept.stderr


def test_every_page_of_a_drills_static_site_has_the_banner(drill, tmp_path):
    from escrutinio.web.static_site import export_site

    export_site(drill, tmp_path / "site")
    pages = sorted((tmp_path / "site").rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        assert '<p class="drill" role="note">' in page.read_text(encoding="utf-8"), page

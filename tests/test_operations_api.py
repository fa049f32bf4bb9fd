"""Operators over HTTP (publish, resolve, annul: admin only) and the public log's proofs."""

from __future__ import annotations

import hashlib
import json

import pytest
from fastapi.testclient import TestClient

from escrutinio.domain.merkle import verify_consistency, verify_inclusion
from escrutinio.intake.actas import Record
from escrutinio.services import ingest_records
from escrutinio.services.tokens import create_token
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app

from .factory import acta

API = "/api/v1"


@pytest.fixture
def client(small_store):
    with TestClient(create_app(load_settings(database_url=small_store.url), small_store)) as client:
        _, admin = create_token(small_store, "chief", "admin")
        _, device = create_token(small_store, "device", "transmission")
        client.admin = {"Authorization": f"Bearer {admin}"}
        client.device = {"Authorization": f"Bearer {device}"}
        yield client


def send(store, *records):
    return ingest_records(store, [Record("test", n, r) for n, r in enumerate(records, 1)])


def test_only_an_admin_may_publish(client, small_store):
    send(small_store, acta("T1"))
    assert client.post(f"{API}/bulletins").status_code == 401
    assert client.post(f"{API}/bulletins", headers=client.device).status_code == 403
    published = client.post(f"{API}/bulletins", headers=client.admin)
    assert published.status_code == 201 and published.json()["number"] == 1
    assert client.get(f"{API}/bulletins/1").json()["hash"] == published.json()["hash"]


def test_an_admin_resolves_a_conflict_over_http_and_is_named_in_the_history(client, small_store):
    first, second = send(small_store, acta("T1"), acta("T1", votes={"YES": 59, "NO": 41}))
    body = {"reason": "paper acta checked at the board"}
    assert client.post(f"{API}/actas/{second.acta_id}/resolve", json=body, headers=client.device).status_code == 403
    done = client.post(f"{API}/actas/{second.acta_id}/resolve", json=body, headers=client.admin)
    assert done.status_code == 200 and done.json() == {"id": second.acta_id, "status": "counted"}
    table = client.get(f"{API}/tables/T1").json()
    statuses = {a["id"]: a["status"] for a in table["contests"][0]["actas"]}
    assert statuses == {first.acta_id: "set_aside", second.acta_id: "counted"}
    last = table["contests"][0]["actas"][1]["history"][-1]
    assert last["operator"].startswith("chief (token ") and last["reason"] == body["reason"]


def test_an_admin_annuls_an_acta_and_a_second_annulment_is_a_conflict(client, small_store):
    [outcome] = send(small_store, acta("T2"))
    url = f"{API}/actas/{outcome.acta_id}/annul"
    assert client.post(url, json={"reason": "table never opened"}, headers=client.admin).json()["status"] == "annulled"
    again = client.post(url, json={"reason": "again"}, headers=client.admin)
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    assert client.post(f"{API}/actas/999/annul", json={"reason": "x"}, headers=client.admin).status_code == 404


def test_the_log_proves_an_acta_is_under_a_bulletins_root(client, small_store):
    outcomes = send(small_store, acta("T1"), acta("T2"), acta("T3"))
    client.post(f"{API}/bulletins", headers=client.admin)
    send(small_store, acta("T4"))
    client.post(f"{API}/bulletins", headers=client.admin)
    one = json.loads(client.get(f"{API}/bulletins/1/full").content)["log"]
    two = json.loads(client.get(f"{API}/bulletins/2/full").content)["log"]
    for outcome in outcomes:
        proof = client.get(f"{API}/log/proof", params={"kind": "acta", "ref": outcome.acta_id,
                                                       "size": one["size"]}).json()
        leaf = hashlib.sha256(b"\x00" + proof["leaf"].encode()).digest()
        assert json.loads(proof["leaf"])["id"] == outcome.acta_id
        assert verify_inclusion(leaf, proof["position"], one["size"], [bytes.fromhex(h) for h in proof["proof"]],
                                bytes.fromhex(one["root"]))
    consistency = client.get(f"{API}/log/consistency", params={"old": one["size"], "new": two["size"]}).json()
    assert verify_consistency(one["size"], two["size"], [bytes.fromhex(h) for h in consistency["proof"]],
                              bytes.fromhex(one["root"]), bytes.fromhex(two["root"]))
    head = client.get(f"{API}/log").json()
    assert head["size"] == two["size"] + 1 and head["authority_key"] == two["authority_key"]


def test_a_proof_for_something_not_in_the_log_is_a_404(client, small_store):
    send(small_store, acta("T1"))
    assert client.get(f"{API}/log/proof", params={"kind": "acta", "ref": 999}).status_code == 404
    assert client.get(f"{API}/log/proof", params={"kind": "acta", "ref": 1, "size": 50}).status_code == 404
    assert client.get(f"{API}/log/consistency", params={"old": 5, "new": 1}).status_code == 404


def test_a_tables_page_shows_what_verifies_its_acta(client, small_store):
    [outcome] = send(small_store, acta("T1"))
    [entry] = client.get(f"{API}/tables/T1").json()["contests"][0]["actas"]
    proof = client.get(entry["proof"]).json()
    assert proof["position"] == entry["log_position"] and json.loads(proof["leaf"])["id"] == outcome.acta_id
    page = client.get("/tables/T1?lang=en").text
    assert entry["digest"] in page and f'href="{entry["proof"]}"'.replace("&", "&amp;") in page


def test_unsigned_mode_is_announced_on_every_page(client, small_store):
    for url in ("/", "/bulletins", "/areas/X", "/tables/T1"):
        assert "Unsigned mode" in client.get(url, params={"lang": "en"}).text


def test_a_signed_election_has_no_unsigned_banner(store):
    from escrutinio.services import init_election

    from .factory import small_election

    init_election(store, small_election(signed=True))
    with TestClient(create_app(load_settings(database_url=store.url), store)) as client:
        assert "Unsigned mode" not in client.get("/", params={"lang": "en"}).text

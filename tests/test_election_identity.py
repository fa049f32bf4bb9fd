"""The election's identifier: random per `init`, inside every signed acta and tree head.

An acta signed for one election is refused by any other made from the same definition and keys;
a store made before identifiers (no `id`) keeps its version 1 signatures and still verifies.
"""

from __future__ import annotations

import json
import re
import uuid

from fastapi.testclient import TestClient

from escrutinio.domain.rules import check_acta
from escrutinio.intake import signatures
from escrutinio.intake.actas import Record
from escrutinio.services import ingest_records, init_election, open_store, publish_bulletin, published
from escrutinio.services import log as public_log
from escrutinio.services.clock import now_utc
from escrutinio.services.keys import generate_keys, register_keys, sign_record
from escrutinio.settings import load_settings
from escrutinio.store import election_io
from escrutinio.verify import verify_source
from escrutinio.web.app import create_app

from .conftest import escrutinio
from .factory import acta, small_election
from .test_docs import DEFINITION


def _keyed(store, election):
    private = generate_keys(election, seed="identity tests")
    register_keys(store, {t: signatures.public_key(k) for t, k in private.items()})
    return private


def test_init_gives_each_election_a_random_identifier_kept_in_the_store(tmp_path):
    made = []
    for name in ("one", "two"):
        store = open_store(f"sqlite:///{tmp_path / name}.db")
        made.append(init_election(store, small_election(signed=True)).id)
        store.close()
        again = open_store(f"sqlite:///{tmp_path / name}.db")
        assert again.election().id == made[-1]
        assert published.geography(again)["election"]["id"] == made[-1]
        again.close()
    assert made[0] != made[1]
    assert all(uuid.UUID(found).version == 4 for found in made)


def test_an_acta_signed_for_another_election_of_the_same_definition_and_keys_is_refused(tmp_path):
    first = open_store(f"sqlite:///{tmp_path / 'first.db'}")
    second = open_store(f"sqlite:///{tmp_path / 'second.db'}")
    election = init_election(first, small_election(signed=True))
    private = _keyed(first, election)
    other = init_election(second, small_election(signed=True))
    _keyed(second, other)
    record = sign_record(election, acta("T1"), private["T1"])
    [there] = ingest_records(second, [Record("other", 1, record)])
    assert there.result == "rejected"
    assert "for this election" in there.problems[0].message
    [here] = ingest_records(first, [Record("first", 1, record)])
    assert here.result == "accepted"
    first.close()
    second.close()


def test_signed_bytes_name_the_identifier_as_the_spec_writes_them(small_store):
    election = small_store.election()
    payload = signatures.signing_payload(election, check_acta(election, acta("T1")).acta)
    assert payload.startswith(b"escrutinio-acta-v2\n")
    body = json.loads(payload.split(b"\n", 1)[1])
    assert body["election_id"] == election.id and body["election"] == "Small test election"


def test_the_api_shows_the_identifier(small_store):
    app = create_app(load_settings(database_url=small_store.url), small_store)
    with TestClient(app) as client:
        body = client.get("/api/v1/election").json()
    assert body["id"] == small_store.election().id and body["drill"] is False


def test_cli_init_prints_the_identifier(tmp_path):
    done = escrutinio(tmp_path, "init", str(DEFINITION))
    assert done.returncode == 0, done.stderr
    [shown] = re.findall(r"Election identifier: ([0-9a-f-]{36})", done.stdout)
    store = open_store(f"sqlite:///{tmp_path / 'escrutinio.db'}")
    assert store.election().id == shown
    store.close()


# -- a store made before identifiers -------------------------------------------------------------------------

def _init_without_identifier(store, election):
    """What `init` wrote before elections had identifiers: the election and leaf 0, no id."""
    when = now_utc()
    with store.log_writing() as conn:
        store.save_election(conn, election, when)
        stored, _ = election_io.load(conn)
        store.append_log(conn, [public_log.election_leaf(published.geography_of(stored))], when)
    return store.election()


def test_a_store_made_before_identifiers_takes_version_1_actas_and_verifies(db_url):
    store = open_store(db_url)
    election = _init_without_identifier(store, small_election(signed=True))
    assert election.id is None and "id" not in published.geography(store)["election"]
    private = _keyed(store, election)
    payload = signatures.signing_payload(election, check_acta(election, acta("T1")).acta)
    assert payload.startswith(b"escrutinio-acta-v1\n") and b"election_id" not in payload
    records = [Record("old", n, sign_record(election, acta(t), private[t])) for n, t in enumerate(("T1", "T2"), 1)]
    assert [o.result for o in ingest_records(store, records)] == ["accepted", "accepted"]
    head = publish_bulletin(store).body["log"]
    assert public_log.tree_head_bytes(election, head["size"], bytes.fromhex(head["root"])).startswith(
        b"escrutinio-tree-head-v1\n")
    store.close()
    report = verify_source(db=db_url)
    assert report.ok, report.text()
    assert report.counts.get("signatures") == 2


def test_a_new_store_signs_version_2_tree_heads_and_verifies(db_url):
    store = open_store(db_url)
    election = init_election(store, small_election(signed=True))
    private = _keyed(store, election)
    ingest_records(store, [Record("new", 1, sign_record(election, acta("T1"), private["T1"]))])
    head = publish_bulletin(store).body["log"]
    message = public_log.tree_head_bytes(election, head["size"], bytes.fromhex(head["root"]))
    assert message.startswith(b"escrutinio-tree-head-v2\n") and election.id.encode() in message
    store.close()
    report = verify_source(db=db_url)
    assert report.ok, report.text()
    assert report.counts.get("signatures") == 1

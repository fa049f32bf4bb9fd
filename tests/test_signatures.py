"""Signed actas: only an acta signed by its own table's registered key, over exactly its figures, gets in."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from escrutinio.domain.model import Acta, Contest, Option
from escrutinio.intake import signatures
from escrutinio.intake.actas import Record
from escrutinio.services import ingest_records, init_election, publish_bulletin
from escrutinio.services.keys import generate_keys, register_keys, sign_record

from .factory import acta, small_election

VECTORS = Path(__file__).parent.parent / "docs" / "security" / "test-vectors.json"


@pytest.fixture
def signed_store(store):
    election = init_election(store, small_election(signed=True))
    private = generate_keys(election, seed="tests")
    register_keys(store, {t: signatures.public_key(k) for t, k in private.items() if t != "T6"})
    store.private = private
    return store


def send(store, record):
    [outcome] = ingest_records(store, [Record("test", 1, record)])
    return outcome


def stored(store):
    return [(r.acta.table, r.acta.contest, r.status) for r in store.actas()]


def signed(store, record, key_of=None):
    return sign_record(store.election(), record, store.private[key_of or record["table"]])


def test_a_properly_signed_acta_is_accepted_and_its_signature_kept(signed_store):
    record = signed(signed_store, acta("T1"))
    assert send(signed_store, record).result == "accepted"
    assert stored(signed_store) == [("T1", "Q", "counted")]


def rejected(store, record, words):
    before = stored(store)
    outcome = send(store, record)
    assert outcome.result == "rejected"
    [problem] = outcome.problems
    assert problem.field == "signature" and words in problem.message, problem
    assert stored(store) == before
    return problem


def test_an_unsigned_acta_is_refused(signed_store):
    problem = rejected(signed_store, acta("T1"), "not signed")
    assert "T1" in problem.action


def test_a_bad_signature_is_refused(signed_store):
    record = signed(signed_store, acta("T1"))
    raw = bytearray(base64.b64decode(record["signature"]))
    raw[10] ^= 0x01
    rejected(signed_store, {**record, "signature": base64.b64encode(bytes(raw)).decode()}, "does not match")


def test_an_acta_signed_with_another_tables_key_is_refused(signed_store):
    rejected(signed_store, signed(signed_store, acta("T1"), key_of="T2"), "does not match table T1")


def test_an_acta_replayed_from_another_table_is_refused(signed_store):
    original = signed(signed_store, acta("T1"))
    assert send(signed_store, original).result == "accepted"
    rejected(signed_store, {**original, "table": "T2"}, "does not match table T2")


def test_changing_one_figure_after_signing_is_refused(signed_store):
    record = signed(signed_store, acta("T1"))
    record["votes"] = {"YES": 61, "NO": 39}
    rejected(signed_store, record, "does not match")


def test_a_table_without_a_registered_key_is_refused(signed_store):
    record = sign_record(signed_store.election(), acta("T6"), signed_store.private["T6"])
    rejected(signed_store, record, "no registered key")


def test_a_signature_that_is_not_base64_of_64_bytes_is_refused(signed_store):
    rejected(signed_store, {**acta("T1"), "signature": "c2hvcnQ="}, "64 bytes")


def test_a_signature_from_another_election_is_refused(signed_store, tmp_path):
    other = small_election(signed=True)
    other = type(other)(**{**other.__dict__, "name": "Another election"})
    key = signed_store.private["T1"]
    record = acta("T1")
    forged = {**record, "signature": signatures.encode(signatures.sign(
        key, signatures.signing_payload(other, Acta("T1", "Q", (("YES", 60), ("NO", 40)), 0, 0, 100))))}
    rejected(signed_store, forged, "does not match")


def test_unsigned_mode_accepts_unsigned_actas(small_store):
    assert send(small_store, acta("T1")).result == "accepted"
    assert publish_bulletin(small_store).area("X")["results"]["Q"]["options"][0]["votes"] == 60


# -- the published test vectors ---------------------------------------------------------------------

CONTEXTS = {1: b"escrutinio-acta-v1\n", 2: b"escrutinio-acta-v2\n"}


def _spec_bytes(vector: dict) -> bytes:
    """The signed bytes as docs/security.md writes them, built here with the standard library alone."""
    election = vector["election"]
    body = {"election": election["name"], "date": election["date"], **vector["acta"]}
    if vector["version"] == 2:
        body["election_id"] = election["id"]
    return CONTEXTS[vector["version"]] + json.dumps(body, sort_keys=True, separators=(",", ":"),
                                                     ensure_ascii=False).encode("utf-8")


def test_vectors_verify_with_an_independent_implementation():
    doc = json.loads(VECTORS.read_text(encoding="utf-8"))
    assert {v["version"] for v in doc["vectors"]} == {1, 2}
    for vector in doc["vectors"]:
        expected = _spec_bytes(vector)
        assert vector["signed_bytes"].encode("utf-8") == expected == bytes.fromhex(vector["signed_bytes_hex"])
        private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(vector["private_key"]))
        public = private.public_key().public_bytes_raw()
        assert base64.b64decode(vector["public_key"]) == public
        Ed25519PublicKey.from_public_bytes(public).verify(base64.b64decode(vector["signature"]), expected)
        # Ed25519 is deterministic: the same key signs the same bytes the same way.
        assert private.sign(expected) == base64.b64decode(vector["signature"])


def test_a_vector_has_non_ascii_names_as_raw_utf8_never_escaped():
    doc = json.loads(VECTORS.read_text(encoding="utf-8"))
    accented = [v for v in doc["vectors"] if not v["signed_bytes"].isascii()]
    assert accented, "a vector with non-ASCII names"
    for vector in accented:
        raw = bytes.fromhex(vector["signed_bytes_hex"])
        assert b"\\u" not in raw
        assert any(letter.encode("utf-8") in raw for letter in "éüÍ")


def _election_of(vector: dict):
    """The small test election under the vector's name, date and identifier (and options, where the vector's
    contest has others)."""
    election = small_election(signed=True)
    given = vector["election"]
    contests = tuple(Contest(c.code, c.name, tuple(Option(code, code) for code in vector["acta"]["votes"]), c.blank)
                     if c.code == vector["acta"]["contest"] else c for c in election.contests)
    return dataclasses.replace(election, name=given["name"], date=dt.date.fromisoformat(given["date"]),
                               id=given.get("id"), contests=contests)


def test_escrutinio_signs_the_vectors_as_published():
    doc = json.loads(VECTORS.read_text(encoding="utf-8"))
    for vector in doc["vectors"]:
        election = _election_of(vector)
        out = sign_record(election, dict(vector["acta"]), base64.b64decode(vector["private_key"]))
        assert out["signature"] == vector["signature"]
        acta = Acta(vector["table"], vector["acta"]["contest"], tuple(vector["acta"]["votes"].items()),
                    vector["acta"]["null"], vector["acta"]["blank"], vector["acta"]["ballots_cast"])
        assert signatures.signing_payload(election, acta) == bytes.fromhex(vector["signed_bytes_hex"])

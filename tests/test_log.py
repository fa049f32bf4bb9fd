"""The public log: the election (position 0), every registration of table keys, every stored acta,
resolution and bulletin is a leaf; bulletins carry a signed tree head."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import pytest

from escrutinio.domain.canonical import canonical_json
from escrutinio.domain.errors import WriteConflict
from escrutinio.domain.merkle import verify_consistency, verify_inclusion
from escrutinio.intake import signatures
from escrutinio.intake.actas import Record
from escrutinio.services import ingest_records, init_election, keys, publish_bulletin, published, resolve_conflict
from escrutinio.services import log as public_log

from .factory import acta, small_election
from .test_merkle import reference_root


def send(store, *records):
    return ingest_records(store, [Record("test", n, r) for n, r in enumerate(records, 1)])


def leaves(store):
    return store.log_leaves(0, 10**9)


def geography_hash(store) -> str:
    return hashlib.sha256(canonical_json(published.geography(store))).hexdigest()


def test_every_stored_acta_resolution_and_bulletin_is_a_leaf_in_order(small_store):
    first, quarantined, _ = send(small_store, acta("T1"), acta("T2", cast=999), acta("T9"))
    [conflict] = send(small_store, acta("T1", votes={"YES": 59, "NO": 41}))
    resolve_conflict(small_store, "T1", "Q", conflict.acta_id, "paper acta checked", "operator one")
    bulletin = publish_bulletin(small_store)
    kinds = [(leaf["kind"], leaf["ref"]) for leaf in leaves(small_store)]
    # The election comes first; the rejected acta (unknown table T9) is not stored, so it is not logged either.
    assert kinds == [("election", 0), ("acta", first.acta_id), ("acta", quarantined.acta_id),
                     ("acta", conflict.acta_id), ("event", first.acta_id), ("event", conflict.acta_id),
                     ("bulletin", 1)]
    data = [json.loads(leaf["data"]) for leaf in leaves(small_store)]
    assert data[0] == {"kind": "election", "geography_sha256": geography_hash(small_store)}
    assert data[2]["status"] == "quarantined" and data[2]["reasons"]
    assert data[4]["action"] == "resolved_set_aside" and data[4]["operator"] == "operator one"
    assert data[6] == {"kind": "bulletin", "number": 1, "hash": bulletin.hash}


def test_bulletin_carries_the_signed_root_of_the_log_before_it(small_store):
    send(small_store, acta("T1"), acta("T3"))
    bulletin = publish_bulletin(small_store)
    head = bulletin.body["log"]
    data = [leaf["data"] for leaf in leaves(small_store)]
    assert head["size"] == 3 == len(data) - 1  # the election leaf and the two actas
    assert head["root"] == reference_root(data[:3]).hex()
    election = small_store.election()
    # Version 2 (docs/security.md): the election's identifier, name and date, the size and root.
    signed = b"escrutinio-tree-head-v2\n" + json.dumps(
        {"election_id": election.id, "election": election.name, "date": election.date.isoformat(), "size": 3,
         "root": head["root"]}, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(head["authority_key"]))
    public.verify(base64.b64decode(head["signature"]), signed)  # raises if the signature is wrong


def test_inclusion_and_consistency_proofs_check_out(small_store):
    outcomes = send(small_store, acta("T1"), acta("T2"), acta("T3"), acta("T4"), acta("T5"))
    one = publish_bulletin(small_store)
    send(small_store, acta("T6"), acta("T1", "R"))
    two = publish_bulletin(small_store)
    for outcome in outcomes:
        proof = public_log.inclusion(small_store, "acta", outcome.acta_id, one.body["log"]["size"])
        leaf = hashlib.sha256(b"\x00" + proof["leaf"].encode()).digest()
        assert proof["root"] == one.body["log"]["root"]
        assert verify_inclusion(leaf, proof["position"], proof["size"], [bytes.fromhex(h) for h in proof["proof"]],
                                bytes.fromhex(one.body["log"]["root"]))
    old, new = one.body["log"]["size"], two.body["log"]["size"]
    proof = public_log.consistency(small_store, old, new)
    assert verify_consistency(old, new, [bytes.fromhex(h) for h in proof["proof"]],
                              bytes.fromhex(one.body["log"]["root"]), bytes.fromhex(two.body["log"]["root"]))


def test_an_acta_stored_after_a_tree_size_is_not_in_it(small_store):
    send(small_store, acta("T1"))
    bulletin = publish_bulletin(small_store)
    [later] = send(small_store, acta("T2"))
    assert public_log.inclusion(small_store, "acta", later.acta_id, bulletin.body["log"]["size"]) is None


# -- the election and the table keys ----------------------------------------------------------------------

def test_the_election_leaf_fixes_the_geography_as_published(store):
    election = small_election(extra=3)
    init_election(store, election)
    [first] = leaves(store)
    assert (first["position"], first["kind"], first["ref"]) == (0, "election", 0)
    assert json.loads(first["data"]) == {"kind": "election", "geography_sha256": geography_hash(store)}
    assert first["data"] == canonical_json(json.loads(first["data"]))
    # Another register, another rule: another hash.
    assert public_log.election_leaf({**published.geography(store), "tables": []})[2] != first["data"]


def test_no_election_is_created_without_its_leaf(store, monkeypatch):
    def broken(*_args):
        raise WriteConflict("the log could not be written")

    monkeypatch.setattr(store, "append_log", broken)
    with pytest.raises(WriteConflict):
        init_election(store, small_election())
    assert not store.has_election()


def _public(private: dict[str, bytes]) -> dict[str, bytes]:
    return {t: signatures.public_key(k) for t, k in private.items()}


def test_every_registration_of_keys_is_a_leaf_with_those_keys(small_store):
    election = small_store.election()
    first = _public(keys.generate_keys(election, seed="first"))
    keys.register_keys(small_store, first)
    send(small_store, acta("T1"))
    replaced = _public(keys.generate_keys(election, seed="second"))
    keys.replace_key(small_store, "T4", replaced["T4"], "a new device", "admin")
    found = [(leaf["kind"], json.loads(leaf["data"])) for leaf in leaves(small_store)]
    assert [kind for kind, _ in found] == ["election", "keys", "acta", "key_replacement"]
    assert found[1][1] == {"kind": "keys", "tables": {t: base64.b64encode(k).decode() for t, k in first.items()}}
    assert {k: v for k, v in found[3][1].items() if k != "at"} == {
        "kind": "key_replacement", "table": "T4", "previous_key": base64.b64encode(first["T4"]).decode(),
        "key": base64.b64encode(replaced["T4"]).decode(), "operator": "admin", "reason": "a new device"}
    assert small_store.table_keys(refresh=True) == {**first, "T4": replaced["T4"]}


def test_a_large_registration_is_logged_in_several_leaves(small_store, monkeypatch):
    monkeypatch.setattr(keys, "KEYS_PER_LEAF", 4)
    public = _public(keys.generate_keys(small_store.election(), seed="many"))
    keys.register_keys(small_store, public)
    tables = [json.loads(leaf["data"])["tables"] for leaf in leaves(small_store)[1:]]
    assert [sorted(t) for t in tables] == [["T1", "T2", "T3", "T4"], ["T5", "T6"]]


def test_keys_are_not_registered_without_their_leaf(small_store, monkeypatch):
    def broken(*_args):
        raise WriteConflict("the log could not be written")

    monkeypatch.setattr(small_store, "append_log", broken)
    with pytest.raises(WriteConflict):
        keys.register_keys(small_store, _public(keys.generate_keys(small_store.election(), seed="x")))
    assert small_store.table_keys(refresh=True) == {}


def test_keys_named_in_the_definition_follow_the_election_leaf(store, tmp_path):
    election = small_election(signed=True)
    public_path, _ = keys.write_keys(keys.generate_keys(election, seed="definition"), tmp_path)
    init_election(store, dataclasses.replace(election, extra={"keys_file": str(public_path)}))
    assert [leaf["kind"] for leaf in leaves(store)] == ["election", "keys"]
    assert json.loads(leaves(store)[1]["data"])["tables"] == {
        t: base64.b64encode(k).decode() for t, k in keys.read_keys(public_path, election).items()}

"""The public log: every stored acta, resolution and bulletin is a leaf; bulletins carry a signed tree head."""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from escrutinio.domain.merkle import verify_consistency, verify_inclusion
from escrutinio.intake.actas import Record
from escrutinio.services import ingest_records, publish_bulletin, resolve_conflict
from escrutinio.services import log as public_log

from .factory import acta
from .test_merkle import reference_root


def send(store, *records):
    return ingest_records(store, [Record("test", n, r) for n, r in enumerate(records, 1)])


def leaves(store):
    return store.log_leaves(0, 10**9)


def test_every_stored_acta_resolution_and_bulletin_is_a_leaf_in_order(small_store):
    first, quarantined, _ = send(small_store, acta("T1"), acta("T2", cast=999), acta("T9"))
    [conflict] = send(small_store, acta("T1", votes={"YES": 59, "NO": 41}))
    resolve_conflict(small_store, "T1", "Q", conflict.acta_id, "paper acta checked", "operator one")
    bulletin = publish_bulletin(small_store)
    kinds = [(leaf["kind"], leaf["ref"]) for leaf in leaves(small_store)]
    # The rejected acta (unknown table T9) is not stored, so it is not logged either.
    assert kinds == [("acta", first.acta_id), ("acta", quarantined.acta_id), ("acta", conflict.acta_id),
                     ("event", first.acta_id), ("event", conflict.acta_id), ("bulletin", 1)]
    data = [json.loads(leaf["data"]) for leaf in leaves(small_store)]
    assert data[1]["status"] == "quarantined" and data[1]["reasons"]
    assert data[3]["action"] == "resolved_set_aside" and data[3]["operator"] == "operator one"
    assert data[5] == {"kind": "bulletin", "number": 1, "hash": bulletin.hash}


def test_bulletin_carries_the_signed_root_of_the_log_before_it(small_store):
    send(small_store, acta("T1"), acta("T3"))
    bulletin = publish_bulletin(small_store)
    head = bulletin.body["log"]
    data = [leaf["data"] for leaf in leaves(small_store)]
    assert head["size"] == 2 == len(data) - 1
    assert head["root"] == reference_root(data[:2]).hex()
    election = small_store.election()
    signed = b"escrutinio-tree-head-v1\n" + json.dumps(
        {"election": election.name, "date": election.date.isoformat(), "size": 2, "root": head["root"]},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
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

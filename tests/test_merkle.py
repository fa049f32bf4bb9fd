"""The Merkle log against a plain recursive reading of RFC 6962, and its proofs (RFC 9162 checks)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escrutinio.domain.merkle import (EMPTY_ROOT, MerkleLog, leaf_hash, verify_consistency,
                                      verify_inclusion)


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH straight from RFC 6962 §2.1, with the prefixes written out."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + reference_root(leaves[:k]) + reference_root(leaves[k:])).digest()


def build(n: int) -> tuple[MerkleLog, list[bytes]]:
    data = [f"leaf {i}".encode() for i in range(n)]
    log = MerkleLog()
    for item in data:
        log.append(item)
    return log, data


def test_known_roots():
    assert MerkleLog().root() == EMPTY_ROOT == hashlib.sha256(b"").digest()
    log, _ = build(1)
    assert log.root() == hashlib.sha256(b"\x00leaf 0").digest()
    log, _ = build(2)
    a, b = (hashlib.sha256(b"\x00leaf %d" % i).digest() for i in (0, 1))
    assert log.root() == hashlib.sha256(b"\x01" + a + b).digest()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 70))
def test_every_prefix_root_matches_the_reference(n):
    log, data = build(n)
    for size in range(n + 1):
        assert log.root(size) == reference_root(data[:size])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 70), st.data())
def test_inclusion_proofs_verify_and_tampering_fails(n, draw):
    log, data = build(n)
    size = draw.draw(st.integers(1, n))
    index = draw.draw(st.integers(0, size - 1))
    root = reference_root(data[:size])
    proof = log.inclusion_proof(index, size)
    assert verify_inclusion(leaf_hash(data[index]), index, size, proof, root)
    assert not verify_inclusion(leaf_hash(b"forged"), index, size, proof, root)
    if size > 1:
        assert not verify_inclusion(leaf_hash(data[index]), (index + 1) % size, size, proof, root)
    if proof:
        bent = [bytes([proof[0][0] ^ 1]) + proof[0][1:]] + proof[1:]
        assert not verify_inclusion(leaf_hash(data[index]), index, size, bent, root)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 70), st.data())
def test_consistency_proofs_verify_and_tampering_fails(n, draw):
    log, data = build(n)
    new = draw.draw(st.integers(1, n))
    old = draw.draw(st.integers(1, new))
    proof = log.consistency_proof(old, new)
    old_root, new_root = reference_root(data[:old]), reference_root(data[old:old] + data[:new])
    assert verify_consistency(old, new, proof, old_root, new_root)
    if old < new:
        other = reference_root([b"rewritten"] + data[1:old])
        assert not verify_consistency(old, new, proof, other, new_root)
        assert not verify_consistency(old, new, proof[:-1], old_root, new_root)


def test_proofs_have_logarithmic_length():
    log, _ = build(1000)
    assert len(log.inclusion_proof(517)) <= 10
    assert len(log.consistency_proof(300)) <= 2 * 10


def test_sizes_out_of_range_are_refused():
    log, _ = build(5)
    with pytest.raises(ValueError):
        log.root(6)
    with pytest.raises(ValueError):
        log.inclusion_proof(5, 5)
    with pytest.raises(ValueError):
        log.consistency_proof(4, 3)

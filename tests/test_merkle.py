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


# -- a proof of a smaller tree claimed for a larger one -------------------------------------------------------

def _verifiers():
    from escrutinio.verify import proofs

    return [(verify_inclusion, verify_consistency), (proofs.inclusion_ok, proofs.consistency_ok)]


@pytest.mark.parametrize("inclusion, consistency", _verifiers(), ids=["project", "escrutinio-verify"])
def test_a_proof_of_four_leaves_is_refused_for_a_root_claimed_as_eight(inclusion, consistency):
    """Every hash of a 4-leaf tree's proof is used up before the claimed 8-leaf tree's top is reached: the
    proof is too short for that size, whatever root is given (here the 4-leaf tree's own)."""
    log, data = build(8)
    root4 = reference_root(data[:4])
    for index in range(4):
        proof = log.inclusion_proof(index, 4)
        assert inclusion(leaf_hash(data[index]), index, 4, proof, root4)
        assert not inclusion(leaf_hash(data[index]), index, 8, proof, root4), index
    for old in (1, 2, 3):
        proof = log.consistency_proof(old, 4)
        old_root = reference_root(data[:old])
        assert consistency(old, 4, proof, old_root, root4)
        assert not consistency(old, 8, proof, old_root, root4), old


@pytest.mark.parametrize("inclusion, consistency", _verifiers(), ids=["project", "escrutinio-verify"])
@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 40), data=st.data())
def test_a_proof_of_the_wrong_length_for_the_claimed_size_is_refused(inclusion, consistency, n, data):
    """A proof has exactly as many hashes as the tree it is for needs; checked as if for a tree of another
    size that needs more or fewer, it fails, even with the root it does lead to."""
    log, leaves = build(n)
    size = data.draw(st.integers(1, n))
    other = data.draw(st.integers(1, 2 * n).filter(lambda s: s != size))
    index = data.draw(st.integers(0, min(size, other) - 1))
    proof, root = log.inclusion_proof(index, size), reference_root(leaves[:size])
    assert inclusion(leaf_hash(leaves[index]), index, size, proof, root)
    if len(proof) != _path_length(index, other):
        assert not inclusion(leaf_hash(leaves[index]), index, other, proof, root)
    old = data.draw(st.integers(1, min(size, other)))
    proof, old_root = log.consistency_proof(old, size), reference_root(leaves[:old])
    assert consistency(old, size, proof, old_root, root)
    if old < other and len(proof) != _consistency_length(old, other):
        assert not consistency(old, other, proof, old_root, root)


def _path_length(index: int, size: int) -> int:
    """Hashes in the audit path of leaf ``index`` of a tree of ``size`` leaves (RFC 6962 §2.1.1)."""
    if size == 1:
        return 0
    k = 1 << ((size - 1).bit_length() - 1)
    return 1 + (_path_length(index, k) if index < k else _path_length(index - k, size - k))


def _consistency_length(old: int, size: int, whole: bool = True) -> int:
    """Hashes in the consistency proof from ``old`` leaves to ``size`` (RFC 6962 §2.1.2)."""
    if old == size:
        return 0 if whole else 1
    k = 1 << ((size - 1).bit_length() - 1)
    return 1 + (_consistency_length(old, k, whole) if old <= k else _consistency_length(old - k, size - k, False))

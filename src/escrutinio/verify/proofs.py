"""Checking the log's proofs (RFC 6962 §2.1.1-2.1.2), read from the tree's definition.

Rather than walking the proof with the bit arithmetic of RFC 9162, each check
rebuilds the hashes the proof stands for by splitting the tree as it was
built (at the largest power of two below its size), taking proof hashes from
the top of the tree down. A proof must be used up exactly: one hash too many
or too few (a proof of a smaller tree claimed for a larger one) fails.
"""

from __future__ import annotations

import hashlib

EMPTY = hashlib.sha256(b"").digest()
SIZE = 32  # a SHA-256


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def inclusion_ok(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """Whether ``proof`` (the audit path, lowest sibling first) puts ``leaf`` at ``index`` under ``root``."""
    if not (0 <= index < size) or len(leaf) != SIZE or len(root) != SIZE:
        return False
    return _path_root(leaf, index, size, list(proof)) == root


def _path_root(leaf: bytes, index: int, size: int, proof: list[bytes]) -> bytes | None:
    """The root the path gives, or None if the path's length does not fit a tree of ``size``."""
    if size == 1:
        return leaf if not proof else None
    if not proof:
        return None
    k, sibling = _split(size), proof[-1]
    if index < k:
        below = _path_root(leaf, index, k, proof[:-1])
        return None if below is None else _node(below, sibling)
    below = _path_root(leaf, index - k, size - k, proof[:-1])
    return None if below is None else _node(sibling, below)


def consistency_ok(old: int, new: int, proof: list[bytes], old_root: bytes, new_root: bytes) -> bool:
    """Whether the tree of ``old`` leaves (``old_root``) is a prefix of the tree of ``new`` (``new_root``).

    Equal sizes need no proof; two empty trees must both have the empty tree's root. A proof from the
    empty tree proves nothing and is refused (as transparency-dev/merkle's probes expect)."""
    if old == new:
        return not proof and old_root == new_root and (old > 0 or old_root == EMPTY)
    if not 0 < old < new:
        return False
    found = _subproof(old, new, list(proof), True, old_root)
    return found is not None and found == (old_root, new_root)


def _subproof(m: int, n: int, proof: list[bytes], whole: bool, old_root: bytes) -> tuple[bytes, bytes] | None:
    """(hash of the old leaves in this subtree, hash of the subtree) that the proof stands for, or None.

    ``whole``: the old leaves here are a whole subtree the old root already names (no proof hash for it)."""
    if m == n:
        if whole:
            return (old_root, old_root) if not proof else None
        return (proof[0], proof[0]) if len(proof) == 1 else None
    if not proof:
        return None
    k, top = _split(n), proof[-1]
    if m <= k:
        below = _subproof(m, k, proof[:-1], whole, old_root)
        return None if below is None else (below[0], _node(below[1], top))
    below = _subproof(m - k, n - k, proof[:-1], False, old_root)
    return None if below is None else (_node(top, below[0]), _node(top, below[1]))


def check_bulletin_consistency(report, source, heads: list[tuple[object, int, str]]) -> None:
    """The site's consistency proof between each two bulletins in turn (``heads``: number, size, signed
    root) must verify against their signed roots: the log only grew, and the hashes the site keeps and
    serves its proofs from are the log's."""
    for (first, old, old_root), (second, new, new_root) in zip(heads, heads[1:]):
        if not 0 < old < new:
            continue
        where = f"bulletins {first} and {second}: the site's consistency proof from {old:,} to {new:,} leaves"
        try:
            proof = [bytes.fromhex(h) for h in source.consistency(old, new)["proof"]]
            roots = bytes.fromhex(old_root), bytes.fromhex(new_root)
        except Exception as exc:  # noqa: BLE001 - an unreadable proof is a finding
            report.add("log", f"{where} cannot be read ({type(exc).__name__}: {exc})")
            continue
        report.count("consistency proofs")
        if not consistency_ok(old, new, proof, *roots):
            report.add("log", f"{where} does not verify against their signed roots")

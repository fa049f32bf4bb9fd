"""An append-only Merkle log with RFC 6962 / RFC 9162 hashing and proofs.

Leaves are hashed as SHA-256(0x00 || data) and interior nodes as
SHA-256(0x01 || left || right); a tree of n leaves splits at the largest
power of two below n. The log keeps every complete, aligned subtree hash
(level k holds the hashes of leaves [i·2^k, (i+1)·2^k)), so appending is
amortised O(1) and any root, inclusion proof or consistency proof takes
O(log n) hashes.
"""

from __future__ import annotations

import hashlib

EMPTY_ROOT = hashlib.sha256(b"").digest()
HASH_SIZE = 32


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleLog:
    def __init__(self, leaf_hashes: list[bytes] | None = None):
        self.levels: list[list[bytes]] = [[]]
        for digest in leaf_hashes or []:
            self.append_hash(digest)

    def __len__(self) -> int:
        return len(self.levels[0])

    def append(self, data: bytes) -> int:
        """Add a leaf; returns its index."""
        return self.append_hash(leaf_hash(data))

    def append_hash(self, digest: bytes) -> int:
        index = len(self.levels[0])
        self.levels[0].append(digest)
        level, position = 0, index
        while position % 2 == 1:  # this leaf completed a subtree one level up
            parent = node_hash(self.levels[level][position - 1], self.levels[level][position])
            if len(self.levels) == level + 1:
                self.levels.append([])
            self.levels[level + 1].append(parent)
            level, position = level + 1, position // 2
        return index

    def root(self, size: int | None = None) -> bytes:
        size = len(self) if size is None else size
        self._check(size)
        return self._hash(0, size) if size else EMPTY_ROOT

    def _hash(self, start: int, size: int) -> bytes:
        level = size.bit_length() - 1
        if size == 1 << level and start % size == 0:
            return self.levels[level][start >> level]
        k = _split(size)
        return node_hash(self._hash(start, k), self._hash(start + k, size - k))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of the first ``size`` leaves (RFC 6962 PATH)."""
        size = len(self) if size is None else size
        self._check(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
        return self._path(index, 0, size)

    def _path(self, index: int, start: int, size: int) -> list[bytes]:
        if size == 1:
            return []
        k = _split(size)
        if index < k:
            return self._path(index, start, k) + [self._hash(start + k, size - k)]
        return self._path(index - k, start + k, size - k) + [self._hash(start, k)]

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        """Proof that the tree of ``old`` leaves is a prefix of the tree of ``new`` (RFC 6962 PROOF)."""
        new = len(self) if new is None else new
        self._check(new)
        if not 0 <= old <= new:
            raise ValueError(f"cannot prove {old} leaves consistent with {new}")
        if old == 0 or old == new:
            return []
        return self._subproof(old, 0, new, True)

    def _subproof(self, m: int, start: int, size: int, complete: bool) -> list[bytes]:
        if m == size:
            return [] if complete else [self._hash(start, size)]
        k = _split(size)
        if m <= k:
            return self._subproof(m, start, k, complete) + [self._hash(start + k, size - k)]
        return self._subproof(m - k, start + k, size - k, False) + [self._hash(start, k)]

    def _check(self, size: int) -> None:
        if not 0 <= size <= len(self):
            raise ValueError(f"the log has {len(self)} leaves, not {size}")


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` put the leaf hash at ``index`` under ``root``?

    A leaf hash or root that is not a SHA-256 (32 bytes) is never valid, even where the arithmetic
    would compare it with itself (a one-leaf tree)."""
    if not 0 <= index < size or len(leaf) != HASH_SIZE or len(root) != HASH_SIZE:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(old: int, new: int, proof: list[bytes], old_root: bytes, new_root: bytes) -> bool:
    """RFC 9162 §2.1.4.2: is the tree of ``old`` leaves (``old_root``) a prefix of ``new_root``'s?

    Two empty trees are consistent only if both roots are the empty tree's. A proof from the empty tree
    to a larger one proves nothing and is refused, as by transparency-dev/merkle's probes
    (tests/data/merkle-probes)."""
    if old == new == 0:
        return not proof and old_root == new_root == EMPTY_ROOT
    if old == new:
        return not proof and old_root == new_root
    if old == 0 or old > new or not proof:
        return False
    if old & (old - 1) == 0:  # a power of two: the old root is itself a node of the new tree
        proof = [old_root] + proof
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0

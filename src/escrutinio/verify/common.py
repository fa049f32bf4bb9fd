"""Small helpers of the verifier: canonical JSON, hashes, base64 and Ed25519.

Written here again on purpose: the verifier shares no code with what it checks.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import sys
from collections.abc import Iterator, Mapping

import nacl.exceptions
import nacl.signing
import numpy as np

ACTA_CONTEXT = b"escrutinio-acta-v1\n"
TREE_HEAD_CONTEXT = b"escrutinio-tree-head-v1\n"
# Version 2 of both names the election's random identifier (elections made before identifiers keep version 1).
ACTA_CONTEXT_V2 = b"escrutinio-acta-v2\n"
TREE_HEAD_CONTEXT_V2 = b"escrutinio-tree-head-v2\n"
STATUSES = ("counted", "quarantined", "conflicting", "set_aside", "annulled", "awaiting_second_entry")


# json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False) made once (dumps makes an
# encoder per call: a national night encodes millions of actas).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(value: object) -> bytes:
    """UTF-8 JSON, keys sorted, no white space: the bytes every hash and signature is over."""
    return _ENCODER.encode(value).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64(text: object, size: int) -> bytes | None:
    """Standard base64 (padded or not) of exactly ``size`` bytes, or None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == size else None


def ed25519_ok(public: bytes | nacl.signing.VerifyKey, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is the Ed25519 signature of ``message`` by ``public`` (a key or its 32 bytes)."""
    try:
        key = public if isinstance(public, nacl.signing.VerifyKey) else nacl.signing.VerifyKey(public)
        key.verify(message, signature)
        return True
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, nacl.exceptions.TypeError):
        return False


def verify_key(text: object) -> nacl.signing.VerifyKey | None:
    """The Ed25519 verify key in ``text`` (32 bytes of base64), or None."""
    raw = b64(text, 32)
    if raw is None:
        return None
    try:
        return nacl.signing.VerifyKey(raw)
    except (nacl.exceptions.ValueError, nacl.exceptions.TypeError):
        return None


class ActaLeaf(Mapping):
    """An acta leaf's record, read like the dict it was parsed from, in a fraction of its memory (no hash
    table per record): a national night holds millions of them. Fields it does not know keep the dict."""

    FIELDS = ("acta", "digest", "id", "kind", "operator", "reasons", "received_at", "signature", "source", "status")
    __slots__ = FIELDS
    _known = frozenset(FIELDS)

    @classmethod
    def of(cls, record: dict) -> Mapping:
        if not record.keys() <= cls._known:
            return record
        leaf = cls()
        for key, value in record.items():
            setattr(leaf, key, value)
        return leaf

    def __getitem__(self, key: str) -> object:
        if key not in self._known:
            raise KeyError(key)
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def get(self, key: str, default: object = None) -> object:
        return getattr(self, key, default) if key in self._known else default

    def __iter__(self) -> Iterator[str]:
        return (key for key in self.FIELDS if hasattr(self, key))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __bool__(self) -> bool:  # a record is there (without counting its fields, as Mapping would)
        return True

    def __repr__(self) -> str:
        return f"ActaLeaf({dict(self)!r})"

    def drop(self, *keys: str) -> None:
        """Forget fields no check needs any more."""
        for key in keys:
            if hasattr(self, key):
                delattr(self, key)


# The fields of a device's acta leaf, and of its acta: a leaf with exactly these is held as a SlimActa.
PLAIN_LEAF = frozenset(("acta", "digest", "id", "kind", "operator", "reasons", "received_at", "signature", "source",
                        "status"))
PLAIN_ACTA = frozenset(("ballots_cast", "blank", "contest", "null", "table", "votes"))
LARGEST_COUNT = 2 ** 40  # a count at least this large is left in its leaf's dict (the replay reports it)
_NO_REASONS: list = []


class SlimActa(Mapping):
    """A device's acta leaf as the replay needs it once its bytes are hashed: its id, table, contest, counts
    (the votes in ballot order, then null, blank and ballots cast), status and quarantine reasons; about a
    tenth of the parsed dict. The rest of the leaf (digest, signature, source, time received, operator) is not
    kept: the published acta with the same id is checked against the leaf's hash instead, which proves it
    equal to the leaf field by field (or, if it is not, the leaf is read again from the source).

    It reads like the leaf's dict without those fields: "kind", "id", "status", "reasons" and "acta" (the
    acta's dict, made again when asked)."""

    FIELDS = ("acta", "id", "kind", "reasons", "status")
    __slots__ = ("id", "table", "contest", "counts", "status", "reasons", "options")

    @classmethod
    def of(cls, record: dict, tables: Mapping, options: Mapping[str, list[str]]) -> Mapping:
        """A SlimActa of a parsed acta leaf with exactly the fields of a device's, naming a known table and
        contest, every option once and whole counts; else the record itself (as an ActaLeaf)."""
        acta = record.get("acta")
        if record.keys() != PLAIN_LEAF or type(acta) is not dict or acta.keys() != PLAIN_ACTA:
            return ActaLeaf.of(record)
        table, contest, votes, status = acta["table"], acta["contest"], acta["votes"], record["status"]
        codes = options.get(contest) if type(contest) is str else None
        if (codes is None or type(table) is not str or table not in tables or type(votes) is not dict
                or len(votes) != len(codes) or type(record["id"]) is not int or type(status) is not str
                or type(record["reasons"]) is not list):
            return ActaLeaf.of(record)
        counts = tuple([votes.get(code) for code in codes] + [acta["null"], acta["blank"], acta["ballots_cast"]])
        if not all(type(n) is int and 0 <= n < LARGEST_COUNT for n in counts):
            return ActaLeaf.of(record)
        slim = cls()
        slim.id, slim.table, slim.contest, slim.counts = record["id"], sys.intern(table), sys.intern(contest), counts
        slim.status, slim.options = sys.intern(status), codes
        slim.reasons = record["reasons"] or _NO_REASONS
        return slim

    def acta(self) -> dict:
        k = len(self.options)
        return {"ballots_cast": self.counts[k + 2], "blank": self.counts[k + 1], "contest": self.contest,
                "null": self.counts[k], "table": self.table, "votes": dict(zip(self.options, self.counts[:k]))}

    def __getitem__(self, key: str) -> object:
        if key == "kind":
            return "acta"
        if key == "acta":
            return self.acta()
        if key in ("id", "status", "reasons"):
            return getattr(self, key)
        raise KeyError(key)

    def get(self, key: str, default: object = None) -> object:
        try:
            return self[key]
        except KeyError:
            return default

    def __iter__(self) -> Iterator[str]:
        return iter(self.FIELDS)

    def __len__(self) -> int:
        return len(self.FIELDS)

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"SlimActa({dict(self)!r})"


def hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


_MISSING = object()
DENSE_SLACK = 65_536  # an id this far past 4 × the ids held still goes in the array (ids a store gives are dense)


class ByActa:
    """Acta id -> a value, for millions of actas without a dict entry apiece: a whole-number id's value is a
    code in an array by id (grown as ids come, while they stay dense, as a store gives them), the codes' values
    in a list; any other id, or a value that cannot be coded, in a dict."""

    def __init__(self, dtype=np.int16):
        self.codes = np.full(1024, -1, dtype=dtype)
        self.limit = np.iinfo(dtype).max
        self.values: list[object] = []
        self.code_of: dict[object, int] = {}
        self.other: dict[object, object] = {}
        self.held = 0

    def _index(self, key: object, grow: bool = False) -> int | None:
        if type(key) is not int or key < 0:
            return None
        if key >= len(self.codes):
            if not grow or key >= 4 * self.held + DENSE_SLACK:
                return None
            codes = np.full(max(key + 1, 2 * len(self.codes)), -1, dtype=self.codes.dtype)
            codes[:len(self.codes)] = self.codes
            self.codes = codes
        return key

    def _code(self, value: object) -> int | None:
        """The code of ``value`` (given one if new); None if it cannot have one."""
        code = self.code_of.get(value) if hashable(value) else None
        if code is None and hashable(value) and len(self.values) < self.limit:
            code = self.code_of[value] = len(self.values)
            self.values.append(value)
        return code

    def __setitem__(self, key: object, value: object) -> None:
        index, code = self._index(key, grow=True), self._code(value)
        if index is not None and code is not None:
            self.held += self.codes[index] < 0
            self.codes[index] = code
            self.other.pop(key, None)
            return
        if index is not None and self.codes[index] >= 0:
            self.codes[index] = -1
            self.held -= 1
        self.other[key] = value

    def get(self, key: object, default: object = None) -> object:
        index = self._index(key)
        if index is not None:
            code = int(self.codes[index])
            if code >= 0:
                return self.values[code]
        return self.other.get(key, default) if hashable(key) else default

    def __getitem__(self, key: object) -> object:
        found = self.get(key, _MISSING)
        if found is _MISSING:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return self.get(key, _MISSING) is not _MISSING

    def __len__(self) -> int:
        return self.held + len(self.other)

    def items(self) -> Iterator[tuple[object, object]]:
        """(id, value) of every id held: the whole-number ids in order, then the others."""
        ids = np.flatnonzero(self.codes >= 0)
        for acta_id, code in zip(ids.tolist(), self.codes[ids].tolist()):
            yield acta_id, self.values[code]
        yield from self.other.items()

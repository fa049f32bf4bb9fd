"""Ed25519 signatures of actas: the signed bytes, keys and their text forms.

A table's counting device signs::

    b"escrutinio-acta-v2\\n" + canonical_json({
        "election_id": <the election's identifier>, "election": <election name>,
        "date": <election date, YYYY-MM-DD>, "table": …, "contest": …,
        "votes": {option: count, …}, "null": …, "blank": …, "ballots_cast": …})

canonical JSON being raw UTF-8 (never ``\\u`` escapes), keys sorted, no white
space (``blank`` is 0 where the contest does not count blank ballots apart).
Naming the election's random identifier and the table inside the signed bytes
is what stops an acta from being replayed at another election, at a drill's
real night, or for another table. An election created before identifiers
existed (no ``id`` in its definition as stored) signs the version 1 bytes:
``b"escrutinio-acta-v1\\n"`` and the same object without ``election_id``.
Keys and signatures travel as unpadded-or-padded standard base64. PyNaCl
(libsodium) does the cryptography: it verified about 1.6× faster than
`cryptography` here (bench/ed25519_libraries.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

import nacl.bindings
import nacl.exceptions
import nacl.signing

from ..domain.canonical import ActaJson, canonical_json
from ..domain.model import Acta, Contest, Election

CONTEXT_V1 = b"escrutinio-acta-v1\n"
CONTEXT = b"escrutinio-acta-v2\n"


def context(election: Election) -> bytes:
    """The prefix of ``election``'s signed actas: version 2 names the election's identifier."""
    return CONTEXT if election.id else CONTEXT_V1


def election_fields(election: Election) -> dict[str, str]:
    """What the signed bytes say of the election, beside the acta."""
    fields = {"election": election.name, "date": election.date.isoformat()}
    return {"election_id": election.id, **fields} if election.id else fields


def signing_payload(election: Election, acta: Acta) -> bytes:
    return context(election) + canonical_json({**election_fields(election), **acta.as_dict()})


def signed_json(election: Election, contest: Contest) -> ActaJson:
    """The signed JSON of ``contest``'s actas: ``signing_payload`` is ``context(election)`` + its text, UTF-8."""
    return ActaJson(contest, election_fields(election))


def decode(text: str, size: int) -> bytes | None:
    """Base64 text of exactly ``size`` bytes, or None."""
    if not isinstance(text, str):
        return None
    try:
        raw = base64.b64decode(text.strip() + "=" * (-len(text.strip()) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == size else None


def encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


class Verifier:
    """Checks signatures against registered public keys, keeping one 32-byte key per table.

    The keys stay bytes, given straight to libsodium (what ``VerifyKey.verify`` does): a VerifyKey
    object per table made every full garbage collection of a national election's ingest slower.
    """

    def __init__(self, public_keys: dict[str, bytes]):
        for key in public_keys.values():
            if not isinstance(key, bytes) or len(key) != nacl.bindings.crypto_sign_PUBLICKEYBYTES:
                raise ValueError(f"a public key must be {nacl.bindings.crypto_sign_PUBLICKEYBYTES} bytes")
        self._keys = dict(public_keys)

    def has_key(self, table: str) -> bool:
        return table in self._keys

    def verify(self, table: str, payload: bytes, signature: bytes) -> bool:
        key = self._keys.get(table)
        if key is None or len(signature) != nacl.bindings.crypto_sign_BYTES:
            return False
        try:
            nacl.bindings.crypto_sign_open(signature + payload, key)
            return True
        except nacl.exceptions.BadSignatureError:
            return False


def new_private_key(seed: bytes | None = None) -> bytes:
    """A 32-byte Ed25519 private seed: random, or derived from ``seed`` (demos and test vectors only)."""
    if seed is None:
        return bytes(nacl.signing.SigningKey.generate())
    return hashlib.sha256(b"escrutinio-demo-key\n" + seed).digest()


def public_key(private: bytes) -> bytes:
    return bytes(nacl.signing.SigningKey(private).verify_key)


def sign(private: bytes, payload: bytes) -> bytes:
    return nacl.signing.SigningKey(private).sign(payload).signature

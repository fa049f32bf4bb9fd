"""Small helpers of the verifier: canonical JSON, hashes, base64 and Ed25519.

Written here again on purpose: the verifier shares no code with what it checks.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

import nacl.exceptions
import nacl.signing

ACTA_CONTEXT = b"escrutinio-acta-v1\n"
TREE_HEAD_CONTEXT = b"escrutinio-tree-head-v1\n"
STATUSES = ("counted", "quarantined", "conflicting", "set_aside", "annulled")


def canonical(value: object) -> bytes:
    """UTF-8 JSON, keys sorted, no white space: the bytes every hash and signature is over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


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

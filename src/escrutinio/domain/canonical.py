"""Canonical JSON: the one byte encoding that hashes are taken over."""

from __future__ import annotations

import hashlib
import json


def canonical_json(value: object) -> bytes:
    """UTF-8 JSON with sorted keys and no insignificant white space."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest(value: object) -> str:
    return sha256_hex(canonical_json(value))

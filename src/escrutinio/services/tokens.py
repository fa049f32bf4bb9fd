"""Operator tokens with roles. A token is shown once, when created; only its SHA-256 is stored.

Roles: ``admin`` may do everything; ``transmission`` sends actas (and may key in paper actas);
``clerk`` keys in paper actas by hand (manual double entry) and nothing else; ``editor``
writes the live timeline; ``observer`` reads what operators read. Tokens
are 256-bit random strings, so one fast hash is enough to store them
safely (no password stretching needed).
"""

from __future__ import annotations

import hashlib
import secrets

from ..domain.errors import EscrutinioError, NotFound
from ..store import Store
from .clock import now_utc

ROLES = ("admin", "transmission", "clerk", "editor", "observer")
PREFIX = "esc_"


class Unauthenticated(EscrutinioError):
    """No token, or one that is unknown or revoked (HTTP 401)."""


class Forbidden(EscrutinioError):
    """A valid token whose role may not do this (HTTP 403)."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(store: Store, name: str, role: str) -> tuple[int, str]:
    """A new token for ``name`` with ``role``: (id, the token — shown this once only)."""
    if role not in ROLES:
        raise EscrutinioError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if not name.strip() or len(name) > 200 or any(ord(ch) < 32 for ch in name):
        raise EscrutinioError("a token needs a name of 1 to 200 printable characters")
    token = PREFIX + secrets.token_urlsafe(32)
    with store.transaction() as conn:
        token_id = store.add_token(conn, name.strip(), role, hash_token(token), now_utc())
    return token_id, token


def revoke_token(store: Store, token_id: int) -> None:
    with store.transaction() as conn:
        if not store.revoke_token(conn, token_id, now_utc()):
            raise NotFound("active token", token_id)


def list_tokens(store: Store) -> list[dict]:
    return store.tokens()


def operator_label(who: dict) -> str:
    """How an operator is named in an acta's history and the log: their name and token id, never the token.
    Two tokens never share a label (their ids differ), so two labels that differ are two tokens."""
    return f"{who['name']} (token {who['id']})"


def authenticate(store: Store, token: str | None, *roles: str) -> dict:
    """The operator holding ``token``, if it may act in one of ``roles`` (admin always may)."""
    if not token:
        raise Unauthenticated("this needs an operator token: send it as 'Authorization: Bearer <token>'")
    found = store.token_by_hash(hash_token(token))
    if found is None or found["revoked_at"] is not None:
        raise Unauthenticated("unknown or revoked token")
    if found["role"] != "admin" and found["role"] not in roles:
        raise Forbidden(f"role {found['role']!r} may not do this; it needs {' or '.join(roles) or 'admin'}")
    return {"id": found["id"], "name": found["name"], "role": found["role"]}

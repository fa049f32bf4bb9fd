"""The authority's key, which signs the log's tree heads, kept outside the database.

In production the private key lives in a file readable by its owner alone (mode 0600; the
``authority_key_file`` setting, or ``escrutinio init --authority-key-file PATH``), or is given in the
environment (``ESCRUTINIO_AUTHORITY_KEY``, base64); the database keeps only the public key, so that
no dump or backup of the store carries it. A store made before this (the key pair made with the first
bulletin and kept in the database) goes on working; ``escrutinio keys export-authority`` moves its
key out to a file.

The file holds the 32-byte Ed25519 seed in base64 on one line.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import weakref
from pathlib import Path

from ..domain.errors import UpkeepRefused
from ..intake import signatures
from ..store import Store, upkeep
from .clock import now_utc

ENV_KEY = "ESCRUTINIO_AUTHORITY_KEY"
ENV_FILE = "ESCRUTINIO_AUTHORITY_KEY_FILE"  # the authority_key_file setting's variable
_key_file_of: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def use_key_file(store: Store, path: str | Path | None) -> None:
    """The key file the entry point's settings name for ``store`` (the authority_key_file setting; the CLI
    and the web app pass it). Without one, ESCRUTINIO_AUTHORITY_KEY_FILE is read at each use."""
    _key_file_of[store] = str(path) if path else ""


def read_key_file(path: str | Path) -> bytes:
    """The private key in ``path``, which only its owner may read or write (UpkeepRefused otherwise)."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise UpkeepRefused(f"cannot read the authority's key file {path}: {exc.strerror}") from None
    if mode & 0o077:
        raise UpkeepRefused(f"the authority's key file {path} has mode {stat.S_IMODE(mode):04o}: other users may "
                            f"read or change it. Make it the owner's alone (chmod 600 {path}) and try again")
    key = signatures.decode(path.read_text(encoding="ascii", errors="replace").strip(), 32)
    if key is None:
        raise UpkeepRefused(f"the authority's key file {path} does not hold a base64 Ed25519 private key of 32 "
                            "bytes (one line, as `escrutinio init --authority-key-file` writes it)")
    return key


def write_key_file(path: str | Path, private: bytes) -> Path:
    """Write ``private`` to a new file ``path`` of mode 0600 (never over an existing file)."""
    path = Path(path)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UpkeepRefused(f"{path} already exists: the authority's key is never written over a file") from None
    except OSError as exc:
        raise UpkeepRefused(f"cannot create the authority's key file {path}: {exc.strerror}") from None
    with os.fdopen(handle, "w", encoding="ascii") as out:
        out.write(signatures.encode(private) + "\n")
    os.chmod(path, 0o600)  # whatever the umask
    return path


def configured_key(store: Store) -> tuple[bytes, str] | None:
    """The private key the settings point to, and where it was found; None if they point nowhere."""
    given = os.environ.get(ENV_KEY)  # an environment variable only: never a setting a file could hold
    if given:
        key = signatures.decode(given, 32)
        if key is None:
            raise UpkeepRefused(f"{ENV_KEY} is not a base64 Ed25519 private key of 32 bytes")
        return key, ENV_KEY
    path = _key_file_of.get(store) or os.environ.get(ENV_FILE)
    if path:
        return read_key_file(path), path
    return None


def signing_key(store: Store, held: tuple[bytes, bytes | None] | None) -> tuple[bytes, bytes] | None:
    """(public, private) to sign with, given what the database ``held`` (None: no key yet, and none set up
    outside either: the caller makes one in the database, as stores did before keys files)."""
    outside = configured_key(store)
    if held is None:
        return (signatures.public_key(outside[0]), outside[0]) if outside else None
    public, private = held
    if outside is not None:
        if signatures.public_key(outside[0]) != public:
            raise UpkeepRefused(f"the authority's key from {outside[1]} is not the one this store's tree heads are "
                                f"signed with (public key {signatures.encode(public)}): give the key "
                                "`escrutinio init` or `keys export-authority` wrote for this store")
        return public, outside[0]
    if private is None:
        raise UpkeepRefused("this store keeps the authority's key outside the database, and none is given: set "
                            "authority_key_file (ESCRUTINIO_AUTHORITY_KEY_FILE) to the key's file, or "
                            f"{ENV_KEY} to the key")
    return public, private


def set_up(store: Store, path: str | Path, now: dt.datetime | None = None) -> bytes:
    """The authority's key for a new store: read from ``path`` if it exists (mode 0600), made and written
    there (mode 0600) if not; only its public key goes into the database. Returns the public key."""
    path = Path(path)
    private = read_key_file(path) if path.exists() else None
    when = now or now_utc()
    with store.log_writing() as conn:
        if store.authority_key(conn) is not None:
            raise UpkeepRefused("this store already has an authority key (see `escrutinio keys export-authority`)")
        if private is None:
            private = signatures.new_private_key()
            write_key_file(path, private)
        public = signatures.public_key(private)
        store.set_authority_key(conn, public, None, when)
    return public


def export_key(store: Store, out: str | Path, *, remove: bool, now: dt.datetime | None = None) -> bytes:
    """Write the authority's private key, kept in the database, to a new file ``out`` (mode 0600; a file an
    earlier export wrote with this very key is kept as it is); with
    ``remove``, take it out of the database (SQLite: and compact the file, so that no free page keeps it).
    A store with no authority key yet gets one, made now, kept in ``out`` only. Returns the public key."""
    with store.log_writing() as conn:
        held = store.authority_key(conn)
        if held is None:
            private = signatures.new_private_key()
            public = signatures.public_key(private)
            write_key_file(out, private)
            store.set_authority_key(conn, public, None, now or now_utc())
            return public
        public, private = held
        if private is None:
            raise UpkeepRefused("the authority's private key is not in this store: it is already kept outside")
        if not (Path(out).exists() and read_key_file(out) == private):  # written by an earlier export: kept
            write_key_file(out, private)
        if remove:
            upkeep.forget_authority_private(conn)
    if remove:
        upkeep.compact(store.engine)
    return public

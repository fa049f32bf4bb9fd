"""Database faults: a database that cannot be written or reached becomes StoreUnavailable.

SQLite's result codes and PostgreSQL's SQLSTATEs that mean "not now" (read-only,
full, failing over, down) are turned into the domain's StoreUnavailable by
SQLAlchemy's ``handle_error`` hook, which also drops the connections the fault
spoilt. A SQLite file that cannot be written is found before SQLite opens it.
"""

from __future__ import annotations

import logging
import os
import weakref
from pathlib import Path

import sqlalchemy as sa

from ..domain.errors import StoreUnavailable

LOG = logging.getLogger("escrutinio.store")
# Engines that met a fault since their last committed write: their pool may still hold connections
# opened while the fault lasted (a PostgreSQL session opened read-only stays read-only).
_SPOILT: weakref.WeakSet = weakref.WeakSet()


# SQLite's primary result codes that mean the database cannot be written or reached now
# (https://sqlite.org/rescode.html), and whether the connection that met them is spoilt.
SQLITE_UNAVAILABLE = {3: ("access permission denied", True), 5: ("the database is busy", False),
                      6: ("a table is locked", False), 8: ("the database is read-only", True),
                      10: ("a disk I/O error", True), 13: ("the disk is full", True),
                      14: ("the database file cannot be opened", True), 15: ("a locking protocol error", True)}
# PostgreSQL's SQLSTATE classes and codes that mean the same (appendix A of its manual).
PG_UNAVAILABLE = {"08": "the connection failed", "53": "the server is out of resources (disk, memory, connections)",
                  "57P": "the server is shutting down, restarting or not yet accepting connections",
                  "58": "a system or I/O error on the server", "25006": "the database is read-only"}


def unavailable(ctx) -> None:
    """SQLAlchemy's ``handle_error`` hook: a database that cannot be written or reached becomes StoreUnavailable.

    The connection that met the fault is thrown away with every other one of the pool opened before
    it (a PostgreSQL session opened while the database was read-only stays read-only, a dropped one
    stays dropped), so that once the database is writable again new connections are made.
    """
    if ctx.is_pre_ping:  # the pool's own liveness check handles dead connections itself
        return
    why, spoilt = _fault(ctx)
    if why is None:
        return
    if spoilt:
        ctx.is_disconnect = True
        ctx.invalidate_pool_on_disconnect = True
        if ctx.engine is not None:
            _SPOILT.add(ctx.engine)
    LOG.warning("store unavailable (%s): %s", why, str(ctx.original_exception).splitlines()[0] if
                str(ctx.original_exception) else type(ctx.original_exception).__name__)
    raise StoreUnavailable(f"the database cannot be written or reached now: {why}")


def before_writing(engine: sa.Engine) -> None:
    """After a fault, a write transaction starts from a new pool: it then gets a connection opened now,
    never one a reader opened while the fault lasted."""
    if engine in _SPOILT:
        engine.dispose()


def written(engine: sa.Engine) -> None:
    """A write committed: the engine's connections are sound again."""
    _SPOILT.discard(engine)


def _fault(ctx) -> tuple[str | None, bool]:
    original = ctx.original_exception
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None:
        return SQLITE_UNAVAILABLE.get(code & 0xFF, (None, False))
    state = getattr(original, "sqlstate", None) or ""
    found = next((why for prefix, why in PG_UNAVAILABLE.items() if state.startswith(prefix)), None)
    if found:
        return found, True
    if ctx.is_disconnect:
        return "the connection was lost", True
    if not state and isinstance(ctx.sqlalchemy_exception, sa.exc.OperationalError):
        return "the database cannot be reached", True  # no SQLSTATE: the client never reached a server
    return None, False


def check_sqlite_files(database: str | None) -> None:
    """The SQLite file, its WAL companions and its directory must be writable (before SQLite opens them)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database).resolve()
    folder = path.parent
    if not folder.is_dir():
        raise StoreUnavailable(f"the folder of the database {path} does not exist: create it, or give "
                               "another --db / ESCRUTINIO_DATABASE_URL")
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if name.exists() and not os.access(name, os.W_OK):
            raise StoreUnavailable(f"the database file {name} cannot be written (read-only, immutable or not "
                                   "yours): make it writable by this user, or serve a writable copy")
    if not os.access(folder, os.W_OK):
        raise StoreUnavailable(f"the folder {folder} of the database cannot be written (SQLite keeps its "
                               "write-ahead log beside the file): make it writable, or move the database")

"""Keeping a store: clearing a drill's night, and consistent copies of a store (backups)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import schema

# What a drill's reset keeps: the definition, the keys, the operators' tokens and the accredited observers.
# Every other table (actas, decisions, bulletins, the log, the timeline, reports, and any table added
# later) holds the night itself and is emptied.
KEPT = frozenset({"alembic_version", "election", "contest", "option", "area", "centre", "polling_table", "table_key",
                  "authority", "operator_token", "observer", "observer_phone", "observer_token"})


def clear_night(conn: Connection) -> dict[str, int]:
    """Delete every row of the night's tables, children before parents; rows deleted per table."""
    deleted = {}
    for table in reversed(schema.metadata.sorted_tables):
        if table.name not in KEPT:
            deleted[table.name] = conn.execute(table.delete()).rowcount
    return {name: n for name, n in deleted.items() if n}


def sqlite_path(engine: sa.Engine) -> str | None:
    """The file of a SQLite store, or None (an in-memory database or another store)."""
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return None
    return engine.url.database


def backup_sqlite(source: str, out: Path, pages_per_step: int = 4096) -> None:
    """A consistent copy of the SQLite file ``source`` in ``out``, with SQLite's online backup API: writers
    may go on meanwhile (each step copies some pages; a write in between restarts the copy from the
    changed pages), and the copy is one state the store was in."""
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(partial) as dst:
        src.backup(dst, pages=pages_per_step)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    src.close()
    dst.close()
    partial.replace(out)


def forget_authority_private(conn: Connection) -> None:
    """Take the authority's private key out of the database (its public key stays)."""
    conn.execute(schema.authority.update().values(private_key=None))


def compact(engine: sa.Engine) -> None:
    """Rewrite the store so that deleted bytes are gone from its files too, not only from its rows (SQLite:
    VACUUM; PostgreSQL: VACUUM FULL of the authority's table)."""
    statement = "VACUUM" if engine.dialect.name == "sqlite" else "VACUUM FULL authority"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(statement)

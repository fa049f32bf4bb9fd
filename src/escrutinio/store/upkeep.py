"""Keeping a store: clearing a drill's night, and consistent copies of a store (backups)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import schema

# What a drill's reset keeps: the definition, the keys, the operators' tokens, the accredited observers, the
# previous election loaded for comparison and the partners' webhook subscriptions.
# Every other table (actas, decisions, bulletins, the log, the timeline, reports, and any table added
# later) holds the night itself and is emptied.
KEPT = frozenset({"alembic_version", "election", "contest", "option", "area", "centre", "polling_table", "table_key",
                  "authority", "operator_token", "observer", "observer_phone", "observer_token",
                  "previous_election", "previous_unit", "webhook_subscriber"})


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


SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


def backup_kind(path: Path) -> str | None:
    """"sqlite" or "pg_dump" (custom format), from the file's first bytes; None for anything else."""
    with path.open("rb") as handle:
        start = handle.read(16)
    return "sqlite" if start == SQLITE_MAGIC else "pg_dump" if start.startswith(PG_DUMP_MAGIC) else None


def restore_sqlite(backup: Path, target: str) -> None:
    """Copy the SQLite backup ``backup`` into the new SQLite file ``target`` (SQLite's backup API again)."""
    with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def postgresql_target(url: str) -> tuple[str, str | None]:
    """A libpq URI for pg_dump and pg_restore from a store's URL, and the schema its search_path names."""
    parsed = sa.engine.make_url(url)
    options = parsed.query.get("options", "")
    schema = options.removeprefix("-csearch_path=") if options.startswith("-csearch_path=") else None
    plain = parsed.set(drivername="postgresql", query={})
    return plain.render_as_string(hide_password=False), schema


def backend_of(url: str) -> tuple[str, str | None]:
    """A store URL's backend ("sqlite", "postgresql", …) and, for SQLite, its file."""
    parsed = sa.engine.make_url(url)
    return parsed.get_backend_name(), parsed.database if parsed.get_backend_name() == "sqlite" else None

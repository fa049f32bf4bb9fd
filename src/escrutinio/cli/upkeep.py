"""Keeping a store: reset (a drill), backup, restore."""

from __future__ import annotations

from pathlib import Path

import click

from .. import services
from .base import db_option, main, open_db


@main.command()
@click.option("--yes", is_flag=True, help="Yes, delete the drill's actas, bulletins and log.")
@db_option
def reset(yes: bool, db_url: str) -> None:
    """Clear a drill: its actas, bulletins, log, timeline and reports.

    Keeps the definition, the table keys, the authority's key, the tokens
    and the observers; the log starts afresh (the election, then the keys).
    Only a store made with `escrutinio init --drill` can be reset. Stop the
    server first, and start it again after.
    """
    store = open_db(db_url)
    deleted = services.upkeep.reset_drill(store, confirmed=yes)
    rows = ", ".join(f"{table} {n:,}" for table, n in sorted(deleted.items())) or "nothing to delete"
    click.echo(f"Reset the drill {store.election().name!r}: deleted {rows}; the log starts again with "
               f"{len(services.log.merkle(store)):,} leaves (the election and its keys).")


@main.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The backup file to write (never over an existing one).")
@db_option
def backup(out: Path, db_url: str) -> None:
    """Copy the store, consistently, while the night goes on.

    SQLite: SQLite's online backup API (a copy of one state of the store;
    writers are not stopped). PostgreSQL: pg_dump in its custom format, if
    installed here; otherwise this prints the exact pg_dump command to run.
    The authority's key file is not in the backup: keep it apart. Restore
    with `escrutinio restore`, then `escrutinio verify` the restored store.
    """
    what = services.upkeep.backup(services.open_store(db_url, migrate=False), out)
    click.echo(f"wrote {out} ({out.stat().st_size:,} bytes): {what}")


@main.command()
@click.argument("backup_file", metavar="FILE", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@db_option
def restore(backup_file: Path, db_url: str) -> None:
    """Restore the backup FILE into a new, empty store (--db).

    A SQLite backup goes into a new SQLite file; a pg_dump into an empty
    PostgreSQL database, with pg_restore. Check it with `escrutinio verify
    --db URL` before serving from it.
    """
    click.echo(services.upkeep.restore(backup_file, db_url))

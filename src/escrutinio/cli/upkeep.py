"""Keeping a store: reset (a drill), backup."""

from __future__ import annotations

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

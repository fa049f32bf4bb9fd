"""Observers: import the accreditation registry, list it, count it, give an observer a token."""

from __future__ import annotations

import json

import click

from .. import services
from .base import db_option, main, open_db


@main.group()
def observers() -> None:
    """The observers' accreditation registry."""


@observers.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@db_option
def observers_import(file: str, db_url: str) -> None:
    """Add or update (by accreditation number) the observers of the CSV FILE.

    Columns: accreditation, kind, organisation, name, phones (several separated
    by ';'), assignment (a centre or table code, or empty), status (accredited,
    pending or revoked; empty: accredited). Every problem in the file is
    listed, and then nothing is imported.
    """
    report = services.observers.import_observers(open_db(db_url), file)
    click.echo(f"{report.created} observer(s) added, {report.updated} updated")


@observers.command("list")
@db_option
def observers_list(db_url: str) -> None:
    """List every observer, with names and phones (for operators; the public sees only counts)."""
    for o in services.observers.list_observers(open_db(db_url)):
        phones = " ".join(f"+{p}" for p in o.phones)
        click.echo(f"{o.accreditation:<16} {o.kind:<14} {o.status:<11} {o.assignment or '-':<14} "
                   f"{o.organisation} / {o.name}  {phones}")


@observers.command("summary")
@db_option
def observers_summary(db_url: str) -> None:
    """Print the public counts (per kind and organisation) as JSON: no name, no phone."""
    click.echo(json.dumps(services.observers.summary(open_db(db_url)), ensure_ascii=False, indent=2))


@observers.command("token")
@click.argument("accreditation")
@db_option
def observers_token(accreditation: str, db_url: str) -> None:
    """Create a token for the observer ACCREDITATION: role observer, limited to their assignment.

    The token is printed once and never stored.
    """
    token_id, secret = services.observers.create_observer_token(open_db(db_url), accreditation)
    click.echo(f"token {token_id} for observer {accreditation!r}: {secret}")
    click.echo("Keep it secret; it is not stored and cannot be shown again.", err=True)

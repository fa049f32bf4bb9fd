"""Claims: record a public statement in its checkable form, list every claim with its verdict."""

from __future__ import annotations

import datetime as dt
import json

import click

from .. import services
from .base import db_option, main, open_db


@main.group()
def claims() -> None:
    """Public claims about the result, judged against each bulletin."""


@claims.command("add")
@click.argument("statement")
@click.option("--by", "author", required=True, help="Who said it (a person, an agency, an outlet).")
@click.option("--at", "said_at", required=True, help="When, ISO 8601 with its offset (2007-12-02T20:20-04:00).")
@click.option("--entry", type=int, help="The timeline entry it hangs on.")
@db_option
def claims_add(statement: str, author: str, said_at: str, entry: int | None, db_url: str) -> None:
    """Record STATEMENT, e.g. "in contest A, SI leads NO by 6 to 8 points" (forms: docs/observers.md)."""
    try:
        when = dt.datetime.fromisoformat(said_at)
    except ValueError:
        raise click.BadParameter(f"{said_at!r} is not an ISO 8601 time", param_hint="--at") from None
    found = services.claims.add_claim(open_db(db_url), statement, author=author, said_at=when, entry_id=entry)
    click.echo(f"claim {found['id']}: {found['verdict']} — {found['reason']}")


@claims.command("list")
@click.option("--json", "as_json", is_flag=True)
@db_option
def claims_list(as_json: bool, db_url: str) -> None:
    """Every claim with its verdict against the latest bulletin."""
    found = services.claims.list_claims(open_db(db_url))
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for c in found:
        click.echo(f"{c['id']:>4}  {c['verdict']:<18} {c['author']}, {c['said_at'][:16]}: {c['statement']}  "
                   f"[{c['reason']}]")

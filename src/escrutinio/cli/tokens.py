"""Operator tokens: create, list, revoke."""

from __future__ import annotations

import click

from .. import services
from .base import db_option, main, open_db


@main.group()
def token() -> None:
    """Operator tokens: create (shown once), list and revoke them."""


@token.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(services.tokens.ROLES), required=True,
              help="admin: everything; transmission: send actas (and key in paper actas); clerk: key in paper "
                   "actas only (escrutinio actas enter); editor: the timeline; observer: read.")
@db_option
def token_create(name: str, role: str, db_url: str) -> None:
    """Create a token for NAME (a person or a device). The token is printed once and never stored."""
    token_id, secret = services.tokens.create_token(open_db(db_url), name, role)
    click.echo(f"token {token_id} for {name!r} ({role}): {secret}")
    click.echo("Keep it secret; it is not stored and cannot be shown again. Send it as "
               "'Authorization: Bearer <token>'.", err=True)


@token.command("list")
@db_option
def token_list(db_url: str) -> None:
    """List tokens (never the tokens themselves)."""
    for t in services.tokens.list_tokens(open_db(db_url)):
        state = f"revoked {t['revoked_at']:%Y-%m-%d %H:%M}" if t["revoked_at"] else "active"
        click.echo(f"{t['id']:>4}  {t['role']:<12}  {state:<24}  {t['name']}")


@token.command("revoke")
@click.argument("token_id", type=int)
@db_option
def token_revoke(token_id: int, db_url: str) -> None:
    """Revoke token TOKEN_ID at once."""
    services.tokens.revoke_token(open_db(db_url), token_id)
    click.echo(f"token {token_id} revoked")


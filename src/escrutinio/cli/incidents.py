"""Incidents: list them, enter one, move one along the verification workflow, put one on the timeline."""

from __future__ import annotations

import json

import click

from .. import services
from ..domain.messages import CATEGORY_NAMES, SEVERITIES
from ..domain.observation import INCIDENT_STATUSES
from .base import db_option, main, open_db


@main.group()
def incidents() -> None:
    """Incidents reported by observers (SMS, web) or entered by editors, and their verification."""


@incidents.command("list")
@click.option("--area", help="Only incidents in this area or centre (by code).")
@click.option("--category", type=click.Choice(CATEGORY_NAMES))
@click.option("--status", type=click.Choice(INCIDENT_STATUSES))
@click.option("--json", "as_json", is_flag=True, help="As JSON, as GET /api/v1/incidents gives them.")
@db_option
def incidents_list(area: str | None, category: str | None, status: str | None, as_json: bool, db_url: str) -> None:
    """List incidents, newest first (never who reported them)."""
    found = services.incidents.list_incidents(open_db(db_url), area=area, category=category, status=status)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for i in found:
        duplicate = f" (duplicate of #{i['duplicate_of']})" if i["duplicate_of"] else ""
        click.echo(f"#{i['id']:<5} {i['reported_at'][:16]}  {i['status']:<10} {i['severity']:<6} "
                   f"{i['category']:<20} {i['place']}{duplicate}: {i['description']}")


@incidents.command("report")
@click.argument("place")
@click.argument("category", type=click.Choice(CATEGORY_NAMES))
@click.argument("description")
@click.option("--severity", type=click.Choice(SEVERITIES), help="Default: the category's.")
@click.option("--editor", default="operator", show_default=True, help="Who entered it (kept in its history).")
@db_option
def incidents_report(place: str, category: str, description: str, severity: str | None, editor: str,
                     db_url: str) -> None:
    """Enter an incident at PLACE (a table, centre or area code), unverified."""
    found = services.incidents.report(open_db(db_url), place, category, description, editor=editor,
                                      severity=severity)
    click.echo(f"incident #{found['id']} recorded ({found['status']})")


@incidents.command("set-status")
@click.argument("incident_id", type=int)
@click.argument("status", type=click.Choice(INCIDENT_STATUSES))
@click.option("--reason", help="Why (kept in the incident's history).")
@click.option("--editor", default="operator", show_default=True)
@db_option
def incidents_set_status(incident_id: int, status: str, reason: str | None, editor: str, db_url: str) -> None:
    """Move incident INCIDENT_ID to STATUS: unverified → verified or rejected; verified → escalated or
    closed; rejected or escalated → closed."""
    found = services.incidents.set_status(open_db(db_url), incident_id, status, editor=editor, reason=reason)
    click.echo(f"incident #{found['id']} is {found['status']}")


@incidents.command("to-timeline")
@click.argument("incident_id", type=int)
@click.option("--editor", default="operator", show_default=True, help="The entry's byline.")
@click.option("--draft", is_flag=True, help="Only print the entry's Markdown; post nothing.")
@db_option
def incidents_to_timeline(incident_id: int, editor: str, draft: bool, db_url: str) -> None:
    """Put a verified incident on the timeline as an entry (or print the draft with --draft)."""
    store = open_db(db_url)
    if draft:
        click.echo(services.incidents.draft_entry(store, incident_id))
        return
    entry_id = services.incidents.post_to_timeline(store, incident_id, editor=editor)
    click.echo(f"timeline entry {entry_id} posted for incident #{incident_id}")

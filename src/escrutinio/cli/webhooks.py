"""Partner webhooks: register the systems that receive signed POSTs, read the delivery log, send."""

from __future__ import annotations

import time

import click

from ..services import webhooks as hooks
from ..settings import load_settings
from .base import db_option, main, open_db


@main.group()
def webhooks() -> None:
    """Partner webhooks: signed POSTs for bulletins, acta statuses and timeline entries (docs/webhooks.md)."""


@webhooks.command("add")
@click.argument("url")
@click.option("--event", "events", multiple=True, type=click.Choice(hooks.EVENTS),
              help="An event to send (repeat for several; default: all of them).")
@click.option("--from-start", is_flag=True, help="Also send everything that happened before (default: from now on).")
@db_option
def webhooks_add(url: str, events: tuple[str, ...], from_start: bool, db_url: str) -> None:
    """Register URL as a subscriber; prints its id and its signing secret (once: it is not shown again)."""
    subscriber_id, secret = hooks.add_subscriber(open_db(db_url), url, list(events) or None, from_start=from_start)
    click.echo(f"subscriber {subscriber_id}: {url}")
    click.echo(f"secret: {secret}")
    click.echo("Give the secret to the partner over a safe channel; it signs every request (docs/webhooks.md).",
               err=True)


@webhooks.command("list")
@db_option
def webhooks_list(db_url: str) -> None:
    """List the subscribers (without their secrets)."""
    for s in hooks.list_subscribers(open_db(db_url)):
        state = "active" if s["active"] else f"removed {s['removed_at']:%Y-%m-%d %H:%M}Z"
        click.echo(f"{s['id']:>4}  {state:<24} {' '.join(s['events']):<60} {s['url']}")


@webhooks.command("remove")
@click.argument("subscriber", type=int)
@db_option
def webhooks_remove(subscriber: int, db_url: str) -> None:
    """Stop sending to SUBSCRIBER; its pending deliveries are cancelled, its log is kept."""
    hooks.remove_subscriber(open_db(db_url), subscriber)
    click.echo(f"subscriber {subscriber} removed")


@webhooks.command("log")
@click.option("--subscriber", type=int, help="Only this subscriber's deliveries.")
@click.option("--status", type=click.Choice(["pending", "delivered", "failed", "cancelled"]))
@click.option("--limit", type=int, default=50, show_default=True)
@db_option
def webhooks_log(subscriber: int | None, status: str | None, limit: int, db_url: str) -> None:
    """The delivery log, newest first: delivery id, event, status, attempts, last HTTP status or error."""
    for d in hooks.delivery_log(open_db(db_url), subscriber, status, limit):
        last = d["last_code"] if d["last_code"] is not None else "-"
        click.echo(f"{d['delivery_id']:<28} {d['event']:<22} {d['status']:<10} attempts {d['attempts']:<3} "
                   f"last {last}{'  ' + d['last_error'] if d['last_error'] else ''}")


@webhooks.command("retry")
@click.argument("delivery")
@db_option
def webhooks_retry(delivery: str, db_url: str) -> None:
    """Send the failed DELIVERY (its id, as the log prints it) again."""
    hooks.retry(open_db(db_url), delivery)
    click.echo(f"delivery {delivery} queued again")


@webhooks.command("deliver")
@click.option("--loop", is_flag=True, help="Keep going, every --interval seconds, until interrupted.")
@click.option("--interval", type=float, default=5.0, show_default=True, help="Seconds between passes with --loop.")
@db_option
def webhooks_deliver(loop: bool, interval: float, db_url: str) -> None:
    """Queue what happened since the last pass and send what is due (`escrutinio serve` does it by itself)."""
    store = open_db(db_url)
    base_url = load_settings().public_base_url
    while True:
        delivered = hooks.run_once(store, base_url=base_url)
        pending = len(hooks.delivery_log(store, status="pending", limit=10_000))
        click.echo(f"{delivered} delivered, {pending} pending")
        if not loop:
            return
        time.sleep(interval)


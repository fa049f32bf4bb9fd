"""The live timeline for editors."""

from __future__ import annotations

import sys
from zoneinfo import ZoneInfo

import click

from .. import services
from .base import db_option, main, open_db


@main.group()
def timeline() -> None:
    """The live coverage timeline: post, correct, pin and delete entries; moderate comments.

    Entries written here reach open pages live, like those posted over the
    API. Corrections and deletions are public: an entry keeps its trail.
    """


editor_option = click.option("--editor", required=True, help="Who does this (kept on record and shown).")


def _text(text: str) -> str:
    return sys.stdin.read() if text == "-" else text


@timeline.command("post")
@click.argument("text")
@click.option("--key", "key_event", is_flag=True, help="A key event: highlighted and listed apart.")
@click.option("--pin", is_flag=True, help="Pin it at the top of the timeline.")
@click.option("--media", "media_url", metavar="URL", help="An image (.png, .jpg, …) or a page to show with it.")
@click.option("--media-title", help="The image's caption or the link's title.")
@editor_option
@db_option
def timeline_post(text: str, key_event: bool, pin: bool, media_url: str | None, media_title: str | None,
                  editor: str, db_url: str) -> None:
    """Post an entry: TEXT in Markdown ('-' reads it from standard input)."""
    entry = services.timeline.post_entry(open_db(db_url), _text(text), author=editor, pinned=pin,
                                         kind="key" if key_event else "note", media_url=media_url,
                                         media_title=media_title)
    click.echo(f"Posted entry {entry.id}.")


@timeline.command("edit")
@click.argument("entry_id", type=int)
@click.argument("text")
@click.option("--reason", help="Why it is corrected (shown in the entry's public trail).")
@editor_option
@db_option
def timeline_edit(entry_id: int, text: str, reason: str | None, editor: str, db_url: str) -> None:
    """Correct entry ENTRY_ID to TEXT: it keeps its place and shows what changed."""
    services.timeline.edit_entry(open_db(db_url), entry_id, editor=editor, body=_text(text), reason=reason)
    click.echo(f"Entry {entry_id} corrected; its trail shows the text it replaced.")


@timeline.command("pin")
@click.argument("entry_id", type=int)
@click.option("--unpin", is_flag=True, help="Unpin it instead.")
@editor_option
@db_option
def timeline_pin(entry_id: int, unpin: bool, editor: str, db_url: str) -> None:
    """Pin entry ENTRY_ID at the top of the timeline (or unpin it)."""
    services.timeline.pin_entry(open_db(db_url), entry_id, not unpin, editor=editor)
    click.echo(f"Entry {entry_id} {'unpinned' if unpin else 'pinned'}.")


@timeline.command("delete")
@click.argument("entry_id", type=int)
@click.option("--reason", help="Why it is withdrawn (shown on its tombstone).")
@editor_option
@db_option
def timeline_delete(entry_id: int, reason: str | None, editor: str, db_url: str) -> None:
    """Withdraw entry ENTRY_ID: a tombstone stays in its place."""
    services.timeline.delete_entry(open_db(db_url), entry_id, editor=editor, reason=reason)
    click.echo(f"Entry {entry_id} withdrawn; a tombstone stays in its place.")


@timeline.command("bulletin")
@click.argument("number", type=int)
@db_option
def timeline_bulletin(number: int, db_url: str) -> None:
    """Make sure bulletin NUMBER has its entry (publishing posts it; this never duplicates it)."""
    entry = services.timeline.announce_bulletin(open_db(db_url), number)
    click.echo(f"Bulletin {number} is entry {entry.id}.")


@timeline.command("list")
@db_option
def timeline_list(db_url: str) -> None:
    """List entries, newest first, with their id, local time and state."""
    from ..publish.markdown import headline

    store = open_db(db_url)
    zone = ZoneInfo(store.election().time_zone)
    for e in services.timeline.read_timeline(store).entries:
        flags = ",".join(f for f, on in (("pinned", e.pinned), ("edited", e.updated_at), ("deleted", e.deleted)) if on)
        text = f"bulletin {e.bulletin['number']}" if e.bulletin else headline(e.body, 70)
        click.echo(f"{e.id:>5}  {e.posted_at.astimezone(zone):%Y-%m-%d %H:%M}  {e.kind:<8}  {flags:<20}  {text}")


@timeline.command("comments")
@click.option("--status", type=click.Choice(["pending", "approved", "rejected", "all"]), default="pending",
              show_default=True, help="Which comments to list.")
@db_option
def timeline_comments(status: str, db_url: str) -> None:
    """List readers' comments, oldest first (pending ones wait for approve or reject)."""
    for c in services.timeline.list_comments(open_db(db_url), None if status == "all" else status):
        click.echo(f"{c.id:>5}  entry {c.entry_id:<5}  {c.status:<8}  {c.name}: {' '.join(c.body.split())[:80]}")


@timeline.command("approve")
@click.argument("comment_id", type=int)
@editor_option
@db_option
def timeline_approve(comment_id: int, editor: str, db_url: str) -> None:
    """Approve comment COMMENT_ID: it is shown under its entry."""
    services.timeline.moderate_comment(open_db(db_url), comment_id, True, moderator=editor)
    click.echo(f"Comment {comment_id} approved.")


@timeline.command("reject")
@click.argument("comment_id", type=int)
@click.option("--reason", help="Why (kept on record, not shown).")
@editor_option
@db_option
def timeline_reject(comment_id: int, reason: str | None, editor: str, db_url: str) -> None:
    """Reject comment COMMENT_ID: it is never shown."""
    services.timeline.moderate_comment(open_db(db_url), comment_id, False, moderator=editor, reason=reason)
    click.echo(f"Comment {comment_id} rejected.")


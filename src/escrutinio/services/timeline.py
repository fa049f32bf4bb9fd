"""The live coverage timeline: editors post, correct, pin and delete entries in the open;
each published bulletin gets an entry of its own; readers' comments wait for moderation.

Every write is one transaction that also records a numbered change; readers
follow the numbers (``changed_since``), so an entry posted by another
process (the CLI, the demo replay) reaches them like one posted here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..domain.bulletin import Bulletin
from ..domain.errors import EntryRejected, NotFound, Problem, TimelineConflict
from ..domain.timeline import (APPROVED, BULLETIN, COMMENTED, DELETED, EDITED, NOTE, PENDING, PINNED, POSTED,
                               REJECTED, UNPINNED, WRITTEN_KINDS, Change, Comment, Entry, Media, bulletin_headline,
                               check_comment, check_entry, check_reason, check_text)
from ..store import Connection, Store
from . import claims
from .clock import now_utc

SYSTEM = "escrutinio"  # the author of bulletin entries
KEEP = object()  # edit_entry: leave the media as it is
PAGE = 500


@dataclass
class Timeline:
    """Entries with what readers see beside them, and the change number this view is as of."""

    entries: list[Entry]
    revision: int
    changes: dict[int, list[Change]] = field(default_factory=dict)  # the public trail, oldest first
    comments: dict[int, list[Comment]] = field(default_factory=dict)  # approved only
    claims: dict[int, list[dict]] = field(default_factory=dict)  # the claims an entry carries, with their verdicts
    more: bool = False  # changed_since: more changes wait after ``revision``

    def trail(self, entry_id: int) -> list[Change]:
        return self.changes.get(entry_id, [])


# -- editors ---------------------------------------------------------------------------------------

def post_entry(store: Store, body: str, *, author: str, kind: str = NOTE, pinned: bool = False,
               media_url: str | None = None, media_title: str | None = None, editor: str | None = None,
               now: dt.datetime | None = None) -> Entry:
    """Post an entry (a note or a key event), pinned at the top of the timeline if asked.

    ``author`` is the byline readers see; ``editor`` (default: the author) is who the trail names."""
    media = _media(media_url, media_title)
    _refuse(check_entry(body, kind, media) + check_text("author", author, 200, required=True))
    when = now or now_utc()
    with store.transaction() as conn:
        store.lock_timeline(conn)
        entry_id = store.add_entry(conn, {"kind": kind, "body": body, "pinned": pinned, "author": author,
                                          "posted_at": when, **_media_columns(media)})
        store.add_change(conn, entry_id, {"at": when, "action": POSTED, "editor": editor or author, "body": body,
                                          **_media_columns(media)})
        return store.entry(entry_id, conn)


def edit_entry(store: Store, entry_id: int, *, editor: str, body: str | None = None, kind: str | None = None,
               media_url: str | None | object = KEEP, media_title: str | None = None, reason: str | None = None,
               now: dt.datetime | None = None) -> Entry:
    """Correct an entry in the open: it keeps its place, shows when it was updated, and its trail
    keeps what it said before, with the ``reason`` if one is given. An edit changing nothing is no edit."""
    when = now or now_utc()
    with store.transaction() as conn:
        store.lock_timeline(conn)
        entry = _writable(store, conn, entry_id)
        new_body = entry.body if body is None else body
        new_kind = kind or entry.kind
        media = entry.media if media_url is KEEP else _media(media_url, media_title)
        _refuse(check_entry(new_body, new_kind, media) + check_reason(reason))
        if (new_body, new_kind, media) == (entry.body, entry.kind, entry.media):
            return entry
        store.update_entry(conn, entry_id, {"body": new_body, "kind": new_kind, "updated_at": when,
                                            **_media_columns(media)})
        store.add_change(conn, entry_id, {"at": when, "action": EDITED, "editor": editor, "reason": reason or None,
                                          "body": new_body, **_media_columns(media)})
        return store.entry(entry_id, conn)


def pin_entry(store: Store, entry_id: int, pinned: bool = True, *, editor: str,
              now: dt.datetime | None = None) -> Entry:
    """Pin an entry at the top of the timeline (or unpin it). Not an edit: no "updated" mark."""
    with store.transaction() as conn:
        store.lock_timeline(conn)
        entry = _writable(store, conn, entry_id, bulletins_too=True)
        if entry.pinned == pinned:
            return entry
        store.update_entry(conn, entry_id, {"pinned": pinned})
        store.add_change(conn, entry_id, {"at": now or now_utc(), "action": PINNED if pinned else UNPINNED,
                                          "editor": editor})
        return store.entry(entry_id, conn)


def delete_entry(store: Store, entry_id: int, *, editor: str, reason: str | None = None,
                 now: dt.datetime | None = None) -> Entry:
    """Withdraw an entry: its text goes, a tombstone stays in its place with when and why."""
    _refuse(check_reason(reason))
    with store.transaction() as conn:
        store.lock_timeline(conn)
        entry = _found(store, conn, entry_id)
        if entry.deleted:
            return entry
        if entry.kind == BULLETIN:
            raise TimelineConflict(f"entry {entry_id} shows bulletin {entry.bulletin['number']}, which stays "
                                   "published; post a note beside it instead")
        when = now or now_utc()
        store.update_entry(conn, entry_id, {"deleted_at": when, "delete_reason": reason or None, "pinned": False})
        store.add_change(conn, entry_id, {"at": when, "action": DELETED, "editor": editor, "reason": reason or None})
        return store.entry(entry_id, conn)


# -- bulletins -------------------------------------------------------------------------------------

def bulletin_entry(store: Store, conn: Connection, bulletin: Bulletin, now: dt.datetime) -> Entry:
    """The entry of ``bulletin``, posted inside the caller's transaction unless it exists already:
    keyed by the bulletin's number, so announcing a bulletin again never duplicates it."""
    store.lock_timeline(conn)
    found = store.entry_for_bulletin(bulletin.number, conn)
    if found is not None:
        return found
    entry_id = store.add_entry(conn, {"kind": BULLETIN, "body": "", "pinned": False, "author": SYSTEM,
                                      "posted_at": now, "bulletin_number": bulletin.number,
                                      "data": bulletin_headline(bulletin.body, bulletin.root)})
    store.add_change(conn, entry_id, {"at": now, "action": POSTED, "editor": SYSTEM})
    return store.entry(entry_id, conn)


def announce_bulletin(store: Store, number: int) -> Entry:
    """Make sure published bulletin ``number`` has its entry (at the time it was published)."""
    with store.transaction() as conn:
        found = store.entry_for_bulletin(number, conn)
        if found is not None:
            return found
        bulletin = store.bulletin(number, conn)
        published = next(h["published_at"] for h in store.bulletin_heads(conn) if h["number"] == number)
        return bulletin_entry(store, conn, bulletin, published)


# -- readers ---------------------------------------------------------------------------------------

def read_timeline(store: Store, *, limit: int | None = None) -> Timeline:
    """The whole timeline, newest first (tombstones included), with trails and approved comments."""
    revision = store.last_change()
    entries = store.entries()
    return _with_details(store, entries[:limit] if limit else entries, revision)


def changed_since(store: Store, since: int = 0, limit: int = PAGE) -> Timeline:
    """Entries posted or changed after change number ``since``, in the order of those changes."""
    revision = store.last_change()
    entries = store.entries_changed(since, limit + 1)
    more = len(entries) > limit
    entries = entries[:limit]
    # Never ahead of the store: a ``since`` beyond it (a database started afresh) gets the store's number back.
    last = entries[-1].revision if more else max([revision] + [e.revision for e in entries])
    return _with_details(store, entries, last, more=more)


def entry_detail(store: Store, entry_id: int) -> Timeline:
    """One entry with its trail and approved comments."""
    revision = store.last_change()
    entry = store.entry(entry_id)
    if entry is None:
        raise NotFound("timeline entry", entry_id)
    return _with_details(store, [entry], revision)


def last_revision(store: Store) -> int:
    return store.last_change()


def _with_details(store: Store, entries: list[Entry], revision: int, more: bool = False) -> Timeline:
    ids = [e.id for e in entries]
    view = Timeline(entries, revision, more=more)
    for change in store.changes(ids):
        if change.action != COMMENTED:
            view.changes.setdefault(change.entry_id, []).append(change)
    for comment in store.comments(entry_ids=ids, status=APPROVED):
        view.comments.setdefault(comment.entry_id, []).append(comment)
    view.claims = claims.by_entry(store, set(ids))
    return view


# -- comments --------------------------------------------------------------------------------------

def add_comment(store: Store, entry_id: int, name: str, body: str, *, now: dt.datetime | None = None) -> Comment:
    """A reader's comment on an entry: stored as pending, shown only once an editor approves it."""
    name, body = name.strip(), body.strip()
    _refuse(check_comment(name, body))
    with store.transaction() as conn:
        entry = _found(store, conn, entry_id)
        if entry.deleted:
            raise TimelineConflict(f"entry {entry_id} was deleted; it takes no comments")
        comment_id = store.add_comment(conn, entry_id, name, body, PENDING, now or now_utc())
        return store.comment(comment_id, conn)


def moderate_comment(store: Store, comment_id: int, approve: bool, *, moderator: str, reason: str | None = None,
                     now: dt.datetime | None = None) -> Comment:
    """Approve (shown under its entry, live) or reject (never shown) a pending comment."""
    _refuse(check_reason(reason))
    when = now or now_utc()
    with store.transaction() as conn:
        store.lock_timeline(conn)
        comment = store.comment(comment_id, conn)
        if comment is None:
            raise NotFound("comment", comment_id)
        status = APPROVED if approve else REJECTED
        if not store.moderate_comment(conn, comment_id, status, moderator, reason or None, when):
            raise TimelineConflict(f"comment {comment_id} was already {comment.status}")
        if approve:  # a new revision of its entry: live readers and ?since= clients get the comment
            store.add_change(conn, comment.entry_id, {"at": when, "action": COMMENTED, "editor": moderator})
        return store.comment(comment_id, conn)


def list_comments(store: Store, status: str | None = PENDING) -> list[Comment]:
    """Comments with ``status`` (None: all), oldest first: what editors moderate."""
    return store.comments(status=status)


# -- helpers ---------------------------------------------------------------------------------------

def _found(store: Store, conn: Connection, entry_id: int) -> Entry:
    entry = store.entry(entry_id, conn)
    if entry is None:
        raise NotFound("timeline entry", entry_id)
    return entry


def _writable(store: Store, conn: Connection, entry_id: int, bulletins_too: bool = False) -> Entry:
    entry = _found(store, conn, entry_id)
    if entry.deleted:
        raise TimelineConflict(f"entry {entry_id} was deleted; post a new entry instead")
    if entry.kind not in WRITTEN_KINDS and not bulletins_too:
        raise TimelineConflict(f"entry {entry_id} shows a bulletin, which does not change; post a note instead")
    return entry


def _media(url: str | None, title: str | None) -> Media | None:
    if not url:
        return None
    return Media(url.strip(), (title or "").strip() or None)


def _media_columns(media: Media | None) -> dict:
    return {"media_url": media.url if media else None, "media_title": media.title if media else None}


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise EntryRejected("the timeline entry or comment was not stored", problems)

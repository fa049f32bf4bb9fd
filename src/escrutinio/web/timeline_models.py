"""The JSON shapes of the timeline API, declared once, and how an entry becomes one."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, StrictBool

from ..domain.timeline import (MAX_BODY, MAX_COMMENT, MAX_NAME, MAX_REASON, MAX_TITLE, MAX_URL, Change, Comment,
                               Entry, word_diff)
from ..publish.markdown import render_markdown
from ..services.timeline import Timeline
from .models import Strict
from .observation.claims import ClaimOut

# Patterns are checked by three regular-expression engines (Python's, pydantic's Rust one, and the
# ECMAScript one of OpenAPI clients) that disagree on `\s` (U+0085 is whitespace to two of them): so
# whitespace is spelled out as Python's str.isspace() knows it, the same set the domain's checks use.
CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
SPACE = r"\t\n\r\x0b\x0c\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Some text that is not only spaces, without control characters (tabs and line breaks allowed).
TEXT = rf"^[^{CONTROL}]*[^{SPACE}{CONTROL}][^{CONTROL}]*$"
OPTIONAL_TEXT = rf"^[^{CONTROL}]*$"
WEB_ADDRESS = rf"^https?://[^{SPACE}{CONTROL}/?#]+[^{SPACE}{CONTROL}]*$"


# -- what editors and readers send ----------------------------------------------------------------

class EntryIn(Strict):
    body: str = Field("", max_length=MAX_BODY, pattern=OPTIONAL_TEXT,
                      description="Markdown; may be empty only when the entry carries a media link")
    kind: Literal["note", "key"] = Field("note", description="key: a key event, highlighted and listed apart")
    pinned: StrictBool = False  # true or false: not 0, 1 or "yes"
    media_url: str | None = Field(None, max_length=MAX_URL, pattern=WEB_ADDRESS,
                                  description="An image (.png, .jpg, …) or a page to show as a link card")
    media_title: str | None = Field(None, max_length=MAX_TITLE, pattern=OPTIONAL_TEXT)


class EntryEdit(Strict):
    """Only the fields given change; ``media_url: null`` removes the media link."""

    body: str | None = Field(None, max_length=MAX_BODY, pattern=OPTIONAL_TEXT)
    kind: Literal["note", "key"] | None = None
    media_url: str | None = Field(None, max_length=MAX_URL, pattern=WEB_ADDRESS)
    media_title: str | None = Field(None, max_length=MAX_TITLE, pattern=OPTIONAL_TEXT)
    reason: str | None = Field(None, max_length=MAX_REASON, pattern=OPTIONAL_TEXT,
                               description="Why it was corrected: shown in the entry's public trail")


class CommentIn(Strict):
    name: str = Field(min_length=1, max_length=MAX_NAME, pattern=TEXT)
    body: str = Field(min_length=1, max_length=MAX_COMMENT, pattern=TEXT, description="Plain text")


class Moderation(Strict):
    reason: str | None = Field(None, max_length=MAX_REASON, pattern=OPTIONAL_TEXT)


# -- what the API answers ---------------------------------------------------------------------------

class MediaOut(Strict):
    url: str
    title: str | None
    kind: Literal["image", "link"]
    host: str


class HeadlineOption(Strict):
    code: str
    name: str
    votes: int
    percent: str | None


class HeadlineContest(Strict):
    code: str
    name: str
    options: list[HeadlineOption]
    tables_counted: int
    tables_expected: int
    register_counted_percent: str | None
    decided: bool


class BulletinHeadline(Strict):
    number: int
    cut_off: str
    cut_off_local: str
    url: str
    contests: list[HeadlineContest]


class CommentOut(Strict):
    id: int
    name: str
    body: str = Field(description="Plain text: escape it before showing it")
    posted_at: str


class EntryOut(Strict):
    id: int
    kind: Literal["note", "key", "bulletin"]
    pinned: bool
    author: str
    posted_at: str
    posted_at_local: str
    updated_at: str | None = Field(description="Set when the text or media was corrected")
    updated_at_local: str | None
    deleted: bool
    deleted_at: str | None
    delete_reason: str | None
    body: str = Field(description="Markdown as written (empty once deleted)")
    html: str = Field(description="The body as sanitised HTML (empty once deleted)")
    media: MediaOut | None
    bulletin: BulletinHeadline | None
    revision: int = Field(description="Number of the entry's latest change: what ?since= and event ids count")
    edits: int
    comments: list[CommentOut] = Field(description="Approved comments, oldest first")
    claims: list[ClaimOut] = Field(description="The claims this entry carries, each with its verdicts (GET /api/v1/claims)")
    url: str


class DiffRun(Strict):
    op: Literal["same", "removed", "added"]
    text: str


class ChangeOut(Strict):
    id: int
    at: str
    at_local: str
    action: Literal["posted", "edited", "pinned", "unpinned", "deleted"]
    editor: str
    reason: str | None
    body: str | None = Field(description="What a post or an edit made the text (null once deleted)")
    diff: list[DiffRun] | None = Field(description="An edit's changes, word by word (null once deleted)")


class EntryDetailOut(EntryOut):
    trail: list[ChangeOut]


class TimelineOut(Strict):
    entries: list[EntryOut] = Field(description="Entries posted or changed after ?since=, in change order")
    last: int = Field(description="Give this as ?since= next time")
    more: bool = Field(description="More changes wait: ask again at once with ?since=last")


class CommentModerated(Strict):
    id: int
    entry_id: int
    name: str
    body: str
    status: Literal["pending", "approved", "rejected"]
    posted_at: str
    moderated_at: str | None
    moderator: str | None
    reason: str | None


# -- building them ----------------------------------------------------------------------------------

def entry_out(view: Timeline, entry: Entry, zone: ZoneInfo) -> dict:
    gone = entry.deleted
    return {
        "id": entry.id, "kind": entry.kind, "pinned": entry.pinned, "author": entry.author,
        "posted_at": _iso(entry.posted_at), "posted_at_local": _iso(entry.posted_at, zone),
        "updated_at": _iso(entry.updated_at), "updated_at_local": _iso(entry.updated_at, zone),
        "deleted": gone, "deleted_at": _iso(entry.deleted_at), "delete_reason": entry.delete_reason,
        "body": "" if gone else entry.body, "html": "" if gone else render_markdown(entry.body),
        "media": None if gone or entry.media is None else {
            "url": entry.media.url, "title": entry.media.title, "kind": entry.media.kind, "host": entry.media.host},
        "bulletin": {**entry.bulletin, "url": f"/bulletins/{entry.bulletin['number']}"} if entry.bulletin else None,
        "revision": entry.revision, "edits": sum(c.action == "edited" for c in view.trail(entry.id)),
        "comments": [comment_out(c) for c in view.comments.get(entry.id, [])],
        "claims": view.claims.get(entry.id, []),
        "url": f"/timeline/entries/{entry.id}",
    }


def entry_detail_out(view: Timeline, entry: Entry, zone: ZoneInfo) -> dict:
    return {**entry_out(view, entry, zone), "trail": trail_out(view.trail(entry.id), entry.deleted, zone)}


def trail_out(changes: list[Change], deleted: bool, zone: ZoneInfo) -> list[dict]:
    out, before = [], ""
    for change in changes:
        diff = None
        if change.action == "edited" and not deleted:
            diff = [{"op": op, "text": text} for op, text in word_diff(before, change.body or "")]
        out.append({"id": change.id, "at": _iso(change.at), "at_local": _iso(change.at, zone),
                    "action": change.action, "editor": change.editor, "reason": change.reason,
                    "body": None if deleted else change.body, "diff": diff})
        if change.body is not None:
            before = change.body
    return out


def comment_out(comment: Comment) -> dict:
    return {"id": comment.id, "name": comment.name, "body": comment.body, "posted_at": _iso(comment.posted_at)}


def moderated_out(comment: Comment) -> dict:
    return {"id": comment.id, "entry_id": comment.entry_id, "name": comment.name, "body": comment.body,
            "status": comment.status, "posted_at": _iso(comment.posted_at),
            "moderated_at": _iso(comment.moderated_at), "moderator": comment.moderator, "reason": comment.reason}


def _iso(value: dt.datetime | None, zone: ZoneInfo | None = None) -> str | None:
    if value is None:
        return None
    return value.astimezone(zone or dt.timezone.utc).isoformat()

"""The timeline's JSON API: read it, follow it live, comment; editors post, correct, pin, delete, moderate."""

from __future__ import annotations

import asyncio
import math
from zoneinfo import ZoneInfo

from typing import Literal

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from .. import services
from ..domain.errors import NotFound
from .api import EventStreamResponse
from .auth import operator, operator_name
from .caching import cached
from .models import Whole
from .timeline_models import (CommentIn, CommentModerated, EntryDetailOut, EntryEdit, EntryIn, EntryOut, Moderation,
                              TimelineOut, entry_detail_out, entry_out, moderated_out)

PROBLEM = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
           "description": "Problem details (RFC 9457)"}
ERRORS = {404: PROBLEM, 409: PROBLEM, 422: PROBLEM}
OPERATOR = {401: PROBLEM, 403: PROBLEM}
MAX_ID = 2**31 - 1
COMMENTS_PER_MINUTE = 3
router = APIRouter(prefix="/api/v1/timeline", tags=["timeline"], responses={503: PROBLEM})
timeline = services.timeline


def _store(request: Request):
    return request.app.state.store


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(_store(request).election().time_zone)


def _id(kind: str, value: int) -> int:
    if not 1 <= value <= MAX_ID:  # beyond a database integer: unknown, not a server error
        raise NotFound(kind, value)
    return value


async def _changed(request: Request, work, *args, **kwargs) -> dict:
    """Run an editor's change, wake the live watcher, answer the entry as it now is."""
    entry = await asyncio.to_thread(work, _store(request), *args, **kwargs)
    request.app.state.timeline.poke()
    view = await asyncio.to_thread(timeline.entry_detail, _store(request), entry.id)
    return entry_out(view, view.entries[0], _zone(request))


# -- readers -----------------------------------------------------------------------------------------

@router.get("", response_model=TimelineOut)
def read(request: Request, since: Whole = Query(0, ge=0, le=2**62, description="Only entries posted or changed "
         "after this change number (the `last` of your previous call)"),
         limit: Whole = Query(200, ge=1, le=1000)):
    """Entries posted or changed after ?since=, in change order; deleted ones as tombstones."""
    view = timeline.changed_since(_store(request), since, limit)
    zone = _zone(request)
    body = {"entries": [entry_out(view, e, zone) for e in view.entries], "last": view.revision, "more": view.more}
    return cached(request, body, max_age=2)


@router.get("/entries/{entry_id}", response_model=EntryDetailOut, responses={404: PROBLEM})
def read_entry(request: Request, entry_id: Whole):
    """One entry with its public trail: every post, correction, pin and deletion, when, by whom and why."""
    view = timeline.entry_detail(_store(request), _id("timeline entry", entry_id))
    return cached(request, entry_detail_out(view, view.entries[0], _zone(request)), max_age=2)


@router.get("/events", response_class=EventStreamResponse,
            responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                             "description": "Server-sent events: see docs/timeline.md"}})
async def events(request: Request, since: Whole | None = Query(None, ge=0, le=2**62, description="First send "
                 "every entry changed after this change number"),
                 last_event_id: str | None = Header(None, include_in_schema=False)):
    """Live stream: an event `entry` (the entry as JSON, id = its revision) at each post or change."""
    if last_event_id and last_event_id.isdigit():  # a reconnecting browser says where it stopped
        since = int(last_event_id)
    return request.app.state.stream_slots.open(request, request.app.state.timeline.stream(since),
                                               media_type="text/event-stream",
                                               headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.post("/entries/{entry_id}/comments", status_code=202, response_model=CommentModerated,
             responses=ERRORS, openapi_extra={"security": []})
async def comment(request: Request, entry_id: Whole, sent: CommentIn):
    """Comment on an entry with your name: held for an editor, shown under the entry once approved.
    A few comments a minute per address (429 with Retry-After beyond that)."""
    limit_comments(request)
    done = await asyncio.to_thread(timeline.add_comment, _store(request), _id("timeline entry", entry_id),
                                   sent.name, sent.body)
    return moderated_out(done)


def limit_comments(request: Request) -> None:
    """A few comments a minute per address: a flood from one client waits (429), the others do not."""
    allowed, wait = request.app.state.comment_limiter.allow(request.client.host if request.client else "unknown")
    if not allowed:
        raise HTTPException(429, "too many comments from this address; wait a little",
                            headers={"Retry-After": str(max(1, math.ceil(wait)))})


# -- editors -----------------------------------------------------------------------------------------

@router.post("/entries", status_code=201, response_model=EntryOut, responses={**OPERATOR, 422: PROBLEM})
async def post(request: Request, sent: EntryIn):
    """Post an entry (editor): a note or a key event, in Markdown, perhaps pinned, perhaps with a media link."""
    who = await operator(request, "editor")
    return await _changed(request, timeline.post_entry, sent.body, author=who["name"], editor=operator_name(who),
                          kind=sent.kind,
                          pinned=sent.pinned, media_url=sent.media_url, media_title=sent.media_title)


@router.patch("/entries/{entry_id}", response_model=EntryOut, responses={**OPERATOR, **ERRORS})
async def edit(request: Request, entry_id: Whole, sent: EntryEdit):
    """Correct an entry (editor): it keeps its place, shows "updated", and its trail keeps the old text."""
    who = await operator(request, "editor")
    media = {"media_url": sent.media_url, "media_title": sent.media_title} if "media_url" in sent.model_fields_set \
        else {}
    return await _changed(request, timeline.edit_entry, _id("timeline entry", entry_id), editor=operator_name(who),
                          body=sent.body, kind=sent.kind, reason=sent.reason, **media)


@router.put("/entries/{entry_id}/pin", response_model=EntryOut, responses={**OPERATOR, **ERRORS})
async def pin(request: Request, entry_id: Whole):
    """Pin an entry at the top of the timeline (editor)."""
    who = await operator(request, "editor")
    return await _changed(request, timeline.pin_entry, _id("timeline entry", entry_id), True,
                          editor=operator_name(who))


@router.delete("/entries/{entry_id}/pin", response_model=EntryOut, responses={**OPERATOR, **ERRORS})
async def unpin(request: Request, entry_id: Whole):
    """Unpin an entry (editor)."""
    who = await operator(request, "editor")
    return await _changed(request, timeline.pin_entry, _id("timeline entry", entry_id), False,
                          editor=operator_name(who))


@router.delete("/entries/{entry_id}", response_model=EntryOut, responses={**OPERATOR, **ERRORS})
async def delete(request: Request, entry_id: Whole, reason: str | None = Query(
        None, max_length=1000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$",
        description="Why it was withdrawn: shown on its tombstone")):
    """Withdraw an entry (editor): a tombstone stays in its place, with when and why."""
    who = await operator(request, "editor")
    return await _changed(request, timeline.delete_entry, _id("timeline entry", entry_id),
                          editor=operator_name(who), reason=reason)


@router.put("/bulletins/{number}", response_model=EntryOut, responses={**OPERATOR, **ERRORS})
async def announce(request: Request, number: Whole):
    """Make sure bulletin NUMBER has its entry (editor). Publishing posts it already; this never duplicates it."""
    await operator(request, "editor")
    return await _changed(request, timeline.announce_bulletin, _id("bulletin", number))


@router.get("/comments", response_model=list[CommentModerated], responses={**OPERATOR, 422: PROBLEM})
async def comments(request: Request, status: Literal["pending", "approved", "rejected", "all"] = "pending"):
    """Comments to moderate (editor), oldest first."""
    await operator(request, "editor")
    found = await asyncio.to_thread(timeline.list_comments, _store(request), None if status == "all" else status)
    return JSONResponse([moderated_out(c) for c in found])


@router.post("/comments/{comment_id}/approve", response_model=CommentModerated, responses={**OPERATOR, **ERRORS})
async def approve(request: Request, comment_id: Whole, sent: Moderation | None = None):
    """Approve a pending comment (editor): it appears under its entry, live."""
    return await _moderate(request, comment_id, True, sent)


@router.post("/comments/{comment_id}/reject", response_model=CommentModerated, responses={**OPERATOR, **ERRORS})
async def reject(request: Request, comment_id: Whole, sent: Moderation | None = None):
    """Reject a pending comment (editor): it is never shown."""
    return await _moderate(request, comment_id, False, sent)


async def _moderate(request: Request, comment_id: int, approve: bool, sent: Moderation | None) -> dict:
    who = await operator(request, "editor")
    done = await asyncio.to_thread(timeline.moderate_comment, _store(request), _id("comment", comment_id), approve,
                                   moderator=operator_name(who), reason=sent.reason if sent else None)
    request.app.state.timeline.poke()
    return moderated_out(done)

"""The live coverage timeline as plain data: entries, their changes, readers' comments.

An entry is a note, a key event or a bulletin (posted by the system when a
bulletin is published, one per bulletin number). Entries are never rewritten
in silence: every post, edit, pin and deletion is a numbered change, and the
number of an entry's latest change is its ``revision`` — what live readers
and ``?since=`` clients follow. A deleted entry stays as a tombstone.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import Problem

NOTE, KEY, BULLETIN = "note", "key", "bulletin"
KINDS = (NOTE, KEY, BULLETIN)
WRITTEN_KINDS = (NOTE, KEY)  # bulletin entries are the system's, never an editor's
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
COMMENT_STATUSES = (PENDING, APPROVED, REJECTED)
# What a change did; the trail of an entry shows them all, comments aside.
POSTED, EDITED, PINNED, UNPINNED, DELETED, COMMENTED = "posted", "edited", "pinned", "unpinned", "deleted", "comment"

MAX_BODY = 20_000
MAX_REASON = 1_000
MAX_URL = 2_000
MAX_TITLE = 300
MAX_NAME = 80
MAX_COMMENT = 2_000
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Media:
    """A link an entry carries: shown as an image when it names one, otherwise as a link card."""

    url: str
    title: str | None

    @property
    def kind(self) -> str:
        return "image" if urlsplit(self.url).path.lower().endswith(IMAGE_SUFFIXES) else "link"

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


@dataclass(frozen=True)
class Entry:
    id: int
    kind: str
    body: str  # Markdown, as the editor wrote it
    pinned: bool
    media: Media | None
    bulletin: dict | None  # bulletin entries: number, cut-off and headline figures
    author: str
    posted_at: dt.datetime
    updated_at: dt.datetime | None
    deleted_at: dt.datetime | None
    delete_reason: str | None
    revision: int

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True)
class Change:
    """One numbered change to an entry: what it became (body, media), who, when and why."""

    id: int
    entry_id: int
    at: dt.datetime
    action: str
    editor: str
    reason: str | None
    body: str | None
    media: Media | None


@dataclass(frozen=True)
class Comment:
    id: int
    entry_id: int
    name: str
    body: str  # plain text, shown escaped
    status: str
    posted_at: dt.datetime
    moderated_at: dt.datetime | None
    moderator: str | None
    reason: str | None


def check_entry(body: str, kind: str, media: Media | None) -> list[Problem]:
    """Every problem of an entry an editor writes (empty: it may be posted)."""
    problems = []
    if kind not in WRITTEN_KINDS:
        problems.append(Problem("kind", f"unknown kind {kind!r}", f"use one of: {', '.join(WRITTEN_KINDS)}"))
    problems += check_text("body", body, MAX_BODY, required=media is None)
    if media is not None:
        problems += check_media(media)
    return problems


def check_media(media: Media) -> list[Problem]:
    problems = check_text("media_title", media.title or "", MAX_TITLE, required=False)
    parts = urlsplit(media.url) if len(media.url) <= MAX_URL else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
            or any(ch.isspace() for ch in media.url) or _CONTROL.search(media.url):
        problems.append(Problem("media_url", "not a web address",
                                f"give an http:// or https:// address of at most {MAX_URL} characters"))
    return problems


def check_reason(reason: str | None) -> list[Problem]:
    return check_text("reason", reason or "", MAX_REASON, required=False)


def check_comment(name: str, body: str) -> list[Problem]:
    return check_text("name", name, MAX_NAME, required=True) + check_text("body", body, MAX_COMMENT, required=True)


def check_text(field: str, text: str, limit: int, *, required: bool) -> list[Problem]:
    if required and not text.strip():
        return [Problem(field, "is empty", "write something")]
    if len(text) > limit:
        return [Problem(field, f"is {len(text):,} characters long", f"keep it to {limit:,} characters")]
    if _CONTROL.search(text):
        return [Problem(field, "holds control characters", "send plain text")]
    return []


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """What an edit changed, word by word: ("same" | "removed" | "added", text) runs in reading order."""
    before, after = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    runs: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if op == "equal":
            runs.append(("same", "".join(before[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("removed", "".join(before[i1:i2])))
        if j2 > j1:
            runs.append(("added", "".join(after[j1:j2])))
    return [run for run in runs if run[1]]


def bulletin_headline(body: dict, country: dict) -> dict:
    """The figures a bulletin entry shows: per contest at the whole country, the options and progress.

    ``body`` is the bulletin's head, ``country`` its entry for the root area.
    """
    contests = []
    for contest in body["contests"]:
        figures = country["results"].get(contest["code"])
        if figures is None:
            continue
        names = {o["code"]: o["name"] for o in contest["options"]}
        contests.append({
            "code": contest["code"], "name": contest["name"],
            "options": [{"code": o["code"], "name": names[o["code"]], "votes": o["votes"], "percent": o["percent"]}
                        for o in figures["options"]],
            "tables_counted": figures["tables"]["counted"], "tables_expected": figures["tables"]["expected"],
            "register_counted_percent": figures["register_counted_percent"],
            "decided": figures["decided"]["decided"],
        })
    return {"number": body["number"], "cut_off": body["cut_off"], "cut_off_local": body["cut_off_local"],
            "contests": contests}

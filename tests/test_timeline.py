"""The live coverage timeline, on SQLite and PostgreSQL: entries and their public trail, pins,
tombstones, one entry per bulletin, comments and their moderation, the API's tokens and rate
limit, the live broadcast, the feeds, and Markdown that cannot carry a script onto the page."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import threading
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from escrutinio.domain.errors import EntryRejected, NotFound, TimelineConflict
from escrutinio.intake.actas import Record
from escrutinio.publish.markdown import render_markdown
from escrutinio.services import ingest_records, publish_bulletin
from escrutinio.services import timeline as tl
from escrutinio.services.tokens import create_token
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app
from escrutinio.web.timeline_live import TimelineHub

from .conftest import WAIT_SECONDS, asgi_get_scope
from .factory import acta

API = "/api/v1/timeline"
T0 = dt.datetime(2024, 5, 5, 22, 0, tzinfo=dt.timezone.utc)  # 18:00 in Caracas, when the small election closes


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def post(store, body: str, minutes: int = 0, **kwargs):
    return tl.post_entry(store, body, author="Ana", now=at(minutes), **kwargs)


# -- entries and their trail -------------------------------------------------------------------------

def test_entries_are_listed_newest_first_by_when_they_were_posted(small_store):
    first = post(small_store, "Polls close.", 0)
    second = post(small_store, "First actas in.", 10)
    third = post(small_store, "A late note about 18:05.", 20)
    view = tl.read_timeline(small_store)
    assert [e.id for e in view.entries] == [third.id, second.id, first.id]
    assert [e.revision for e in (first, second, third)] == [1, 2, 3]
    assert view.revision == 3


def test_an_edit_keeps_the_entry_in_its_place_and_its_trail_keeps_the_old_text(small_store):
    first = post(small_store, "Turnout at noon: 40 %.", 0)
    post(small_store, "Queues in the north.", 5)
    edited = tl.edit_entry(small_store, first.id, editor="Ana (token 1)", body="Turnout at noon: 30 %.",
                           reason="we misread the figure", now=at(30))
    view = tl.read_timeline(small_store)
    assert [e.id for e in view.entries][-1] == first.id  # still the oldest: it has not moved
    assert edited.posted_at == first.posted_at and edited.updated_at == at(30)
    assert edited.body == "Turnout at noon: 30 %."
    trail = view.trail(first.id)
    assert [(c.action, c.body, c.reason) for c in trail] == [
        ("posted", "Turnout at noon: 40 %.", None),
        ("edited", "Turnout at noon: 30 %.", "we misread the figure")]
    assert trail[1].at == at(30) and trail[1].editor == "Ana (token 1)"


def test_an_edit_that_changes_nothing_is_no_edit(small_store):
    entry = post(small_store, "Same words.")
    again = tl.edit_entry(small_store, entry.id, editor="Ana", body="Same words.", reason="none")
    assert again.updated_at is None and again.revision == entry.revision
    assert [c.action for c in tl.read_timeline(small_store).trail(entry.id)] == ["posted"]


def test_the_trail_shows_an_edit_word_by_word(small_store):
    from escrutinio.domain.timeline import word_diff

    assert word_diff("64 people were arrested today", "46 people were arrested today") == [
        ("removed", "64"), ("added", "46"), ("same", " people were arrested today")]
    assert "".join(t for op, t in word_diff("a b c", "a x c") if op != "removed") == "a x c"
    assert "".join(t for op, t in word_diff("a b c", "a x c") if op != "added") == "a b c"


def test_pinning_is_not_an_edit(small_store):
    entry = post(small_store, "Key moment.", kind="key")
    pinned = tl.pin_entry(small_store, entry.id, True, editor="Ana", now=at(3))
    assert pinned.pinned and pinned.updated_at is None and pinned.revision > entry.revision
    assert tl.pin_entry(small_store, entry.id, True, editor="Ana").revision == pinned.revision  # already pinned
    unpinned = tl.pin_entry(small_store, entry.id, False, editor="Ana", now=at(4))
    assert not unpinned.pinned
    assert [c.action for c in tl.read_timeline(small_store).trail(entry.id)] == ["posted", "pinned", "unpinned"]


def test_a_deleted_entry_leaves_a_tombstone_in_its_place(small_store):
    keep = post(small_store, "Confirmed.", 0)
    rumour = post(small_store, "Unconfirmed figures say YES leads.", 5, pinned=True)
    post(small_store, "Later.", 10)
    gone = tl.delete_entry(small_store, rumour.id, editor="Ana", reason="no official source", now=at(15))
    view = tl.read_timeline(small_store)
    assert [e.id for e in view.entries][1] == rumour.id  # still there, between the two others
    assert gone.deleted and gone.deleted_at == at(15) and gone.delete_reason == "no official source"
    assert not gone.pinned
    assert tl.delete_entry(small_store, rumour.id, editor="Ana").revision == gone.revision  # again: no change
    with pytest.raises(TimelineConflict):
        tl.edit_entry(small_store, rumour.id, editor="Ana", body="Reworded rumour.")
    with pytest.raises(TimelineConflict):
        tl.add_comment(small_store, rumour.id, "Luis", "What did it say?")
    assert not tl.read_timeline(small_store).entries[2].deleted and keep.id == view.entries[2].id


def test_what_an_editor_writes_is_checked_before_anything_is_stored(small_store):
    with pytest.raises(EntryRejected) as raised:
        tl.post_entry(small_store, "  ", author="Ana", kind="rumour")
    assert {p.field for p in raised.value.problems} == {"kind", "body"}  # every problem at once
    with pytest.raises(EntryRejected) as raised:
        tl.post_entry(small_store, "x" * 20_001, author="Ana", media_url="javascript:alert(1)")
    assert {p.field for p in raised.value.problems} == {"body", "media_url"}
    for address in ("data:text/html;base64,PHNjcmlwdD4=", "ftp://example.org/x.png", "https://", "https://a b"):
        with pytest.raises(EntryRejected):
            tl.post_entry(small_store, "x", author="Ana", media_url=address)
    assert tl.read_timeline(small_store).entries == [] and tl.last_revision(small_store) == 0
    with pytest.raises(NotFound):
        tl.edit_entry(small_store, 99, editor="Ana", body="x")


def test_a_media_link_is_an_image_or_a_link_card(small_store):
    image = post(small_store, "", media_url="https://example.org/photos/queue.JPG", media_title="The queue")
    link = post(small_store, "Read the rules.", media_url="https://example.org/rules?lang=es")
    assert (image.media.kind, image.media.title, image.media.host) == ("image", "The queue", "example.org")
    assert (link.media.kind, link.media.title) == ("link", None)
    removed = tl.edit_entry(small_store, link.id, editor="Ana", media_url=None)
    assert removed.media is None and removed.body == "Read the rules."


# -- bulletins ---------------------------------------------------------------------------------------

def test_publishing_a_bulletin_posts_its_entry_with_the_headline_figures(small_store):
    ingest_records(small_store, [Record("t", 1, acta("T1", votes={"YES": 70, "NO": 30})),
                                 Record("t", 2, acta("T2", votes={"YES": 10, "NO": 40}))])
    bulletin = publish_bulletin(small_store, now=at(60))
    [entry] = tl.read_timeline(small_store).entries
    assert entry.kind == "bulletin" and entry.posted_at == at(60)
    headline = entry.bulletin
    assert headline["number"] == bulletin.number == 1
    question = next(c for c in headline["contests"] if c["code"] == "Q")
    assert [(o["code"], o["votes"]) for o in question["options"]] == [("YES", 80), ("NO", 70)]  # 70+10, 30+40
    assert [o["percent"] for o in question["options"]] == ["53.33", "46.66"]  # 80/150, 70/150 truncated
    assert (question["tables_counted"], question["tables_expected"]) == (2, 6)


def test_announcing_a_bulletin_again_never_duplicates_its_entry(small_store):
    publish_bulletin(small_store)
    first = tl.announce_bulletin(small_store, 1)
    again = tl.announce_bulletin(small_store, 1)
    assert first.id == again.id and first.revision == again.revision
    assert [e.kind for e in tl.read_timeline(small_store).entries] == ["bulletin"]
    with pytest.raises(NotFound):
        tl.announce_bulletin(small_store, 2)
    with pytest.raises(TimelineConflict):
        tl.delete_entry(small_store, first.id, editor="Ana")


# -- following the timeline ----------------------------------------------------------------------------

def test_changed_since_gives_what_changed_after_a_revision_in_change_order(small_store):
    a = post(small_store, "A", 0)
    b = post(small_store, "B", 1)
    since = tl.last_revision(small_store)
    c = post(small_store, "C", 2)
    tl.edit_entry(small_store, a.id, editor="Ana", body="A, corrected")
    page = tl.changed_since(small_store, since)
    assert [e.id for e in page.entries] == [c.id, a.id] and page.revision == since + 2 and not page.more
    assert tl.changed_since(small_store, page.revision).entries == []
    first = tl.changed_since(small_store, 0, limit=2)
    assert [e.id for e in first.entries] == [b.id, c.id] and first.more and first.revision == 3
    assert [e.id for e in tl.changed_since(small_store, first.revision).entries] == [a.id]
    assert tl.changed_since(small_store, 999).revision == since + 2  # a client ahead of the store learns so


def test_concurrent_editors_get_gapless_change_numbers_in_commit_order(small_store):
    errors = []

    def write(n: int) -> None:
        try:
            for i in range(5):
                tl.post_entry(small_store, f"writer {n}, entry {i}", author=f"editor {n}")
        except Exception as exc:  # noqa: BLE001 - the test reports any failure of a writer
            errors.append(exc)

    writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    assert errors == []
    view = tl.read_timeline(small_store)
    assert sorted(e.revision for e in view.entries) == list(range(1, 21))
    assert sorted(c.id for e in view.entries for c in view.trail(e.id)) == list(range(1, 21))


# -- comments ----------------------------------------------------------------------------------------------

def test_a_comment_is_shown_only_once_an_editor_approves_it(small_store):
    entry = post(small_store, "Polls close.")
    comment = tl.add_comment(small_store, entry.id, " Luis ", "Queue still long at my school.")
    assert (comment.status, comment.name) == ("pending", "Luis")
    assert tl.read_timeline(small_store).comments == {}
    assert [c.id for c in tl.list_comments(small_store)] == [comment.id]
    before = tl.last_revision(small_store)
    approved = tl.moderate_comment(small_store, comment.id, True, moderator="Ana")
    assert approved.status == "approved" and approved.moderator == "Ana"
    view = tl.read_timeline(small_store)
    assert [c.body for c in view.comments[entry.id]] == ["Queue still long at my school."]
    assert view.entries[0].revision == before + 1  # a new revision: live readers get the comment
    assert [c.action for c in view.trail(entry.id)] == ["posted"]  # but the entry's text trail is unchanged
    with pytest.raises(TimelineConflict):
        tl.moderate_comment(small_store, comment.id, False, moderator="Ana")


def test_a_rejected_comment_is_never_shown(small_store):
    entry = post(small_store, "Polls close.")
    comment = tl.add_comment(small_store, entry.id, "Spam", "Buy now")
    revision = tl.last_revision(small_store)
    tl.moderate_comment(small_store, comment.id, False, moderator="Ana", reason="advertising")
    assert tl.read_timeline(small_store).comments == {} and tl.last_revision(small_store) == revision
    assert tl.list_comments(small_store, "rejected")[0].reason == "advertising"
    with pytest.raises(EntryRejected):
        tl.add_comment(small_store, entry.id, "   ", "no name")
    with pytest.raises(NotFound):
        tl.add_comment(small_store, 99, "Luis", "hello")


# -- Markdown ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)" onclick="alert(1)">x</a>',
    "![x](javascript:alert(1))",
    '<iframe src="https://evil.example"></iframe>',
    "[x](https://ok.example \"t\" onmouseover=alert(1))",
])
def test_markdown_cannot_carry_a_script_or_an_unsafe_link(source):
    tags = _tags(render_markdown(source))
    assert {name for name, _ in tags} <= {"p", "a", "em", "strong"}, tags
    for name, attributes in tags:
        assert not [key for key in attributes if key.startswith("on")], tags
        for key in ("href", "src"):
            assert not (attributes.get(key) or "").strip().lower().startswith(("javascript:", "data:")), tags


def _tags(html: str) -> list[tuple[str, dict]]:
    """Every element of ``html`` as a browser's parser sees it: (tag, attributes)."""
    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collect().feed(html)
    return found


def test_markdown_keeps_what_editors_write():
    html = render_markdown("# Close\n\n**Bold**, *italic*, [CNE](https://www.cne.gob.ve/) and a list:\n\n- one\n- two")
    assert "<h3>Close</h3>" in html  # the page has its own h1 and h2
    assert "<strong>Bold</strong>" in html and "<em>italic</em>" in html and "<li>two</li>" in html
    assert '<a href="https://www.cne.gob.ve/" rel="noopener noreferrer nofollow ugc">CNE</a>' in html


# -- the API -------------------------------------------------------------------------------------------------

@pytest.fixture
def client(small_store):
    app = create_app(load_settings(database_url=small_store.url, live_poll_seconds=0.05), small_store)
    with TestClient(app) as client:
        for role in ("editor", "transmission", "observer", "admin"):
            _, token = create_token(small_store, f"{role} person", role)
            setattr(client, role, {"Authorization": f"Bearer {token}"})
        yield client


def test_only_editors_and_admins_write_the_timeline(client):
    body = {"body": "Polls close at 18:00.", "kind": "key"}
    assert client.post(f"{API}/entries", json=body).status_code == 401
    assert client.post(f"{API}/entries", json=body, headers={"Authorization": "Bearer esc_nope"}).status_code == 401
    for role in ("transmission", "observer"):
        refused = client.post(f"{API}/entries", json=body, headers=getattr(client, role))
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    done = client.post(f"{API}/entries", json=body, headers=client.editor)
    assert done.status_code == 201
    assert (done.json()["kind"], done.json()["author"]) == ("key", "editor person")
    assert client.post(f"{API}/entries", json=body, headers=client.admin).status_code == 201
    entry = done.json()["id"]
    for method, path in (("patch", f"/entries/{entry}"), ("put", f"/entries/{entry}/pin"),
                         ("delete", f"/entries/{entry}/pin"), ("delete", f"/entries/{entry}"),
                         ("put", "/bulletins/1"), ("get", "/comments"), ("post", "/comments/1/approve"),
                         ("post", "/comments/1/reject")):
        kwargs = {"json": {}} if method in ("patch", "post") else {}
        assert getattr(client, method)(API + path, **kwargs).status_code == 401, path
        assert getattr(client, method)(API + path, headers=client.observer, **kwargs).status_code == 403, path


def test_an_edit_over_the_api_shows_when_and_why_in_the_entry_trail(client):
    entry = client.post(f"{API}/entries", json={"body": "64 arrested."}, headers=client.editor).json()
    edited = client.patch(f"{API}/entries/{entry['id']}", json={"body": "46 arrested.", "reason": "typo"},
                          headers=client.editor).json()
    assert edited["updated_at"] and edited["posted_at"] == entry["posted_at"] and edited["edits"] == 1
    detail = client.get(f"{API}/entries/{entry['id']}").json()
    assert [(c["action"], c["reason"]) for c in detail["trail"]] == [("posted", None), ("edited", "typo")]
    assert detail["trail"][1]["diff"] == [{"op": "removed", "text": "64"}, {"op": "added", "text": "46"},
                                          {"op": "same", "text": " arrested."}]
    assert detail["trail"][1]["editor"].startswith("editor person (token ")
    gone = client.delete(f"{API}/entries/{entry['id']}", params={"reason": "duplicate"}, headers=client.editor)
    assert gone.json()["deleted"] and gone.json()["body"] == gone.json()["html"] == ""
    tombstone = client.get(f"{API}/entries/{entry['id']}").json()
    assert [c["body"] for c in tombstone["trail"]] == [None, None, None]  # what it said is withdrawn too
    assert tombstone["delete_reason"] == "duplicate"
    assert client.patch(f"{API}/entries/{entry['id']}", json={"body": "x"}, headers=client.editor).status_code == 409
    assert client.get(f"{API}/entries/12345").status_code == 404
    assert client.get(f"{API}/entries/99999999999").status_code == 404


def test_publishing_the_same_bulletin_twice_leaves_one_bulletin_entry(client, small_store):
    publish_bulletin(small_store)
    for _ in range(2):
        assert client.put(f"{API}/bulletins/1", headers=client.editor).status_code == 200
    entries = client.get(API).json()["entries"]
    assert [(e["kind"], e["bulletin"]["number"], e["bulletin"]["url"]) for e in entries] == [
        ("bulletin", 1, "/bulletins/1")]
    assert client.put(f"{API}/bulletins/2", headers=client.editor).status_code == 404


def test_a_comment_is_invisible_until_approved_and_a_burst_is_rate_limited(client, small_store):
    entry = client.post(f"{API}/entries", json={"body": "Polls close."}, headers=client.editor).json()
    sent = client.post(f"{API}/entries/{entry['id']}/comments", json={"name": "Luis", "body": "Long queue here."})
    assert sent.status_code == 202 and sent.json()["status"] == "pending"
    assert client.get(f"{API}/entries/{entry['id']}").json()["comments"] == []
    assert "Long queue here." not in client.get("/timeline").text
    pending = client.get(f"{API}/comments", headers=client.editor).json()
    assert [c["body"] for c in pending] == ["Long queue here."]
    approved = client.post(f"{API}/comments/{pending[0]['id']}/approve", headers=client.editor)
    assert approved.json()["status"] == "approved"
    assert [c["name"] for c in client.get(f"{API}/entries/{entry['id']}").json()["comments"]] == ["Luis"]
    assert "Long queue here." in client.get("/timeline").text
    statuses = [client.post(f"{API}/entries/{entry['id']}/comments", json={"name": "Bot", "body": f"spam {n}"})
                .status_code for n in range(6)]
    assert statuses == [202, 202, 429, 429, 429, 429]  # three a minute from one address, the first included
    limited = client.post(f"{API}/entries/{entry['id']}/comments", json={"name": "Bot", "body": "more"})
    assert int(limited.headers["retry-after"]) >= 1 and limited.headers["content-type"] == "application/problem+json"
    other = TestClient(client.app, client=("198.51.100.7", 4000))
    assert other.post(f"{API}/entries/{entry['id']}/comments", json={"name": "Eva", "body": "hi"}).status_code == 202
    assert len(client.get(f"{API}/comments", headers=client.editor).json()) == 3  # Bot twice, Eva once


def test_since_answers_only_what_changed_and_can_be_cached(client):
    first = client.post(f"{API}/entries", json={"body": "One."}, headers=client.editor).json()
    page = client.get(API)
    assert page.headers["cache-control"] == "public, max-age=2" and page.headers["etag"]
    assert client.get(API, headers={"If-None-Match": page.headers["etag"]}).status_code == 304
    last = page.json()["last"]
    assert client.get(API, params={"since": last}).json() == {"entries": [], "last": last, "more": False}
    second = client.post(f"{API}/entries", json={"body": "Two."}, headers=client.editor).json()
    newer = client.get(API, params={"since": last}).json()
    assert [e["id"] for e in newer["entries"]] == [second["id"]] and newer["last"] == second["revision"]
    assert first["id"] != second["id"]




def _sse_events(app, query: str, headers: list, until, timeout: float = WAIT_SECONDS) -> list[tuple[str, str, dict]]:
    """GET the timeline's event stream as a browser would, until ``until(events)``; (event, id, data)."""
    chunks: list[bytes] = []
    done = asyncio.Event()

    def parsed() -> list[tuple[str, str, dict]]:
        events = []
        for block in b"".join(chunks).decode().split("\n\n"):
            fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line and line[0] != ":")
            if "event" in fields:
                events.append((fields["event"], fields.get("id"), json.loads(fields["data"])))
        return events

    async def receive():
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if until(parsed()):
                done.set()

    async def run():
        call = asyncio.ensure_future(app(asgi_get_scope(f"{API}/events", query, headers), receive, send))
        try:
            await asyncio.wait_for(done.wait(), timeout)
        finally:
            done.set()
            await asyncio.wait_for(call, WAIT_SECONDS)
        return parsed()

    return run


def test_the_event_stream_catches_up_then_follows_live(client, small_store):
    old = client.post(f"{API}/entries", json={"body": "Before you came."}, headers=client.editor).json()
    listen = _sse_events(client.app, "since=0", [], lambda events: sum(e[0] == "entry" for e in events) >= 2)

    async def scenario():
        listening = asyncio.ensure_future(listen())
        await asyncio.sleep(0.2)
        await asyncio.to_thread(tl.post_entry, small_store, "Posted by another process.", author="CLI")
        return await listening

    events = client.portal.call(scenario)
    assert events[0][0] == "hello"
    entries = [(e[1], e[2]["body"]) for e in events if e[0] == "entry"]
    assert entries == [(str(old["revision"]), "Before you came."), (str(old["revision"] + 1),
                                                                    "Posted by another process.")]
    reconnect = _sse_events(client.app, "since=0", [(b"last-event-id", str(old["revision"]).encode())],
                            lambda events: any(e[0] == "entry" for e in events))
    resumed = client.portal.call(reconnect)
    assert [e[2]["body"] for e in resumed if e[0] == "entry"] == ["Posted by another process."]


def test_a_slow_reader_is_dropped_and_never_slows_the_others(small_store):
    async def scenario():
        hub = TimelineHub(small_store, 60, queue_size=4)
        fast, slow = hub.stream(None), hub.stream(None)
        for reader in (fast, slow):
            assert (await reader.__anext__()).startswith(b"retry:")
            assert (await reader.__anext__()).startswith(b"event: hello")
        for n in range(10):
            hub.publish(f"event: entry\ndata: {n}\n\n".encode())
            assert await fast.__anext__() == f"event: entry\ndata: {n}\n\n".encode()
        assert hub.dropped == 1 and len(hub.readers) == 1  # the slow one, whose queue filled up
        left = [chunk async for chunk in slow]
        # its oldest event gave way to the close: it reconnects with Last-Event-ID and catches up
        assert left == [b"event: entry\ndata: 1\n\n", b"event: entry\ndata: 2\n\n", b"event: entry\ndata: 3\n\n"]
        await fast.aclose()
        assert hub.readers == set()

    asyncio.run(scenario())


# -- pages and feeds --------------------------------------------------------------------------------------

def test_the_timeline_page_shows_corrections_tombstones_and_structured_data(client, small_store):
    kept = tl.post_entry(small_store, "Queues at **School A**.", author="Ana", kind="key")
    tl.edit_entry(small_store, kept.id, editor="Ana", body="Long queues at **School A**.", reason="more precise")
    rumour = tl.post_entry(small_store, "A rumour.", author="Ana")
    tl.delete_entry(small_store, rumour.id, editor="Ana", reason="unconfirmed")
    page = client.get("/timeline?lang=en")
    assert page.status_code == 200
    html = page.text
    assert "updated at" in html and "more precise" in html and "<strong>School A</strong>" in html
    assert "This entry was withdrawn" in html and "unconfirmed" in html and "A rumour." not in html
    [ld] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(ld)
    assert data["@type"] == "LiveBlogPosting"
    assert [u["articleBody"] for u in data["liveBlogUpdate"]] == ["Long queues at School A."]
    assert 'type="application/atom+xml" href="/timeline.atom"' in html
    home = client.get("/").text
    assert 'class="home-timeline"' in home and "Long queues at" in home


def test_the_atom_feed_has_every_entry_and_a_tombstone_for_a_withdrawn_one(client, small_store):
    kept = tl.post_entry(small_store, "Polls close. <b>bold?</b>", author="Ana")
    gone = tl.post_entry(small_store, "Rumour.", author="Ana")
    tl.delete_entry(small_store, gone.id, editor="Ana", reason="unconfirmed")
    feed = client.get("/timeline.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    atom = "{http://www.w3.org/2005/Atom}"
    [entry] = root.findall(f"{atom}entry")
    assert entry.find(f"{atom}id").text.endswith(f"/timeline/entries/{kept.id}")
    assert "&lt;b&gt;" in entry.find(f"{atom}content").text  # escaped text, not markup
    [tombstone] = root.findall("{http://purl.org/atompub/tombstones/1.0}deleted-entry")
    assert tombstone.get("ref").endswith(f"/timeline/entries/{gone.id}")
    assert client.get("/timeline.atom", headers={"If-None-Match": feed.headers["etag"]}).status_code == 304


def test_the_comment_form_works_without_javascript(client, small_store):
    entry = tl.post_entry(small_store, "Polls close.", author="Ana")
    sent = client.post(f"/timeline/entries/{entry.id}/comments", data={"name": "Eva", "body": "Thanks"},
                       follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == f"/timeline?comment=pending#entry-{entry.id}"
    assert "Tu comentario se mostrará cuando un editor lo apruebe" in client.get(sent.headers["location"]).text
    assert [c.name for c in tl.list_comments(small_store)] == ["Eva"]
    assert client.post(f"/timeline/entries/{entry.id}/comments", data={"name": "", "body": "x"}).status_code == 422


# -- the demo night ------------------------------------------------------------------------------------------

def test_the_demo_night_tells_its_story_among_its_bulletins(demo_night):
    from zoneinfo import ZoneInfo

    from escrutinio.services import open_store

    store = open_store(f"sqlite:///{demo_night / 'escrutinio.db'}", migrate=False)
    try:
        view = tl.read_timeline(store)
    finally:
        store.close()
    caracas = ZoneInfo("America/Caracas")
    local = {e.id: e.posted_at.astimezone(caracas).replace(tzinfo=None) for e in view.entries}
    written = [e for e in view.entries if e.kind != "bulletin"]
    assert 20 <= len(written) <= 30
    assert min(local[e.id] for e in written) == dt.datetime(2007, 12, 2, 15, 30)
    assert max(local[e.id] for e in written) == dt.datetime(2007, 12, 3, 3, 0)
    bulletins = {e.bulletin["number"]: e for e in view.entries if e.kind == "bulletin"}
    assert sorted(bulletins)[:5] == [1, 2, 3, 4, 5]  # the night's five (other tests may publish more)
    assert local[bulletins[1].id] == dt.datetime(2007, 12, 3, 1, 7)  # the CNE's first bulletin, 01:07
    no = next(o for o in bulletins[1].bulletin["contests"][0]["options"] if o["code"] == "NO")
    assert (no["votes"], no["percent"]) == (4_504_354, "50.70")
    order = [e.id for e in reversed(view.entries)]  # oldest first: the bulletin sits among the editors' entries
    assert 0 < order.index(bulletins[1].id) < order.index(bulletins[2].id) < len(order) - 3
    corrected = [e for e in written if any(c.action == "edited" and c.reason for c in view.trail(e.id))]
    assert len(corrected) == 1 and "46" in corrected[0].body
    [tombstone] = [e for e in written if e.deleted]
    assert tombstone.delete_reason and tombstone.body  # the text stays in the store; pages show the tombstone
    assert len([e for e in written if e.media]) == 1
    ever_pinned = [e for e in written if e.pinned or any(c.action == "unpinned" for c in view.trail(e.id))]
    assert len(ever_pinned) == 2 and {e.kind for e in ever_pinned} == {"key"}

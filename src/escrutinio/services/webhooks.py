"""Partner webhooks: signed POSTs to the systems an admin registered, for every bulletin published,
every change of an acta's status and every change on the timeline.

Nothing on the intake path waits for a partner. Each subscriber keeps marks (the last bulletin
number, acta event id and timeline change id it was given); :func:`collect` reads what happened
after them and writes one delivery per event into the delivery log, in the same transaction that
moves the marks, so an event is queued exactly once and never missed, whatever crashes. Then
:func:`deliver_due` sends what is due. A delivery's id is made of its subscriber and its event, so
two dispatchers at work at once cannot queue an event twice (the second one's insert fails).

Every request is a POST of a JSON body to the subscriber's registered URL and nowhere else
(redirects are not followed) with three headers::

    Escrutinio-Event: bulletin.published
    Escrutinio-Delivery: 3.bulletin.5
    Escrutinio-Signature: t=1764734820,v1=<hex HMAC-SHA256 of "t." + body, keyed with the secret>

The timestamp is the attempt's own (each retry is signed again). A receiver checks the signature,
refuses a timestamp outside its window, and remembers the delivery ids it has seen in the window
to refuse a replay: docs/webhooks.md gives the recipe. A failed attempt (no answer, or a status
other than 2xx) is retried after 10 s, 20 s, 40 s … (at most an hour apart), up to
``MAX_ATTEMPTS`` attempts; then the delivery is marked failed and can be retried by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..domain.errors import EscrutinioError, NotFound, WriteConflict
from ..store import Store
from . import publication
from .clock import now_utc

BULLETIN_PUBLISHED = "bulletin.published"
ACTA_STATUS_CHANGED = "acta.status_changed"
TIMELINE_ENTRY = "timeline.entry"
EVENTS = (BULLETIN_PUBLISHED, ACTA_STATUS_CHANGED, TIMELINE_ENTRY)

MAX_ATTEMPTS = 10
FIRST_RETRY_SECONDS = 10
LONGEST_RETRY_SECONDS = 3600
LEASE_SECONDS = 60  # an attempt in flight is not taken by another dispatcher for this long
TIMEOUT_SECONDS = 10
BATCH = 500  # events read per subscriber and kind in one pass
TIMELINE_ACTIONS = ("posted", "edited", "pinned", "unpinned", "deleted")  # not readers' comments

SIGNATURE_HEADER = "Escrutinio-Signature"
EVENT_HEADER = "Escrutinio-Event"
DELIVERY_HEADER = "Escrutinio-Delivery"


class WebhookError(EscrutinioError):
    """A subscriber cannot be registered or changed as asked (the message says why)."""


@dataclass(frozen=True)
class Attempt:
    """What one POST came to: the HTTP status (None if there was no answer) and the error, if any."""

    code: int | None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


Post = Callable[[str, bytes, dict[str, str]], Attempt]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Escrutinio-Signature`` header's value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


# -- subscribers ---------------------------------------------------------------------


def add_subscriber(store: Store, url: str, events: list[str] | None = None, *, from_start: bool = False,
                   now: dt.datetime | None = None) -> tuple[int, str]:
    """Register ``url`` for ``events`` (all of them if None); its id and its new secret.

    It receives what happens from now on, or the whole night so far with ``from_start``.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(f"{url!r} is not an http:// or https:// address; give the full URL the partner "
                           "listens on, such as https://partner.example.org/escrutinio")
    if parts.username or parts.password:
        raise WebhookError(f"{url!r} carries a user name or password; the signature authenticates each request, "
                           "so give the address without them")
    events = list(dict.fromkeys(events or EVENTS))
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise WebhookError(f"unknown event(s) {', '.join(unknown)}; known: {', '.join(EVENTS)}")
    secret = "whsec_" + secrets.token_urlsafe(32)
    with store.transaction() as conn:
        marks = dict.fromkeys(("bulletin_mark", "acta_event_mark", "timeline_mark"), 0) if from_start \
            else store.event_marks(conn)
        subscriber_id = store.add_subscriber(conn, url, secret, events, marks, now or now_utc())
    return subscriber_id, secret


def list_subscribers(store: Store) -> list[dict]:
    """Every subscriber, removed ones too, without its secret."""
    return [{k: v for k, v in s.items() if k != "secret"} for s in store.subscribers()]


def remove_subscriber(store: Store, subscriber_id: int, now: dt.datetime | None = None) -> None:
    """Stop sending to a subscriber; its pending deliveries are cancelled, its log is kept."""
    with store.transaction() as conn:
        if not store.remove_subscriber(conn, subscriber_id, now or now_utc()):
            raise NotFound("active webhook subscriber", subscriber_id)


def delivery_log(store: Store, subscriber_id: int | None = None, status: str | None = None,
                 limit: int = 100) -> list[dict]:
    return store.deliveries(subscriber_id, status, limit)


def retry(store: Store, delivery_id: str, now: dt.datetime | None = None) -> None:
    """Send a failed delivery again (from its first attempt's backoff on)."""
    with store.transaction() as conn:
        if not store.retry_delivery(conn, delivery_id, now or now_utc()):
            raise NotFound("failed delivery", delivery_id)


# -- queueing and sending --------------------------------------------------------------


def collect(store: Store, *, base_url: str = "", now: dt.datetime | None = None) -> int:
    """Queue a delivery for every event after each active subscriber's marks; how many were queued."""
    when = now or now_utc()
    queued = 0
    election = store.election()
    for subscriber in store.subscribers(active_only=True):
        try:
            with store.transaction() as conn:
                held = store.subscriber_for_update(conn, subscriber["id"])
                if held is None or not held["active"]:
                    continue
                rows, marks = _events(store, conn, held, election, base_url.rstrip("/"), when)
                store.add_deliveries(conn, rows)
                store.set_marks(conn, held["id"], marks)
                queued += len(rows)
        except WriteConflict:  # another dispatcher queued the same events first
            continue
    return queued


def deliver_due(store: Store, *, post: Post | None = None, now: dt.datetime | None = None, limit: int = 100) -> int:
    """Attempt every due delivery once (up to ``limit``); how many were delivered."""
    post = post or post_json
    when = now or now_utc()
    delivered = 0
    for due in store.due_deliveries(when, limit):
        with store.transaction() as conn:
            if not store.claim_delivery(conn, due["id"], due["next_attempt_at"],
                                        when + dt.timedelta(seconds=LEASE_SECONDS)):
                continue  # another dispatcher has it
        body = due["body"].encode()
        timestamp = int(now_utc().timestamp()) if now is None else int(when.timestamp())
        attempt = post(due["url"], body, {
            "Content-Type": "application/json", EVENT_HEADER: due["event"], DELIVERY_HEADER: due["delivery_id"],
            SIGNATURE_HEADER: sign(due["secret"], timestamp, body), "User-Agent": "escrutinio-webhooks/1"})
        attempts = due["attempts"] + 1
        if attempt.delivered:
            values = {"status": "delivered", "next_attempt_at": None, "finished_at": when}
            delivered += 1
        elif attempts >= MAX_ATTEMPTS:
            values = {"status": "failed", "next_attempt_at": None, "finished_at": when}
        else:
            values = {"next_attempt_at": when + dt.timedelta(seconds=backoff(attempts))}
        with store.transaction() as conn:
            store.record_attempt(conn, due["id"], {**values, "last_code": attempt.code,
                                                   "last_error": (attempt.error or "")[:500] or None})
    return delivered


def run_once(store: Store, *, base_url: str = "", post: Post | None = None, now: dt.datetime | None = None) -> int:
    """Queue what is new, then send what is due; how many deliveries succeeded."""
    collect(store, base_url=base_url, now=now)
    return deliver_due(store, post=post, now=now)


def backoff(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failed attempt: 10, 20, 40 … at most an hour."""
    return min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), LONGEST_RETRY_SECONDS)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: PLR0913 - urllib's signature
        return None  # a 3xx is an answer like any other non-2xx: the request goes nowhere else


_opener = urllib.request.build_opener(_NoRedirects)


def post_json(url: str, body: bytes, headers: dict[str, str]) -> Attempt:
    """POST ``body`` to ``url`` (and only there: redirects are not followed)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as answer:
            return Attempt(answer.status)
    except urllib.error.HTTPError as exc:
        return Attempt(exc.code, f"HTTP {exc.code} {exc.reason}")
    except (OSError, ValueError) as exc:  # refused, unreachable, timed out, bad address
        return Attempt(None, f"{type(exc).__name__}: {exc}")


# -- the events ------------------------------------------------------------------------


def _events(store: Store, conn, subscriber: dict, election, base_url: str,
            when: dt.datetime) -> tuple[list[dict], dict[str, int]]:
    marks = {k: subscriber[k] for k in ("bulletin_mark", "acta_event_mark", "timeline_mark")}
    found: list[tuple[str, str, dict]] = []
    wanted = set(subscriber["events"])
    if BULLETIN_PUBLISHED in wanted and publication.is_public(store, when, conn):  # held ones wait for release
        for b in store.bulletins_after(conn, marks["bulletin_mark"], BATCH):
            path = f"/api/v1/bulletins/{b['number']}"
            found.append((BULLETIN_PUBLISHED, f"bulletin.{b['number']}", {
                "number": b["number"], "cut_off": _iso(b["cut_off"]), "published_at": _iso(b["published_at"]),
                "hash": b["hash"], "previous_hash": b["previous_hash"], "path": path,
                **({"url": base_url + path} if base_url else {})}))
            marks["bulletin_mark"] = b["number"]
    if ACTA_STATUS_CHANGED in wanted:
        for e in store.acta_events_after(conn, marks["acta_event_mark"], BATCH):
            path = f"/api/v1/tables/{e['table']}"
            found.append((ACTA_STATUS_CHANGED, f"acta_event.{e['id']}", {
                "acta_id": e["acta_id"], "table": e["table"], "contest": e["contest"], "action": e["action"],
                "status": e["status"], "at": _iso(e["at"]), "path": path,
                **({"url": base_url + path} if base_url else {})}))
            marks["acta_event_mark"] = e["id"]
    if TIMELINE_ENTRY in wanted:
        for c in store.timeline_changes_after(conn, marks["timeline_mark"], BATCH):
            marks["timeline_mark"] = c["id"]
            if c["action"] not in TIMELINE_ACTIONS:
                continue
            path = f"/api/v1/timeline/entries/{c['entry_id']}"
            found.append((TIMELINE_ENTRY, f"timeline.{c['id']}", {
                "entry_id": c["entry_id"], "change": c["id"], "action": c["action"], "at": _iso(c["at"]),
                "kind": c["kind"], "body": None if c["deleted_at"] else c["body"],
                "bulletin_number": c["bulletin_number"], "path": path,
                **({"url": base_url + path} if base_url else {})}))
    rows = []
    for event, ref, data in found:
        delivery_id = f"{subscriber['id']}.{ref}"
        body = {"event": event, "delivery": delivery_id, "election": election.name, "data": data}
        rows.append({"subscriber_id": subscriber["id"], "event": event, "delivery_id": delivery_id,
                     "body": json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
                     "status": "pending", "attempts": 0, "next_attempt_at": when, "created_at": when})
    return rows, marks


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")

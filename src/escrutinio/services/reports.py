"""Observers' reports by SMS and by the web form: one grammar, one reply, stored once.

An SMS is stored once per gateway and message id: a gateway that sends the
same message again (some resend it hundreds of times) gets the same reply and
nothing new is stored. A body that is not what the gateway sends is refused
with every problem and nothing is stored. A sender whose phone is not an
accredited observer's gets a polite refusal, and is counted. A message that
breaks the grammar is kept with the exact error it was answered with.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from ..domain.errors import NotFound, WriteConflict
from ..domain.messages import IncidentMessage, ResultMessage, parse_message
from ..domain.observation import ACCREDITED, Observer, normalise_phone, tables_in_scope
from ..intake import sms
from ..store import Connection, Store
from . import incidents
from .clock import now_utc

ACCEPTED, REJECTED, UNKNOWN_SENDER = "accepted", "rejected", "unknown_sender"
NOT_REGISTERED = ("This number is not registered with an accredited observer, so the message was not "
                  "recorded. Please contact your coordinator.")


@dataclass(frozen=True)
class Answer:
    outcome: str  # accepted, rejected or unknown_sender
    reply: str  # the text sent back to the observer
    repeated: bool = False  # the same message was received before; nothing new was stored


def receive_sms(store: Store, gateway: str, content_type: str, body: bytes,
                now: dt.datetime | None = None) -> tuple[Answer, str, bytes]:
    """Take one webhook call: the answer, and the reply as the gateway wants it (media type, bytes)."""
    module = sms.gateway(gateway)
    if module is None:
        raise NotFound("SMS gateway", gateway)
    inbound = module.parse(content_type, body)
    answer = _receive(store, module.NAME, inbound, now)
    return (answer, *module.reply(answer.reply, inbound.sender))


def _receive(store: Store, channel: str, inbound: sms.Inbound, now: dt.datetime | None) -> Answer:
    before = store.message(channel, inbound.message_id)
    if before is not None:
        return Answer(before["outcome"], before["reply"], repeated=True)
    phone = normalise_phone(inbound.sender)
    found = store.observer_by_phone(phone) if phone else None
    try:
        with store.transaction() as conn:
            return _record(store, conn, channel, inbound.message_id, phone or inbound.sender[:64], found,
                           inbound.text, now)
    except WriteConflict:  # the same message arrived twice at once: the other one stored it
        before = store.message(channel, inbound.message_id)
        if before is None:
            raise
        return Answer(before["outcome"], before["reply"], repeated=True)


def submit_web(store: Store, observer_id: int, observer: Observer, text: str, token_name: str,
               now: dt.datetime | None = None) -> Answer:
    """A report typed in the web form by an observer holding a token (same grammar, same reply)."""
    message_id = f"web-{uuid.uuid4().hex}"
    with store.transaction() as conn:
        return _record(store, conn, "web", message_id, token_name[:64], (observer_id, observer), text, now)


def _record(store: Store, conn: Connection, channel: str, message_id: str, sender: str,
            found: tuple[int, Observer] | None, text: str, now: dt.datetime | None = None) -> Answer:
    now = now or now_utc()
    observer_id = found[0] if found else None
    if found is None or found[1].status != ACCREDITED:
        answer = Answer(UNKNOWN_SENDER, NOT_REGISTERED)
    else:
        answer = _understand(store, conn, channel, found, text, now)
    row = store.add_message(conn, {"channel": channel, "message_id": message_id, "sender": sender,
                                   "observer_id": observer_id, "body": text, "outcome": answer.outcome,
                                   "reply": answer.reply, "received_at": now})
    if answer.outcome == ACCEPTED:
        _store_report(store, conn, channel, found, parse_message(text, store.election()), row, now)
    return answer


def _understand(store: Store, conn: Connection, channel: str, found: tuple[int, Observer], text: str,
                now: dt.datetime) -> Answer:
    election = store.election()
    parsed = parse_message(text, election)
    if isinstance(parsed, list):
        return Answer(REJECTED, "Not recorded: " + "; ".join(f"{p.message} ({p.action})" for p in parsed[:3]))
    place = parsed.place if isinstance(parsed, IncidentMessage) else parsed.table
    scope = tables_in_scope(election, found[1].assignment)
    if scope is not None and place not in scope and place != found[1].assignment:
        return Answer(REJECTED, f"Not recorded: {place} is outside your assignment ({found[1].assignment}); "
                                "report only on your assigned tables.")
    if isinstance(parsed, IncidentMessage):
        return Answer(ACCEPTED, f"Recorded: incident ({parsed.category.replace('_', ' ')}) at {parsed.place}. "
                                "Thank you.")
    figures = "; ".join(f"{contest} " + " ".join(f"{o} {n}" for o, n in votes) for contest, votes in parsed.results)
    return Answer(ACCEPTED, f"Recorded: table {parsed.table}: {figures}. Thank you.")


def _store_report(store: Store, conn: Connection, channel: str, found: tuple[int, Observer],
                  parsed: IncidentMessage | ResultMessage, message_row: int, now: dt.datetime) -> None:
    if isinstance(parsed, IncidentMessage):
        incidents.add(store, conn, parsed.category, parsed.place, parsed.text, channel=channel,
                      severity=parsed.severity, observer_id=found[0], message_id=message_row, now=now)
        return
    for contest, votes in parsed.results:
        store.add_result(conn, parsed.table, contest, dict(votes),
                         {"observer_id": found[0], "message_id": message_row, "received_at": now})


def message_counts(store: Store) -> dict[str, int]:
    """Messages per outcome: accepted, rejected (the grammar), unknown_sender (refused and counted)."""
    counts = store.message_counts()
    return {k: counts.get(k, 0) for k in (ACCEPTED, REJECTED, UNKNOWN_SENDER)}

"""An acta's life after arrival: an admin resolves a conflict or a quarantine, or annuls an acta.

received → counted | quarantined | conflicting → resolved (counted, or set aside) or annulled.
Every change is an event with time, operator and reason, and a leaf of the public log; nothing
is ever deleted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from ..domain.errors import NotFound, ResolutionError
from ..domain.model import ANNULLED, COUNTED, CONFLICTING, SET_ASIDE, ActaEvent, ActaRecord
from ..store import Store
from . import log
from .clock import now_utc


MAX_TEXT = 1000


def _check_words(reason: str, operator: str) -> None:
    for what, text, option in (("reason", reason, "--reason"), ("operator's name", operator, "--operator")):
        if not text or not text.strip():
            raise ResolutionError(f"a decision needs a written {what} ({option})")
        if len(text) > MAX_TEXT or any(ord(ch) < 32 and ch not in "\t" for ch in text):
            raise ResolutionError(f"the {what} must be at most {MAX_TEXT} characters, without control characters")


def resolve_conflict(store: Store, table: str, contest: str, acta_id: int, reason: str, operator: str,
                     now: dt.datetime | None = None, *, count_quarantined: bool = False) -> ActaRecord:
    """Count acta ``acta_id`` for its table and contest; set every other acta of that slot aside.

    A quarantined acta is counted only with ``count_quarantined``: the admin's reason then
    explains why the rule it broke does not apply (say, voters allowed beyond the register).
    """
    _check_words(reason, operator)
    election = store.election()
    if table not in election.table_by_code:
        raise NotFound("table", table)
    if contest not in election.contest_by_code:
        raise NotFound("contest", contest)
    when = now or now_utc()
    with store.log_writing() as conn:
        held = store.slot_actas(conn, [(table, contest)])[(table, contest)]
        chosen = next((r for r in held if r.id == acta_id), None)
        if chosen is None:
            ids = ", ".join(str(r.id) for r in held) or "none"
            raise ResolutionError(f"acta {acta_id} is not one of the actas of table {table}, contest {contest} "
                                  f"(they are: {ids})")
        if chosen.status in (ANNULLED,):
            raise ResolutionError(f"acta {acta_id} was annulled and cannot be counted")
        if chosen.reasons and not count_quarantined:
            raise ResolutionError(f"acta {acta_id} broke a rule ({'; '.join(chosen.reasons)}): count it only "
                                  "if the rule does not apply, with --count-quarantined and the reason why")
        if not chosen.reasons and not any(r.status == CONFLICTING for r in held):
            raise ResolutionError(f"table {table}, contest {contest} has no conflict to resolve")
        events = []
        for record in held:
            if record.status == ANNULLED:
                continue
            status = COUNTED if record.id == acta_id else SET_ASIDE
            if record.status != status:
                store.set_status(conn, record.id, status)
            if record.status != status or record.id == acta_id:  # the chosen acta's history shows the decision
                events.append(ActaEvent(record.id, when, f"resolved_{status}", operator.strip(), reason.strip()))
        store.add_events(conn, events)
        store.append_log(conn, [log.event_leaf(e) for e in events], when)
    return replace(chosen, status=COUNTED)


def annul_acta(store: Store, acta_id: int, reason: str, operator: str, now: dt.datetime | None = None) -> ActaRecord:
    """Annul an acta (say, sent for a table that did not open): kept and shown, never counted again."""
    _check_words(reason, operator)
    when = now or now_utc()
    with store.log_writing() as conn:
        record = store.acta(acta_id, conn)
        if record.status == ANNULLED:
            raise ResolutionError(f"acta {acta_id} is already annulled")
        store.set_status(conn, acta_id, ANNULLED)
        event = ActaEvent(acta_id, when, ANNULLED, operator.strip(), reason.strip())
        store.add_events(conn, [event])
        store.append_log(conn, [log.event_leaf(event)], when)
    return replace(record, status=ANNULLED)

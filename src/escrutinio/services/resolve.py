"""An acta's life after arrival: an admin resolves a conflict or a quarantine, or annuls an acta.

received → counted | quarantined | conflicting → resolved (counted, or set aside) or annulled.
A board's recount replaces whatever counts for a table and contest with the board's figures, even after
bulletins were published: the acta it replaces is set aside, the recount counts, both in the log.
Every change is an event with time, operator and reason, and a leaf of the public log; nothing
is ever deleted.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

from ..domain.canonical import ActaJson, sha256_hex
from ..domain.errors import ActaRejected, NotFound, Problem, ResolutionError
from ..domain.model import (ANNULLED, AWAITING, COUNTED, CONFLICTING, QUARANTINED, RECOUNT, SET_ASIDE,
                            ActaEvent, ActaRecord)
from ..domain.rules import check_acta
from ..store import Store
from ..store.store import content_json, reasons_json
from . import log
from .clock import now_utc


MAX_TEXT = 1000


def _check_words(reason: str, operator: str) -> None:
    for what, text, option in (("reason", reason, "--reason"), ("operator's name", operator, "--operator")):
        if not text or not text.strip():
            raise ResolutionError(f"a decision needs a written {what} ({option})")
        if len(text) > MAX_TEXT or any(ord(ch) < 32 and ch not in "\t" for ch in text):
            raise ResolutionError(f"the {what} must be at most {MAX_TEXT} characters, without control characters")


def _known_slot(store: Store, table: str, contest: str):
    """The election, once ``table`` and ``contest`` are known to be in it."""
    election = store.election()
    if table not in election.table_by_code:
        raise NotFound("table", table)
    if contest not in election.contest_by_code:
        raise NotFound("contest", contest)
    return election


def resolve_conflict(store: Store, table: str, contest: str, acta_id: int, reason: str, operator: str,
                     now: dt.datetime | None = None, *, count_quarantined: bool = False) -> ActaRecord:
    """Count acta ``acta_id`` for its table and contest; set every other acta of that slot aside.

    A quarantined acta is counted only with ``count_quarantined``: the admin's reason then
    explains why the rule it broke does not apply (say, voters allowed beyond the register).
    """
    _check_words(reason, operator)
    _known_slot(store, table, contest)
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
        if not chosen.placed:
            raise ResolutionError(f"acta {acta_id} was keyed in by hand once only: it counts only when a second "
                                  "operator's entry agrees with it (escrutinio actas enter)")
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


def recount(store: Store, table: str, contest: str, figures: dict, board_ref: str, reason: str, operator: str,
            now: dt.datetime | None = None) -> ActaRecord:
    """A board's recount of ``table`` for ``contest``: its figures (votes, null, blank, ballots_cast, as an acta
    has them) replace the acta that counts, with the board's reference and reason on record.

    Every acta of that table and contest still in play (counted, conflicting, quarantined, awaiting a second
    entry) is set aside (``replaced_by_recount``, with the board's reference and reason in its history); the
    recount is stored as an acta entered at the centre (``entry`` recount, no signature) and counts at once.
    The figures must pass every rule (parts add up to ballots cast, no more ballots than the register allows).
    """
    for what, text, option in (("board's reference", board_ref, "--board-ref"),):
        if not text or not text.strip() or len(text) > 200 or any(ord(ch) < 32 for ch in text):
            raise ResolutionError(f"a recount needs the {what} ({option}): 1 to 200 printable characters")
    _check_words(reason, operator)
    election = _known_slot(store, table, contest)
    data = {k: v for k, v in figures.items() if k in ("votes", "null", "blank", "ballots_cast")}
    checked = check_acta(election, {"table": table, "contest": contest, **data})  # ActaRejected: nothing stored
    if checked.quarantine_reasons:
        raise ActaRejected("the recount's figures break a rule", [
            Problem(
                "", text, "check the board's figures and enter them again") for text in checked.quarantine_reasons])
    acta = checked.acta
    contest_def = election.contest_by_code[contest]
    text = ActaJson(contest_def).text(acta)
    digest = sha256_hex(text.encode())
    when = now or now_utc()
    board_ref, reason, operator = board_ref.strip(), reason.strip(), operator.strip()
    with store.log_writing() as conn:
        held = store.slot_actas(conn, [(table, contest)])[(table, contest)]
        same = next((r for r in held if r.digest == digest), None)
        if same is not None:
            raise ResolutionError(f"acta {same.id} of table {table}, contest {contest} has exactly these figures "
                                  f"(it is {same.status}): the recount changes nothing"
                                  + ("" if same.status == COUNTED else "; count it with escrutinio resolve"))
        live = [r for r in held if r.status in (COUNTED, CONFLICTING, QUARANTINED, AWAITING)]
        if not live:
            raise ResolutionError(f"table {table}, contest {contest} has no acta to recount; key in its paper "
                                  "acta instead (escrutinio actas enter)")
        said = f"recount, board {board_ref}: {reason}"
        events = [ActaEvent(r.id, when, "replaced_by_recount", operator, said) for r in live]
        for record in live:
            store.set_status(conn, record.id, SET_ASIDE)
        source = f"recount (board {board_ref})"
        acta_id = store.insert_entered_acta(conn, acta, digest, content_json(contest_def).text(acta), COUNTED,
                                            reasons_json(()), source, when, RECOUNT)
        arrival = ActaEvent(acta_id, when, COUNTED, operator, said)
        store.add_events(conn, events + [arrival])
        store.append_log(conn, [log.event_leaf(e) for e in events] + [log.entered_acta_leaf(
            json.loads(text), digest, acta_id, COUNTED, (), source, when, operator, RECOUNT, board_ref=board_ref,
            reason=reason)], when)
    return store.acta(acta_id)

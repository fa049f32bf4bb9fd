"""Resolve a conflict: an operator picks the acta that counts, with a reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from ..domain.errors import NotFound, ResolutionError
from ..domain.model import COUNTED, CONFLICTING, SET_ASIDE, ActaEvent, ActaRecord
from ..store import Store
from .clock import now_utc


def resolve_conflict(store: Store, table: str, contest: str, acta_id: int, reason: str, operator: str,
                     now: dt.datetime | None = None) -> ActaRecord:
    """Count acta ``acta_id`` for its table and contest; set every other acta of that slot aside."""
    if not reason or not reason.strip():
        raise ResolutionError("a resolution needs a written reason (--reason)")
    if not operator or not operator.strip():
        raise ResolutionError("a resolution needs the operator's name (--operator)")
    election = store.election()
    if table not in election.table_by_code:
        raise NotFound("table", table)
    if contest not in election.contest_by_code:
        raise NotFound("contest", contest)
    when = now or now_utc()
    with store.transaction() as conn:
        held = store.slot_actas(conn, [(table, contest)])[(table, contest)]
        chosen = next((r for r in held if r.id == acta_id), None)
        if chosen is None:
            ids = ", ".join(str(r.id) for r in held) or "none"
            raise ResolutionError(f"acta {acta_id} is not one of the actas of table {table}, contest {contest} "
                                  f"(they are: {ids})")
        if not any(r.status == CONFLICTING for r in held):
            raise ResolutionError(f"table {table}, contest {contest} has no conflict to resolve")
        if chosen.reasons:
            raise ResolutionError(f"acta {acta_id} cannot be counted: {'; '.join(chosen.reasons)}")
        events = []
        for record in held:
            status = COUNTED if record.id == acta_id else SET_ASIDE
            if record.status != status:
                store.set_status(conn, record.id, status)
            if record.status != status or record.id == acta_id:  # the chosen acta's history shows the decision
                events.append(ActaEvent(record.id, when, f"resolved_{status}", operator.strip(), reason.strip()))
        store.add_events(conn, events)
    return replace(chosen, status=COUNTED)

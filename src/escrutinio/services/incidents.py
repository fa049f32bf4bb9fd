"""Incidents: reported by observers (SMS, web) or editors, verified by editors, listed for the public.

The public sees an incident's category, severity, place, text and status,
never who reported it or how to reach them. A report of the same place and
category within two hours of an earlier one is marked as its duplicate,
whatever the channel of each.
"""

from __future__ import annotations

import datetime as dt

from ..domain.errors import NotFound, ObservationRejected, Problem, ResolutionError
from ..domain.messages import CATEGORIES, CATEGORY_NAMES, MAX_TEXT, SEVERITIES
from ..domain.observation import (INCIDENT_STATUSES, REJECTED, TRANSITIONS, UNVERIFIED, VERIFIED, duplicate_of,
                                  may_move)
from ..store import Connection, Store
from .clock import now_utc


def add(store: Store, conn: Connection, category: str, place: str, description: str, *, channel: str,
        severity: str, observer_id: int | None, message_id: int | None, now: dt.datetime,
        editor: str | None = None) -> int:
    """Store a new, unverified incident (marked a duplicate when it repeats an earlier one); its id."""
    if category not in CATEGORY_NAMES or severity not in SEVERITIES:
        raise ObservationRejected("incident not stored", [Problem(
            "category", f"{category!r}/{severity!r} is not a known category and severity",
            f"use one of {', '.join(CATEGORY_NAMES)} and {', '.join(SEVERITIES)}")])
    earlier = store.incidents(conn, place=place, category=category)
    incident_id = store.add_incident(conn, {
        "category": category, "severity": severity, "place": place, "description": description,
        "status": UNVERIFIED, "channel": channel, "observer_id": observer_id, "message_id": message_id,
        "duplicate_of": duplicate_of(place, category, now, earlier), "reported_at": now, "updated_at": now})
    store.add_incident_change(conn, {"incident_id": incident_id, "at": now, "status": UNVERIFIED,
                                     "editor": editor or channel, "reason": None})
    return incident_id


# -- editors -----------------------------------------------------------------------------------

def report(store: Store, place: str, category: str, description: str, *, editor: str,
           severity: str | None = None, now: dt.datetime | None = None) -> dict:
    """An incident an editor enters by hand (from a phone call, the press, a mission's statement)."""
    election = store.election()
    problems = []
    if place not in election.table_by_code and place not in election.centre_by_code and place not in election.area_by_code:
        problems.append(Problem("place", f"unknown table, centre or area {place!r}", "use a code of the election"))
    if category not in CATEGORY_NAMES:
        problems.append(Problem("category", f"unknown category {category!r}", f"use one of {', '.join(CATEGORY_NAMES)}"))
    if severity is not None and severity not in SEVERITIES:
        problems.append(Problem("severity", f"unknown severity {severity!r}", f"use one of {', '.join(SEVERITIES)}"))
    if not description.strip() or len(description) > MAX_TEXT:
        problems.append(Problem("description", "empty or too long", f"describe it in 1 to {MAX_TEXT} characters"))
    if problems:
        raise ObservationRejected("incident not stored", problems)
    severity = severity or next(s for name, s in CATEGORIES.values() if name == category)
    when = now or now_utc()
    with store.transaction() as conn:
        incident_id = add(store, conn, category, place, description.strip(), channel="editor", severity=severity,
                          observer_id=None, message_id=None, now=when, editor=editor)
    return public(store, store.incident(incident_id))


def set_status(store: Store, incident_id: int, status: str, *, editor: str, reason: str | None = None,
               now: dt.datetime | None = None) -> dict:
    """Move an incident along the verification workflow (unverified → verified or rejected → escalated
    → closed); any other move is refused, naming the moves allowed."""
    when = now or now_utc()
    with store.transaction() as conn:
        found = store.incident(incident_id, conn)
        if found is None:
            raise NotFound("incident", incident_id)
        if not may_move(found["status"], status):
            allowed = ", ".join(TRANSITIONS.get(found["status"], ())) or "none (it is closed)"
            raise ResolutionError(f"incident {incident_id} is {found['status']}; it cannot become {status!r}. "
                                  f"Allowed next: {allowed}")
        store.update_incident(conn, incident_id, {"status": status, "updated_at": when})
        store.add_incident_change(conn, {"incident_id": incident_id, "at": when, "status": status,
                                         "editor": editor, "reason": reason})
    return public(store, store.incident(incident_id))


def draft_entry(store: Store, incident_id: int) -> str:
    """A timeline entry's Markdown for a verified incident: for an editor to post as it is, or edit."""
    found = store.incident(incident_id)
    if found is None:
        raise NotFound("incident", incident_id)
    if VERIFIED not in {c["status"] for c in store.incident_changes(incident_id)}:
        raise ResolutionError(f"incident {incident_id} is {found['status']}: verify it before it goes on the timeline")
    shown = public(store, found)
    where = " · ".join(shown["place_path"])
    return (f"**Incident ({shown['category'].replace('_', ' ')}, {shown['severity']} severity), verified** — "
            f"{where}\n\n{shown['description']}")


def post_to_timeline(store: Store, incident_id: int, *, editor: str, now: dt.datetime | None = None) -> int:
    """Post a verified incident's draft entry on the timeline in one action; the entry's id."""
    from . import timeline

    entry = timeline.post_entry(store, draft_entry(store, incident_id), author=editor, now=now)
    with store.transaction() as conn:
        store.update_incident(conn, incident_id, {"timeline_entry_id": entry.id})
    return entry.id


# -- the public ---------------------------------------------------------------------------------

def public(store: Store, incident: dict) -> dict:
    """An incident as the public sees it: never who reported it, their phone or their message."""
    election = store.election()
    path = _place_path(election, incident["place"])
    return {"id": incident["id"], "category": incident["category"], "severity": incident["severity"],
            "place": incident["place"], "place_path": [name for _, name in path],
            "areas": [code for code, _ in path], "description": incident["description"],
            "status": incident["status"], "channel": _channel_kind(incident["channel"]),
            "duplicate_of": incident["duplicate_of"], "timeline_entry": incident["timeline_entry_id"],
            "reported_at": incident["reported_at"].isoformat(), "updated_at": incident["updated_at"].isoformat()}


def _channel_kind(channel: str) -> str:
    return channel if channel in ("web", "editor") else "sms"


def _place_path(election, place: str) -> list[tuple[str, str]]:
    """(code, name) from the top area down to the place itself."""
    if place in election.table_by_code:
        table = election.table_by_code[place]
        return [(n.code, n.name) for n in election.lineage(table.centre)] + [(place, place)]
    return [(n.code, n.name) for n in election.lineage(place)]


def list_incidents(store: Store, *, area: str | None = None, category: str | None = None,
                   status: str | None = None) -> list[dict]:
    """Incidents, newest first, optionally only under an area (or centre), of a category, in a status."""
    election = store.election()
    if area is not None and area not in election.area_by_code and area not in election.centre_by_code:
        raise NotFound("area", area)
    if category is not None and category not in CATEGORY_NAMES:
        raise NotFound("incident category", category)
    if status is not None and status not in INCIDENT_STATUSES:
        raise NotFound("incident status", status)
    filters = {k: v for k, v in (("category", category), ("status", status)) if v is not None}
    shown = [public(store, i) for i in store.incidents(**filters)]
    return [i for i in shown if area is None or area in i["areas"]]


def counts_by_area(store: Store, level: str | None = None) -> list[dict]:
    """Incidents per area of ``level`` (default: the first level below the whole country), counting
    each reported fact once (duplicates and rejected reports left out), with the count per category."""
    election = store.election()
    depth = election.levels.index(level) if level in election.levels else 1
    rows = {a.code: {"area": a.code, "name": a.name, "incidents": 0, "categories": {}}
            for a in election.areas if a.level == depth}
    for incident in store.incidents():
        if incident["duplicate_of"] is not None or incident["status"] == REJECTED:
            continue
        codes = [code for code, _ in _place_path(election, incident["place"])]
        row = next((rows[c] for c in codes if c in rows), None)
        if row is not None:
            row["incidents"] += 1
            row["categories"][incident["category"]] = row["categories"].get(incident["category"], 0) + 1
    return list(rows.values())

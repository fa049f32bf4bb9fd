"""Incidents: reported by observers (SMS, web) or editors, verified by editors, listed for the public.

The public sees an incident's category, severity, place, text and status,
never who reported it or how to reach them. A report of the same place and
category within two hours of an earlier one is marked as its duplicate,
whatever the channel of each.
"""

from __future__ import annotations

import datetime as dt

from ..domain.messages import CATEGORY_NAMES, SEVERITIES
from ..domain.errors import ObservationRejected, Problem
from ..domain.observation import UNVERIFIED, duplicate_of
from ..store import Connection, Store


def add(store: Store, conn: Connection, category: str, place: str, description: str, *, channel: str,
        severity: str, observer_id: int | None, message_id: int | None, now: dt.datetime) -> int:
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
                                     "editor": channel, "reason": None})
    return incident_id

"""Incidents on the web: the public list and counts per area (API and page), and editors' actions."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import Field

from ...domain.errors import NotFound
from ...domain.messages import CATEGORY_NAMES, SEVERITIES
from ...domain.observation import INCIDENT_STATUSES
from ...services import incidents
from ..api import NO_ELECTION, PROBLEM
from ..auth import operator, operator_name
from ..caching import cached
from ..models import Strict, Whole
from ..timeline_api import MAX_ID
from .views import incidents_map

router = APIRouter(prefix="/api/v1", tags=["incidents"], responses={503: NO_ELECTION})
pages = APIRouter(include_in_schema=False)
Category = Literal[tuple(CATEGORY_NAMES)]
Status = Literal[tuple(INCIDENT_STATUSES)]


class IncidentOut(Strict):
    id: int
    category: str
    severity: str = Field(description="low, medium or high")
    place: str = Field(description="The table, centre or area code where it happened")
    place_path: list[str] = Field(description="Names from the whole country down to the place")
    areas: list[str] = Field(description="Codes from the whole country down to the place")
    description: str
    status: str = Field(description="unverified, verified, rejected, escalated or closed")
    channel: str = Field(description="How it came in: sms, web or editor (never who sent it)")
    duplicate_of: int | None = Field(description="The earlier incident this report repeats")
    timeline_entry: int | None = Field(description="The timeline entry made from it")
    reported_at: str
    updated_at: str


class AreaCount(Strict):
    area: str
    name: str
    incidents: int
    categories: dict[str, int]


class IncidentIn(Strict):
    place: str = Field(min_length=1, max_length=64)
    category: Category
    description: str = Field(min_length=1, max_length=1000)
    severity: Literal[tuple(SEVERITIES)] | None = None


class StatusIn(Strict):
    status: Status
    reason: str | None = Field(None, max_length=1000)


class EntryRef(Strict):
    entry: int


@router.get("/incidents", response_model=list[IncidentOut], responses={404: PROBLEM})
def list_incidents(request: Request, area: str | None = Query(None, max_length=64),
                   category: Category | None = None, status: Status | None = None):
    """Incidents, newest first, filtered by area (or centre), category and status; never the reporter."""
    found = incidents.list_incidents(request.app.state.store, area=area, category=category, status=status)
    return cached(request, found, max_age=10)


@router.get("/incidents/areas", response_model=list[AreaCount])
def incident_counts(request: Request, level: str | None = Query(None, max_length=64,
                                                                description="A level name (default: the first below the country)")):
    """Incidents per area of a level (each fact once: duplicates and rejected reports left out)."""
    return cached(request, incidents.counts_by_area(request.app.state.store, level), max_age=10)


@router.post("/incidents", response_model=IncidentOut, status_code=201, responses={422: PROBLEM})
async def report_incident(request: Request, sent: IncidentIn):
    """Enter an incident (an editor token): unverified until verified."""
    who = await operator(request, "editor")
    return await asyncio.to_thread(incidents.report, request.app.state.store, sent.place, sent.category,
                                   sent.description, editor=operator_name(who), severity=sent.severity)


@router.post("/incidents/{incident_id}/status", response_model=IncidentOut, responses={404: PROBLEM, 409: PROBLEM})
async def set_status(request: Request, incident_id: Whole, sent: StatusIn):
    """Move an incident along the verification workflow (an editor token)."""
    who = await operator(request, "editor")
    return await asyncio.to_thread(incidents.set_status, request.app.state.store, _incident_id(incident_id), sent.status,
                                   editor=operator_name(who), reason=sent.reason)


@router.post("/incidents/{incident_id}/timeline", response_model=EntryRef, status_code=201,
             responses={404: PROBLEM, 409: PROBLEM})
async def to_timeline(request: Request, incident_id: Whole):
    """Post a verified incident on the timeline as an entry, in one action (an editor token)."""
    who = await operator(request, "editor")
    entry = await asyncio.to_thread(incidents.post_to_timeline, request.app.state.store, _incident_id(incident_id),
                                    editor=who["name"])
    return {"entry": entry}


@pages.get("/incidents", response_class=HTMLResponse)
def incidents_page(request: Request, category: Category | None = None, status: Status | None = None,
                   area: str | None = Query(None, max_length=64)):
    store = request.app.state.store
    found = incidents.list_incidents(store, area=area, category=category, status=status)
    pages = request.app.state.pages
    counts = incidents.counts_by_area(store)
    drawn = incidents_map(store, counts, pages.language(request)) if any(r["incidents"] for r in counts) else None
    return pages.render(request, "incidents.html", incidents=found, incidents_map=drawn,
                                          counts=counts, json_twin="/api/v1/incidents",
                                          categories=CATEGORY_NAMES, statuses=INCIDENT_STATUSES,
                                          chosen={"category": category, "status": status, "area": area})


def _incident_id(value: int) -> int:
    if not 1 <= value <= MAX_ID:  # beyond a database integer: unknown, not a server error
        raise NotFound("incident", value)
    return value

"""The publication policy on the web: transmission progress (page section and API), and the gate that keeps
every figure off the public site and API until the policy allows (docs/formats/election.md)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from pydantic import Field

from ..domain.errors import FiguresHeld
from ..services import publication
from .api import NO_ELECTION
from .caching import cached
from .models import Strict

router = APIRouter(prefix="/api/v1", responses={503: NO_ELECTION})


def figures_public(request: Request) -> bool:
    return publication.is_public(request.app.state.store)


def require_public(request: Request) -> None:
    """A dependency of every route that serves figures: 404 while the policy holds them."""
    if not figures_public(request):
        policy = request.app.state.store.election().publication
        raise FiguresHeld(f"no figure is public yet: the publication policy holds them (publish_after = "
                          f"{policy.publish_after}, first_bulletin_when = {policy.first_bulletin_when}); "
                          "transmission progress is at /api/v1/progress")


class AreaProgress(Strict):
    code: str
    name: str
    level: str
    tables: int = Field(description="Tables expected")
    transmitted: int = Field(description="Tables with at least one acta received")
    counted: int = Field(description="Tables with an acta counted for every contest on their ballot")
    pending: int = Field(description="Tables with no acta received")


class Progress(Strict):
    public: bool = Field(description="Whether figures are public (the night released)")
    publish_after: str | None = Field(description="The definition's publish_after")
    publish_after_at: str | None = Field(description="The moment it names")
    first_bulletin_when: str | None
    last_polls_close: str = Field(description="The latest polls close of any area")
    since_polls_closed_seconds: int | None = Field(description="Seconds since the last polls closed (null before)")
    release: dict | None = Field(description="The release leaf of the public log: bulletin, override, operator, reason, at")
    time_zone: str
    now_local: str
    areas: list[AreaProgress] = Field(description="The whole country, then each first-level area")


@router.get("/progress", response_model=Progress, tags=["bulletins"])
async def progress(request: Request):
    """Transmission progress without a figure: tables transmitted, counted and pending per area, and time
    since polls closed. What the public sees while the publication policy holds figures."""
    found = await asyncio.to_thread(publication.progress, request.app.state.store)
    return cached(request, found, max_age=2)

"""The observers' JSON API: public counts of accredited observers (never a name or a phone)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import Field

from ...services import observers
from ..api import NO_ELECTION
from ..caching import cached
from ..models import Strict

router = APIRouter(prefix="/api/v1", responses={503: NO_ELECTION})


class OrganisationCount(Strict):
    organisation: str
    kind: str = Field(description="international, national, media or party_witness")
    observers: int


class ObserverSummary(Strict):
    accredited: int = Field(description="Accredited observers in all")
    kinds: dict[str, int] = Field(description="Accredited observers per kind (every kind, zero included)")
    organisations: list[OrganisationCount] = Field(description="Accredited observers per organisation and kind")
    statuses: dict[str, int] = Field(description="Observers per accreditation status: accredited, pending, revoked")


@router.get("/observers/summary", response_model=ObserverSummary, tags=["observers"])
def observer_summary(request: Request):
    """How many accredited observers, per kind and per organisation: counts only."""
    return cached(request, observers.summary(request.app.state.store), max_age=60)

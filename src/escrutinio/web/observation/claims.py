"""Claims on the web: GET /api/v1/claims, editors' POST, and the public claims page."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import AwareDatetime, Field

from ...services import claims
from ..api import NO_ELECTION, PROBLEM
from ..auth import operator
from ..caching import cached
from ..models import Strict

router = APIRouter(prefix="/api/v1", tags=["claims"], responses={503: NO_ELECTION})
pages = APIRouter(include_in_schema=False)


class QuickCountVerdict(Strict):
    verdict: str = Field(description="supported, contradicted or not_yet_checkable, on the quick count's estimate")
    reason: str = Field(description="The quick count's interval that supports or contradicts it, or what it waits for")
    reports: int = Field(description="Sampled tables whose reports the estimate used")
    label: str = Field(description="Says it is an estimate by observers, not the official count")


class ClaimOut(Strict):
    id: int
    author: str = Field(description="Who said it")
    said_at: str
    statement: str = Field(description="The claim in its checkable form (docs/observers.md)")
    entry: int | None = Field(description="The timeline entry it hangs on")
    verdict: str = Field(description="supported, contradicted or not_yet_checkable")
    reason: str = Field(description="The figure that supports or contradicts it, or what it waits for")
    bulletin: int | None = Field(description="The bulletin it was judged on")
    quickcount: QuickCountVerdict | None = Field(
        description="The claim judged on the quick count's estimate, apart from the official count; null without a sample")


class ClaimIn(Strict):
    statement: str = Field(min_length=1, max_length=300)
    author: str = Field(min_length=1, max_length=200)
    said_at: AwareDatetime
    entry: int | None = Field(None, ge=1, le=2**31 - 1)


@router.get("/claims", response_model=list[ClaimOut])
def list_claims(request: Request):
    """Every claim, judged against the latest bulletin (again at each new one)."""
    return cached(request, claims.list_claims(request.app.state.store), max_age=10)


@router.post("/claims", response_model=ClaimOut, status_code=201, responses={422: PROBLEM})
async def add_claim(request: Request, sent: ClaimIn):
    """Record a claim (an editor token)."""
    await operator(request, "editor")
    return await asyncio.to_thread(claims.add_claim, request.app.state.store, sent.statement, author=sent.author,
                                   said_at=sent.said_at, entry_id=sent.entry)


@pages.get("/claims", response_class=HTMLResponse)
def claims_page(request: Request):
    found = claims.list_claims(request.app.state.store)
    return request.app.state.pages.render(request, "claims.html", claims=found, json_twin="/api/v1/claims")



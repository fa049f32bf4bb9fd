"""The observers' JSON API: public counts of observers (never a name or a phone), SMS gateways' webhooks,
and observers' own reports."""

from __future__ import annotations

import asyncio
import hmac
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import Field

from ... import services
from ...domain.errors import ObservationRejected
from ...intake import sms
from ...services import observers, reports
from ..api import NO_ELECTION, PROBLEM
from ..auth import Forbidden, bearer
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


# -- reports: SMS gateways' webhooks and observers' own reports ---------------------------------

GATEWAY_NAMES = sorted([*sms.GATEWAYS, *sms.ALIASES])
SMS_BODY = {"required": True, "content": {
    "application/x-www-form-urlencoded": {"schema": {"type": "object", "additionalProperties": {"type": "string"}}},
    "application/json": {"schema": {"type": "object"}}}}
SMS_REPLY = {"description": "The reply to the sender, in the gateway's own form (TwiML, JSON or text)",
             "content": {"text/xml": {"schema": {"type": "string"}}, "text/plain": {"schema": {"type": "string"}},
                         "application/json": {"schema": {"type": "object"}}}}


@router.post("/sms/{gateway}", tags=["observers"], response_class=Response, openapi_extra={"requestBody": SMS_BODY, "security": []},
             responses={200: SMS_REPLY, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM, 413: PROBLEM})
async def sms_webhook(request: Request, gateway: Literal[tuple(GATEWAY_NAMES)],
                      secret: str | None = Query(None, max_length=200, description="The sms_webhook_secret setting")):
    """An SMS gateway's webhook: one inbound message, answered with the reply to send back.

    Stored once per gateway and message id; a body that is not the gateway's is refused (400) and
    nothing is stored; a sender who is not an accredited observer gets a polite refusal.
    """
    expected = request.app.state.settings.sms_webhook_secret
    if expected and not hmac.compare_digest((secret or "").encode(), expected.encode()):
        raise Forbidden("wrong or missing ?secret= for the SMS webhook: use the URL given to the gateway")
    body = await request.body()  # its size is bounded before it is read (web/bodies.py, max_comment_bytes)
    _, media_type, content = await asyncio.to_thread(
        reports.receive_sms, request.app.state.store, gateway, request.headers.get("content-type", ""), body)
    return Response(content, media_type=media_type)


class ReportIn(Strict):
    text: str = Field(min_length=1, max_length=2000, description="An INC or RES message (docs/observers.md)")


class ReportOut(Strict):
    outcome: str = Field(description="accepted")
    reply: str = Field(description="The confirmation, as an SMS would get it")


@router.post("/reports", tags=["observers"], status_code=201, response_model=ReportOut,
             responses={401: PROBLEM, 403: PROBLEM, 422: PROBLEM})
async def observer_report(request: Request, sent: ReportIn):
    """An observer's own report (an observer token): the same grammar and reply as by SMS."""
    answer = await submit(request, bearer(request), sent.text)
    if answer.outcome != reports.ACCEPTED:
        raise ObservationRejected(answer.reply, [])
    return {"outcome": answer.outcome, "reply": answer.reply}


async def submit(request: Request, token: str | None, text: str) -> reports.Answer:
    """Check the token is an observer's and hand the text to the reports service."""
    store = request.app.state.store
    who = await asyncio.to_thread(services.tokens.authenticate, store, token, "observer")
    found = await asyncio.to_thread(services.observers.observer_of, store, who)
    if found is None:
        raise Forbidden("this token does not act for an observer: create one with `escrutinio observers token`")
    return await asyncio.to_thread(reports.submit_web, store, found[0], found[1], text, who["name"])


# -- the quick count ----------------------------------------------------------------------------

class OptionEstimateOut(Strict):
    option: str
    share: float = Field(description="Estimated share of valid votes, a fraction")
    margin: float | None = Field(description="Half-width of the 95 % interval; null below two reports")
    low: float | None
    high: float | None


class OfficialOption(Strict):
    option: str
    share: float | None = Field(description="The official share of valid votes in the latest bulletin")
    within_interval: bool | None = Field(description="Whether it lies in the quick count's 95 % interval")


class OfficialCheck(Strict):
    bulletin: int
    options: list[OfficialOption]
    outside: list[str] = Field(description="Options whose official share falls outside the interval: a flag")


class ConvergencePoint(Strict):
    at: str = Field(description="A round time; the estimate from the reports received by then")
    reports: int
    strata: int
    strata_reporting: int
    options: list[OptionEstimateOut]


class ContestQuickCount(Strict):
    contest: str
    sampled_tables: int
    reports: int = Field(description="Sampled tables that reported")
    strata: int
    strata_reporting: int
    options: list[OptionEstimateOut]
    official: OfficialCheck | None
    convergence: list[ConvergencePoint] = Field(description="The estimate as reports arrived, at round times")


class SampleOut(Strict):
    seed: str
    size: int
    strata: str | None
    saved_at: str


class QuickCountOut(Strict):
    sample: SampleOut | None
    reports_outside_sample: int = Field(description="Result reports from tables not in the sample (not used)")
    contests: list[ContestQuickCount]
    note: str
    held: bool = Field(description="True while the publication policy holds figures: no estimate is shown")


@router.get("/quickcount", response_model=QuickCountOut, tags=["observers"])
def quickcount(request: Request):
    """The quick count: its sample, reports in, each option's estimate and 95 % margin per contest, and the
    official count of the latest bulletin checked against the interval. Separate from the official count."""
    return cached(request, services.quickcount.status(request.app.state.store), max_age=10)

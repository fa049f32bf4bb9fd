"""What operators do over HTTP: publish a bulletin, resolve or annul an acta (admin tokens only)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from pydantic import Field, StrictBool

from .. import services
from ..domain.errors import EntryRejected, NotFound, Problem
from .api import MAX_NUMBER
from .auth import operator, operator_name
from .models import Strict, Whole
from .timeline_models import SPACE

router = APIRouter(prefix="/api/v1")
PROBLEM = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
           "description": "Problem details (RFC 9457)"}


# A reason as services.resolve takes it: not only spaces, no control characters but tabs (one line).
REASON = rf"^[^\x00-\x08\x0a-\x1f]*[^{SPACE}\x00-\x1f][^\x00-\x08\x0a-\x1f]*$"


class Decision(Strict):
    reason: str = Field(min_length=1, max_length=1000, pattern=REASON,
                        description="Why: one line, not only spaces, without control characters (tabs allowed)")


class Resolution(Decision):
    count_quarantined: StrictBool = False  # true or false: not 0, 1 or "yes"


class PublishIn(Strict):
    hold: StrictBool = Field(False, description="Compute and store it for the authority, not public, while the "
                                                "publication policy holds figures")
    override: StrictBool = Field(False, description="Release it now although the publication policy does not allow "
                                                    "it yet: needs a reason, kept in the public log")
    reason: str | None = Field(None, min_length=1, max_length=1000, pattern=REASON, description="Why (with override)")


@router.post("/bulletins", status_code=201, responses={401: PROBLEM, 403: PROBLEM, 409: PROBLEM, 422: PROBLEM, 503: PROBLEM})
async def publish(request: Request, sent: PublishIn | None = None):
    """Publish the next bulletin now (admin). Before the publication policy allows, this is refused (409)
    unless ``hold`` (stored, not public) or ``override`` with a ``reason`` (released, logged)."""
    who = await operator(request)
    sent = sent or PublishIn()
    if sent.override and not sent.reason:
        raise EntryRejected("an override needs a reason", [Problem("reason", "missing", "say why the figures are "
                                                                   "released before the policy allows")])
    store = request.app.state.store
    bulletin = await asyncio.to_thread(services.publish_bulletin, store, hold=sent.hold,
                                       override=sent.reason if sent.override else None, operator=who["name"])
    public = await asyncio.to_thread(services.publication.is_public, store)
    return {"number": bulletin.number, "hash": bulletin.hash, "cut_off": bulletin.body["cut_off"], "public": public}


@router.post("/actas/{acta_id}/resolve", responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM})
async def resolve(request: Request, acta_id: Whole, decision: Resolution):
    """Count this acta for its table and contest, setting the others aside (admin), with a reason."""
    who = await operator(request)
    store = request.app.state.store
    record = await asyncio.to_thread(store.acta, _acta_id(acta_id))
    done = await asyncio.to_thread(services.resolve_conflict, store, record.acta.table, record.acta.contest,
                                   acta_id, decision.reason, operator_name(who), count_quarantined=decision.count_quarantined)
    return {"id": done.id, "status": done.status}


@router.post("/actas/{acta_id}/annul", responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM})
async def annul(request: Request, acta_id: Whole, decision: Decision):
    """Annul this acta (admin), with a reason: kept and shown, never counted."""
    who = await operator(request)
    done = await asyncio.to_thread(services.annul_acta, request.app.state.store, _acta_id(acta_id), decision.reason,
                                   operator_name(who))
    return {"id": done.id, "status": done.status}


def _acta_id(value: int) -> int:
    if not 1 <= value <= MAX_NUMBER:  # beyond a database integer: unknown, not a server error
        raise NotFound("acta", value)
    return value


class Recount(Strict):
    contest: str = Field(min_length=1, max_length=64, description="The contest recounted")
    votes: dict[str, Whole] = Field(description="Votes per option, as the board counted them")
    null: Whole
    blank: Whole | None = None
    ballots_cast: Whole
    board_ref: str = Field(min_length=1, max_length=200, pattern=REASON,
                           description="The competent board's reference for the recount")
    reason: str = Field(min_length=1, max_length=1000, pattern=REASON,
                        description="Why: one line, not only spaces, without control characters (tabs allowed)")


@router.post("/tables/{code}/recount", status_code=201,
             responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM})
async def recount(request: Request, code: str, decision: Recount):
    """A board's recount of one table (admin): its figures replace the acta that counts, with the board's
    reference and reason in the public log and the table's history."""
    who = await operator(request)
    figures = {"votes": decision.votes, "null": decision.null, "ballots_cast": decision.ballots_cast}
    if decision.blank is not None:
        figures["blank"] = decision.blank
    record = await asyncio.to_thread(services.recount, request.app.state.store, code, decision.contest, figures,
                                     decision.board_ref, decision.reason, operator_name(who))
    return {"acta_id": record.id, "table": code, "contest": decision.contest, "status": record.status}

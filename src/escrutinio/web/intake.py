"""POST /api/v1/actas: the same rules and messages as file intake, over HTTP.

One acta answers with a status of its own: 201 accepted (counted), 200
already present, 202 quarantined (stored, not counted), 409 conflict
(stored beside the acta already held), 422 rejected (problem+json, every
problem listed). A batch ({"actas": [...]}) answers 200 with one outcome
per acta, in order, each with the status it would have had alone.

An acta keyed in by hand from paper (``"entry": "manual"``, one at a time, by
a clerk's or transmission token) answers 202 awaiting_second_entry for its
first entry, 201 accepted once a second operator's entry agrees, 409 conflict
when the entries disagree, and 409 problem+json when the same operator enters
it twice (docs/manual-entry.md).
"""

from __future__ import annotations

import asyncio
import base64
import binascii

from fastapi import Request
from fastapi.responses import JSONResponse

from .. import services
from ..domain.errors import Problem
from ..intake.actas import Record, check_json_shape, loads
from ..services.intake import (ACCEPTED, ALREADY_PRESENT, AWAITING_SECOND_ENTRY, CONFLICT, QUARANTINED, REJECTED,
                               Outcome)
from .models import ActaBatch, ActaIn
from .auth import Forbidden, operator, operator_name
from .problems import problem

STATUS = {ACCEPTED: 201, ALREADY_PRESENT: 200, QUARANTINED: 202, CONFLICT: 409, REJECTED: 422,
          AWAITING_SECOND_ENTRY: 202}
SOURCE = "http"


async def post_actas(request: Request):
    who = await operator(request, "transmission", "clerk")
    origin = client_origin(request, who)
    body = await request.body()  # at most max_body_bytes: bodies.py cuts it off there
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        await _refused(request, origin, "malformed", body)
        return problem(415, "send actas as application/json", request.url.path)
    try:
        data = loads(body)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        await _refused(request, origin, "malformed", body)
        return problem(400, f"body is not valid JSON ({exc})", request.url.path)
    except RecursionError:
        await _refused(request, origin, "malformed", body)
        return problem(400, "body is not valid JSON (nested too deeply)", request.url.path)
    if isinstance(data, dict) and data.get("entry") == "manual":
        return await asyncio.to_thread(_manual, request, data, who, body)
    if who["role"] == "clerk":
        raise Forbidden("role 'clerk' may only key in paper actas (\"entry\": \"manual\")")
    if isinstance(data, dict) and set(data) == {"actas"} and isinstance(data["actas"], list):
        # Storing waits on the database (and the log's write lock): off the event loop, so reads go on.
        return await asyncio.to_thread(_batch, request, data["actas"], operator_name(who), origin, body)
    return await asyncio.to_thread(_single, request, data, operator_name(who), origin, body)


def client_origin(request: Request, who: dict | None) -> str:
    """Where a request came from, for the register of refused actas: the client's address and token."""
    address = request.client.host if request.client else "unknown address"
    return f"http {address}" + (f", token {operator_name(who)}" if who else "")


async def _refused(request: Request, origin: str, reason: str, body: bytes, table: object = None) -> None:
    store = request.app.state.store
    await asyncio.to_thread(services.intake.record_refusals, store,
                            [services.intake.refusal(table, origin, reason, body)])


def _records(items: list, body: bytes | None = None) -> list[Record]:
    """Each item as a record; its raw bytes (hashed if it is refused) are the request's body."""
    records = []
    for n, item in enumerate(items, 1):
        problems = check_json_shape(item)
        records.append(Record(SOURCE, n, None if problems else item, [p.located(SOURCE, n) for p in problems],
                              body))
    return records


def _outcome(o) -> dict:
    return {"result": o.result, "status": STATUS[o.result], "table": o.table, "contest": o.contest,
            "acta_id": o.acta_id, "reasons": list(o.reasons),
            "errors": [{"field": p.field, "message": p.message, "action": p.action} for p in o.problems]}


def _single(request: Request, item: object, operator_name: str, origin: str, body: bytes):
    [outcome] = services.ingest_records(request.app.state.store, _records([item], body), operator=operator_name,
                                        origin=origin)
    return _answer(request, outcome)


def _manual(request: Request, data: dict, who: dict, body: bytes):
    image, problems = None, []
    given = data.get("image")
    if given is not None:
        if not (isinstance(given, dict) and set(given) == {"media_type", "data"}
                and isinstance(given["media_type"], str) and isinstance(given["data"], str)):
            problems.append(Problem("image", "image must be {\"media_type\": …, \"data\": base64}",
                                    "send the scan's media type and its bytes in base64"))
        else:
            try:
                image = (given["media_type"], base64.b64decode(given["data"], validate=True))
            except (binascii.Error, ValueError):
                problems.append(Problem("image", "image data is not base64", "send the scan's bytes in base64"))
    if problems:
        services.intake.record_refusals(request.app.state.store, [services.intake.refusal(
            data.get("table"), client_origin(request, who), "malformed", body)])
        outcome = Outcome(SOURCE, 1, REJECTED, problems=tuple(problems))
    else:
        outcome = services.intake.enter_manual(request.app.state.store, data, who, channel="http", image=image,
                                               raw=body)
    return _answer(request, outcome)


def _answer(request: Request, outcome):
    if outcome.result == REJECTED:
        summary = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in outcome.problems)
        return problem(422, f"acta rejected: {summary}", request.url.path,
                       errors=[{"field": p.field, "message": p.message, "action": p.action}
                               for p in outcome.problems])
    return JSONResponse(_outcome(outcome), status_code=STATUS[outcome.result])


def _batch(request: Request, items: list, operator_name: str, origin: str, body: bytes):
    store = request.app.state.store
    if len(items) > 10_000:
        services.intake.record_refusals(store, [services.intake.refusal(None, origin, "too_large", body)])
        return problem(413, "at most 10,000 actas per batch", request.url.path)
    outcomes = services.ingest_records(store, _records(items, body), operator=operator_name,
                                       origin=origin) if items else []
    counts = {name: sum(o.result == name for o in outcomes) for name in STATUS}
    if not counts[AWAITING_SECOND_ENTRY]:  # a manual entry's alone: a batch of device actas answers as it always has
        del counts[AWAITING_SECOND_ENTRY]
    return JSONResponse({"counts": counts, "outcomes": [_outcome(o) for o in outcomes]})


def acta_request_schema() -> dict:
    single = ActaIn.model_json_schema(ref_template="#/components/schemas/{model}")
    batch = ActaBatch.model_json_schema(ref_template="#/components/schemas/{model}")
    batch.pop("$defs", None)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": {
        "oneOf": [{k: v for k, v in single.items() if k != "$defs"}, batch]}}}}}


def acta_responses(problem_response: dict) -> dict:
    outcome = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/OutcomeOut"}}}}
    return {201: {**outcome, "description": "Accepted and counted"},
            200: {"content": {"application/json": {"schema": {"oneOf": [
                {"$ref": "#/components/schemas/OutcomeOut"}, {"$ref": "#/components/schemas/BatchOut"}]}}},
                  "description": "Already present (one acta), or the outcomes of a batch"},
            202: {**outcome, "description": "Stored but quarantined: not counted, shown with its reasons; or a manual "
                                            "entry awaiting its second entry (awaiting_second_entry)"},
            409: {**outcome, "description": "Conflict: differs from the acta already held; both kept"},
            400: problem_response, 413: problem_response, 415: problem_response, 422: problem_response}

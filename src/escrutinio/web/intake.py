"""POST /api/v1/actas: the same rules and messages as file intake, over HTTP.

One acta answers with a status of its own: 201 accepted (counted), 200
already present, 202 quarantined (stored, not counted), 409 conflict
(stored beside the acta already held), 422 rejected (problem+json, every
problem listed). A batch ({"actas": [...]}) answers 200 with one outcome
per acta, in order, each with the status it would have had alone.
"""

from __future__ import annotations

import asyncio

from fastapi import Request
from fastapi.responses import JSONResponse

from .. import services
from ..intake.actas import Record, check_json_shape, loads
from ..services.intake import ACCEPTED, ALREADY_PRESENT, CONFLICT, QUARANTINED, REJECTED
from .models import ActaBatch, ActaIn
from .auth import operator, operator_name
from .problems import problem

STATUS = {ACCEPTED: 201, ALREADY_PRESENT: 200, QUARANTINED: 202, CONFLICT: 409, REJECTED: 422}
SOURCE = "http"


async def post_actas(request: Request):
    who = await operator(request, "transmission")
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return problem(415, "send actas as application/json", request.url.path)
    body = await request.body()  # at most max_body_bytes: bodies.py cuts it off there
    try:
        data = loads(body)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        return problem(400, f"body is not valid JSON ({exc})", request.url.path)
    except RecursionError:
        return problem(400, "body is not valid JSON (nested too deeply)", request.url.path)
    if isinstance(data, dict) and set(data) == {"actas"} and isinstance(data["actas"], list):
        # Storing waits on the database (and the log's write lock): off the event loop, so reads go on.
        return await asyncio.to_thread(_batch, request, data["actas"], operator_name(who))
    return await asyncio.to_thread(_single, request, data, operator_name(who))


def _records(items: list) -> list[Record]:
    records = []
    for n, item in enumerate(items, 1):
        problems = check_json_shape(item)
        records.append(Record(SOURCE, n, None if problems else item, [p.located(SOURCE, n) for p in problems]))
    return records


def _outcome(o) -> dict:
    return {"result": o.result, "status": STATUS[o.result], "table": o.table, "contest": o.contest,
            "acta_id": o.acta_id, "reasons": list(o.reasons),
            "errors": [{"field": p.field, "message": p.message, "action": p.action} for p in o.problems]}


def _single(request: Request, item: object, operator_name: str):
    [outcome] = services.ingest_records(request.app.state.store, _records([item]), operator=operator_name)
    if outcome.result == REJECTED:
        summary = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in outcome.problems)
        return problem(422, f"acta rejected: {summary}", request.url.path,
                       errors=[{"field": p.field, "message": p.message, "action": p.action}
                               for p in outcome.problems])
    return JSONResponse(_outcome(outcome), status_code=STATUS[outcome.result])


def _batch(request: Request, items: list, operator_name: str):
    if len(items) > 10_000:
        return problem(413, "at most 10,000 actas per batch", request.url.path)
    store = request.app.state.store
    outcomes = services.ingest_records(store, _records(items), operator=operator_name) if items else []
    counts = {name: sum(o.result == name for o in outcomes) for name in STATUS}
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
            202: {**outcome, "description": "Stored but quarantined: not counted, shown with its reasons"},
            409: {**outcome, "description": "Conflict: differs from the acta already held; both kept"},
            400: problem_response, 413: problem_response, 415: problem_response, 422: problem_response}

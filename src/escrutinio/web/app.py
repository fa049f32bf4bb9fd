"""Build the ASGI app: ``create_app(settings)``; nothing happens at import time."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from .. import services
from ..domain.errors import EscrutinioError
from ..settings import Settings, load_settings
from . import api, api_docs, bodies, capacity, certificate, comparison, embed, log_api, models, operations, pages, problems, published_api, search, timeline_api, timeline_pages
from .auth import RateLimiter, bearer
from .drill import DrillFlag
from .live import Broker, StreamSlots
from .observation import api as observation_api
from .observation import claims as observation_claims
from .observation import incidents as observation_incidents
from .observation import pages as observation_pages
from .observation import views as observation_views
from . import publication as publication_web
from .timeline_live import TimelineHub

HERE = Path(__file__).parent
_log = logging.getLogger("escrutinio.webhooks")


def create_app(settings: Settings | None = None, store=None) -> FastAPI:
    settings = settings or load_settings()
    store = store or services.open_store(settings.database_url)
    broker = Broker(store, settings.live_poll_seconds, settings.sse_queue_size)
    timeline = TimelineHub(store, settings.live_poll_seconds, settings.sse_queue_size)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        tasks = [asyncio.create_task(broker.watch()), asyncio.create_task(timeline.watch()),
                 asyncio.create_task(_warm(app))]
        if settings.webhook_interval_seconds > 0:
            tasks.append(asyncio.create_task(_send_webhooks(store, settings)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(title="escrutinio", version="1", lifespan=lifespan,
                  description="Results of the election: bulletins at every area, tables and their actas, "
                              "live events, and acta intake. Every page of the site has a JSON twin here.",
                  docs_url=None, redoc_url=None, openapi_url="/api/v1/openapi.json")
    app.state.settings = settings
    services.authority.use_key_file(store, settings.authority_key_file)
    app.state.store = store
    app.state.broker = broker
    app.state.timeline = timeline
    app.state.stream_slots = StreamSlots(settings.max_streams_per_address)
    app.state.comment_limiter = RateLimiter(timeline_api.COMMENTS_PER_MINUTE / 60, timeline_api.COMMENTS_PER_MINUTE)
    app.state.versions = versions = capacity.Versions(store)
    app.state.pages = pages.Pages(store, settings, versions)
    app.state.searcher = search.Searcher(store)
    problems.install(app)
    _single_query_values(app)
    app.add_middleware(bodies.BodyLimit, settings=settings, store=store)
    app.add_middleware(DrillFlag, store=store)  # flags every response of a drill (before it is kept)
    app.add_middleware(capacity.Capacity, store=store, versions=versions)  # answers kept reads before the checks
    _limit_rate(app, settings, store)  # added last: runs first
    app.include_router(api.router)
    app.include_router(log_api.router)
    app.include_router(published_api.router)
    app.include_router(observation_api.router)
    app.include_router(observation_pages.router)
    app.include_router(observation_views.router)
    app.include_router(publication_web.router)
    app.include_router(observation_incidents.router)
    app.include_router(observation_incidents.pages)
    app.include_router(observation_claims.router)
    app.include_router(observation_claims.pages)
    app.include_router(operations.router)
    app.include_router(timeline_api.router)
    app.include_router(timeline_pages.router)
    app.include_router(certificate.router)
    app.include_router(search.router)
    app.include_router(search.pages)
    app.include_router(comparison.router)
    app.include_router(comparison.pages)
    app.include_router(api_docs.router)
    app.include_router(embed.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.openapi = lambda: _openapi(app)
    return app


async def _send_webhooks(store, settings: Settings) -> None:
    """Queue and send partner webhooks every ``webhook_interval_seconds``; a failed pass is logged and
    tried again at the next (deliveries wait in the store, nothing is lost)."""
    while True:
        await asyncio.sleep(settings.webhook_interval_seconds)
        try:
            await asyncio.to_thread(services.webhooks.run_once, store, base_url=settings.public_base_url)
        except Exception:  # noqa: BLE001 - the server must keep serving whatever a pass meets
            _log.exception("partner webhooks: this pass failed; trying again in %ss", settings.webhook_interval_seconds)


async def _warm(app: FastAPI) -> None:
    """Build what every reader will need (the search index) once, off the request path, as the server starts."""
    with contextlib.suppress(Exception):  # no election yet: built when one is there and first asked for
        await asyncio.to_thread(app.state.searcher.index)


def _openapi(app: FastAPI) -> dict:
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (models.OutcomeOut, models.BatchOut, models.ProblemItem, models.ActaIn, models.ActaBatch,
                      models.Problem):
            extra = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(extra.pop("$defs", {}))
            components[model.__name__] = extra
        _problems_for_validation_errors(schema)
        _common_responses(schema)
        app.openapi_schema = schema
    return app.openapi_schema


def _problems_for_validation_errors(schema: dict) -> None:
    """Request validation errors are answered as problem+json (problems.py), not FastAPI's default body:
    document them so, on every API operation that takes parameters or a body."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if operation.get("parameters") or operation.get("requestBody"):
                responses.setdefault("422", {})
            if "422" in responses:
                responses["422"] = {
                    "description": responses["422"].get("description") if "content" in responses["422"]
                    and "application/problem+json" in responses["422"]["content"]
                    else "The request does not have the documented shape (problem details, RFC 9457)",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    components = schema.get("components", {}).get("schemas", {})
    text = json.dumps(schema["paths"])
    for name in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{name}" not in text:
            components.pop(name, None)


def _common_responses(schema: dict) -> None:
    """Every operation may be rate-limited (429) or meet a database it cannot use (503); writing ones need a
    token (401) with the right role (403)."""
    problem = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.setdefault("429", {"description": "Too many requests from this address (Retry-After)",
                                         **problem})
            responses.setdefault("503", {"description": "The store is unavailable: the database cannot be written "
                                         "or reached now; nothing was stored (Retry-After)", **problem})
            if operation.get("requestBody"):
                responses.setdefault("400", {"description": "The body is not valid JSON", **problem})
            if method in ("post", "put", "patch", "delete"):
                responses.setdefault("401", {"description": "No operator token, or an unknown or revoked one",
                                             **problem})
                responses.setdefault("403", {"description": "The token's role may not do this", **problem})
                operation.setdefault("security", [{"bearer": []}])
    security = schema.setdefault("components", {}).setdefault("securitySchemes", {})
    security["bearer"] = {"type": "http", "scheme": "bearer", "description": "An operator token "
                          "(`escrutinio token create NAME --role ROLE`)"}


def _single_query_values(app: FastAPI) -> None:
    """A query parameter given twice is ambiguous (which one counts?): refuse it rather than guess."""
    app.add_middleware(SingleQueryValues)


class SingleQueryValues:
    """ASGI middleware for :func:`_single_query_values` (plain ASGI: no per-request task, no body wrapping)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and b"&" in scope.get("query_string", b""):
            request = Request(scope)
            keys = [key for key, _ in request.query_params.multi_items()]
            repeated = sorted({key for key in keys if keys.count(key) > 1})
            if repeated:
                response = problems.problem(422, f"query parameter(s) given more than once: {', '.join(repeated)}",
                                            request.url.path, errors=[{"field": f"query.{key}", "message": "given "
                                            "more than once", "action": "give it once"} for key in repeated])
                return await response(scope, receive, send)
        await self.app(scope, receive, send)


def _limit_rate(app: FastAPI, settings: Settings, store) -> None:
    if settings.rate_limit_per_second > 0:
        app.add_middleware(RateLimit, limiter=RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst),
                           store=store)


class RateLimit:
    """ASGI middleware: public reads are limited per address; writes need an operator token anyway (401
    without one), and static files are not counted."""

    def __init__(self, app, limiter: RateLimiter, store):
        self.app, self.limiter, self.store = app, limiter, store

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or scope["path"].startswith("/static/"):
            return await self.app(scope, receive, send)
        request = Request(scope)
        if await _operator_request(request, self.store):
            return await self.app(scope, receive, send)
        allowed, wait = self.limiter.allow(request.client.host if request.client else "unknown")
        if allowed:
            return await self.app(scope, receive, send)
        response = problems.problem(429, "too many requests from this address; slow down", request.url.path)
        response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        await response(scope, receive, send)


async def _operator_request(request: Request, store) -> bool:
    token = bearer(request)
    if not token:
        return False
    try:
        await asyncio.to_thread(services.tokens.authenticate, store, token, *services.tokens.ROLES)
        return True
    except EscrutinioError:
        return False

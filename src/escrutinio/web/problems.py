"""Errors at the web edge: RFC 9457 problem+json for the API, an HTML page otherwise.

This is the one place where escrutinio's exceptions become status codes.
"""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..domain.errors import (ActaRejected, AlreadyInitialised, EntryRejected, EscrutinioError, KeyChangeRefused,
                             MalformedWebhook, ManualEntryRefused, NotFound, NotInitialised, ObservationRejected, ResolutionError,
                             StoreUnavailable, TimelineConflict, WriteConflict, PublicationHeld, FiguresHeld)
from ..services.tokens import Forbidden, Unauthenticated

STATUS = {Unauthenticated: 401, Forbidden: 403, NotFound: 404, ActaRejected: 422, ResolutionError: 409, ManualEntryRefused: 409, WriteConflict: 409, NotInitialised: 503,
          AlreadyInitialised: 409, EntryRejected: 422, TimelineConflict: 409, KeyChangeRefused: 409, PublicationHeld: 409, FiguresHeld: 404,
          StoreUnavailable: 503, MalformedWebhook: 400, ObservationRejected: 422}
UNAVAILABLE = ("the store is unavailable: the database cannot be written or reached now; nothing of this "
               "request was stored. Send it again after the Retry-After delay (sending an acta twice is safe)")
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
          409: "Conflict", 413: "Content too large", 415: "Unsupported media type", 422: "Unprocessable content",
          429: "Too many requests", 503: "Service unavailable", 500: "Internal server error"}
PROBLEM = "application/problem+json"
BEARER_CHALLENGE = 'Bearer realm="escrutinio"'


def problem(status: int, detail: str, instance: str, **extra) -> JSONResponse:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail,
            "instance": instance, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def respond(request: Request, status: int, detail: str, headers: dict | None = None,
            message: tuple[str, dict] | None = None, **extra):
    """An error as problem+json under /api/, as an HTML page elsewhere (``message``: a catalogue id and its
    parameters, for the page in the reader's language; the JSON keeps ``detail``)."""
    if _wants_html(request):
        pages = request.app.state.pages
        response = HTMLResponse(pages.error_page(request, status, detail, message), status_code=status)
    else:
        response = problem(status, detail, request.url.path, **extra)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


async def escrutinio_error(request: Request, exc: EscrutinioError):
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
    extra = {}
    if hasattr(exc, "problems"):
        extra["errors"] = [{"field": p.field, "message": p.message, "action": p.action,
                            **({"row": p.row} if p.row else {})} for p in exc.problems]
        detail = str(exc).splitlines()[0]
    else:
        detail = UNAVAILABLE if isinstance(exc, StoreUnavailable) else str(exc)  # the database's own words stay in the log
    message = None
    if isinstance(exc, NotFound):
        message = (f"notfound_{str(exc.kind).replace(' ', '_')}", {"key": str(exc.key)})
    response = respond(request, status, detail, message=message, **extra)
    if status == 401:
        response.headers["WWW-Authenticate"] = BEARER_CHALLENGE
    if isinstance(exc, StoreUnavailable):
        response.headers["Retry-After"] = str(request.app.state.settings.store_retry_after_seconds)
    return response


async def http_error(request: Request, exc: StarletteHTTPException):
    response = _with_headers(respond(request, exc.status_code, str(exc.detail)), exc)
    if exc.status_code == 405:
        # Several routes may share a path (GET and POST /api/v1/bulletins): allow what all of them allow.
        response.headers["Allow"] = ", ".join(sorted(_allowed(request)))
    return response


def _allowed(request: Request) -> set[str]:
    """The methods the API documents for this path (pages answer GET only)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), request.url.path):
            methods |= {m.upper() for m in operations}
    return methods or {"GET"}


def _with_headers(response, exc: StarletteHTTPException):
    for key, value in (getattr(exc, "headers", None) or {}).items():
        response.headers[key] = value
    return response


async def validation_error(request: Request, exc: RequestValidationError):
    errors = [{"field": ".".join(str(x) for x in e.get("loc", ()) if x != "body"), "message": e.get("msg", ""),
               "action": "correct this field and send the request again"} for e in exc.errors()]
    return respond(request, 422, "the request does not have the documented shape", errors=errors)


async def unexpected_error(request: Request, exc: Exception):
    return respond(request, 500, "an unexpected error occurred; it has been logged")


def install(app) -> None:
    app.add_exception_handler(EscrutinioError, escrutinio_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected_error)

"""Request bodies: limited on every route before they are read, and no body read without a token.

A server that reads a body before checking it can be made to hold whatever a
client sends. So, for every request, before the application sees it:

- a write that needs an operator token (every POST, PUT, PATCH and DELETE
  that a route takes, but the few open to the public: comments, SMS
  webhooks, the observers' form) without a valid one is
  answered 401 at once, and not a byte of its body is read;
- a body that declares a length over its route's limit is answered 413 at once;
- a body is counted as it streams in, whatever it declared (chunked bodies
  declare nothing), and the request is answered 413 the moment it passes the
  limit.

Refusals close the connection, so that a client still sending is cut off
rather than drained. Each kind of route has its own limit, from the settings:
intake (``max_body_bytes``) is large, operators' writes
(``max_write_body_bytes``) are small, public comments (``max_comment_bytes``)
smaller, and reads carry no body worth more than a comment's allowance.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from starlette.requests import Request
from starlette.routing import Match

from .. import services
from ..domain.errors import EscrutinioError
from ..services.tokens import Unauthenticated
from ..settings import Settings
from . import problems
from .auth import bearer

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
INTAKE = "/api/v1/actas"
# Writes open to the public, which prove who they are (if at all) some other way: readers' comments (API and
# form), SMS gateways' webhooks (a secret in the query) and the observers' form (the token inside the form).
PUBLIC = re.compile(r"(/api/v1)?/timeline/entries/[^/]+/comments|/api/v1/sms/[^/]+|/observe")
CLOSE = {"Connection": "close"}


@dataclass(frozen=True)
class Allowance:
    """What one request may send: at most ``limit`` bytes, and only with a token if ``needs_token``."""

    limit: int
    needs_token: bool
    advice: str


def allowance(settings: Settings, method: str, path: str, routed: bool = True) -> Allowance:
    """What a request may send; ``routed``: whether a route takes this method at this path (if not, it is
    answered 404 or 405, and needs no token to be told so)."""
    if method == "POST" and path == INTAKE:
        return Allowance(settings.max_body_bytes, True, "send the actas in smaller batches")
    if method == "POST" and PUBLIC.fullmatch(path):
        return Allowance(settings.max_comment_bytes, False, "shorten the message")
    if method in WRITES:
        return Allowance(settings.max_write_body_bytes, routed, "send less")
    return Allowance(settings.max_comment_bytes, False, "a request that only reads needs no body")


def _routed(scope) -> bool:
    return any(route.matches(scope)[0] is Match.FULL for route in scope["app"].router.routes)


class BodyTooLarge(Exception):
    """A body past its limit; ``read``: the bytes read before it was cut off."""

    def __init__(self, allowed: Allowance, read: bytes = b""):
        self.read = read
        self.detail = f"request body larger than {allowed.limit:,} bytes; {allowed.advice}"
        super().__init__(self.detail)


class BodyLimit:
    """ASGI middleware: the checks of this module's docstring, before the application reads anything.

    A body is read here, up to its limit, and handed to the application only once it is whole: so
    every route refuses an oversized body, even one whose handler would never have read it (a GET).
    """

    def __init__(self, app, settings: Settings, store):
        self.app, self.settings, self.store = app, settings, store

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        # Whether a route takes the request matters only to writes (matching every route costs each request).
        routed = scope["method"] in WRITES and _routed(scope)
        allowed = allowance(self.settings, scope["method"], scope["path"], routed)
        refusal = await self._refusal(request, allowed)
        if refusal is None and _has_body(request):
            try:
                receive = await _read_whole(receive, allowed)
            except BodyTooLarge as exc:
                refusal = problems.respond(request, 413, exc.detail, headers=CLOSE)
                await self._register(request, exc.read)
        if refusal is not None:
            return await refusal(scope, receive, send)
        if receive is not None:  # None: the client went away while sending
            await self.app(scope, receive, send)

    async def _refusal(self, request: Request, allowed: Allowance):
        """The answer to a request refused on its headers alone, or None."""
        if allowed.needs_token:
            try:
                await asyncio.to_thread(services.tokens.authenticate, self.store, bearer(request),
                                        *services.tokens.ROLES)
            except Unauthenticated as exc:
                return problems.respond(request, 401, str(exc), headers={
                    **CLOSE, "WWW-Authenticate": problems.BEARER_CHALLENGE})
            except EscrutinioError as exc:  # the store cannot be reached (503): answered as any route would
                return await problems.escrutinio_error(request, exc)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > allowed.limit:
            await self._register(request, b"")
            return problems.respond(request, 413, BodyTooLarge(allowed).detail, headers=CLOSE)
        return None

    async def _register(self, request: Request, read: bytes) -> None:
        """An intake body over its limit goes into the register of refused actas (its address, token and the
        SHA-256 of the bytes read before it was cut off); any other route's does not."""
        if request.method != "POST" or request.url.path != INTAKE:
            return
        try:
            who = await asyncio.to_thread(services.tokens.authenticate, self.store, bearer(request),
                                          *services.tokens.ROLES)
        except EscrutinioError:
            who = None
        address = request.client.host if request.client else "unknown address"
        origin = f"http {address}" + (f", token {services.tokens.operator_label(who)}" if who else "")
        origin += f", body cut off after {len(read):,} bytes" if read else ", declared a body too large"
        await asyncio.to_thread(services.intake.record_refusals, self.store,
                                [services.intake.refusal(None, origin, "too_large", read)])


def _has_body(request: Request) -> bool:
    """Whether a body follows the headers: in HTTP/1.1, the only version served, a request without a
    length or chunks has none (the server's parser reads whatever follows as the next request)."""
    return "transfer-encoding" in request.headers or request.headers.get("content-length", "0") not in ("", "0")


async def _read_whole(receive, allowed: Allowance):
    """The body, read up to its limit (BodyTooLarge past it), as a ``receive`` that replays it; None if the
    client disconnected."""
    messages, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        size += len(message.get("body", b""))
        if size > allowed.limit:
            raise BodyTooLarge(allowed, b"".join(m.get("body", b"") for m in messages) + message.get("body", b""))
        messages.append(message)
        if not message.get("more_body", False):
            break
    messages.reverse()

    async def replay():
        return messages.pop() if messages else await receive()

    return replay

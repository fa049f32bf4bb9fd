"""Holding a crowd: rendered answers kept in memory, compressed once, revalidated with ETags.

Profiled under load, every request for a page paid for rendering it again (the home page rebuilt its
inline map each time), every request of any kind went through every middleware (one of them matching the
path against every route) before a byte was sent, and nothing was compressed. This ASGI middleware runs
first, and for the public reads (the pages, the bulletins' JSON, search, static files):

- answers from memory what it answered before, while it is fresh: pages are kept per (path and query,
  language cookie, compression) and *generation*; the generation changes with a new bulletin (the store's
  latest bulletin, looked at no more than a few times a second, so one published by another process counts
  too) and with any write by this process; a kept page is also renewed after ``FRESH_SECONDS`` at most,
  for what changes between bulletins (the status of tables, the timeline, observers' reports);
- compresses HTML, JSON, CSV, SVG, JavaScript and CSS once, when kept (gzip, level 6), for clients that
  accept gzip; ``Vary: Accept-Encoding`` (and ``Cookie`` on pages, whose language it picks);
- gives every kept answer an ETag (a digest of its uncompressed body) and answers ``If-None-Match`` with
  304; pages that change go out with a short ``max-age`` and ``stale-while-revalidate``, so browsers and
  caches in front revalidate cheaply; immutable answers keep their own policy;
- answers HEAD as GET without the body, with the same headers.

Anything else (writes, operators' requests with a token, live streams, answers that are not 200) passes
through untouched.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import re
import time
from collections import OrderedDict
from dataclasses import dataclass

PAGE_POLICY = "public, max-age=2, stale-while-revalidate=30"
STATIC_POLICY = "public, max-age=300, stale-while-revalidate=86400"
FRESH_SECONDS = 1.0  # the longest a kept page that may change between bulletins is served before re-rendering
HEAD_SECONDS = 0.25  # how often the store's latest bulletin is looked at (a new bulletin renews every page)
MAX_ENTRIES = 4096
MAX_BYTES = 256 * 2**20
MAX_BODY = 8 * 2**20  # larger answers (a whole level's CSV at 1M tables) are sent as they are, not kept
MIN_COMPRESS = 512
COMPRESSIBLE = re.compile(r"text/|application/(json|problem\+json|javascript|xml|atom\+xml)|image/svg\+xml")
# Public reads worth keeping: the site's pages, the bulletins' JSON and CSV, search, static files.
KEPT = re.compile(r"/|/areas(/[^/]+)?|/tables/[^/]+|/bulletins(/\d+)?|/search|/embed/[^/]+|/timeline"
                  r"|/favicon\.(ico|svg)|/static/.+|/api/docs|/api/v1/openapi\.json"
                  r"|/api/v1/(bulletins(/latest|/\d+(/areas/[^/]+|/csv|/full)?)?|search|election|areas|nodes)")


@dataclass
class Kept:
    status: int
    headers: list[tuple[bytes, bytes]]  # without content-length and content-encoding
    body: bytes
    gzipped: bytes | None
    etag: bytes
    made: float
    generation: tuple

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


class Capacity:
    """ASGI middleware: the module's docstring."""

    def __init__(self, app, store):
        self.app = app
        self.store = store
        self.kept: OrderedDict[tuple, Kept] = OrderedDict()
        self.bytes = 0
        self._head: tuple[float, int | None] = (0.0, None)
        self._looking: asyncio.Future | None = None
        self.rendering: dict[tuple, asyncio.Future] = {}  # keys being rendered now

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or not KEPT.fullmatch(scope["path"]):
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        if b"authorization" in headers or headers.get(b"content-length", b"0") not in (b"", b"0") \
                or b"transfer-encoding" in headers:
            return await self.app(scope, receive, send)
        head = scope["method"] == "HEAD"
        gzip_ok = b"gzip" in headers.get(b"accept-encoding", b"")
        key = (scope["path"], scope.get("query_string", b""), _lang_cookie(headers.get(b"cookie", b"")))
        generation = (await self._bulletin(), self.store.writes)
        found = self.kept.get(key)
        now = time.monotonic()
        if found is None or found.generation != generation:
            found = await self._single(scope, key, generation, now)
            if isinstance(found, _Passed):
                return await found.replay(send, head)
        else:
            self.kept.move_to_end(key)
            if now - found.made > FRESH_SECONDS and not _immutable(found) and key not in self.rendering:
                # Older than a second but of the current bulletin: served as it is while it is made again.
                task = asyncio.ensure_future(self._render(scope, _no_body(), key, generation, now))
                task.generation = generation
                self.rendering[key] = task
                task.add_done_callback(lambda done: self.rendering.pop(key, None)
                                       if self.rendering.get(key) is done else None)
        await self._send(found, send, head, gzip_ok, headers.get(b"if-none-match", b""))

    async def _single(self, scope, key, generation, now):
        """Render ``key`` once however many ask for it at the same moment (the others wait for that answer).
        Requests kept have no body, and the render must not end when the one client it began for goes away:
        it is given a ``receive`` of its own."""
        running = self.rendering.get(key)
        if running is not None and running.generation == generation:
            found = await asyncio.shield(running)
            if not isinstance(found, _Passed):
                return found
        task = asyncio.ensure_future(self._render(scope, _no_body(), key, generation, now))
        task.generation = generation
        self.rendering[key] = task
        try:
            return await asyncio.shield(task)
        finally:
            if self.rendering.get(key) is task and task.done():
                self.rendering.pop(key, None)

    async def _bulletin(self) -> int | None:
        """The number of the store's latest bulletin, looked at no more than every ``HEAD_SECONDS``."""
        checked, number = self._head
        if time.monotonic() - checked < HEAD_SECONDS:
            return number
        if self._looking is None:
            self._looking = asyncio.ensure_future(asyncio.to_thread(self._read_head))
        looking = self._looking
        try:
            number = await asyncio.shield(looking)
        except Exception:  # the store is unavailable: the routes will say so
            number = None
        finally:
            if self._looking is looking and looking.done():
                self._looking = None
        self._head = (time.monotonic(), number)
        return number

    def _read_head(self) -> int | None:
        head = self.store.last_bulletin_head()
        return head[0] if head else None

    async def _render(self, scope, receive, key, generation, now):
        """Run the application as for a GET; keep its answer if it is a whole 200."""
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        # As a plain GET: the answer kept must be the whole one, whatever this client already holds.
        asked = [(k, v) for k, v in scope["headers"] if k not in (b"if-none-match", b"if-modified-since")]
        await self.app({**scope, "method": "GET", "headers": asked}, receive, capture)
        body = b"".join(chunks)
        raw = list(start.get("headers", []))
        names = {k.lower() for k, _ in raw}
        if start.get("status") != 200 or b"content-encoding" in names or len(body) > MAX_BODY:
            return _Passed(start, body)
        kept_headers = [(k, v) for k, v in raw if k.lower() not in (b"content-length", b"etag")]
        content_type = next((v for k, v in raw if k.lower() == b"content-type"), b"").decode("latin-1")
        etag = next((v for k, v in raw if k.lower() == b"etag"), None) \
            or b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"'
        is_page = content_type.startswith("text/html")
        policy = next((v for k, v in raw if k.lower() == b"cache-control"), b"")
        if scope["path"].startswith("/static/") and not policy:
            kept_headers.append((b"cache-control", STATIC_POLICY.encode()))
        elif is_page or policy in (b"", b"no-cache"):
            kept_headers = [(k, v) for k, v in kept_headers if k.lower() != b"cache-control"]
            private = b"set-cookie" in names
            kept_headers.append((b"cache-control", PAGE_POLICY.replace("public", "private", private).encode()))
        vary = [v for k, v in kept_headers if k.lower() == b"vary"]
        kept_headers = [(k, v) for k, v in kept_headers if k.lower() != b"vary"]
        kept_headers.append((b"vary", b"Accept-Encoding, Cookie" if is_page else b"Accept-Encoding"))
        if vary and b"Cookie" not in vary[0] and not is_page and vary[0] != b"Accept-Encoding":
            kept_headers[-1] = (b"vary", vary[0] + b", Accept-Encoding")
        gzipped = None
        if len(body) >= MIN_COMPRESS and COMPRESSIBLE.match(content_type):
            gzipped = await asyncio.to_thread(gzip.compress, body, 6, mtime=0)
        found = Kept(200, kept_headers, body, gzipped, etag, now, generation)
        self._keep(key, found)
        return found

    def _keep(self, key, found: Kept) -> None:
        old = self.kept.pop(key, None)
        if old is not None:
            self.bytes -= old.size
        self.kept[key] = found
        self.bytes += found.size
        while self.kept and (len(self.kept) > MAX_ENTRIES or self.bytes > MAX_BYTES):
            _, dropped = self.kept.popitem(last=False)
            self.bytes -= dropped.size

    async def _send(self, found: Kept, send, head: bool, gzip_ok: bool, if_none_match: bytes) -> None:
        headers = [*found.headers, (b"etag", found.etag)]
        if if_none_match and (found.etag in [t.strip() for t in if_none_match.split(b",")]
                              or if_none_match.strip() == b"*"):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = found.body
        if gzip_ok and found.gzipped is not None:
            body = found.gzipped
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": found.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else body})

    def clear(self) -> None:
        self.kept.clear()
        self.bytes = 0


@dataclass
class _Passed:
    """An answer not kept (not a 200, streamed, or too large): sent as the application gave it."""

    start: dict
    body: bytes

    async def replay(self, send, head: bool) -> None:
        await send({"type": "http.response.start", "status": self.start.get("status", 500),
                    "headers": self.start.get("headers", [])})
        await send({"type": "http.response.body", "body": b"" if head else self.body})


def _no_body():
    """A ``receive`` for a render that no client is waiting for: an empty body, then nothing (never a
    disconnect: a response that listens for one, as a file's does, just waits until it has sent all)."""
    given = False

    async def receive():
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()

    return receive


def _immutable(found: Kept) -> bool:
    return any(k.lower() == b"cache-control" and b"immutable" in v for k, v in found.headers)


def _lang_cookie(cookie: bytes) -> bytes:
    """The language chosen by cookie (the only cookie that changes a public page), or b""."""
    match = re.search(rb"(?:^|;\s*)lang=([^;]*)", cookie)
    return match.group(1).strip() if match else b""

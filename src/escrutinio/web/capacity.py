"""Holding a crowd: rendered answers kept in memory, compressed once, revalidated with ETags.

Profiled under load, every request for a page paid for rendering it again (the home page rebuilt its
inline maps, the quick count and the timeline each time), every request of any kind went through every
middleware (one of them matching the path against every route) before a byte was sent, and nothing was
compressed. This ASGI middleware runs first, and for the public reads (the pages, the bulletins' JSON,
search, static files):

- answers from memory what it answered before, as long as what it shows has not changed: answers are
  kept per (path and query, language cookie) with the *marks* of what they show (:class:`Versions`:
  the latest bulletin, the public log, the timeline, the observers' reports, claims…, read from the store
  by a thread a few times a second while requests come, so a change made by another process counts too,
  and at once after a write by this process). A route names what its page shows in the header
  ``X-Escrutinio-Depends`` (taken off before sending; the home page, for instance, does not change with
  each acta once figures are public); without it, every mark counts; static files depend on none. A
  request answered from memory reads nothing from the store. A kept answer older than ``FRESH_SECONDS``
  is still made again behind the one served, for anything no mark sees (a clock passing a time);
- compresses HTML, JSON, CSV, SVG, JavaScript and CSS once, when kept (gzip level 6, and brotli quality 5
  with the ``brotli`` package), and sends the smaller one the client accepts; ``Vary: Accept-Encoding``
  (and ``Cookie`` on pages, whose language it picks);
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
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import brotli

from ..domain.errors import EscrutinioError

PAGE_POLICY = "public, max-age=2, stale-while-revalidate=30"
STATIC_POLICY = "public, max-age=300, stale-while-revalidate=86400"
FRESH_SECONDS = 30.0  # a kept answer older than this is made again behind the one served (what no mark sees)
HEAD_SECONDS = 0.25  # how often the store's marks are read while requests come (a change renews what shows it)
IDLE_SECONDS = 10.0  # the thread that reads them stops after this long without a request
DEPENDS = b"x-escrutinio-depends"  # a route's list of marks its answer shows (see Versions)
# Answers that show nothing of the store but whether figures are public, or nothing at all.
PATH_DEPENDS = [(re.compile(r"/static/.+|/favicon\.(ico|svg)|/api/docs|/api/v1/openapi\.json"), ()),
                (re.compile(r"/api/v1/bulletins/\d+(/areas/[^/]+|/csv|/full)?"), ("public",)),
                (re.compile(r"/api/v1/bulletins/latest"), ("bulletin", "public"))]
MAX_ENTRIES = 4096
MAX_BYTES = 256 * 2**20
MAX_BODY = 32 * 2**20  # kept up to this (the latest bulletin's JSON at 1M tables: 15 MB); larger (a whole level's CSV) sent as is
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
    depends: tuple[str, ...] | None  # the marks it shows (None: all)
    generation: tuple  # their values when it was made
    brotli: bytes | None = None

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"") + len(self.brotli or b"")


class Versions:
    """The store's marks now (:meth:`Store.versions`, and whether figures are public), read off the request
    path: a thread reads them every ``HEAD_SECONDS`` while requests come, and stops after ``IDLE_SECONDS``
    without one; a request reads them itself only the first time and after a write by this process (its
    own change is then seen at once). Shared by the kept answers and the pages' kept parts."""

    def __init__(self, store):
        self.store = store
        self.marks: dict | None = None
        self._writes = None
        self._asked = 0.0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def now(self) -> dict:
        """The marks (read here if they may be stale: never read, or this process wrote since)."""
        self._asked = time.monotonic()
        if self.marks is None or self._writes != self.store.writes:
            self.read()
        self._watch()
        return self.marks

    def fresh(self) -> bool:
        return self.marks is not None and self._writes == self.store.writes

    def read(self) -> dict:
        writes = self.store.writes
        from .. import services

        marks = self.store.versions()  # raises before the schema is there: nothing is kept then
        try:
            marks["public"] = (services.publication.is_public(self.store),)
        except EscrutinioError:  # no election yet
            marks["public"] = (None,)
        self.marks, self._writes = marks, writes
        return marks

    def _watch(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=_watch, args=(weakref.ref(self),), daemon=True,
                                                name="escrutinio-versions")
                self._thread.start()


def _watch(ref) -> None:
    """Read the marks every ``HEAD_SECONDS`` while requests come (holds no reference between reads)."""
    while True:
        time.sleep(HEAD_SECONDS)
        versions = ref()
        if versions is None:
            return
        if time.monotonic() - versions._asked > IDLE_SECONDS:
            with versions._lock:
                versions._thread = None
            return
        try:
            versions.read()
        except Exception:  # noqa: BLE001 - the store is unavailable: the routes will say so
            versions.marks = None
        del versions


def project(marks: dict, depends: tuple[str, ...] | None) -> tuple:
    """The values of the marks an answer depends on (all of them for None)."""
    if depends is None:
        return tuple(sorted(marks.items()))
    return tuple(marks.get(name) for name in depends)


class Capacity:
    """ASGI middleware: the module's docstring."""

    def __init__(self, app, store, versions: Versions | None = None):
        self.app = app
        self.store = store
        self.versions = versions or Versions(store)
        self.kept: OrderedDict[tuple, Kept] = OrderedDict()
        self.bytes = 0
        self.rendering: dict[tuple, asyncio.Future] = {}  # keys being rendered now

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or not KEPT.fullmatch(scope["path"]):
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        if b"authorization" in headers or headers.get(b"content-length", b"0") not in (b"", b"0") \
                or b"transfer-encoding" in headers:
            return await self.app(scope, receive, send)
        head = scope["method"] == "HEAD"
        accepted = headers.get(b"accept-encoding", b"")
        key = (scope["path"], scope.get("query_string", b""), _lang_cookie(headers.get(b"cookie", b"")))
        marks = await self._marks()
        found = self.kept.get(key)
        now = time.monotonic()
        if found is None or marks is None or found.generation != project(marks, found.depends):
            found = await self._single(scope, key, marks, now)
            if isinstance(found, _Passed):
                return await found.replay(send, head)
        else:
            self.kept.move_to_end(key)
            if now - found.made > FRESH_SECONDS and not _immutable(found) and key not in self.rendering:
                # Nothing it shows has changed, but it is old: served as it is while it is made again.
                task = asyncio.ensure_future(self._render(scope, _no_body(), key, marks, now))
                task.marks = marks
                self.rendering[key] = task
                task.add_done_callback(lambda done: self.rendering.pop(key, None)
                                       if self.rendering.get(key) is done else None)
        await self._send(found, send, head, accepted, headers.get(b"if-none-match", b""))

    async def _marks(self) -> dict | None:
        """The store's marks; read off the event loop when they must be read now (None: the store is
        unavailable, and nothing kept is trusted)."""
        if self.versions.fresh():
            return self.versions.now()
        try:
            return await asyncio.to_thread(self.versions.now)
        except Exception:  # noqa: BLE001 - the routes will say what is wrong with the store
            return None

    async def _single(self, scope, key, marks, now):
        """Render ``key`` once however many ask for it at the same moment (the others wait for that answer).
        Requests kept have no body, and the render must not end when the one client it began for goes away:
        it is given a ``receive`` of its own."""
        running = self.rendering.get(key)
        if running is not None and marks is not None and running.marks == marks:
            found = await asyncio.shield(running)
            if not isinstance(found, _Passed):
                return found
        task = asyncio.ensure_future(self._render(scope, _no_body(), key, marks, now))
        task.marks = marks
        self.rendering[key] = task
        try:
            return await asyncio.shield(task)
        finally:
            if self.rendering.get(key) is task and task.done():
                self.rendering.pop(key, None)

    async def _render(self, scope, receive, key, marks, now):
        """Run the application as for a GET; keep its answer if it is a whole 200 (with the marks read
        before it was made: a change while it is made renews it at the next request)."""
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
        said = next((v for k, v in raw if k.lower() == DEPENDS), None)
        raw = [(k, v) for k, v in raw if k.lower() != DEPENDS]
        start["headers"] = raw
        names = {k.lower() for k, _ in raw}
        if start.get("status") != 200 or b"content-encoding" in names or len(body) > MAX_BODY or marks is None:
            return _Passed(start, body)
        depends = tuple(said.decode().split()) if said is not None else _path_depends(scope["path"])
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
        gzipped = squeezed = None
        if len(body) >= MIN_COMPRESS and COMPRESSIBLE.match(content_type):
            gzipped, squeezed = await asyncio.to_thread(_compress, body)
        found = Kept(200, kept_headers, body, gzipped, etag, now, depends, project(marks, depends), squeezed)
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

    async def _send(self, found: Kept, send, head: bool, accepted: bytes, if_none_match: bytes) -> None:
        headers = [*found.headers, (b"etag", found.etag)]
        if if_none_match and (found.etag in [t.strip() for t in if_none_match.split(b",")]
                              or if_none_match.strip() == b"*"):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = found.body
        if found.brotli is not None and b"br" in accepted and _accepts(accepted, b"br"):
            body = found.brotli
            headers.append((b"content-encoding", b"br"))
        elif found.gzipped is not None and b"gzip" in accepted and _accepts(accepted, b"gzip"):
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
                    "headers": [(k, v) for k, v in self.start.get("headers", []) if k.lower() != DEPENDS]})
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


def _compress(body: bytes) -> tuple[bytes, bytes]:
    """gzip (level 6) and brotli (quality 5: near gzip's speed, a tenth or so smaller) of ``body``, once."""
    return gzip.compress(body, 6, mtime=0), brotli.compress(body, quality=5)


def _accepts(accepted: bytes, coding: bytes) -> bool:
    """Whether ``Accept-Encoding`` takes ``coding`` (named, and not with q=0)."""
    for item in accepted.split(b","):
        name, _, params = item.strip().partition(b";")
        if name.strip().lower() == coding:
            return re.fullmatch(rb"\s*q\s*=\s*0(\.0*)?\s*", params) is None
    return False


def _path_depends(path: str) -> tuple[str, ...] | None:
    for pattern, depends in PATH_DEPENDS:
        if pattern.fullmatch(path):
            return depends
    return None


def _immutable(found: Kept) -> bool:
    return any(k.lower() == b"cache-control" and b"immutable" in v for k, v in found.headers)


def _lang_cookie(cookie: bytes) -> bytes:
    """The language chosen by cookie (the only cookie that changes a public page), or b""."""
    match = re.search(rb"(?:^|;\s*)lang=([^;]*)", cookie)
    return match.group(1).strip() if match else b""

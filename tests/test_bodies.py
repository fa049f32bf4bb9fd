"""Request bodies are limited on every route before they are read, and none is read without a token.

The app is driven as an ASGI server drives it, with a ``receive`` that counts
the bytes it hands over: what a route reads is measured, not inferred. The
last test floods a real `escrutinio serve` with four 500 MB bodies at a time
and watches its memory.
"""

from __future__ import annotations

import asyncio
import json
import select
import socket
import threading
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from escrutinio import services
from escrutinio.domain.timeline import MAX_BODY, MAX_COMMENT, MAX_NAME, MAX_REASON
from escrutinio.services.tokens import create_token, revoke_token
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app

from .conftest import serving

CHUNK = 16_384
LIMITS = {"max_body_bytes": 300_000, "max_write_body_bytes": 100_000, "max_comment_bytes": 10_000}


class Sent:
    """What the app answered, and how many body bytes it took from the client."""

    def __init__(self):
        self.messages: list[dict] = []
        self.taken = 0

    @property
    def status(self) -> int:
        return self.messages[0]["status"]

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode().lower(): v.decode() for k, v in self.messages[0]["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages[1:])


def endless(size: int = 500_000_000, piece: bytes = b"x" * CHUNK):
    """A body of ``size`` bytes, made only as it is read."""
    for _ in range(size // len(piece)):
        yield piece


def call(app, method: str, path: str, chunks=(), headers: dict[str, str] | None = None) -> Sent:
    """One request through the whole app, its body handed over chunk by chunk (chunked, unless the headers
    give a length)."""
    sent = Sent()
    headers = {"Transfer-Encoding": "chunked", **(headers or {})}
    if "Content-Length" in headers or headers["Transfer-Encoding"] is None:
        del headers["Transfer-Encoding"]
    pieces = iter(chunks)

    async def receive():
        piece = next(pieces, None)
        if piece is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        sent.taken += len(piece)
        return {"type": "http.request", "body": piece, "more_body": True}

    async def send(message):
        sent.messages.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), *((k.lower().encode(), v.encode())
                                                     for k, v in headers.items())],
             "client": ("192.0.2.7", 50000), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    return sent


@pytest.fixture
def night(small_store):
    """The small election with one timeline entry, an app with small limits, and a token of each role."""
    services.timeline.post_entry(small_store, "Polls are open", author="Desk")
    tokens = {role: create_token(small_store, f"a {role}", role)[1] for role in ("admin", "transmission", "editor")}
    app = create_app(load_settings(database_url=small_store.url, rate_limit_per_second=0, **LIMITS), small_store)
    return app, tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


WRITES = [("POST", "/api/v1/actas"), ("POST", "/api/v1/actas/1/resolve"), ("POST", "/api/v1/actas/1/annul"),
          ("POST", "/api/v1/bulletins"), ("POST", "/api/v1/timeline/entries"),
          ("PATCH", "/api/v1/timeline/entries/1"), ("PUT", "/api/v1/timeline/entries/1/pin"),
          ("DELETE", "/api/v1/timeline/entries/1"), ("POST", "/api/v1/timeline/comments/1/approve")]


@pytest.mark.parametrize("method, path", WRITES)
@pytest.mark.parametrize("token", ["none", "unknown", "revoked"])
def test_a_write_without_a_valid_token_is_refused_before_its_body_is_read(night, small_store, method, path, token):
    app, _ = night
    headers = {"Content-Type": "application/json"}
    if token == "unknown":
        headers["Authorization"] = "Bearer esc_" + "A" * 43
    elif token == "revoked":
        token_id, secret = create_token(small_store, "gone", "admin")
        revoke_token(small_store, token_id)
        headers["Authorization"] = f"Bearer {secret}"
    sent = call(app, method, path, endless(), headers)
    assert sent.status == 401, sent.body[:300]
    assert sent.taken == 0, f"{sent.taken:,} bytes of the body were read before the token was checked"
    assert sent.headers["www-authenticate"].startswith("Bearer")
    assert sent.headers["connection"] == "close"
    if path.startswith("/api/"):
        problem = json.loads(sent.body)
        assert problem["status"] == 401 and "token" in problem["detail"]


# route, the role of the token sent (None: no token), the setting that limits it, the status of a small body
ROUTES = [("POST", "/api/v1/actas", "transmission", "max_body_bytes"),
          ("POST", "/api/v1/actas/1/resolve", "admin", "max_write_body_bytes"),
          ("POST", "/api/v1/timeline/entries", "editor", "max_write_body_bytes"),
          ("PATCH", "/api/v1/timeline/entries/1", "editor", "max_write_body_bytes"),
          ("POST", "/api/v1/actas/1/resolve", "transmission", "max_write_body_bytes"),
          ("POST", "/api/v1/timeline/entries/1/comments", None, "max_comment_bytes"),
          ("POST", "/timeline/entries/1/comments", None, "max_comment_bytes"),
          ("POST", "/api/v1/sms/twilio", None, "max_comment_bytes"),
          ("POST", "/observe", None, "max_comment_bytes"),
          ("GET", "/api/v1/bulletins", None, "max_comment_bytes"),
          ("GET", "/timeline", None, "max_comment_bytes")]


@pytest.mark.parametrize("method, path, role, setting", ROUTES)
def test_a_body_without_a_length_is_cut_off_at_its_routes_limit(night, method, path, role, setting):
    app, tokens = night
    headers = bearer(tokens[role]) if role else {"Content-Type": "application/x-www-form-urlencoded"}
    sent = call(app, method, path, endless(), headers)
    limit = LIMITS[setting]
    assert sent.status == 413, sent.body[:300]
    assert limit < sent.taken <= limit + CHUNK, f"read {sent.taken:,} bytes for a limit of {limit:,}"
    assert sent.headers["connection"] == "close"
    if path.startswith("/api/"):
        assert json.loads(sent.body)["detail"].startswith(f"request body larger than {limit:,} bytes")
    else:
        assert f"{limit:,}".encode() in sent.body and b"<html" in sent.body.lower()


@pytest.mark.parametrize("method, path, role, setting", ROUTES)
def test_a_declared_length_over_the_limit_is_refused_unread(night, method, path, role, setting):
    app, tokens = night
    headers = bearer(tokens[role]) if role else {}
    sent = call(app, method, path, endless(), {**headers, "Content-Length": str(LIMITS[setting] + 1)})
    assert sent.status == 413, sent.body[:300]
    assert sent.taken == 0


@pytest.mark.parametrize("method, path, status", [("POST", "/api/v1/nowhere", 404), ("POST", "/nowhere", 404),
                                                  ("PUT", "/api/v1/election", 405), ("DELETE", "/", 405)])
def test_a_write_no_route_takes_is_told_so_after_at_most_the_write_limit(night, method, path, status):
    app, _ = night
    sent = call(app, method, path, endless(1_000), {"Content-Type": "application/json"})
    assert sent.status == status, sent.body[:300]
    sent = call(app, method, path, endless(), {"Content-Type": "application/json"})
    assert sent.status == 413, sent.body[:300]
    assert sent.taken <= LIMITS["max_write_body_bytes"] + CHUNK


def test_a_body_within_the_limit_is_read_whole(night):
    app, tokens = night
    body = json.dumps({"body": "Turnout is high", "reason": "x" * 900}).encode()
    pieces = [body[i:i + 7] for i in range(0, len(body), 7)]
    sent = call(app, "PATCH", "/api/v1/timeline/entries/1", pieces, bearer(tokens["editor"]))
    assert sent.status == 200, sent.body[:300]
    assert json.loads(sent.body)["body"] == "Turnout is high"


def test_the_default_limits_fit_the_largest_requests_the_api_allows(small_store):
    """The worst case of each: every character outside the Basic Multilingual Plane, escaped as JSON or a form
    escapes it (12 bytes a character), at the longest each field may be."""
    services.timeline.post_entry(small_store, "Polls are open", author="Desk")
    _, editor = create_token(small_store, "desk", "editor")
    app = create_app(load_settings(database_url=small_store.url, rate_limit_per_second=0), small_store)
    wide = "\U0001F5F3"  # a ballot box
    entry = json.dumps({"body": wide * MAX_BODY, "media_title": None}).encode()
    assert len(entry) > 12 * MAX_BODY
    sent = call(app, "POST", "/api/v1/timeline/entries", [entry], bearer(editor))
    assert sent.status == 201, sent.body[:300]
    edit = json.dumps({"body": wide * MAX_BODY, "reason": wide * MAX_REASON}).encode()
    assert call(app, "PATCH", "/api/v1/timeline/entries/1", [edit], bearer(editor)).status == 200
    comment = json.dumps({"name": wide * MAX_NAME, "body": wide * MAX_COMMENT}).encode()
    sent = call(app, "POST", "/api/v1/timeline/entries/1/comments", [comment], {"Content-Type": "application/json"})
    assert sent.status == 202, sent.body[:300]
    form = urlencode({"name": wide * MAX_NAME, "body": wide * MAX_COMMENT, "from": "entry"}).encode()
    assert len(form) > 12 * (MAX_NAME + MAX_COMMENT)
    sent = call(app, "POST", "/timeline/entries/1/comments", [form],
                {"Content-Type": "application/x-www-form-urlencoded"})
    assert sent.status == 303, sent.body[:300]
    pending = services.timeline.list_comments(small_store, "pending")
    assert [len(c.body) for c in pending] == [MAX_COMMENT, MAX_COMMENT]


# -- a real server, flooded ------------------------------------------------------------------------------

FLOOD = 500_000_000
ALLOWED_GROWTH = 300 * 2**20


def memory(pid: int, field: str) -> int:
    """VmRSS (resident now) or VmHWM (the most it was ever resident) of process ``pid``, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)


def flood(port: int, head: bytes, chunked: bool, stop: threading.Event) -> bytes:
    """Send ``head`` and then up to 500 MB until the server answers; the answer's status line and headers."""
    piece = b"x" * 262_144
    frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=300) as sock:
        sock.sendall(head)
        for _ in range(FLOOD // len(piece) + 1):
            if stop.is_set() or select.select([sock], [], [], 0)[0]:
                break
            try:
                sock.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                break
        if stop.is_set():
            return b"stopped: the server grew too much"
        try:
            while b"\r\n\r\n" not in answer:
                more = sock.recv(65_536)
                if not more:
                    break
                answer += more
        except ConnectionResetError:
            pass
    return answer


def test_four_parallel_500_mb_bodies_leave_the_servers_memory_alone(small_store, tmp_path):
    services.timeline.post_entry(small_store, "Polls are open", author="Desk")
    _, admin = create_token(small_store, "results centre", "admin")
    with serving(small_store.url, tmp_path) as (base, server):
        port = int(base.rsplit(":", 1)[1])
        for page in ("/", "/timeline", "/api/v1/bulletins", "/api/v1/timeline"):  # warm up: imports, templates
            httpx.get(base + page, timeout=60)
        httpx.post(f"{base}/api/v1/timeline/entries/1/comments", json={"name": "A reader", "body": "Hello"},
                   timeout=60)
        resting = memory(server.pid, "VmRSS")
        stop = threading.Event()
        watcher = threading.Thread(target=_watch, args=(server.pid, resting, stop), daemon=True)
        watcher.start()
        try:
            rounds = [(None, True, [("POST", "/api/v1/actas/1/resolve", 401), ("POST", "/api/v1/timeline/entries", 401),
                                    ("POST", "/api/v1/timeline/entries/1/comments", 413),
                                    ("POST", "/timeline/entries/1/comments", 413)]),
                      (admin, True, [("POST", "/api/v1/actas", 413), ("POST", "/api/v1/actas/1/resolve", 413),
                                     ("PATCH", "/api/v1/timeline/entries/1", 413), ("GET", "/api/v1/bulletins", 413)]),
                      (admin, False, [("POST", "/api/v1/actas", 413), ("POST", "/api/v1/bulletins", 413),
                                      ("POST", "/api/v1/timeline/entries/1/comments", 413), ("PUT", "/nowhere", 413)])]
            for token, chunked, requests in rounds:
                _flood_round(port, token, chunked, requests, stop)
        finally:
            stop.set()
            watcher.join()
        grown = memory(server.pid, "VmHWM") - resting
    assert grown < ALLOWED_GROWTH, f"the server's memory grew by {grown / 2**20:,.0f} MB at its peak"


def _flood_round(port: int, token: str | None, chunked: bool, requests: list, stop: threading.Event) -> None:
    answers: dict[int, bytes] = {}

    def one(n: int, method: str, path: str) -> None:
        head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
        head += [f"Authorization: Bearer {token}"] if token else []
        head += ["Transfer-Encoding: chunked"] if chunked else [f"Content-Length: {FLOOD}"]
        answers[n] = flood(port, ("\r\n".join(head) + "\r\n\r\n").encode(), chunked, stop)

    threads = [threading.Thread(target=one, args=(n, method, path)) for n, (method, path, _) in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for n, (method, path, status) in enumerate(requests):
        assert answers[n].startswith(f"HTTP/1.1 {status} ".encode()), (method, path, chunked, answers[n][:200])


def _watch(pid: int, resting: int, stop: threading.Event) -> None:
    """Stop the flood once the server has grown past what is allowed (the test then fails, without
    taking the machine's memory with it)."""
    while not stop.wait(0.05):
        if memory(pid, "VmRSS") - resting > ALLOWED_GROWTH:
            stop.set()


def test_the_writes_open_to_the_public_are_exactly_those_documented_without_a_token(night):
    """bodies.PUBLIC must name every write the OpenAPI document says needs no token (security: []), and the
    two HTML forms: a public write added later and not named there would answer 401 to everyone."""
    from escrutinio.web.bodies import PUBLIC

    app, _ = night
    doc = app.openapi()
    open_api = {path for path, operations in doc["paths"].items() for method, operation in operations.items()
                if method in ("post", "put", "patch", "delete") and operation.get("security") == []}
    forms = {route.path for route in _routes(app.routes) if not route.path.startswith("/api/")
             and {"POST", "PUT", "PATCH", "DELETE"} & set(getattr(route, "methods", ()) or ())}
    assert forms == {"/timeline/entries/{entry_id}/comments", "/observe"}
    for path in open_api | forms:
        assert PUBLIC.fullmatch(path.replace("{", "").replace("}", "")), path
    written = {path for path, operations in doc["paths"].items()
               if set(operations) & {"post", "put", "patch", "delete"}} - open_api
    for path in written:
        assert not PUBLIC.fullmatch(path.replace("{", "").replace("}", "")), path


def _routes(routes):
    """Every route of the app, through the routers it includes."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            prefix = getattr(route.include_context, "prefix", "") or ""
            yield from (_Prefixed(prefix, r) for r in _routes(included.routes))
        else:
            yield route


class _Prefixed:
    def __init__(self, prefix: str, route):
        self.path, self.methods = prefix + route.path, getattr(route, "methods", None)

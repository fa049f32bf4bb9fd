"""Conditional GET and cache headers: published bulletins never change, so they cache forever."""

from __future__ import annotations

import hashlib
import json

from fastapi import Request
from fastapi.responses import Response

FOREVER = "public, max-age=31536000, immutable"


def public_base(request: Request) -> str:
    """The site's address for links in what is cached or syndicated (Atom, JSON-LD): the configured one,
    never the request's Host header, which any client can set (and a cache would then serve to all)."""
    settings = request.app.state.settings
    return settings.public_base_url.rstrip("/") or f"http://{settings.host}:{settings.port}"


def cached(request: Request, body: object, *, etag: str | None = None, max_age: int = 0, immutable: bool = False,
           raw: bool = False, media_type: str = "application/json", headers: dict | None = None) -> Response:
    """``body`` as a response with an ETag, answering 304 when the client already has it."""
    data = body if raw else json.dumps(body, ensure_ascii=False).encode()
    tag = '"' + hashlib.sha256((etag or "").encode() + (b"" if etag else data)).hexdigest()[:32] + '"'
    policy = FOREVER if immutable else f"public, max-age={max_age}"
    out = {"ETag": tag, "Cache-Control": policy, "Vary": "Accept-Encoding", **(headers or {}),
           **({"X-Escrutinio-Canonical": "1"} if raw else {})}  # for drill.DrillFlag, which takes it off
    if tag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=out)
    return Response(data, media_type=media_type, headers=out)

"""A rehearsal night (a drill) says so in every response.

On a drill every response carries the header ``Escrutinio-Drill: true``, and every JSON object the API
returns carries ``"drill": true`` (pages show a banner, from ``base.html``). The canonical documents whose
bytes are hashed (a bulletin's head, the geography) are left as they are: they say drill inside
themselves. A JSON array can hold no key: the header flags it. On a real night nothing changes.
"""

from __future__ import annotations

import json

HEADER = (b"escrutinio-drill", b"true")
# Set by caching.cached on canonical (hashed) bytes, and taken off here: those are never rewritten.
CANONICAL = b"x-escrutinio-canonical"
JSON_TYPES = (b"application/json", b"application/problem+json")


class DrillFlag:
    """ASGI middleware: flags every response of a drill's store; passes a real night's through untouched."""

    def __init__(self, app, store):
        self.app, self.store = app, store
        self._drill: bool | None = None

    def _is_drill(self) -> bool:
        if self._drill is None and self.store.has_election():
            self._drill = self.store.election().drill
        return bool(self._drill)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        drill, held = self._is_drill(), {}

        async def flagged(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != CANONICAL]
                canonical = len(headers) != len(message.get("headers", []))
                if not drill:
                    await send({**message, "headers": headers})
                    return
                kind = dict((k.lower(), v) for k, v in headers).get(b"content-type", b"")
                message = {**message, "headers": [*headers, HEADER]}
                if canonical or kind.split(b";")[0].strip() not in JSON_TYPES:
                    await send(message)
                    return
                held["start"], held["body"] = message, []
                return
            if message["type"] == "http.response.body" and "start" in held:
                held["body"].append(message.get("body", b""))
                if message.get("more_body"):
                    return
                await _send_flagged(send, held["start"], b"".join(held["body"]))
                return
            await send(message)

        await self.app(scope, receive, flagged)


async def _send_flagged(send, start: dict, body: bytes) -> None:
    try:
        value = json.loads(body) if body else None
    except ValueError:
        value = None
    if isinstance(value, dict) and "drill" not in value:
        body = json.dumps({**value, "drill": True}, ensure_ascii=False).encode()
        start = {**start, "headers": [(k, str(len(body)).encode()) if k.lower() == b"content-length" else (k, v)
                                      for k, v in start["headers"]]}
    await send(start)
    await send({"type": "http.response.body", "body": body})

"""Live updates: server-sent events when a bulletin is published.

Bulletins may be published by another process (the CLI, the demo replay),
so one task per server looks at the store's latest bulletin a few times a
second and pushes an event to every open stream. Each reader has a bounded
queue: a reader too slow to keep up is dropped (its browser reconnects and
catches up), and never slows the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Request
from fastapi.responses import StreamingResponse

from ..store import Store

HEARTBEAT_SECONDS = 15.0


class Broker:
    def __init__(self, store: Store, poll_seconds: float, queue_size: int):
        self.store = store
        self.poll_seconds = poll_seconds
        self.queue_size = queue_size
        self.readers: set[asyncio.Queue] = set()
        self.latest: dict | None = None

    async def watch(self) -> None:
        """Run until cancelled: turn each newly published bulletin into an event.

        What the first look finds was published before this server started, so it is
        not announced; after that, every new bulletin is, the first of the night too.
        """
        looked = False
        while True:
            with contextlib.suppress(Exception):  # a store hiccup must not end live updates
                head = await asyncio.to_thread(self._head)
                if head and (self.latest is None or head["number"] != self.latest["number"]):
                    self.latest = head
                    if looked:
                        self.publish(head)
                looked = True
            await asyncio.sleep(self.poll_seconds)

    def _head(self) -> dict | None:
        from ..services.publication import is_public

        if not is_public(self.store):  # held bulletins are not announced
            return None
        head = self.store.last_bulletin_head()
        if head is None or (self.latest and head[0] == self.latest["number"]):
            return self.latest
        meta = next(h for h in self.store.bulletin_heads() if h["number"] == head[0])
        zone = ZoneInfo(self.store.election().time_zone)
        return {"number": head[0], "hash": head[1], "cut_off": meta["cut_off"].isoformat(),
                "cut_off_local": meta["cut_off"].astimezone(zone).isoformat()}

    def publish(self, event: dict) -> None:
        for queue in list(self.readers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self.readers.discard(queue)
                with contextlib.suppress(asyncio.QueueFull):
                    queue.get_nowait()
                    queue.put_nowait(None)  # tells the stream to close

    def close(self) -> None:
        """End every open stream: the server is stopping (readers reconnect when it is back)."""
        for queue in list(self.readers):
            self.readers.discard(queue)
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait(None)

    async def stream(self) -> AsyncIterator[str]:
        queue: asyncio.Queue = asyncio.Queue(self.queue_size)
        self.readers.add(queue)
        try:
            yield "retry: 2000\n\n"
            if self.latest:
                yield _event("bulletin", self.latest)
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except asyncio.TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if event is None:
                    return
                yield _event("bulletin", event)
        finally:
            self.readers.discard(queue)


def _event(kind: str, data: dict) -> str:
    return f"event: {kind}\nid: {data['number']}\ndata: {json.dumps(data)}\n\n"


class StreamSlots:
    """How many live streams each client address holds open: at most ``per_address`` each, so that one
    client cannot hold thousands (each costs a queue, a task and a socket)."""

    RETRY_SECONDS = 30

    def __init__(self, per_address: int):
        self.per_address = per_address
        self.held: dict[str, int] = {}

    def open(self, request: Request, events: AsyncIterator, **options) -> StreamingResponse:
        """A streaming response of ``events`` that holds one of the client's slots until it ends (429 if none)."""
        address = request.client.host if request.client else "unknown"
        if self.held.get(address, 0) >= self.per_address:
            raise HTTPException(429, f"this address already holds {self.per_address} live streams open; "
                                     "close one (or reuse it) first", headers={"Retry-After": str(self.RETRY_SECONDS)})
        self.held[address] = self.held.get(address, 0) + 1
        return _HeldStream(events, slots=self, address=address, **options)

    def release(self, address: str) -> None:
        left = self.held.get(address, 0) - 1
        if left > 0:
            self.held[address] = left
        else:
            self.held.pop(address, None)


class _HeldStream(StreamingResponse):
    """Gives its slot back however the stream ends: finished, dropped, the client gone, or cancelled."""

    def __init__(self, content, *, slots: StreamSlots, address: str, **options):
        super().__init__(content, **options)
        self.slots, self.address = slots, address

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slots.release(self.address)

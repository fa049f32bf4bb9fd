"""The timeline, live: one watcher per server broadcasts each new or changed entry to every reader.

Entries may be written by another process (the CLI, the demo replay), so the
watcher asks the store for changes after the last one it saw, a few times a
second, and at once when this server wrote one itself (``poke``). Each event
is encoded once and the same bytes go to every reader's bounded queue: a
reader too slow to keep up is dropped (its browser reconnects with
Last-Event-ID and catches up), and never slows the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import OrderedDict
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

from .. import services
from ..services.timeline import Timeline
from ..store import Store
from .timeline_models import entry_out

HEARTBEAT_SECONDS = 15.0
CLOSE = None  # put in a reader's queue: end its stream
FRAGMENTS_KEPT = 512


class Fragments:
    """Rendered entries by (id, revision, language, compact): one render per version, however many readers."""

    def __init__(self, size: int = FRAGMENTS_KEPT):
        self.size = size
        self.kept: OrderedDict = OrderedDict()

    def get(self, key: tuple) -> str | None:
        return self.kept.get(key)

    def put(self, key: tuple, html: str) -> None:
        self.kept[key] = html
        while len(self.kept) > self.size:
            self.kept.popitem(last=False)


class TimelineHub:
    def __init__(self, store: Store, poll_seconds: float, queue_size: int):
        self.store = store
        self.poll_seconds = poll_seconds
        self.queue_size = queue_size
        self.readers: set[asyncio.Queue] = set()
        self.revision: int | None = None  # the last change broadcast (None: not looked yet)
        self.dropped = 0
        self.fragments = Fragments()
        self._wake: asyncio.Event | None = None

    def poke(self) -> None:
        """Look now: this server has just written to the timeline."""
        if self._wake is not None:
            self._wake.set()

    async def watch(self) -> None:
        """Run until cancelled. What the first look finds is history, not news: it is not broadcast."""
        self._wake = asyncio.Event()
        while True:
            more = False
            with contextlib.suppress(Exception):  # a store hiccup (or no election yet) must not end live updates
                more = await self._look()
            if not more:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                self._wake.clear()

    async def _look(self) -> bool:
        if self.revision is None:
            self.revision = await asyncio.to_thread(services.timeline.last_revision, self.store)
            return False
        view, frames = await asyncio.to_thread(self._frames_since, self.revision)
        for revision, data in frames:
            self.publish(data, revision)
        self.revision = view.revision
        return view.more

    def _frames_since(self, since: int) -> tuple[Timeline, list[tuple[int, bytes]]]:
        view = services.timeline.changed_since(self.store, since)
        zone = ZoneInfo(self.store.election().time_zone)
        return view, [(entry.revision, frame(view, entry, zone)) for entry in view.entries]

    def publish(self, data: bytes, revision: int = 0) -> None:
        """Queue one encoded event (the same bytes for every reader) for each reader."""
        for queue in list(self.readers):
            try:
                queue.put_nowait((revision, data))
            except asyncio.QueueFull:
                self.readers.discard(queue)
                self.dropped += 1
                queue.get_nowait()
                queue.put_nowait(CLOSE)

    def close(self) -> None:
        """End every open stream: the server is stopping (readers reconnect when it is back)."""
        for queue in list(self.readers):
            self.readers.discard(queue)
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait(CLOSE)

    async def stream(self, since: int | None) -> AsyncIterator[bytes]:
        """One reader's events; with ``since``, first every entry changed after it."""
        queue: asyncio.Queue = asyncio.Queue(self.queue_size)
        self.readers.add(queue)  # before catching up, so nothing falls between the two
        try:
            yield b"retry: 2000\n\n"
            yield b"event: hello\ndata: " + json.dumps({"revision": self.revision}).encode() + b"\n\n"
            caught_up = 0
            while since is not None:
                view, frames = await asyncio.to_thread(self._frames_since, since)
                for caught_up, data in frames:
                    yield data
                since = view.revision if view.more else None
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except asyncio.TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if item is CLOSE:
                    return
                if item[0] and item[0] <= caught_up:
                    continue  # sent while catching up already
                yield item[1]
        finally:
            self.readers.discard(queue)


def frame(view: Timeline, entry, zone: ZoneInfo) -> bytes:
    body = json.dumps(entry_out(view, entry, zone), ensure_ascii=False, separators=(",", ":"))
    return f"id: {entry.revision}\nevent: entry\ndata: {body}\n\n".encode()

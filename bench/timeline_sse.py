"""Live timeline delivery to many readers: latency and server memory per reader, on loopback.

Starts `escrutinio serve` in its own process on a fresh small election, then for each N opens N
server-sent-event streams (/api/v1/timeline/events) from one asyncio process, posts entries as
an editor, and times each entry from the moment its POST is sent to the moment each reader has
it. Memory is the server's resident set (/proc/PID/status, VmRSS) with N readers connected,
less what it was with none, divided by N.

    python bench/timeline_sse.py [--readers 100,500,1000,2000] [--entries 5] [--via api|store]

--via api (the default) posts over HTTP: the server wakes its watcher at once. --via store
writes to the database from this process, as the CLI would: delivery then also waits for the
watcher's next look (live_poll_seconds, 0.5 s by default). Readers and server share the machine,
so the figures include the readers' own work; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from escrutinio.services import init_election, open_store, timeline  # noqa: E402
from escrutinio.services.tokens import create_token  # noqa: E402
from tests.factory import small_election  # noqa: E402

EVENT_ID = re.compile(rb"id: (\d+)\nevent: entry\n")
CONNECT_BATCH = 100


class Reader:
    """One SSE stream on a raw socket: when each entry revision arrived."""

    def __init__(self):
        self.arrived: dict[int, float] = {}
        self.ready = asyncio.Event()
        self.writer: asyncio.StreamWriter | None = None
        self.task: asyncio.Task | None = None

    async def run(self, host: str, port: int) -> None:
        reader, self.writer = await asyncio.open_connection(host, port, limit=1 << 20)
        self.writer.write(f"GET /api/v1/timeline/events HTTP/1.1\r\nHost: {host}:{port}\r\n"
                          "Accept: text/event-stream\r\n\r\n".encode())
        buffer = b""
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                return
            now = time.perf_counter()
            buffer += chunk
            if not self.ready.is_set() and b"event: hello" in buffer:
                self.ready.set()
            for match in EVENT_ID.finditer(buffer):
                self.arrived.setdefault(int(match.group(1)), now)
            buffer = buffer[-64:] if len(buffer) > 65536 else buffer  # ids seen; keep a tail for a split frame

    def close(self) -> None:
        if self.writer:
            self.writer.close()
        if self.task:
            self.task.cancel()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def connect(count: int, host: str, port: int, timeout: float) -> list[Reader]:
    readers = []
    for start in range(0, count, CONNECT_BATCH):
        batch = [Reader() for _ in range(min(CONNECT_BATCH, count - start))]
        for r in batch:
            r.task = asyncio.create_task(r.run(host, port))
        await asyncio.wait_for(asyncio.gather(*(r.ready.wait() for r in batch)), timeout)
        readers += batch
    return readers


async def post(args, site: str, headers: dict, store, n: int) -> tuple[float, int]:
    """Send entry ``n``; (when it was sent, its revision)."""
    sent = time.perf_counter()
    if args.via == "api":
        async with httpx.AsyncClient(timeout=30) as client:
            answer = await client.post(f"{site}/api/v1/timeline/entries", headers=headers,
                                       json={"body": f"Entrada de carga {n}: **{'texto ' * 20}**"})
            answer.raise_for_status()
            return sent, answer.json()["revision"]
    entry = await asyncio.to_thread(timeline.post_entry, store, f"Entrada de carga {n}", author="bench")
    return sent, entry.revision


async def round_of(args, n: int, site: str, host: str, port: int, pid: int, base_kib: int, headers, store):
    readers = await connect(n, host, port, args.timeout)
    await asyncio.sleep(1.0)
    rss = rss_kib(pid)
    posts = []
    for k in range(args.entries):
        posts.append(await post(args, site, headers, store, k))
        await asyncio.sleep(args.gap)
    deadline = time.monotonic() + args.timeout
    wanted = {revision for _, revision in posts}
    while time.monotonic() < deadline and not all(wanted <= set(r.arrived) for r in readers):
        await asyncio.sleep(0.05)
    latencies = [(r.arrived[revision] - sent) * 1000 for r in readers for sent, revision in posts
                 if revision in r.arrived]
    missing = len(readers) * len(posts) - len(latencies)
    for r in readers:
        r.close()
    await asyncio.sleep(1.0)
    return latencies, missing, rss


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readers", default="100,500,1000,2000", help="comma-separated N (default: %(default)s)")
    parser.add_argument("--entries", type=int, default=5, help="entries posted per N (default: %(default)s)")
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between entries (default: %(default)s)")
    parser.add_argument("--via", choices=("api", "store"), default="api")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds allowed per step")
    args = parser.parse_args()
    counts = [int(n) for n in args.readers.split(",")]

    with tempfile.TemporaryDirectory(prefix="escrutinio-bench-") as where:
        url = f"sqlite:///{Path(where) / 'escrutinio.db'}"
        store = open_store(url)
        init_election(store, small_election())
        _, token = create_token(store, "bench", "editor")
        headers = {"Authorization": f"Bearer {token}"}
        host, port = "127.0.0.1", free_port()
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("ESCRUTINIO_")},
               "ESCRUTINIO_RATE_LIMIT_PER_SECOND": "0"}  # every reader comes from 127.0.0.1
        server = subprocess.Popen([sys.executable, "-m", "escrutinio.cli", "serve", "--db", url, "--port", str(port)],
                                  cwd=where, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        site = f"http://{host}:{port}"
        try:
            wait_for(site, server)
            base_kib = rss_kib(server.pid)
            print(f"server pid {server.pid}, {os.cpu_count()} CPUs, RSS with no reader {base_kib / 1024:.1f} MiB; "
                  f"{args.entries} entries per N, posted via {args.via}")
            print(f"{'readers':>8} {'events':>8} {'missed':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
                  f"{'RSS MiB':>8} {'KiB/reader':>11}")
            for n in counts:
                latencies, missing, rss = asyncio.run(round_of(args, n, site, host, port, server.pid, base_kib,
                                                               headers, store))
                p50 = statistics.median(latencies) if latencies else float("nan")
                print(f"{n:>8} {len(latencies):>8} {missing:>7} {p50:>8.1f} {percentile(latencies, 99):>8.1f} "
                      f"{max(latencies):>8.1f} {rss / 1024:>8.1f} {(rss - base_kib) / n:>11.1f}", flush=True)
        finally:
            server.terminate()
            server.wait(15)
            store.close()


def wait_for(site: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"escrutinio serve exited with {server.returncode}")
        try:
            if httpx.get(f"{site}/api/v1/timeline", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("escrutinio serve did not start within 30 s")


if __name__ == "__main__":
    main()

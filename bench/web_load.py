"""The site under a crowd: `wrk` against `escrutinio serve`, beside a trivial Starlette app, in one run.

    apt-get install -y wrk
    .venv/bin/python bench/web_load.py                          # the demo night (made in a temporary folder)
    .venv/bin/python bench/web_load.py --db sqlite:///escrutinio.db --workers 2 --seconds 15
    .venv/bin/python bench/web_load.py --connections 200 --only home static --markdown
    nice -n 19 .venv/bin/python bench/web_load.py --build-night 1000000 --workdir /tmp/web-night   # build only
    .venv/bin/python bench/web_load.py --build-night 1000000 --workdir /tmp/web-night --markdown  # then measure

For each of home, an area page, a table page, a bulletin's JSON and a static file, and for the trivial app
(a fixed 20 KB page under the same uvicorn, the same number of worker processes: the ceiling of the stack on
this machine), at each number of concurrent connections: requests/s, the 50th and 99th percentile of
latency, errors (non-2xx/3xx answers, socket errors and timeouts), and the load average of the machine
before the run. Every request asks for gzip, as browsers do.

The server runs with the rate limit off (``ESCRUTINIO_RATE_LIMIT_PER_SECOND=0``, as behind a proxy that
limits): with the default limit of 20 requests a second per address, a load test from one address measures
the limiter, not the site.

Targets (issue 11): home ≥ 1,000 requests/s at 200 connections with p99 ≤ 250 ms and ≥ 20 % of the trivial
app's rate; static files ≥ 50 % of it; no 5xx. Each is printed as held or missed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

TRIVIAL = '''
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

PAGE = "<!doctype html><title>trivial</title>" + "<p>" + "x" * 20_400 + "</p>"


async def page(request):
    return HTMLResponse(PAGE)

app = Starlette(routes=[Route("/", page)])
'''


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_up(url: str, seconds: float = 900) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def _seconds(value: str, unit: str) -> float:
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def run_wrk(url: str, connections: int, seconds: int, threads: int) -> dict:
    load = os.getloadavg()[0]
    done = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency",
                           "-H", "Accept-Encoding: gzip", url], capture_output=True, text=True, check=True)
    out = done.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {p: _seconds(*re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s|m)", out).groups()) for p in ("50", "99")}
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"rate": rate, "p50_ms": latency["50"] * 1e3, "p99_ms": latency["99"] * 1e3,
            "non_2xx_3xx": int(non_ok.group(1)) if non_ok else 0,
            "socket_errors": sum(map(int, errors.groups())) if errors else 0, "load_before": load,
            "load_after": os.getloadavg()[0]}


def build_night(tables: int, workdir: Path) -> Path:
    """A synthetic night of ``tables`` tables (bench/synth.py) with every table counted and one bulletin
    published, kept in ``workdir`` and reused when it is already there: the store, its keys, a counted
    acta for every table and contest written straight into the store (bench/stages.py's prepare and
    fill_store), then services.publish_bulletin. Slow at 1M tables (tens of minutes on a busy machine):
    build it at low priority, apart from the measured run."""
    db = workdir / f"t{tables}" / "web-night.db"
    if db.exists():
        return db
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from stages import checkpoint, copy_database, fill_store, prepare

    from escrutinio.services import open_store, publish_bulletin

    folder = db.parent
    folder.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    print(f"{tables:,} tables: the election, its store and keys …", file=sys.stderr, flush=True)
    prepare({"tables": tables, "workdir": str(folder), "sample": 2, "workers": 1})
    building = folder / "web-night.building.db"
    copy_database(folder / "template.db", building)
    print(f"{tables:,} tables: a counted acta for every table and contest …", file=sys.stderr, flush=True)
    fill_store({"db": str(building)})
    print(f"{tables:,} tables: publishing the bulletin …", file=sys.stderr, flush=True)
    store = open_store(f"sqlite:///{building}", migrate=False)
    publish_bulletin(store)
    store.close()
    checkpoint(building)
    building.rename(db)
    print(f"{tables:,} tables: built {db} in {time.perf_counter() - began:,.0f} s", file=sys.stderr, flush=True)
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="database URL of a night (default: the demo, replayed in a temporary folder)")
    parser.add_argument("--connections", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="processes of escrutinio serve and of the trivial app")
    parser.add_argument("--only", nargs="+", help="only these targets (home area table bulletin_json static trivial)")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--build-night", type=int, metavar="TABLES",
                        help="measure a synthetic night of this many tables with every table counted and one "
                             "bulletin, built in --workdir first if it is not there yet (see build_night)")
    parser.add_argument("--workdir", type=Path, help="where --build-night keeps its night")
    parser.add_argument("--build-only", action="store_true", help="with --build-night: build it and stop")
    parser.add_argument("--markdown", action="store_true", help="print a table for bench/RESULTS.md")
    args = parser.parse_args()
    if args.build_night:
        if not args.workdir:
            raise SystemExit("--build-night needs --workdir")
        args.db = f"sqlite:///{build_night(args.build_night, args.workdir)}"
        if args.build_only:
            return
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    work = Path(tempfile.mkdtemp(prefix="web_load_"))
    bin_dir = Path(sys.executable).parent
    escrutinio = [str(bin_dir / "escrutinio")] if (bin_dir / "escrutinio").exists() else [sys.executable, "-m",
                                                                                           "escrutinio.cli"]
    db = args.db
    if not db:
        print("replaying the demo night …", file=sys.stderr)
        subprocess.run([*escrutinio, "demo", "--no-serve"], cwd=work, check=True, capture_output=True)
        db = f"sqlite:///{work / 'escrutinio.db'}"
    port, trivial_port = free_port(), free_port()
    env = {**os.environ, "ESCRUTINIO_RATE_LIMIT_PER_SECOND": "0"}
    env.pop("ESCRUTINIO_DATABASE_URL", None)
    (work / "trivial_app.py").write_text(TRIVIAL)
    servers = [
        subprocess.Popen([*escrutinio, "serve", "--db", db, "--port", str(port), "--workers", str(args.workers)],
                         cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=(work / "serve.log").open("w")),
        subprocess.Popen([sys.executable, "-m", "uvicorn", "trivial_app:app", "--port", str(trivial_port),
                          "--workers", str(args.workers), "--log-level", "warning"], cwd=work,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    try:
        base, trivial = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{trivial_port}"
        wait_up(f"{base}/api/v1/bulletins")
        wait_up(trivial)
        area = httpx.get(f"{base}/api/v1/areas", timeout=900).json()[1]["code"]
        node = httpx.get(f"{base}/api/v1/areas/{area}", timeout=900).json()
        while not node["tables"]:  # down the first branch to a centre's first table
            node = httpx.get(f"{base}/api/v1/areas/{node['children'][0]['code']}", timeout=900).json()
        table = node["tables"][0]["code"]
        targets = {"home": f"{base}/", "area": f"{base}/areas/{area}", "table": f"{base}/tables/{table}",
                   "bulletin_json": f"{base}/api/v1/bulletins/latest", "static": f"{base}/static/style.css",
                   "trivial": f"{trivial}/"}
        if args.only:
            targets = {k: v for k, v in targets.items() if k in args.only}
        for _ in range(4 * args.workers):  # each worker builds the search index as it starts (a minute at 1M
            httpx.get(f"{base}/api/v1/search", params={"q": "a"}, timeout=900)  # tables): not while measured
        for url in targets.values():  # every worker renders once before it is measured
            for _ in range(4 * args.workers):
                httpx.get(url, headers={"Accept-Encoding": "gzip"}, timeout=900)
            # then a short crowd of its own, not measured: each worker process has had its share of it
            subprocess.run(["wrk", "-t1", f"-c{4 * args.workers}", "-d3s", "--timeout", "60s", "-H",
                            "Accept-Encoding: gzip", url], capture_output=True, check=True)
        figures: dict = {"machine": {"nproc": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
                                     "workers": args.workers, "seconds": args.seconds, "threads": args.threads,
                                     "db": db if args.db else "demo"},
                         "runs": []}
        for connections in args.connections:
            for name, url in targets.items():
                row = {"target": name, "url": url.split(":", 2)[2].split("/", 1)[1], "connections": connections,
                       **run_wrk(url, connections, args.seconds, args.threads)}
                figures["runs"].append(row)
                print(f"{name:<14} c={connections:<5} {row['rate']:>9,.0f}/s  p50 {row['p50_ms']:>8.1f} ms  "
                      f"p99 {row['p99_ms']:>8.1f} ms  errors {row['non_2xx_3xx'] + row['socket_errors']:>6}  "
                      f"load {row['load_before']:.1f}→{row['load_after']:.1f}", flush=True)
        figures["targets"] = targets_held(figures["runs"])
        for line in figures["targets"]:
            print(line)
        if args.markdown:
            print(markdown(figures))
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))
    except BaseException:
        log = work / "serve.log"
        if log.exists():
            print("escrutinio serve said:\n" + log.read_text()[-4000:], file=sys.stderr)
        raise
    finally:
        for server in servers:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)


def targets_held(runs: list[dict]) -> list[str]:
    at = {(r["target"], r["connections"]): r for r in runs}
    lines = []
    home, trivial, static = at.get(("home", 200)), at.get(("trivial", 200)), at.get(("static", 200))
    if home:
        lines.append(_held("home ≥ 1,000 requests/s at 200 connections", home["rate"] >= 1000, f"{home['rate']:,.0f}/s"))
        lines.append(_held("home p99 ≤ 250 ms at 200 connections", home["p99_ms"] <= 250, f"{home['p99_ms']:,.0f} ms"))
    if home and trivial:
        share = home["rate"] / trivial["rate"]
        lines.append(_held("home ≥ 20 % of the trivial app's rate", share >= 0.2, f"{share:.0%}"))
    if static and trivial:
        share = static["rate"] / trivial["rate"]
        lines.append(_held("static file ≥ 50 % of the trivial app's rate", share >= 0.5, f"{share:.0%}"))
    errors = sum(r["non_2xx_3xx"] for r in runs if r["target"] != "trivial")
    lines.append(_held("no 5xx (no answer but 2xx or 3xx)", errors == 0, f"{errors} non-2xx/3xx answers"))
    return lines


def _held(what: str, ok: bool, measured: str) -> str:
    return f"{'held  ' if ok else 'MISSED'} {what}: {measured}"


def markdown(figures: dict) -> str:
    rows = ["| target | connections | requests/s | p50 [ms] | p99 [ms] | non-2xx/3xx | socket errors | load avg before → after |",
            "|---|---|---|---|---|---|---|---|"]
    for r in figures["runs"]:
        rows.append(f"| {r['target']} (`/{r['url']}`) | {r['connections']:,} | {r['rate']:,.0f} | {r['p50_ms']:,.1f} | "
                    f"{r['p99_ms']:,.1f} | {r['non_2xx_3xx']} | {r['socket_errors']} | {r['load_before']:.1f} → "
                    f"{r['load_after']:.1f} |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()

"""Scale benchmark: ingest, full bulletin, roll-up against DuckDB and PostgreSQL, memory, growth.

    python bench/run.py [--tables 30000 100000 1000000] [--ingest-sample 20000] [--workers 2]
                        [--skip-http] [--skip-postgres] [--repeat 3] [--profile] [--json results.json]

For each size it generates a synthetic election (bench/synth.py: country, ~30 states,
municipalities, parishes, centres of ~3 tables; two contests), then measures, each stage in a
child process of its own so its peak memory (VmHWM) is its own:

- prepare: a fresh SQLite store, the election, a key for every table, a sample of signed actas;
- raw Ed25519 verification (PyNaCl, one core) of those very actas, in the ingest process, just
  before it ingests them — the physical limit the ingest is compared with;
- ingest through the Python API (read_actas -> services.ingest_records, batches of 1,000, each
  batch also bringing an in-memory Tally up to date), one worker, then --workers processes at once
  on disjoint parts into the same database;
- ingest over HTTP (`escrutinio serve`, POST /api/v1/actas, batches of 500);
- the full bulletin with every table counted: build_bulletin from the per-table counters (every
  level rolled up first) and from the live tally (median of --repeat), the pure roll-up
  (ContestTally.recompute), one area's figures rendered; one acta's update of every level
  (Tally.set: median and p99);
- with --publish: services.publish_bulletin end to end (first, next, next in a new process) and
  the static export (escrutinio bulletin export);
- the same roll-up by DuckDB (in process, GROUP BY ROLLUP) and by PostgreSQL (COPY into a
  schema of its own, dropped afterwards), over the same per-table rows.

It prints every figure per size side by side, the growth between sizes, and the targets.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

DEFAULT_DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres"
API_BATCH = 1000
HTTP_BATCH = 500

# Targets of the issue, on this 2-core machine.
TARGET_PER_CORE = 0.75          # signed-acta ingest per core / raw single-core verify rate
TARGET_TWO_CORES = 10_000       # actas/s end to end, both cores
TARGET_BULLETIN_S = 1.0         # full bulletin of 1M tables
TARGET_FIRST_BULLETIN_S = 5.0   # the first bulletin of a new process with no bulletin before, 1M tables
TARGET_UPDATE_US = 50.0         # one acta, every level, median
TARGET_RSS_MIB = 4 * 1024       # 1M tables
TARGET_VERIFY_S = 600           # escrutinio verify of a whole 1M-table night (2M actas, a few bulletins)


# -- children ------------------------------------------------------------------------------------------------

def child_command(stage: str, params: dict) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--stage", stage, "--params", json.dumps(params)]


def parse_result(text: str, stage: str) -> dict:
    for line in reversed(text.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit(f"stage {stage} printed no result")


def load_average() -> float:
    """The 1-minute load average: other work on this machine shows here (2 cores: above ~1 per worker
    running means the figures shared the CPUs with something else)."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def run_child(stage: str, params: dict) -> dict:
    """Run one stage in a fresh Python process; its figures, with the load average after it."""
    done = subprocess.run(child_command(stage, params), stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"stage {stage} failed (exit {done.returncode})")
    result = parse_result(done.stdout, stage)
    result["loadavg_after"] = load_average()
    return result


def run_workers(params: list[dict]) -> list[dict]:
    """Several ingest workers started together: each is told when to verify and when to ingest."""
    procs = [subprocess.Popen(child_command("ingest", {**p, "barrier": True}), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for p in params]
    try:
        for word in ("verify", "ingest"):
            for proc in procs:
                line = proc.stdout.readline().strip()
                if line != f"WAITING {word}":
                    raise SystemExit(f"an ingest worker said {line!r} (exit {proc.poll()})")
            for proc in procs:
                proc.stdin.write(word + "\n")
                proc.stdin.flush()
        results = []
        for proc in procs:
            text = proc.stdout.read()
            if proc.wait() != 0:
                raise SystemExit(f"an ingest worker failed (exit {proc.returncode})")
            results.append(parse_result(text, "ingest"))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()


def child_main(stage: str, params: str) -> None:
    from stages import STAGES

    result = STAGES[stage](json.loads(params))
    print("RESULT " + json.dumps(result), flush=True)


# -- one size -----------------------------------------------------------------------------------------------

def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def measure_size(n: int, args, base: Path) -> dict:
    from stages import NIGHT_BULLETINS, copy_database

    workdir = base / f"t{n}"
    workdir.mkdir(parents=True, exist_ok=True)
    sample = min(args.ingest_sample, 2 * n)
    fig: dict = {"tables": n}
    began = time.perf_counter()

    night_db, night_json = workdir / "night.db", workdir / "night.json"
    kept = args.verify_only and night_db.exists() and night_json.exists()
    if not kept:
        log(f"{n:,} tables: generating the election, its store, keys and {sample:,} signed actas")
        fig["prepare"] = run_child("prepare", {"tables": n, "workdir": str(workdir), "sample": sample,
                                               "workers": args.workers})
    template = workdir / "template.db"

    if not args.verify_only:
        measure_counting(n, args, workdir, template, fig)
    if args.verify or args.verify_only:
        if kept:
            log(f"{n:,} tables: the night kept in {night_db} (from an earlier run with --keep)")
            fig["night"] = json.loads(night_json.read_text(encoding="utf-8"))
        else:
            log(f"{n:,} tables: a whole night (every table's signed actas, {NIGHT_BULLETINS} bulletins)")
            copy_database(template, night_db)
            fig["night"] = run_child("night", {"db": str(night_db), "sample": sample})
            night_json.write_text(json.dumps(fig["night"]), encoding="utf-8")
        log(f"{n:,} tables: escrutinio verify over the night")
        fig["verify"] = run_child("verify", {"db": str(night_db)})
        log(f"{n:,} tables: escrutinio verify took {fig['verify']['verify_s']:.1f} s, exit {fig['verify']['exit']}")
    fig["elapsed_s"] = time.perf_counter() - began
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    log(f"{n:,} tables: done in {fig['elapsed_s']:.0f} s")
    return fig


def measure_counting(n: int, args, workdir: Path, template: Path, fig: dict) -> None:
    """Ingest, bulletin, roll-up and publishing figures of one size (everything but the verifier)."""
    from stages import copy_database, part_path

    sample = min(args.ingest_sample, 2 * n)
    log(f"{n:,} tables: ingest through the Python API, one worker")
    db = workdir / "api-1.db"
    copy_database(template, db)
    fig["api1"] = run_child("ingest", {"db": str(db), "part": str(workdir / "actas-1-of-1.jsonl"),
                                       "batch": API_BATCH, "verify_limit": args.verify_sample})
    db.unlink()
    if args.profile:
        log(f"{n:,} tables: the same ingest again, under cProfile (not the figures above)")
        copy_database(template, db)
        profile = workdir / "ingest.profile.txt"
        fig["api1_profiled"] = run_child("ingest", {"db": str(db), "part": str(workdir / "actas-1-of-1.jsonl"),
                                                    "batch": API_BATCH, "verify_limit": 1000,
                                                    "profile": str(profile)})
        fig["profile"] = profile.read_text(encoding="utf-8")
        db.unlink()

    if args.workers > 1:
        log(f"{n:,} tables: ingest through the Python API, {args.workers} workers at once")
        db = workdir / f"api-{args.workers}.db"
        copy_database(template, db)
        workers = run_workers([{"db": str(db), "part": str(part_path(workdir, i, args.workers)),
                                "batch": API_BATCH, "verify_limit": args.verify_sample // args.workers}
                               for i in range(args.workers)])
        for w in workers:
            w["loadavg_after"] = load_average()
        span = max(w["end"] for w in workers) - min(w["start"] for w in workers)
        fig["apiN"] = {"workers": workers, "actas": sum(w["actas"] for w in workers), "wall_s": span,
                       "actas_per_s": sum(w["actas"] for w in workers) / span,
                       "raw_verify_per_s": sum(w["raw_verify_per_s"] for w in workers),
                       "rss_mib": max(w["rss_mib"] for w in workers), "loadavg_after": load_average(),
                       "rss_sum_mib": sum(w["rss_mib"] for w in workers),
                       "cpu_s": sum(w["cpu_s"] for w in workers),
                       "results": {k: sum(w["results"].get(k, 0) for w in workers)
                                   for k in {k for w in workers for k in w["results"]}}}
        db.unlink()

    if args.workers > 1 and not args.skip_postgres:
        log(f"{n:,} tables: ingest through the Python API into PostgreSQL, {args.workers} workers at once")
        fig["pg_prepare"] = run_child("prepare_postgres", {"tables": n, "sample": sample, "dsn": args.dsn})
        try:
            workers = run_workers([{"url": fig["pg_prepare"]["url"],
                                    "part": str(part_path(workdir, i, args.workers)), "batch": API_BATCH,
                                    "verify_limit": args.verify_sample // args.workers}
                                   for i in range(args.workers)])
        finally:
            run_child("drop_postgres", {"dsn": args.dsn, "database": fig["pg_prepare"]["database"]})
        span = max(w["end"] for w in workers) - min(w["start"] for w in workers)
        fig["pgN"] = {"workers": workers, "actas": sum(w["actas"] for w in workers), "wall_s": span,
                      "actas_per_s": sum(w["actas"] for w in workers) / span,
                      "rss_mib": max(w["rss_mib"] for w in workers), "loadavg_after": load_average(),
                      "store_share": sum(w["store_s"] for w in workers) / sum(w["wall_s"] for w in workers),
                      "results": {k: sum(w["results"].get(k, 0) for w in workers)
                                  for k in {k for w in workers for k in w["results"]}}}

    if not args.skip_http:
        log(f"{n:,} tables: ingest over HTTP ({args.workers} connection(s))")
        db = workdir / "http.db"
        copy_database(template, db)
        fig["http"] = run_child("http", {"db": str(db), "workdir": str(workdir), "batch": HTTP_BATCH,
                                         "connections": args.workers})
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)

    if args.publish:
        log(f"{n:,} tables: publish_bulletin with every table counted (store filled first)")
        db = workdir / "publish.db"
        copy_database(template, db)
        fig["fill_store"] = run_child("fill_store", {"db": str(db)})
        fig["publish"] = run_child("publish", {"db": str(db), "export": not args.skip_export})
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)

    log(f"{n:,} tables: full bulletin, roll-up, one acta's update")
    fig["bulletin"] = run_child("bulletin", {"tables": n, "workdir": str(workdir), "repeat": args.repeat,
                                             "updates": args.updates})
    log(f"{n:,} tables: DuckDB roll-up")
    fig["duckdb"] = run_child("duckdb", {"workdir": str(workdir), "repeat": args.repeat,
                                         "csv": not args.skip_postgres})
    if not args.skip_postgres:
        log(f"{n:,} tables: PostgreSQL roll-up")
        fig["postgres"] = run_child("postgres", {"workdir": str(workdir), "repeat": args.repeat,
                                                 "dsn": args.dsn})


# -- the report ---------------------------------------------------------------------------------------------

def rows_of(fig: dict) -> list[tuple[str, str, float | None]]:
    """(name, unit, value) of every figure of one size; None where not measured."""
    def get(*path, default=None):
        value = fig
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return default
            value = value[key]
        return value

    def ratio(a, b):
        return a / b if a is not None and b not in (None, 0) else None

    raw = get("api1", "raw_verify_per_s")
    raw_cpu = get("api1", "raw_verify_per_cpu_s")
    api1 = get("api1", "actas_per_s")
    api1_cpu = ratio(get("api1", "actas"), get("api1", "cpu_s"))
    apin = get("apiN", "actas_per_s")
    http_rate = get("http", "actas_per_s")
    http_cpu = ratio(get("http", "actas"), get("http", "server_cpu_s"))
    bulletin = get("bulletin", "bulletin_s")
    rollup = get("bulletin", "rollup_s")
    duck = get("duckdb", "rollup_s")
    duck1 = get("duckdb", "rollup_1thread_s")
    pg = get("postgres", "rollup_s")
    pg256 = get("postgres", "rollup_256mb_s")
    shape = get("prepare", "shape", default={})
    workers = len(get("apiN", "workers", default=[])) or None
    return [
        ("nodes above the tables (areas + centres)", "", sum(v for k, v in shape.items() if k != "table") or None),
        ("signed actas ingested (sample)", "", get("api1", "actas")),
        ("raw Ed25519 verify, 1 core", "/s", raw),
        ("ingest API, 1 worker", "actas/s", api1),
        ("ingest API, 1 worker, per CPU-second", "actas/s", api1_cpu),
        ("raw Ed25519 verify, 1 core, per CPU-second", "/s", raw_cpu),
        ("  ratio ingest API 1 worker / raw verify", "x", ratio(api1, raw)),
        ("  ratio of the two per CPU-second", "x", ratio(api1_cpu, raw_cpu)),
        ("  share of ingest time in the tally (Tally.set_many)", "x", ratio(get("api1", "tally_s"), get("api1", "wall_s"))),
        ("  share in _store_batch (holds the write lock)", "x", ratio(get("api1", "store_s"), get("api1", "wall_s"))),
        ("  CPU per acta, all of it", "us", ratio(1e6, api1_cpu)),
        ("    the signature (1 / raw verify per CPU-second)", "us", ratio(1e6, raw_cpu)),
        ("    the store's transaction (_store_batch: inserts, log, commit)", "us",
         ratio(1e6 * (get("api1", "store_cpu_s") or 0), get("api1", "actas")) if get("api1", "store_cpu_s") else None),
        ("    the rest (parse, rules, encodings, hashes, tally)", "us",
         ratio(1e6, api1_cpu) - ratio(1e6, raw_cpu) - 1e6 * get("api1", "store_cpu_s") / get("api1", "actas")
         if api1_cpu and raw_cpu and get("api1", "store_cpu_s") else None),
        ("    budget besides the signature at the 75 % target", "us",
         ratio(1e6, raw_cpu) / TARGET_PER_CORE - ratio(1e6, raw_cpu) if raw_cpu else None),
        (f"raw Ed25519 verify, {workers or 'N'} processes", "/s", get("apiN", "raw_verify_per_s")),
        (f"ingest API, {workers or 'N'} workers", "actas/s", apin),
        (f"  ratio ingest API {workers or 'N'} workers / raw verify 1 core", "x", ratio(apin, raw)),
        (f"ingest API into PostgreSQL, {workers or 'N'} workers", "actas/s", get("pgN", "actas_per_s")),
        ("  share of their time holding the write lock", "x", get("pgN", "store_share")),
        ("  init_election on PostgreSQL", "s", get("pg_prepare", "init_s")),
        ("ingest HTTP", "actas/s", http_rate),
        ("ingest HTTP, per server CPU-second", "actas/s", http_cpu),
        ("  ratio ingest HTTP / raw verify", "x", ratio(http_rate, raw)),
        ("full bulletin from table counters (roll-up + bulletin)", "s", bulletin),
        ("full bulletin from the live tally (publish's path)", "s", get("bulletin", "bulletin_live_s")),
        ("  bulletin head (canonical JSON)", "KiB", get("bulletin", "head_kib")),
        ("  bulletin counters (every node, every contest)", "MiB", get("bulletin", "counters_mib")),
        ("  zlib level 1 of the counters (as stored)", "s", get("bulletin", "compress_s")),
        ("  zlib'd counters size", "MiB", get("bulletin", "compressed_mib")),
        ("every figure of one area, rendered on request", "us", get("bulletin", "render_us")),
        ("roll-up escrutinio (recompute, level by level)", "s", rollup),
        ("node list compile (Nodes(election), with its hash)", "s", get("bulletin", "nodes_compile_s")),
        ("roll-up DuckDB (GROUP BY ROLLUP)", "s", duck),
        ("roll-up DuckDB, 1 thread", "s", duck1),
        ("roll-up PostgreSQL (GROUP BY ROLLUP)", "s", pg),
        ("roll-up PostgreSQL, work_mem 256MB", "s", pg256),
        ("  ratio full bulletin / DuckDB roll-up", "x", ratio(bulletin, duck)),
        ("  ratio roll-up escrutinio / DuckDB", "x", ratio(rollup, duck)),
        ("  ratio roll-up escrutinio / PostgreSQL", "x", ratio(rollup, pg)),
        ("  ratio full bulletin / PostgreSQL roll-up", "x", ratio(bulletin, pg)),
        ("publish_bulletin, every table counted, first in its process (--publish)", "s",
         get("publish", "publish_s")),
        ("  current_tally alone (every acta read from the store)", "s", get("publish", "current_tally_s")),
        ("publish_bulletin, the next one (100 actas annulled since)", "s", get("publish", "publish_next_s")),
        ("publish_bulletin, the next one in a new process (100 more)", "s", get("publish", "publish_restart_s")),
        ("static export: head, counters, node list, CSV per level", "s", get("publish", "export_s")),
        ("static export with a JSON file per area and centre", "s", get("publish", "export_areas_s")),
        ("  files written", "", get("publish", "export_files")),
        ("  size of the files", "MiB", get("publish", "export_mib")),
        ("one acta update, every level (median)", "us", get("bulletin", "update_median_us")),
        ("one acta update, every level (p99)", "us", get("bulletin", "update_p99_us")),
        ("Tally.load of every table (fill)", "s", get("bulletin", "fill_s")),
        ("Tally compile (Tally(election))", "s", get("bulletin", "tally_compile_s")),
        ("store.election() load (ingest worker)", "s", get("api1", "load_election_s")),
        ("registered keys load (ingest worker)", "s", get("api1", "load_keys_s")),
        ("init_election", "s", get("prepare", "init_s")),
        ("register_keys (every table)", "s", get("prepare", "register_keys_s")),
        ("server start (escrutinio serve)", "s", get("http", "server_start_s")),
        ("peak RSS prepare", "MiB", get("prepare", "rss_mib")),
        ("peak RSS ingest API, 1 worker", "MiB", get("api1", "rss_mib")),
        ("peak RSS ingest API, each worker (max)", "MiB", get("apiN", "rss_mib")),
        ("peak RSS HTTP server", "MiB", get("http", "server_rss_mib")),
        ("peak RSS bulletin + roll-up", "MiB", get("bulletin", "rss_mib")),
        ("peak RSS publish_bulletin (--publish)", "MiB", get("publish", "rss_mib")),
        ("peak RSS DuckDB", "MiB", get("duckdb", "rss_mib")),
        ("peak RSS PostgreSQL backend", "MiB", get("postgres", "backend_rss_mib")),
        ("night for the verifier: signed actas ingested (every table, every contest)", "", get("night", "actas")),
        ("  its bulletins", "", len(get("night", "publish_s", default=[])) or None),
        ("  signing them (bench only)", "s", get("night", "sign_s")),
        ("  ingesting them (services.ingest_records, 1 worker)", "s", get("night", "ingest_s")),
        ("  its store", "MiB", get("night", "db_mib")),
        ("escrutinio verify --db, the whole night", "s", get("verify", "verify_s")),
        ("  CPU time of escrutinio verify (all its processes)", "s", get("verify", "cpu_s")),
        ("peak RSS escrutinio verify", "MiB", get("verify", "verify_rss_mib")),
        ("peak RSS escrutinio verify, all its processes at once", "MiB", get("verify", "verify_tree_rss_mib")),
        ("load average after API ingest, 1 worker", "load", get("api1", "loadavg_after")),
        (f"load average after API ingest, {workers or 'N'} workers", "load", get("apiN", "loadavg_after")),
        ("load average after HTTP ingest", "load", get("http", "loadavg_after")),
        ("load average after the bulletin", "load", get("bulletin", "loadavg_after")),
        ("load average after escrutinio verify", "load", get("verify", "loadavg_after")),
        ("wall time of this size", "s", get("elapsed_s")),
    ]


def fmt(value, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value != value:
        return "n/a"
    if unit == "load":
        return f"{value:.2f}"
    if unit == "x":
        return f"{value:.3g}"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "us":
        return f"{value:.1f} µs"
    if unit == "KiB":
        return f"{value:,.1f} KiB"
    if unit == "MiB":
        return f"{value:,.0f} MiB" if value >= 10 else f"{value:.2f} MiB"
    if isinstance(value, float):
        return f"{value:,.0f}"
    return f"{value:,}"


def print_report(figs: list[dict], out=sys.stdout) -> None:
    table = [rows_of(f) for f in figs]
    width = max(len(name) for name, _, _ in table[0]) + 2
    col = 16
    header = "figure".ljust(width) + "".join(f"{f['tables']:>{col},}" for f in figs)
    print("\n" + header + "\n" + "-" * len(header), file=out)
    shown = [i for i in range(len(table[0])) if any(t[i][2] is not None for t in table)]
    for i in shown:
        name, unit, _ = table[0][i]
        label = f"{name} [{unit}]" if unit in ("actas/s", "/s") else name
        print(label.ljust(width) + "".join(f"{fmt(t[i][2], t[i][1]):>{col}}" for t in table), file=out)

    if len(figs) > 1:
        print("\ngrowth between sizes (figure at the larger size / at the smaller)", file=out)
        pairs = list(zip(figs, figs[1:]))
        spans = [f"{a['tables']:,}→{b['tables']:,}" for a, b in pairs]
        header = "figure".ljust(width) + "".join(f"{span:>{col + 6}}" for span in spans)
        print(header + "\n" + "-" * len(header), file=out)
        print("tables".ljust(width) + "".join(f"{b['tables'] / a['tables']:>{col + 5}.2f}x" for a, b in pairs),
              file=out)
        for i in shown:
            name, unit, _ = table[0][i]
            if unit in ("x", "", "load") or name.startswith("wall"):
                continue
            cells = []
            for j in range(len(pairs)):
                a, b = table[j][i][2], table[j + 1][i][2]
                cells.append(f"{b / a:>{col + 5}.2f}x" if a and b and a == a and b == b else f"{'—':>{col + 6}}")
            print(name.ljust(width) + "".join(cells), file=out)

    print("\ntargets", file=out)
    for line in targets(figs):
        print("  " + line, file=out)
    checks = [(f["tables"], name, f.get(stage, {}).get(key)) for f in figs
              for stage, key, name in (("duckdb", "matches_escrutinio", "DuckDB roll-up equals escrutinio's"),
                                       ("postgres", "matches_escrutinio", "PostgreSQL roll-up equals escrutinio's"),
                                       ("bulletin", "incremental_matches_rollup",
                                        "Tally.set updates equal a full recompute"),
                                       ("verify", "ok", "escrutinio verify: every check holds"),
                                       )]
    for f in figs:
        for stage in ("api1", "apiN", "pgN", "http", "night"):
            if stage in f:
                got = f[stage]["results"]
                checks.append((f["tables"], f"{stage} outcomes {got}", set(got) == {"accepted"}))
    print("\nchecks:", file=out)
    for n, name, ok in checks:
        if ok is not None:
            print(f"  {n:>9,} tables: {name}: {'yes' if ok else 'NO'}", file=out)


def targets(figs: list[dict]) -> list[str]:
    lines = []

    def verdict(ok: bool) -> str:
        return "HOLDS" if ok else "MISSED"

    for f in figs:
        n = f["tables"]
        if "verify" in f:
            v = f["verify"]
            peak = max(v["verify_rss_mib"], v["verify_tree_rss_mib"])
            lines.append(f"{n:>9,} tables: escrutinio verify of the whole night ({f['night']['actas']:,} actas, "
                         f"{len(f['night']['publish_s'])} bulletins) {v['verify_s']:.1f} s, peak RSS {peak:,.0f} MiB"
                         + (f" (target ≤ {TARGET_VERIFY_S} s, ≤ {TARGET_RSS_MIB:,} MiB): "
                            f"{verdict(v['verify_s'] <= TARGET_VERIFY_S and peak <= TARGET_RSS_MIB)}"
                            if n >= 1_000_000 else ""))
        if "api1" not in f:
            continue
        raw, api1 = f["api1"]["raw_verify_per_s"], f["api1"]["actas_per_s"]
        raw_cpu, api1_cpu = f["api1"]["raw_verify_per_cpu_s"], f["api1"]["actas"] / f["api1"]["cpu_s"]
        lines.append(f"{n:>9,} tables: ingest per core {api1:,.0f}/s = {api1 / raw:.0%} of raw verify {raw:,.0f}/s; "
                     f"per CPU-second {api1_cpu:,.0f}/s = {api1_cpu / raw_cpu:.0%} of {raw_cpu:,.0f}/s "
                     f"(target ≥ {TARGET_PER_CORE:.0%}): "
                     f"{verdict(max(api1 / raw, api1_cpu / raw_cpu) >= TARGET_PER_CORE)}")
        if "apiN" in f:
            rate = f["apiN"]["actas_per_s"]
            lines.append(f"{n:>9,} tables: ingest with {len(f['apiN']['workers'])} workers {rate:,.0f}/s "
                         f"(target ≥ {TARGET_TWO_CORES:,}): {verdict(rate >= TARGET_TWO_CORES)}")
        if "pgN" in f:
            rate = f["pgN"]["actas_per_s"]
            lines.append(f"{n:>9,} tables: (PostgreSQL, not the target's store) ingest with "
                         f"{len(f['pgN']['workers'])} workers {rate:,.0f}/s")
        b, duck = f["bulletin"]["bulletin_s"], f["duckdb"]["rollup_s"]
        goal = " (target ≤ 1 s at 1M)" if n >= 1_000_000 else ""
        lines.append(f"{n:>9,} tables: full bulletin from table counters {b:.3f} s{goal} "
                     f"(from the live tally {f['bulletin']['bulletin_live_s']:.3f} s); DuckDB roll-up {duck:.3f} s; "
                     f"faster than DuckDB: {verdict(b < duck)}"
                     + (f"; ≤ 1 s: {verdict(b <= TARGET_BULLETIN_S)}" if n >= 1_000_000 else ""))
        lines.append(f"{n:>9,} tables: pure roll-up {f['bulletin']['rollup_s']:.3f} s vs DuckDB {duck:.3f} s: "
                     f"{verdict(f['bulletin']['rollup_s'] < duck)}")
        u = f["bulletin"]["update_median_us"]
        lines.append(f"{n:>9,} tables: one acta updates every level in {u:.1f} µs median "
                     f"(target ≤ {TARGET_UPDATE_US:.0f}): {verdict(u <= TARGET_UPDATE_US)}")
        if "publish" in f:
            first = f["publish"]["publish_s"]
            lines.append(f"{n:>9,} tables: first bulletin of a new process (no bulletin before: every acta's counts "
                         f"read from the store) {first:.2f} s, of which reading the tally "
                         f"{f['publish']['current_tally_s']:.2f} s"
                         + (f" (target ≤ {TARGET_FIRST_BULLETIN_S:.0f} s at 1M): "
                            f"{verdict(first <= TARGET_FIRST_BULLETIN_S)}" if n >= 1_000_000 else ""))
        peak = max(v for v in (f["api1"]["rss_mib"], f.get("apiN", {}).get("rss_mib", 0),
                               f.get("http", {}).get("server_rss_mib", 0), f["bulletin"]["rss_mib"],
                               f.get("publish", {}).get("rss_mib", 0)) if v)
        lines.append(f"{n:>9,} tables: largest escrutinio process peak RSS {peak:,.0f} MiB"
                     + (f" (target ≤ {TARGET_RSS_MIB:,} MiB): {verdict(peak <= TARGET_RSS_MIB)}"
                        if n >= 1_000_000 else ""))
    return lines


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal:")), 0)
    import nacl

    import numpy

    versions = {"python": platform.python_version(), "pynacl": nacl.__version__, "numpy": numpy.__version__}
    for name in ("duckdb", "psycopg", "sqlalchemy"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_mib": mem, "platform": platform.platform(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "versions": versions}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=int, nargs="+", default=[30_000, 100_000, 1_000_000],
                        help="election sizes in tables (default: %(default)s)")
    parser.add_argument("--ingest-sample", type=int, default=20_000,
                        help="signed actas ingested per size (default: %(default)s)")
    parser.add_argument("--verify-sample", type=int, default=20_000,
                        help="signatures verified for the raw rate (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=2,
                        help="ingest processes at once, and HTTP connections (default: %(default)s)")
    parser.add_argument("--skip-http", action="store_true", help="do not measure ingest over HTTP")
    parser.add_argument("--skip-postgres", action="store_true", help="do not measure PostgreSQL")
    parser.add_argument("--dsn", default=DEFAULT_DSN, help="PostgreSQL to use (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timed query; the median is shown")
    parser.add_argument("--updates", type=int, default=10_000, help="single-acta updates timed (default: %(default)s)")
    parser.add_argument("--publish", action="store_true",
                        help="also fill a store with every table counted and time services.publish_bulletin "
                             "end to end (1M tables: several minutes, several GB)")
    parser.add_argument("--skip-export", action="store_true",
                        help="with --publish: do not time the static export (the first bulletins only)")
    parser.add_argument("--verify", action="store_true",
                        help="also ingest a whole night (every table's signed actas, a few bulletins) and time "
                             "escrutinio verify over it (1M tables: several minutes)")
    parser.add_argument("--verify-only", action="store_true",
                        help="only the night and escrutinio verify (after prepare), none of the other figures; "
                             "with --workdir, a night kept there by an earlier run with --keep is verified again")
    parser.add_argument("--profile", action="store_true",
                        help="run the one-worker API ingest once more under cProfile and print where its time "
                             "goes (the figures come from the unprofiled run)")
    parser.add_argument("--workdir", help="where to put the databases (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the databases and files of each size")
    parser.add_argument("--json", help="also write every figure to this JSON file")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--params", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        child_main(args.stage, args.params)
        return

    info = machine()
    print(f"escrutinio scale benchmark — {info['date']}")
    print(f"machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory_mib']:,} MiB; {info['platform']}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    print("command: python bench/run.py " + " ".join(sys.argv[1:]), flush=True)
    began = time.perf_counter()
    temporary = None
    base = Path(args.workdir) if args.workdir else Path(temporary := tempfile.mkdtemp(prefix="escrutinio-bench-"))
    figs = []
    try:
        for n in args.tables:
            figs.append(measure_size(n, args, base))
    finally:
        if temporary and not args.keep:
            shutil.rmtree(temporary, ignore_errors=True)
    print_report(figs)
    if args.profile:
        for f in figs:
            if f.get("profile"):
                print(f"\ncProfile of the one-worker API ingest, {f['tables']:,} tables:\n")
                print(f["profile"])
    print(f"\ntotal wall time {time.perf_counter() - began:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "args": vars(args), "sizes": figs}, indent=1),
                                   encoding="utf-8")


if __name__ == "__main__":
    main()

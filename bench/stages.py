"""The measurements of bench/run.py, each run in a child process of its own (see run.py).

Every stage takes a dict of parameters and returns a dict of figures, always with ``rss_mib``: the
peak resident set (VmHWM) of the process that did the work.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import json
import os
import pstats
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

from synth import CONTESTS, acta_record, counted_actas, counted_rows, shape, synthetic_election

from escrutinio.domain.model import Acta

SEED = 2007
KEYS_CHUNK = 100_000  # tables per register_keys call (see prepare)
CUT_OFF = dt.datetime(2007, 12, 3, 5, 7, tzinfo=dt.timezone.utc)


# -- helpers -----------------------------------------------------------------------------------------------

def peak_rss_mib(pid: int | str = "self") -> float:
    """The peak resident set of a process so far (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of another process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def median_time(fn, repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def copy_database(source: Path, target: Path) -> None:
    """A copy of a closed, checkpointed SQLite database (no -wal/-shm left beside it)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


def checkpoint(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def part_path(workdir: Path, part: int, parts: int) -> Path:
    return workdir / f"actas-{part + 1}-of-{parts}.jsonl"


# -- prepare: the election, its store, its keys and the signed actas ------------------------------------------

def prepare(p: dict) -> dict:
    from escrutinio.services import init_election, open_store
    from escrutinio.services.keys import sign_record

    n, workdir, sample = p["tables"], Path(p["workdir"]), p["sample"]
    out: dict = {}
    start = time.perf_counter()
    election = synthetic_election(n, SEED)
    out["generate_s"] = time.perf_counter() - start
    out["shape"] = shape(election)

    db = workdir / "template.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    store = open_store(sqlite_url(db))
    start = time.perf_counter()
    init_election(store, election)
    out["init_s"] = time.perf_counter() - start

    # Actas for a random sample of tables, both contests of each, in random table order.
    rng, chosen = _chosen(n, sample)
    records = [acta_record(election, election.tables[t], contest, rng) for t in chosen for contest in CONTESTS]
    records = records[:sample]

    # Every table gets a key: the sampled ones their own (derived from the seed, so the run can be
    # repeated), the others one shared public key (deriving a million keys would take minutes and
    # change nothing measured: the store and the verifier hold one key per table either way).
    start = time.perf_counter()
    private, public = _keys(election, chosen)
    out["keys_s"] = time.perf_counter() - start
    start = time.perf_counter()
    out["register_keys_calls"] = _register(store, public)
    out["register_keys_s"] = time.perf_counter() - start

    start = time.perf_counter()
    signed = [sign_record(election, r, private[r["table"]]) for r in records]
    out["sign_s"] = time.perf_counter() - start
    lines = [json.dumps(s, ensure_ascii=False) + "\n" for s in signed]
    (workdir / "actas.jsonl").write_text("".join(lines), encoding="utf-8")
    for parts in sorted({1, p["workers"]}):
        bounds = [round(i * len(lines) / parts) for i in range(parts + 1)]
        for i in range(parts):
            part_path(workdir, i, parts).write_text("".join(lines[bounds[i]:bounds[i + 1]]), encoding="utf-8")
    store.close()
    checkpoint(db)
    out["db_mib"] = db.stat().st_size / 2**20
    out["actas"] = len(signed)
    out["rss_mib"] = peak_rss_mib()
    return out


def _chosen(n: int, sample: int) -> tuple[random.Random, list[int]]:
    """The tables the sample of actas comes from, and the generator the actas are then drawn with."""
    rng = random.Random(SEED + n)
    return rng, rng.sample(range(n), min(n, (sample + 1) // 2))


def _keys(election, chosen: list[int]) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Every table gets a key: the sampled ones their own (derived from the seed, so the run can be
    repeated), the others one shared public key (deriving a million keys would take minutes and
    change nothing measured: the store and the verifier hold one key per table either way)."""
    from escrutinio.intake import signatures

    private = {election.tables[t].code: signatures.new_private_key(f"{SEED}\n{election.tables[t].code}".encode())
               for t in chosen}
    filler = signatures.public_key(signatures.new_private_key(b"bench filler"))
    public = {t.code: filler for t in election.tables}
    public.update({code: signatures.public_key(key) for code, key in private.items()})
    return private, public


def _register(store, public: dict[str, bytes]) -> int:
    """Register every key, in chunks: one register_keys call of more than ~250,000 tables fails on
    SQLite ("too many SQL variables"). Chunks of a multiple of KEYS_PER_LEAF log exactly the same keys
    leaves as one call would. Returns the number of calls."""
    from escrutinio.services.keys import register_keys

    codes = list(public)
    for i in range(0, len(codes), KEYS_CHUNK):
        register_keys(store, {code: public[code] for code in codes[i:i + KEYS_CHUNK]})
    return -(-len(codes) // KEYS_CHUNK)


def prepare_postgres(p: dict) -> dict:
    """A fresh PostgreSQL database with the same election and keys as prepare's SQLite template."""
    import psycopg
    import sqlalchemy as sa

    from escrutinio.services import init_election, open_store

    n, sample, name = p["tables"], p["sample"], f"escrutinio_bench_{os.getpid()}"
    with psycopg.connect(p["dsn"], autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    where = psycopg.conninfo.conninfo_to_dict(p["dsn"])
    url = sa.engine.URL.create("postgresql+psycopg", username=where.get("user"), password=where.get("password"),
                               host=where.get("host"), port=int(where.get("port", 5432)), database=name)
    out: dict = {"database": name, "url": url.render_as_string(hide_password=False)}
    election = synthetic_election(n, SEED)
    store = open_store(out["url"])
    start = time.perf_counter()
    init_election(store, election)
    out["init_s"] = time.perf_counter() - start
    start = time.perf_counter()
    _register(store, _keys(election, _chosen(n, sample)[1])[1])
    out["register_keys_s"] = time.perf_counter() - start
    store.close()
    out["rss_mib"] = peak_rss_mib()
    return out


def drop_postgres(p: dict) -> dict:
    import psycopg

    with psycopg.connect(p["dsn"], autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {p['database']} WITH (FORCE)")
    return {}


# -- ingest through the Python API -------------------------------------------------------------------------

def _acta_of(data: dict) -> Acta:
    contest = next(c for c in CONTESTS if c.code == data["contest"])
    votes = data["votes"]
    return Acta(data["table"], data["contest"], tuple((code, votes[code]) for code in contest.option_codes),
                data["null"], data.get("blank", 0), data["ballots_cast"])


def raw_verify_items(path: Path, election, public: dict[str, bytes], limit: int) -> list:
    """(public key, signed bytes, signature) of the actas in ``path``: what the library checks per acta."""
    from escrutinio.domain.rules import check_acta
    from escrutinio.intake import signatures

    items = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            data = json.loads(line)
            acta = check_acta(election, data).acta
            items.append((public[acta.table], signatures.signing_payload(election, acta),
                          signatures.decode(data["signature"], 64)))
            if len(items) >= limit:
                break
    return items


def raw_verify_rate(items: list) -> tuple[float, float]:
    """Verifications a second, one core, with the very libsodium call escrutinio's Verifier makes
    (PyNaCl's crypto_sign_open: what VerifyKey.verify calls, without its checks): per second of
    wall time, and per second of this process's CPU time."""
    import nacl.bindings

    open_signed = nacl.bindings.crypto_sign_open
    cpu, start = time.process_time(), time.perf_counter()
    for key, payload, signature in items:
        open_signed(signature + payload, key)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return len(items) / wall, len(items) / cpu if cpu > 0 else float("nan")


def _wait(word: str) -> None:
    """Tell the parent we are ready for ``word`` and wait until it says it (the workers start together)."""
    print(f"WAITING {word}", flush=True)
    line = sys.stdin.readline().strip()
    if line != word:
        raise SystemExit(f"expected {word!r} from the parent, got {line!r}")


def ingest(p: dict) -> dict:
    """One worker: ingest its part of the signed actas in batches through services.ingest_records."""
    from escrutinio.domain.tally import Tally
    from escrutinio.intake.actas import read_actas
    from escrutinio.services import ingest_records, open_store
    from escrutinio.services import intake as intake_service

    out: dict = {}
    path, batch_size = Path(p["part"]), p["batch"]
    start = time.perf_counter()
    store = open_store(p.get("url") or sqlite_url(Path(p["db"])), migrate=False)
    election = store.election()
    out["load_election_s"] = time.perf_counter() - start
    start = time.perf_counter()
    tally = Tally(election)
    out["tally_compile_s"] = time.perf_counter() - start
    start = time.perf_counter()
    intake_service._verifier(store, election.tables[0].code)  # read every registered key before timing
    out["load_keys_s"] = time.perf_counter() - start
    items = raw_verify_items(path, election, store.table_keys(), p["verify_limit"])

    if p.get("barrier"):
        _wait("verify")
    out["raw_verify_per_s"], out["raw_verify_per_cpu_s"] = raw_verify_rate(items)
    out["raw_verify_n"] = len(items)
    del items
    if p.get("barrier"):
        _wait("ingest")

    # Time spent in _store_batch: the part that holds the log's write lock (one writer at a time).
    store_s, store_cpu_s = [0.0], [0.0]
    store_batch = intake_service._store_batch

    def timed_store_batch(*args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return store_batch(*args, **kwargs)
        finally:
            store_s[0] += time.perf_counter() - start
            store_cpu_s[0] += time.process_time() - cpu

    intake_service._store_batch = timed_store_batch

    # Time spent bringing the tally up to date (ingest_records calls it once per batch).
    tally_s = [0.0]
    set_many = tally.set_many

    def timed_set_many(states) -> None:
        start = time.perf_counter()
        try:
            set_many(states)
        finally:
            tally_s[0] += time.perf_counter() - start

    tally.set_many = timed_set_many

    results: dict[str, int] = {}
    profile = cProfile.Profile() if p.get("profile") else None
    cpu0, wall0, epoch0 = time.process_time(), time.perf_counter(), time.time()
    if profile:
        profile.enable()
    batch: list = []

    def flush() -> None:
        for outcome in ingest_records(store, batch, tally=tally):
            results[outcome.result] = results.get(outcome.result, 0) + 1
        batch.clear()

    for record in read_actas(path):
        batch.append(record)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    if profile:
        profile.disable()
    wall = time.perf_counter() - wall0
    out.update(cpu_s=time.process_time() - cpu0, wall_s=wall, start=epoch0, end=epoch0 + wall,
               actas=sum(results.values()), results=results, tally_s=tally_s[0], store_s=store_s[0],
               store_cpu_s=store_cpu_s[0])
    intake_service._store_batch = store_batch
    out["actas_per_s"] = out["actas"] / wall
    if profile:
        buffer = io.StringIO()
        stats = pstats.Stats(profile, stream=buffer)
        buffer.write(profile_breakdown(stats, wall))
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
        Path(p["profile"]).write_text(buffer.getvalue(), encoding="utf-8")
    store.close()
    out["rss_mib"] = peak_rss_mib()
    return out


# Where one worker's ingest time goes: (label, file suffix, function name) of cProfile entries.
COMPONENTS = (
    ("parse: read_actas (JSON lines -> records)", "intake/actas.py", "read_actas"),
    ("ingest_records (everything below)", "services/intake.py", "ingest_records"),
    ("  before the lock: _Batch.check (rules, signature, encoding)", "services/intake.py", "check"),
    ("  rules: well_formed (fast path over the typed fields)", "domain/rules.py", "well_formed"),
    ("  rules: check_acta (every rule, when the fast path declines)", "domain/rules.py", "check_acta"),
    ("  signature: _signature_problem", "services/intake.py", "_signature_problem"),
    ("    libsodium crypto_sign_open", "~", "<built-in method _sodium.crypto_sign_open>"),
    ("  msgspec: canonical and signed forms (ActaJson.encode)", "domain/canonical.py", "encode"),
    ("  stored content form (ActaJson.text, a format per contest)", "domain/canonical.py", "text"),
    ("  counts packed (pack_counts)", "store/store.py", "pack_counts"),
    ("    base64 decode of the signature", "intake/signatures.py", "decode"),
    ("  store: _store_batch (one transaction)", "services/intake.py", "_store_batch"),
    ("    slot_actas (actas already held)", "store/store.py", "slot_actas"),
    ("    _plan (duplicate / conflict)", "services/intake.py", "_plan"),
    ("    insert_actas (executemany)", "store/store.py", "insert_actas"),
    ("    add_events", "store/store.py", "add_events"),
    ("    log leaf: msgspec + hash (ActaLeaf.leaf)", "services/log.py", "leaf"),
    ("    append_log (INSERT)", "store/store.py", "append_log"),
    ("    sqlite3 commit (fsync)", "~", "<method 'commit' of 'sqlite3.Connection' objects>"),
    ("  all json.dumps (any caller)", "json/__init__.py", "dumps"),
    ("  all SQLAlchemy execute", "sqlalchemy/engine/base.py", "execute"),
    ("tally: Tally.set_many per batch", "domain/tally.py", "set_many"),
)


def profile_breakdown(stats: pstats.Stats, wall: float) -> str:
    """Cumulative time of the main parts of the ingest, from a cProfile run."""
    total = max((ct for (_, _, func), (_, _, _, ct, _) in stats.stats.items() if func == "flush"), default=wall)
    lines = [f"where the ingest time goes (cProfile, cumulative, {total:.2f} s in all):"]
    for label, suffix, name in COMPONENTS:
        spent = max((ct for (path, _, func), (_, _, _, ct, _) in stats.stats.items()
                     if func == name and path.replace("\\", "/").endswith(suffix)), default=0.0)
        if name == "dumps":
            spent = sum(ct for (path, _, func), (_, _, _, ct, _) in stats.stats.items()
                        if func == name and path.endswith(suffix))
        lines.append(f"  {label:<48} {spent:7.3f} s  {spent / total:6.1%}")
    return "\n".join(lines) + "\n\n"


# -- ingest over HTTP --------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http(p: dict) -> dict:
    """Serve a copy of the database with `escrutinio serve`; POST the actas in batches from this process."""
    import httpx

    from escrutinio.services import open_store
    from escrutinio.services.tokens import create_token

    out: dict = {}
    db, workdir = Path(p["db"]), Path(p["workdir"])
    url = sqlite_url(db)
    store = open_store(url, migrate=False)
    _, token = create_token(store, "bench", "transmission")
    store.close()
    lines = (workdir / "actas.jsonl").read_text(encoding="utf-8").splitlines()
    actas = [json.loads(line) for line in lines]
    warm, rest = actas[:1], actas[1:]
    bodies = [json.dumps({"actas": rest[i:i + p["batch"]]}).encode() for i in range(0, len(rest), p["batch"])]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    port = _free_port()
    site = f"http://127.0.0.1:{port}"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ESCRUTINIO_")},
           "ESCRUTINIO_RATE_LIMIT_PER_SECOND": "0"}
    start = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "escrutinio.cli", "serve", "--db", url, "--port", str(port)],
                              cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + p.get("start_timeout", 900)
        while True:
            if server.poll() is not None:
                raise SystemExit(f"escrutinio serve exited with {server.returncode}")
            if time.monotonic() > deadline:
                raise SystemExit("escrutinio serve did not start in time")
            try:
                if httpx.get(f"{site}/api/v1/timeline", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        out["server_start_s"] = time.perf_counter() - start
        # One acta first, untimed: the server reads every registered key on its first acta.
        answer = httpx.post(f"{site}/api/v1/actas", headers=headers, content=json.dumps({"actas": warm}).encode(),
                            timeout=600)
        answer.raise_for_status()

        results: dict[str, int] = {}
        lock = threading.Lock()
        queue = iter(bodies)
        failures: list[str] = []

        def send() -> None:
            with httpx.Client(timeout=600) as client:
                while True:
                    with lock:
                        body = next(queue, None)
                    if body is None:
                        return
                    reply = client.post(f"{site}/api/v1/actas", headers=headers, content=body)
                    if reply.status_code != 200:
                        failures.append(f"{reply.status_code}: {reply.text[:200]}")
                        return
                    with lock:
                        for name, count in reply.json()["counts"].items():
                            results[name] = results.get(name, 0) + count

        cpu0, wall0 = cpu_seconds(server.pid), time.perf_counter()
        threads = [threading.Thread(target=send) for _ in range(p["connections"])]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - wall0
        out["server_cpu_s"] = cpu_seconds(server.pid) - cpu0
        if failures:
            raise SystemExit(f"POST /api/v1/actas failed: {failures[0]}")
        out["server_rss_mib"] = peak_rss_mib(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    out.update(wall_s=wall, actas=len(rest), results={k: v for k, v in results.items() if v},
               actas_per_s=len(rest) / wall, client_rss_mib=peak_rss_mib())
    out["rss_mib"] = out["server_rss_mib"]
    return out


# -- the full bulletin, the roll-up and one acta's update ---------------------------------------------------

def bulletin(p: dict) -> dict:
    import numpy as np

    from escrutinio.domain.bulletin import Nodes, build_bulletin
    from escrutinio.domain.canonical import canonical_json
    from escrutinio.domain.tally import SlotState, Tally

    n, workdir, repeat = p["tables"], Path(p["workdir"]), p["repeat"]
    out: dict = {}
    election = synthetic_election(n, SEED)
    start = time.perf_counter()
    tally = Tally(election)
    out["tally_compile_s"] = time.perf_counter() - start

    # Every table counted, both contests: Tally.load, one contest at a time.
    out["fill_s"] = 0.0
    for i, contest in enumerate(CONTESTS):
        actas = counted_actas(election, contest, counted_rows(election, contest, SEED + i))
        states = {(a.table, contest.code): SlotState(counted=a, received=True) for a in actas}
        del actas
        start = time.perf_counter()
        tally.load(states)
        out["fill_s"] += time.perf_counter() - start
        del states

    start = time.perf_counter()
    nodes = Nodes(election)
    nodes.digest  # the node list's SHA-256: once per election, like compiling the tally
    out["nodes_compile_s"] = time.perf_counter() - start

    out["rollup_s"], out["rollup_runs"] = median_time(
        lambda: [ct.recompute() for ct in tally.contests.values()], repeat)
    built: list = []

    def live() -> None:
        built.clear()
        built.append(build_bulletin(election, tally, 1, CUT_OFF, None, nodes=nodes))

    def from_tables() -> None:
        for ct in tally.contests.values():
            ct.recompute()
        live()

    # The full bulletin as publish_bulletin makes it: from the tally kept up to date act by acta.
    out["bulletin_live_s"], out["bulletin_live_runs"] = median_time(live, repeat)
    # The same from the per-table counters alone: every level rolled up first (what DuckDB is given).
    out["bulletin_s"], out["bulletin_runs"] = median_time(from_tables, repeat)
    bulletin = built[0]
    out["nodes"] = len(bulletin.nodes)
    out["head_kib"] = len(canonical_json(bulletin.body)) / 1024
    counters = b"".join(bulletin.counter_bytes(code) for code in bulletin.counters)
    out["counters_mib"] = len(counters) / 2**20
    start = time.perf_counter()
    out["compressed_mib"] = len(zlib.compress(counters, 1)) / 2**20
    out["compress_s"] = time.perf_counter() - start
    del counters
    # Every figure of one area, as the API and the pages render it on request.
    sample = random.Random(SEED).sample(range(len(bulletin.nodes)), min(len(bulletin.nodes), 2000))
    start = time.perf_counter()
    for node in sample:
        bulletin.entry(node)
    out["render_us"] = (time.perf_counter() - start) / len(sample) * 1e6
    del bulletin, built[:]

    # One new acta: Tally.set on random tables (each a different acta, so every level really changes).
    rng = random.Random(SEED)
    contest = CONTESTS[1]
    code_of = [t.code for t in election.tables]
    trials = p["updates"]
    picks = [rng.randrange(n) for _ in range(trials)]
    actas = [_acta_of(acta_record(election, election.tables[t], contest, rng)) for t in picks]
    states = [SlotState(counted=a, received=True) for a in actas]
    timings = []
    clock = time.perf_counter_ns
    for t, state in zip(picks, states):
        start = clock()
        tally.set(code_of[t], contest.code, state)
        timings.append(clock() - start)
    timings.sort()
    out["update_median_us"] = timings[len(timings) // 2] / 1000
    out["update_p99_us"] = timings[min(len(timings) - 1, int(len(timings) * 0.99))] / 1000
    out["update_n"] = trials
    incremental = {code: ct.node_rows.copy() for code, ct in tally.contests.items()}
    for ct in tally.contests.values():
        ct.recompute()
    out["incremental_matches_rollup"] = all(np.array_equal(incremental[c], ct.node_rows)
                                            for c, ct in tally.contests.items())

    # The same per-table rows, with the ancestors' ids as columns, for DuckDB and PostgreSQL.
    geo = tally.geography
    columns = ["table_id", "state", "municipality", "parish", "centre"]
    parts = [np.arange(n, dtype=np.int64)[:, None], geo.ancestor_matrix[3][:, None], geo.ancestor_matrix[2][:, None],
             geo.ancestor_matrix[1][:, None], geo.ancestor_matrix[0][:, None]]
    expected = {}
    for code, ct in tally.contests.items():
        columns += [f"{code}_{name}".lower() for name in ct.columns]
        parts.append(ct.table_rows)
        expected[code] = ct.node_rows[geo.index[election.root.code]].tolist()
    np.save(workdir / "rows.npy", np.hstack(parts))
    (workdir / "rows.json").write_text(json.dumps({"columns": columns, "nodes": out["nodes"],
                                                   "expected_root": expected}), encoding="utf-8")
    out["rss_mib"] = peak_rss_mib()
    return out


def _rollup_sql(columns: list[str], source: str) -> str:
    sums = ", ".join(f"SUM({c}) AS {c}" for c in columns[5:])
    return (f"SELECT state, municipality, parish, centre, {sums} FROM {source} "
            f"GROUP BY ROLLUP (state, municipality, parish, centre)")


def _check_root(expected: dict, root: list, columns: list[str]) -> bool:
    want = [v for code in expected for v in expected[code]]
    return [int(v) for v in root] == want


def duckdb_stage(p: dict) -> dict:
    import duckdb
    import numpy as np

    workdir, repeat = Path(p["workdir"]), p["repeat"]
    meta = json.loads((workdir / "rows.json").read_text(encoding="utf-8"))
    columns = meta["columns"]
    out: dict = {}
    con = duckdb.connect()
    rows = np.load(workdir / "rows.npy")
    frame = {name: np.ascontiguousarray(rows[:, i]) for i, name in enumerate(columns)}
    del rows
    start = time.perf_counter()
    con.register("frame", frame)
    con.execute("CREATE TABLE per_table AS SELECT * FROM frame")
    con.unregister("frame")
    out["load_s"] = time.perf_counter() - start
    del frame
    query = _rollup_sql(columns, "per_table")
    out["threads"] = con.execute("SELECT current_setting('threads')").fetchone()[0]

    def run() -> None:
        con.execute(f"CREATE OR REPLACE TABLE rollup AS {query}")

    out["rollup_s"], out["rollup_runs"] = median_time(run, repeat)
    out["groups"] = con.execute("SELECT count(*) FROM rollup").fetchone()[0]
    root = con.execute("SELECT * FROM rollup WHERE state IS NULL").fetchone()[4:]
    out["matches_escrutinio"] = out["groups"] == meta["nodes"] and _check_root(meta["expected_root"], root, columns)
    con.execute("SET threads = 1")
    out["rollup_1thread_s"], out["rollup_1thread_runs"] = median_time(run, repeat)
    if p.get("csv"):
        con.execute(f"COPY per_table TO '{workdir / 'rows.csv'}' (HEADER, DELIMITER ',')")
    con.close()
    out["rss_mib"] = peak_rss_mib()
    return out


def postgres_stage(p: dict) -> dict:
    import psycopg

    workdir, repeat = Path(p["workdir"]), p["repeat"]
    meta = json.loads((workdir / "rows.json").read_text(encoding="utf-8"))
    columns = meta["columns"]
    schema = f"escrutinio_bench_{os.getpid()}"
    out: dict = {}
    with psycopg.connect(p["dsn"], autocommit=True) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        out["version"] = conn.execute("SHOW server_version").fetchone()[0]
        conn.execute(f"CREATE SCHEMA {schema}")
        try:
            conn.execute(f"SET search_path = {schema}")
            conn.execute(f"CREATE UNLOGGED TABLE per_table ({', '.join(f'{c} bigint' for c in columns)})")
            start = time.perf_counter()
            with conn.cursor() as cur, (workdir / "rows.csv").open("rb") as handle:
                with cur.copy("COPY per_table FROM STDIN (FORMAT csv, HEADER true)") as copy:
                    while chunk := handle.read(1 << 20):
                        copy.write(chunk)
            conn.execute("VACUUM ANALYZE per_table")
            out["load_s"] = time.perf_counter() - start
            query = _rollup_sql(columns, "per_table")
            for label, work_mem in (("", None), ("_256mb", "256MB")):
                if work_mem:
                    conn.execute(f"SET work_mem = '{work_mem}'")
                else:
                    out["work_mem"] = conn.execute("SHOW work_mem").fetchone()[0]

                def run() -> None:
                    conn.execute("DROP TABLE IF EXISTS rollup")
                    conn.execute(f"CREATE UNLOGGED TABLE rollup AS {query}")

                out[f"rollup{label}_s"], out[f"rollup{label}_runs"] = median_time(run, repeat)
            out["groups"] = conn.execute("SELECT count(*) FROM rollup").fetchone()[0]
            root = conn.execute("SELECT * FROM rollup WHERE state IS NULL").fetchone()[4:]
            out["matches_escrutinio"] = (out["groups"] == meta["nodes"]
                                         and _check_root(meta["expected_root"], root, columns))
            try:
                out["backend_rss_mib"] = peak_rss_mib(backend)
            except OSError:
                out["backend_rss_mib"] = None
        finally:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    out["rss_mib"] = out.get("backend_rss_mib") or float("nan")
    out["client_rss_mib"] = peak_rss_mib()
    return out


# -- publish_bulletin on a store with every table counted (--publish) ------------------------------------------

def fill_store(p: dict) -> dict:
    """Write a counted acta for every table and contest straight through Store.add_actas (unsigned, not
    logged: this only sets up the store publish_bulletin reads; ingest is measured elsewhere)."""
    from escrutinio.domain.canonical import digest
    from escrutinio.services import open_store

    db = Path(p["db"])
    store = open_store(sqlite_url(db), migrate=False)
    election = store.election()
    when = dt.datetime(2007, 12, 3, 1, 0, tzinfo=dt.timezone.utc)
    start = time.perf_counter()
    written = 0
    for i, contest in enumerate(CONTESTS):
        rows = counted_rows(election, contest, SEED + i)
        for lo in range(0, len(rows), 50_000):
            actas = _slice_actas(election, contest, rows, lo, lo + 50_000)
            with store.transaction() as conn:
                store.add_actas(conn, [(a, digest(a.as_dict()), "counted", (), "bench", when, None) for a in actas])
            written += len(actas)
    out = {"actas": written, "fill_s": time.perf_counter() - start}
    store.close()
    checkpoint(db)
    out["db_mib"] = db.stat().st_size / 2**20
    out["rss_mib"] = peak_rss_mib()
    return out


def _slice_actas(election, contest, rows, lo: int, hi: int) -> list[Acta]:
    codes = contest.option_codes
    k = len(codes)
    return [Acta(election.tables[t].code, contest.code, tuple(zip(codes, r[:k])), r[k], r[k + 1], r[k + 2])
            for t, r in zip(range(lo, hi), rows[lo:hi].tolist())]


def publish(p: dict) -> dict:
    """services.publish_bulletin, end to end, in a fresh process (as an operator's command would run it)."""
    from escrutinio.services import annul_acta, current_tally, open_store, publish_bulletin

    store = open_store(sqlite_url(Path(p["db"])), migrate=False)
    out: dict = {}
    start = time.perf_counter()
    store.election()
    out["load_election_s"] = time.perf_counter() - start
    start = time.perf_counter()
    current_tally(store)
    out["current_tally_s"] = time.perf_counter() - start
    # The first publication of a process reads every acta; the next ones only what changed since.
    start = time.perf_counter()
    published = publish_bulletin(store)
    out["publish_s"] = time.perf_counter() - start
    out["nodes"] = len(published.nodes)
    victims = [r.id for _, r in zip(range(100), store.actas())]
    for acta_id in victims:
        annul_acta(store, acta_id, "benchmark: a changed acta", "bench")
    start = time.perf_counter()
    published = publish_bulletin(store)
    out["publish_next_s"] = time.perf_counter() - start
    out["publish_next_changed"] = len(victims)
    # As a new process would (escrutinio bulletin publish): from the counters stored with the last bulletin.
    from escrutinio.services import bulletins

    for acta_id in [r.id for _, r in zip(range(200), store.actas())][100:]:
        annul_acta(store, acta_id, "benchmark: a changed acta", "bench")
    bulletins._live.clear()
    start = time.perf_counter()
    publish_bulletin(store)
    out["publish_restart_s"] = time.perf_counter() - start
    # Static files for a CDN (escrutinio bulletin export): the head, counters, node list and CSVs, then
    # one JSON document per area and centre.
    from escrutinio.services import export_bulletin

    if not p.get("export", True):
        store.close()
        out["rss_mib"] = peak_rss_mib()
        return out
    site = Path(p["db"]).with_suffix(".site")
    start = time.perf_counter()
    export_bulletin(store, site, areas=False)
    out["export_s"] = time.perf_counter() - start
    start = time.perf_counter()
    done = export_bulletin(store, site, areas=True)
    out["export_areas_s"] = time.perf_counter() - start
    out["export_files"], out["export_mib"] = done.files, done.bytes / 2**20
    shutil.rmtree(site, ignore_errors=True)
    store.close()
    out["rss_mib"] = peak_rss_mib()
    return out

# -- a whole night, and escrutinio verify over it (--verify) -----------------------------------------------------

NIGHT_BULLETINS = 3    # bulletins through the night: after each third of the tables has reported
NIGHT_ANNULLED = 100   # actas annulled before the last bulletin (so the log holds events too)
SIGN_CHUNK = 10_000


def night(p: dict) -> dict:
    """A whole night on a copy of prepare's store: every table's signed acta for every contest, ingested
    through services.ingest_records in batches, tables in random order; a bulletin after each third of
    the tables, and NIGHT_ANNULLED actas annulled before the last one. What escrutinio verify then reads."""
    from escrutinio.intake import signatures
    from escrutinio.intake.actas import Record
    from escrutinio.services import annul_acta, ingest_records, open_store, publish_bulletin
    from escrutinio.services.keys import sign_record

    db = Path(p["db"])
    store = open_store(sqlite_url(db), migrate=False)
    election = store.election()
    n = len(election.tables)
    private, _ = _keys(election, _chosen(n, p["sample"])[1])
    filler = signatures.new_private_key(b"bench filler")
    rows = {c.code: counted_rows(election, c, SEED + i).tolist() for i, c in enumerate(CONTESTS)}
    order = list(range(n))
    random.Random(SEED - n).shuffle(order)
    out: dict = {"sign_s": 0.0, "ingest_s": 0.0, "publish_s": [], "results": {}}
    bounds = [round(n * i / NIGHT_BULLETINS) for i in range(NIGHT_BULLETINS + 1)]
    step = SIGN_CHUNK // len(CONTESTS)
    for part in range(NIGHT_BULLETINS):
        for lo in range(bounds[part], bounds[part + 1], step):
            chunk = order[lo:min(lo + step, bounds[part + 1])]
            start = time.perf_counter()
            signed = [Record("night", lo, sign_record(election, _record(election, t, c, rows[c.code][t]),
                                                      private.get(election.tables[t].code, filler)))
                      for t in chunk for c in CONTESTS]
            out["sign_s"] += time.perf_counter() - start
            start = time.perf_counter()
            for i in range(0, len(signed), 1000):
                for outcome in ingest_records(store, signed[i:i + 1000]):
                    out["results"][outcome.result] = out["results"].get(outcome.result, 0) + 1
            out["ingest_s"] += time.perf_counter() - start
        if part == NIGHT_BULLETINS - 1:
            for record in [r for _, r in zip(range(NIGHT_ANNULLED), store.actas())]:
                annul_acta(store, record.id, "benchmark: an acta annulled", "bench")
        start = time.perf_counter()
        publish_bulletin(store)
        out["publish_s"].append(time.perf_counter() - start)
    out["actas"] = sum(out["results"].values())
    store.close()
    checkpoint(db)
    out["db_mib"] = db.stat().st_size / 2**20
    out["rss_mib"] = peak_rss_mib()
    return out


def _record(election, t: int, contest, row: list[int]) -> dict:
    k = len(contest.options)
    record = {"table": election.tables[t].code, "contest": contest.code,
              "votes": {o.code: v for o, v in zip(contest.options, row[:k])}, "null": row[k], "ballots_cast": row[k + 2]}
    if contest.blank:
        record["blank"] = row[k + 1]
    return record


def verify_night(p: dict) -> dict:
    """`escrutinio verify --db` over the night's store, as an observer runs it: its wall time, its exit
    status, the peak RSS of its process (VmHWM) and the peak of all its processes together (their Pss summed,
    sampled every 0.1 s: it checks signatures in forked workers)."""
    command = [str(Path(sys.executable).with_name("escrutinio")), "verify", "--db", sqlite_url(Path(p["db"]))]
    cpu0 = os.times()
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak_tree, peak_main = 0.0, 0.0
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    while proc.poll() is None:
        peak_tree = max(peak_tree, _tree_rss_mib(proc.pid))
        try:
            peak_main = max(peak_main, peak_rss_mib(proc.pid))
        except OSError:
            pass
        time.sleep(0.1)
    wall = time.perf_counter() - start
    reader.join()
    cpu1 = os.times()
    text = "".join(lines)
    return {"verify_s": wall, "exit": proc.returncode, "ok": proc.returncode == 0 and "result: OK" in text,
            "cpu_s": (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system),
            "verify_rss_mib": peak_main, "verify_tree_rss_mib": max(peak_tree, peak_main),
            "report": text[-4000:], "rss_mib": peak_rss_mib()}


def _tree_rss_mib(pid: int) -> float:
    """Pss of a process and all its descendants, summed, in MiB (0 for those already gone): memory they share
    (forked workers) is counted once, split between them."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


STAGES = {"prepare": prepare, "prepare_postgres": prepare_postgres, "drop_postgres": drop_postgres, "ingest": ingest, "http": http, "fill_store": fill_store, "publish": publish,
          "bulletin": bulletin, "duckdb": duckdb_stage, "postgres": postgres_stage,
          "night": night, "verify": verify_night}

"""Database faults: a store that turns read-only mid-night, then writable again.

The server runs in this process on a store of its own; actas are sent over HTTP.
Midway the database stops taking writes:

- on SQLite, every connection the pool hands out while the fault lasts is made
  read-only (``PRAGMA query_only``: SQLite's own SQLITE_READONLY error), and stays
  so afterwards, as a connection spoilt by a fault does;
- on PostgreSQL, a throwaway database of this test is set read-only
  (``default_transaction_read_only``) and its sessions are terminated; sessions
  opened during the fault stay read-only after the database is writable again.

While the fault lasts every write answers 503 with Retry-After and a problem+json
that says the store is unavailable (never 500), and reads go on. Once the database
is writable again the same server (no restart) takes every write at the first try,
every acknowledged acta is there as acknowledged, and `escrutinio verify` holds.
The same again with four clients sending singles and batches at once to a server
on a real port while the fault comes and goes: every 503 as documented, each client
waiting Retry-After and sending again, no other failure, every acta stored once.

A server asked to start on a store it cannot write refuses, saying why.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi.testclient import TestClient

from escrutinio.domain.model import Area, Centre, Contest, Election, Option, Table
from escrutinio.domain.percent import PercentRule
from escrutinio.services import init_election, open_store, publish_bulletin
from escrutinio.services.tokens import create_token
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app

from .conftest import PG_URL, cli_env, free_port, require_postgresql, wait_for
from .factory import acta, small_election

API = "/api/v1"
PROBLEM = "application/problem+json"
RETRY_AFTER = 7


def item(table: str, contest: str) -> dict:
    return acta(table, contest, blank=4 if contest == "R" else None)


BEFORE = [item(t, c) for t in ("T1", "T2", "T3") for c in ("Q", "R")]
DURING = [item("T4", "Q"), item("T4", "R"), item("T5", "Q")]
AFTER = [item("T5", "R"), acta("T6", "Q", {"YES": 30, "NO": 20})]  # T6 has 80 voters


# -- the two kinds of fault ------------------------------------------------------

class SqliteFault:
    """Connections handed out while the fault lasts are read-only, and stay so."""

    def __init__(self, url: str):
        self.url, self.on = url, False

    def attach(self, store) -> None:
        @sa.event.listens_for(store.engine, "checkout")
        def spoil(dbapi_conn, _record, _proxy):
            if self.on:
                dbapi_conn.execute("PRAGMA query_only = ON")

    def start(self) -> None:
        self.on = True

    def end(self) -> None:
        self.on = False


class PostgresFault:
    """The test's own database read-only for new sessions, and its open sessions terminated."""

    def __init__(self, admin: sa.Engine, name: str, url: str):
        self.admin, self.name, self.url = admin, name, url

    def attach(self, store) -> None:
        pass

    def start(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{self.name}" SET default_transaction_read_only = on'))
            _terminate(conn, self.name)

    def end(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{self.name}" RESET default_transaction_read_only'))


def _terminate(conn, name: str) -> None:
    conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})


@contextlib.contextmanager
def throwaway_database() -> Iterator[tuple[sa.Engine, str, str]]:
    """A PostgreSQL database of this test alone (never the shared one): (admin engine, name, URL); dropped after."""
    require_postgresql()
    name = f"escrutinio_fault_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin, name, sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:  # a server still running may reconnect at once: FORCE ends it too
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def fault(request, tmp_path) -> Iterator[SqliteFault | PostgresFault]:
    if request.param == "sqlite":
        yield SqliteFault(f"sqlite:///{tmp_path / 'night.db'}")
        return
    with throwaway_database() as (admin, name, url):
        fault = PostgresFault(admin, name, url)
        try:
            yield fault
        finally:
            fault.end()


# -- the night -------------------------------------------------------------------

def post(client: TestClient, token: str, path: str, body: object | None = None):
    return client.post(f"{API}{path}", content=json.dumps(body) if body is not None else None,
                       headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})


def assert_unavailable(response, retry_after: int = RETRY_AFTER) -> None:
    where = f"{response.request.method} {response.request.url.path}"
    assert response.status_code == 503, (where, response.status_code, response.text)
    assert response.headers["content-type"].startswith(PROBLEM), where
    assert response.headers["retry-after"] == str(retry_after), where
    body = response.json()
    assert body["status"] == 503 and body["title"] == "Service unavailable"
    assert "store is unavailable" in body["detail"] and "nothing of this request was stored" in body["detail"]


def figures(sent: dict) -> tuple:
    return (sent["table"], sent["contest"], tuple(sorted(sent["votes"].items())), sent["null"],
            sent.get("blank", 0), sent["ballots_cast"])


def stored_figures(record) -> tuple:
    a = record.acta
    return (a.table, a.contest, tuple(sorted(a.votes)), a.null, a.blank, a.ballots_cast)


def test_a_read_only_store_answers_503_and_the_same_server_recovers(fault, tmp_path):
    store = open_store(fault.url)
    init_election(store, small_election())
    _, device = create_token(store, "device", "transmission")
    _, admin = create_token(store, "centre", "admin")
    fault.attach(store)
    app = create_app(load_settings(database_url=fault.url, store_retry_after_seconds=RETRY_AFTER,
                                   rate_limit_per_second=0.0), store)
    acknowledged: dict[int, dict] = {}

    def send_all(items: list[dict]) -> None:
        for sent in items:
            response = post(client, device, "/actas", sent)
            assert response.status_code == 201, response.text
            acknowledged[response.json()["acta_id"]] = sent

    with TestClient(app) as client:
        send_all(BEFORE)
        assert post(client, admin, "/bulletins").status_code == 201

        fault.start()
        for sent in DURING:
            assert_unavailable(post(client, device, "/actas", sent))
        assert_unavailable(post(client, device, "/actas", {"actas": DURING}))
        assert_unavailable(post(client, admin, "/bulletins"))
        # Readers go on meanwhile, and the pool fills with connections opened during the fault.
        assert client.get(f"{API}/bulletins/latest").json()["number"] == 1
        assert client.get(f"{API}/tables/T1").status_code == 200
        held = [store.engine.connect() for _ in range(4)]
        for conn in held:
            conn.execute(sa.text("SELECT 1"))
        for conn in held:
            conn.close()
        assert sorted(r.id for r in store.actas()) == sorted(acknowledged)  # nothing of the refused stored

        fault.end()
        # Every write takes at the first try, no restart: a bulletin first, then actas.
        published = post(client, admin, "/bulletins")
        assert published.status_code == 201, published.text
        assert published.json()["number"] == 2
        send_all(DURING + AFTER)
        assert post(client, admin, "/bulletins").json()["number"] == 3

    stored = {r.id: r for r in store.actas()}
    assert set(stored) == set(acknowledged)
    for acta_id, sent in acknowledged.items():
        assert stored_figures(stored[acta_id]) == figures(sent)
    store.close()

    done = subprocess.run([sys.executable, "-m", "escrutinio.cli", "verify", "--db", fault.url],
                          cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


# -- the same, with clients sending at once while the fault comes and goes ----------------

TABLES = 240
CLIENTS = 4
BUSY_RETRY_AFTER = 1
WAIT_SECONDS = 600  # a generous bound for each awaited event on a loaded machine (not a speed requirement)


def busy_election() -> Election:
    regions = [Area(f"R{r}", f"Region {r}", 1, "X") for r in range(4)]
    centres = [Centre(f"C{c:02d}", f"Centre {c}", f"R{c % 4}") for c in range(24)]
    tables = [Table(f"M{t:03d}", f"C{t % 24:02d}", 500, ("Q",)) for t in range(TABLES)]
    return Election(
        name="Fault test election", date=dt.date(2024, 5, 5), time_zone="America/Caracas",
        polls_open=dt.time(6), polls_close=dt.time(18), locale="es_VE", percent_rule=PercentRule("truncate", 2),
        abstention_basis="whole_register", extra_voters_allowed=0,
        contests=(Contest("Q", "Question", (Option("YES", "Yes"), Option("NO", "No"))),),
        levels=("country", "region"), areas=(Area("X", "Country", 0, None), *regions), centres=tuple(centres),
        tables=tuple(tables), require_signatures=False)


def busy_acta(t: int) -> dict:
    votes = {"YES": (t * 7) % 200 + 50, "NO": (t * 13) % 150 + 30}
    return {"table": f"M{t:03d}", "contest": "Q", "votes": votes, "null": t % 5,
            "ballots_cast": sum(votes.values()) + t % 5}


class Sending:
    """Clients that send every request until it is answered, waiting Retry-After after each 503."""

    def __init__(self, base: str, token: str, requests: list[list[dict]]):
        self.base, self.token, self.todo = base, token, queue.Queue()
        for request in requests:
            self.todo.put(request)
        self.left = len(requests)
        self.acks: dict[str, list[dict]] = {}   # table -> every outcome received for its acta
        self.refused = 0                        # 503s, each checked
        self.unexpected: list[str] = []
        self.lock = threading.Lock()

    def client(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=WAIT_SECONDS) as http:
            while self.left and not self.unexpected:
                try:
                    request = self.todo.get(timeout=0.05)
                except queue.Empty:
                    continue
                body = request[0] if len(request) == 1 else {"actas": request}
                self.answered(request, http.post("/api/v1/actas", content=json.dumps(body)))

    def answered(self, request: list[dict], response: httpx.Response) -> None:
        if response.status_code == 503:
            try:
                assert_unavailable(response, retry_after=BUSY_RETRY_AFTER)
            except AssertionError as exc:
                self.unexpected.append(f"a 503 not as documented: {exc}")
                return
            with self.lock:
                self.refused += 1
            time.sleep(int(response.headers["retry-after"]))
            self.todo.put(request)
            return
        body = response.json()
        outcomes = [body] if len(request) == 1 else body.get("outcomes", [])
        if response.status_code not in (200, 201) or len(outcomes) != len(request) \
                or any(o["result"] not in ("accepted", "already_present") for o in outcomes):
            self.unexpected.append(f"{response.status_code} {response.text[:300]}")
            return
        with self.lock:
            for sent, outcome in zip(request, outcomes):
                self.acks.setdefault(sent["table"], []).append(outcome)
            self.left -= 1

    @property
    def acknowledged(self) -> int:
        with self.lock:
            return len(self.acks)


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """``app`` served by uvicorn in a thread of this process on a free loopback port; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, "the server to start", WAIT_SECONDS)
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(WAIT_SECONDS)


def test_a_fault_in_the_middle_of_a_busy_ingest_loses_nothing(fault, tmp_path):
    store = open_store(fault.url)
    init_election(store, busy_election())
    _, token = create_token(store, "device", "transmission")
    fault.attach(store)
    app = create_app(load_settings(database_url=fault.url, store_retry_after_seconds=BUSY_RETRY_AFTER,
                                   rate_limit_per_second=0.0), store)
    actas = [busy_acta(t) for t in range(TABLES)]
    requests = []  # in each six: a batch of three, then three alone
    for start in range(0, TABLES, 6):
        requests += [actas[start:start + 3], *([a] for a in actas[start + 3:start + 6])]
    with serving(app) as base:
        sending = Sending(base, token, requests)
        threads = [threading.Thread(target=sending.client, daemon=True) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        wait_for(lambda: sending.acknowledged >= TABLES // 3 or sending.unexpected, "a third of the actas", WAIT_SECONDS)
        fault.start()
        wait_for(lambda: sending.refused >= 2 * CLIENTS or sending.unexpected, "writes refused by the fault", WAIT_SECONDS)
        refused_during = sending.refused
        fault.end()
        wait_for(lambda: not sending.left or sending.unexpected, "every acta to be acknowledged", WAIT_SECONDS)
        for thread in threads:
            thread.join(WAIT_SECONDS)
    assert not sending.unexpected, sending.unexpected[:5]
    assert refused_during >= 2 * CLIENTS
    assert set(sending.acks) == {a["table"] for a in actas}

    stored = {r.acta.table: r for r in store.actas()}
    assert len(stored) == TABLES == len(list(store.actas()))  # every acta once
    by_table = {a["table"]: a for a in actas}
    for table, outcomes in sending.acks.items():
        assert {o["acta_id"] for o in outcomes} == {stored[table].id}, (table, outcomes)
        assert stored_figures(stored[table]) == figures(by_table[table])
    country = publish_bulletin(store).root["results"]["Q"]
    store.close()
    # Summed here from the actas as sent: every table counted once, none twice.
    assert [o["votes"] for o in country["options"]] == [sum((t * 7) % 200 + 50 for t in range(TABLES)),
                                                         sum((t * 13) % 150 + 30 for t in range(TABLES))]
    assert country["tables"]["counted"] == TABLES and country["registered_counted"] == 500 * TABLES
    done = subprocess.run([sys.executable, "-m", "escrutinio.cli", "verify", "--db", fault.url],
                          cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=WAIT_SECONDS)
    assert done.returncode == 0, done.stdout + done.stderr


# -- a store that cannot be written at start -----------------------------------------

def serve(url: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "escrutinio.cli", "serve", "--db", url, "--port", str(free_port())],
                          cwd=cwd, env=cli_env(), capture_output=True, text=True, timeout=WAIT_SECONDS)


@contextlib.contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """``path`` cannot be written: immutable (root may write anything else), or read-only for others."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.fail("running as root: chattr is needed to make a file unwritable")
        subprocess.run(["chattr", "+i", str(path)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)


def initialised_sqlite(tmp_path: Path) -> Path:
    path = tmp_path / "night.db"
    store = open_store(f"sqlite:///{path}")
    init_election(store, small_election())
    store.close()
    return path


def test_serve_refuses_an_unwritable_sqlite_file(tmp_path):
    path = initialised_sqlite(tmp_path)
    with unwritable(path):
        done = serve(f"sqlite:///{path}", tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Serving" not in done.stdout
    assert f"the database file {path} cannot be written" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_serve_refuses_a_sqlite_store_opened_read_only(tmp_path):
    path = initialised_sqlite(tmp_path)
    done = serve(f"sqlite:///file:{path}?mode=ro&uri=true", tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the database cannot be written or reached now: the database is read-only" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_serve_refuses_a_read_only_postgresql_database(tmp_path):
    with throwaway_database() as (admin, name, url):
        store = open_store(url)
        init_election(store, small_election())
        store.close()
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        done = serve(url, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the database cannot be written or reached now: the database is read-only" in done.stderr, done.stderr


def test_serve_refuses_a_postgresql_server_that_cannot_be_reached(tmp_path):
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/night"  # nothing listens there
    done = serve(url, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the database cannot be written or reached now" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_ingest_on_a_store_it_cannot_write_says_so_and_stores_nothing(tmp_path):
    path = initialised_sqlite(tmp_path)
    actas = tmp_path / "actas.jsonl"
    actas.write_text("".join(json.dumps(a) + "\n" for a in BEFORE), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "escrutinio.cli", "ingest", str(actas), "--db",
                           f"sqlite:///file:{path}?mode=ro&uri=true"], cwd=tmp_path, env=cli_env(),
                          capture_output=True, text=True, timeout=WAIT_SECONDS)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "error: the database cannot be written or reached now: the database is read-only" in done.stderr
    assert "Traceback" not in done.stderr
    store = open_store(f"sqlite:///{path}")
    assert list(store.actas()) == []
    store.close()

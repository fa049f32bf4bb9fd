"""Shared fixtures: a fresh store per test, on SQLite and on PostgreSQL.

PostgreSQL tests use ESCRUTINIO_TEST_POSTGRESQL_URL (default: the local
server at 127.0.0.1:5432, database ``test``); each test gets a schema of its
own. Without a reachable server they are skipped with a message saying how
to enable them, unless ESCRUTINIO_REQUIRE_POSTGRESQL=1 (as in CI), when they
fail instead.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from escrutinio.services import init_election, open_store

from .factory import small_election

PG_URL = os.environ.get("ESCRUTINIO_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("ESCRUTINIO_REQUIRE_POSTGRESQL") == "1"
BACKENDS = ["sqlite", "postgresql"]
READY_SECONDS = 120  # a generous bound for a started server to answer on a loaded machine
WAIT_SECONDS = 120  # a generous bound for an event on a loaded machine: assert what happened, not how fast


def _pg_available() -> str | None:
    try:
        engine = sa.create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means "not available"
        return str(exc).splitlines()[0]


_PG_PROBLEM = "unchecked"


def _pg_problem() -> str | None:
    global _PG_PROBLEM
    if _PG_PROBLEM == "unchecked":
        _PG_PROBLEM = _pg_available()
    return _PG_PROBLEM


def require_postgresql() -> None:
    """Fail (CI: ESCRUTINIO_REQUIRE_POSTGRESQL=1) or skip the calling test if PostgreSQL is not reachable."""
    problem = _pg_problem()
    if problem:
        message = (f"PostgreSQL not reachable at {PG_URL} ({problem}); set ESCRUTINIO_TEST_POSTGRESQL_URL "
                   "to a server where the tests may create schemas")
        if REQUIRE_PG:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """A URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'escrutinio.db'}"
        return
    require_postgresql()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def store(db_url):
    """A migrated, empty store."""
    opened = open_store(db_url)
    yield opened
    opened.close()


@pytest.fixture
def small_store(store):
    """A store holding the small election of tests/factory.py."""
    init_election(store, small_election())
    return store


def escrutinio(cwd: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the `escrutinio` command in ``cwd`` as a user would (default database: ./escrutinio.db)."""
    env = {k: v for k, v in os.environ.items() if k != "ESCRUTINIO_DATABASE_URL"}
    return subprocess.run([sys.executable, "-m", "escrutinio.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def demo_night(tmp_path_factory) -> Path:
    """A directory where `escrutinio demo --no-serve` has replayed the whole night (./escrutinio.db).

    Shared by the whole session: tests that change it must only add (e.g. publish a bulletin).
    """
    where = tmp_path_factory.mktemp("demo")
    done = escrutinio(where, "demo", "--no-serve")
    assert done.returncode == 0, done.stderr
    assert (where / "escrutinio.db").exists()
    return where


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cli_env(**extra: str) -> dict:
    """The environment for running `escrutinio` as a user would (no database URL inherited)."""
    env = {k: v for k, v in os.environ.items() if k != "ESCRUTINIO_DATABASE_URL"}
    env.update(extra)
    return env


@contextlib.contextmanager
def served(db_url: str, cwd: Path, ready: str = "/api/v1/bulletins", **env: str) -> Iterator[str]:
    """`escrutinio serve` on ``db_url`` in its own process on a free loopback port; yields its base URL."""
    with serving(db_url, cwd, ready, **env) as (base, _):
        yield base


@contextlib.contextmanager
def serving(db_url: str, cwd: Path, ready: str = "/api/v1/bulletins",
            **env: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """As :func:`served`, yielding the server's process too: (base URL, process)."""
    import httpx

    port = free_port()
    log = cwd / f"serve-{port}.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "escrutinio.cli", "serve", "--db", db_url,
                                   "--port", str(port)], cwd=cwd, env=cli_env(**env),
                                  stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            if server.poll() is not None:
                pytest.fail(f"escrutinio serve exited with {server.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{base}{ready}", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"escrutinio serve did not answer at {base} within {READY_SECONDS} s:\n{log.read_text()}")
            time.sleep(0.1)
        yield base, server
    finally:
        server.terminate()
        try:
            server.wait(READY_SECONDS)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def asgi_get_scope(path: str, query: str = "", headers: list[tuple[bytes, bytes]] = ()) -> dict:
    """The ASGI scope of a plain GET, for driving a never-ending stream (SSE) by hand."""
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
            "root_path": "", "headers": [(b"host", b"testserver"), *headers],
            "client": ("testclient", 50000), "server": ("testserver", 80)}


def wait_for(condition, what: str, seconds: float = WAIT_SECONDS) -> None:
    """Wait until ``condition()`` holds; fail naming ``what`` after a generous ``seconds`` (never a speed test)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.02)

"""Backups: a consistent copy taken while the night goes on, restored into a new store that verifies.

On SQLite the backup API copies one state of the file while actas keep arriving; on PostgreSQL pg_dump
copies one snapshot, restored with pg_restore into a throwaway database made (and dropped) here.
"""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa

from escrutinio.domain.errors import UpkeepRefused
from escrutinio.intake import signatures
from escrutinio.intake.actas import Record
from escrutinio.services import ingest_records, init_election, open_store, publish_bulletin, resolve_conflict, upkeep
from escrutinio.services.keys import generate_keys, register_keys, sign_record
from escrutinio.verify import verify_source

from .conftest import PG_URL, escrutinio
from .factory import acta, small_election


def _night(store):
    election = init_election(store, small_election(signed=True))
    private = generate_keys(election, seed="backup tests")
    register_keys(store, {t: signatures.public_key(k) for t, k in private.items()})

    def send(*records):
        return ingest_records(store, [Record("night", n, sign_record(election, r, private[r["table"]]))
                                      for n, r in enumerate(records, 1)])

    send(acta("T1"), acta("T2"), acta("T3", "R", blank=0))
    publish_bulletin(store)
    [conflict] = send(acta("T1", votes={"YES": 59, "NO": 41}))
    resolve_conflict(store, "T1", "Q", conflict.acta_id, "paper acta checked", "desk")
    send(acta("T4"), acta("T5", "R", blank=0))
    publish_bulletin(store)
    return election, private, send


def _heads(url):
    store = open_store(url)
    try:
        return [(h["number"], h["hash"]) for h in store.bulletin_heads()], len(list(store.actas()))
    finally:
        store.close()


def test_a_sqlite_backup_taken_while_actas_arrive_restores_and_verifies(tmp_path):
    url = f"sqlite:///{tmp_path / 'night.db'}"
    store = open_store(url)
    election, private, send = _night(store)
    more = [acta(t.code, c, blank=0 if c == "R" else None) for t in election.tables for c in t.contests
            if t.code in ("T5", "T6") and (t.code, c) != ("T5", "R")]
    writer = threading.Thread(target=lambda: [send(record) for record in more])
    writer.start()
    upkeep.backup(store, tmp_path / "night.backup")
    writer.join()
    assert upkeep.backup(store, tmp_path / "after.backup")
    restored = f"sqlite:///{tmp_path / 'restored.db'}"
    upkeep.restore(tmp_path / "night.backup", restored)
    report = verify_source(db=restored)
    assert report.ok, report.text()
    heads, count = _heads(restored)
    assert heads == [(h["number"], h["hash"]) for h in store.bulletin_heads()]
    assert 6 <= count <= len(list(store.actas()))  # one state of the store, somewhere in the writer's run
    # The backup made after the writer holds everything.
    upkeep.restore(tmp_path / "after.backup", f"sqlite:///{tmp_path / 'after.db'}")
    assert _heads(f"sqlite:///{tmp_path / 'after.db'}")[1] == len(list(store.actas()))
    assert verify_source(db=f"sqlite:///{tmp_path / 'after.db'}").ok
    store.close()


def test_restore_goes_into_a_new_store_only(tmp_path):
    url = f"sqlite:///{tmp_path / 'night.db'}"
    store = open_store(url)
    _night(store)
    upkeep.backup(store, tmp_path / "b")
    with pytest.raises(UpkeepRefused, match="already exists"):
        upkeep.backup(store, tmp_path / "b")
    with pytest.raises(UpkeepRefused, match="restore into a new file"):
        upkeep.restore(tmp_path / "b", url)
    (tmp_path / "junk").write_bytes(b"not a backup")
    with pytest.raises(UpkeepRefused, match="neither a SQLite backup nor a pg_dump"):
        upkeep.restore(tmp_path / "junk", f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(UpkeepRefused, match="into an empty PostgreSQL database|new SQLite file"):
        upkeep.restore(tmp_path / "b", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    store.close()


def test_the_cli_backs_up_and_restores(tmp_path):
    url = f"sqlite:///{tmp_path / 'night.db'}"
    store = open_store(url)
    _night(store)
    store.close()
    done = escrutinio(tmp_path, "backup", "--out", "night.backup", "--db", url)
    assert done.returncode == 0, done.stderr
    assert "SQLite online backup" in done.stdout
    done = escrutinio(tmp_path, "restore", "night.backup", "--db", "sqlite:///restored.db")
    assert done.returncode == 0, done.stderr
    checked = escrutinio(tmp_path, "verify", "--db", "sqlite:///restored.db")
    assert checked.returncode == 0, checked.stdout


@pytest.fixture
def throwaway_database():
    """A database of its own for a restore (pg_restore recreates the dumped schema there); dropped after."""
    name = f"restore_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(PG_URL).set(database=name)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_postgresql_backup_restores_into_a_new_database_and_verifies(db_url, tmp_path, throwaway_database):
    throwaway = throwaway_database
    store = open_store(db_url)
    election, private, send = _night(store)
    writer = threading.Thread(target=lambda: send(acta("T6")))
    writer.start()
    assert "pg_dump" in upkeep.backup(store, tmp_path / "night.dump")
    writer.join()
    schema = sa.engine.make_url(db_url).query["options"].removeprefix("-csearch_path=")
    restored = throwaway.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    assert "pg_restore" in upkeep.restore(tmp_path / "night.dump", restored)
    report = verify_source(db=restored)
    assert report.ok, report.text()
    heads, count = _heads(restored)
    assert heads == [(h["number"], h["hash"]) for h in store.bulletin_heads()] and count in (6, 7)
    store.close()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_without_pg_dump_backup_says_exactly_what_to_run(db_url, tmp_path, monkeypatch):
    store = open_store(db_url)
    init_election(store, small_election())
    monkeypatch.setattr(upkeep.shutil, "which", lambda name: None)
    with pytest.raises(UpkeepRefused) as refused:
        upkeep.backup(store, tmp_path / "night.dump")
    schema = sa.engine.make_url(db_url).query["options"].removeprefix("-csearch_path=")
    assert f"run: pg_dump --format=custom --no-owner --schema {schema} --file {tmp_path / 'night.dump'} " \
           "postgresql://" in str(refused.value)
    store.close()

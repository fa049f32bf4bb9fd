"""The authority's key kept outside the database: no dump of the store carries it.

Each dump is searched for the private key as SQLite and PostgreSQL write binary data (hex), and in base64;
a store that keeps the key in its database is dumped too, to show the search finds it when it is there.
"""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from escrutinio.domain.errors import UpkeepRefused
from escrutinio.intake import signatures
from escrutinio.intake.actas import Record
from escrutinio.services import authority, ingest_records, init_election, open_store, publish_bulletin
from escrutinio.services.keys import generate_keys, register_keys, sign_record
from escrutinio.services.tokens import create_token
from escrutinio.settings import SettingsError, load_settings
from escrutinio.verify import verify_source
from escrutinio.web.app import create_app

from .conftest import cli_env, escrutinio
from .factory import acta, small_election
from .test_docs import DEFINITION


@pytest.fixture
def key_env(monkeypatch):
    """The settings read from the environment: clear of any authority key the machine may have."""
    for name in ("ESCRUTINIO_AUTHORITY_KEY", "ESCRUTINIO_AUTHORITY_KEY_FILE", "ESCRUTINIO_SETTINGS_FILE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _night(store, key_file=None):
    election = init_election(store, small_election(signed=True), authority_key_file=key_file)
    private = generate_keys(election, seed="authority tests")
    register_keys(store, {t: signatures.public_key(k) for t, k in private.items()})
    ingest_records(store, [Record("t", 1, sign_record(election, acta("T1"), private["T1"]))])
    return election


def _dump(db_url: str) -> str:
    url = sa.engine.make_url(db_url)
    if url.get_backend_name() == "sqlite":
        return subprocess.run(["sqlite3", url.database, ".dump"], capture_output=True, text=True, check=True).stdout
    schema = url.query["options"].removeprefix("-csearch_path=")
    plain = url.set(drivername="postgresql", query={})
    return subprocess.run(["pg_dump", "--schema", schema, "--no-owner",
                           plain.render_as_string(hide_password=False)],
                          capture_output=True, text=True, check=True).stdout


def _forms(key: bytes) -> list[str]:
    """How a dump may write the key: hex (both stores write binary as hex) and base64."""
    return [key.hex(), key.hex().upper(), base64.b64encode(key).decode(), base64.b64encode(key).decode().rstrip("=")]


def _carries(dump: str, key: bytes) -> bool:
    return any(form in dump for form in _forms(key))


def test_no_private_key_in_a_dump_of_a_store_made_with_a_key_file(db_url, tmp_path, key_env):
    store = open_store(db_url)
    key_file = tmp_path / "authority.key"
    _night(store, key_file)
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    private = authority.read_key_file(key_file)
    public = signatures.public_key(private)
    assert store.authority_key() == (public, None)
    key_env.setenv("ESCRUTINIO_AUTHORITY_KEY_FILE", str(key_file))
    bulletin = publish_bulletin(store)
    assert bulletin.body["log"]["authority_key"] == signatures.encode(public)
    store.close()
    dump = _dump(db_url)
    assert "authority" in dump and _carries(dump, public)  # the public key is there, written as the search expects
    assert not _carries(dump, private)
    assert verify_source(db=db_url).ok


def test_a_dump_of_a_store_keeping_its_key_carries_it_and_export_authority_removes_it(db_url, tmp_path, key_env):
    store = open_store(db_url)
    _night(store)
    publish_bulletin(store)
    public, private = store.authority_key()
    assert private is not None and _carries(_dump(db_url), private)
    out = tmp_path / "exported.key"
    assert authority.export_key(store, out, remove=False) == public
    assert authority.read_key_file(out) == private and store.authority_key() == (public, private)
    authority.export_key(store, out, remove=True)  # the same file again: kept, and the key leaves the database
    assert store.authority_key() == (public, None)
    assert not _carries(_dump(db_url), private)
    with pytest.raises(UpkeepRefused, match="ESCRUTINIO_AUTHORITY_KEY_FILE"):
        publish_bulletin(store)
    key_env.setenv("ESCRUTINIO_AUTHORITY_KEY_FILE", str(out))
    assert publish_bulletin(store).body["log"]["authority_key"] == signatures.encode(public)
    store.close()
    report = verify_source(db=db_url)
    assert report.ok, report.text()


def test_a_key_file_others_can_read_is_refused_with_what_to_do(tmp_path, key_env):
    key_file = tmp_path / "authority.key"
    key_file.write_text(signatures.encode(signatures.new_private_key()) + "\n")
    key_file.chmod(0o644)
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(UpkeepRefused, match=f"mode 0644.*chmod 600 {key_file}"):
        init_election(store, small_election(signed=True), authority_key_file=key_file)
    assert not store.has_election()  # refused before anything was made
    key_file.chmod(0o600)
    init_election(store, small_election(signed=True), authority_key_file=key_file)
    key_file.chmod(0o640)
    key_env.setenv("ESCRUTINIO_AUTHORITY_KEY_FILE", str(key_file))
    with pytest.raises(UpkeepRefused, match="chmod 600"):
        publish_bulletin(store)
    assert store.bulletin_heads() == []
    store.close()


def test_the_key_in_the_environment_signs_and_a_wrong_key_is_refused(tmp_path, key_env):
    key_file = tmp_path / "authority.key"
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    _night(store, key_file)
    key_env.setenv("ESCRUTINIO_AUTHORITY_KEY", signatures.encode(signatures.new_private_key()))
    with pytest.raises(UpkeepRefused, match="not the one this store's tree heads are signed with"):
        publish_bulletin(store)
    key_env.setenv("ESCRUTINIO_AUTHORITY_KEY", key_file.read_text().strip())
    assert publish_bulletin(store).number == 1
    store.close()


def test_the_key_is_never_taken_from_the_settings_file(tmp_path):
    settings = tmp_path / "settings.toml"
    settings.write_text(f'authority_key = "{signatures.encode(signatures.new_private_key())}"\n')
    with pytest.raises(SettingsError, match="unknown setting.*authority_key"):
        load_settings({"ESCRUTINIO_SETTINGS_FILE": str(settings)})


def test_a_server_publishes_with_the_key_file_of_its_settings(tmp_path, key_env):
    key_file = tmp_path / "authority.key"
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    _night(store, key_file)
    _, token = create_token(store, "desk", "admin")
    app = create_app(load_settings({}, database_url=store.url, authority_key_file=str(key_file)), store)
    with TestClient(app) as client:
        done = client.post("/api/v1/bulletins", headers={"Authorization": f"Bearer {token}"})
    assert done.status_code in (200, 201), done.text
    assert store.bulletin_heads()[0]["number"] == 1
    store.close()


def test_the_cli_sets_up_and_exports_the_key(tmp_path):
    done = escrutinio(tmp_path, "init", str(DEFINITION), "--authority-key-file", "authority.key")
    assert done.returncode == 0, done.stderr
    assert "authority.key (mode 0600)" in done.stdout
    assert (tmp_path / "authority.key").stat().st_mode & 0o777 == 0o600
    refused = escrutinio(tmp_path, "bulletin", "publish")
    assert refused.returncode == 1 and "authority_key_file" in refused.stderr
    env = cli_env(ESCRUTINIO_AUTHORITY_KEY_FILE=str(tmp_path / "authority.key"))
    published = subprocess.run([sys.executable, "-m", "escrutinio.cli", "bulletin", "publish"], cwd=tmp_path, env=env,
                               capture_output=True, text=True)
    assert published.returncode == 0, published.stderr
    old = tmp_path / "old"
    old.mkdir()
    assert escrutinio(old, "init", str(DEFINITION)).returncode == 0
    assert escrutinio(old, "bulletin", "publish").returncode == 0
    moved = escrutinio(old, "keys", "export-authority", "--out", "authority.key", "--remove")
    assert moved.returncode == 0, moved.stderr
    assert "removed it from the database" in moved.stdout
    assert escrutinio(old, "bulletin", "publish").returncode == 1

"""Manual double entry of paper actas: one entry waits and counts nothing; two agreeing entries by two
operators count; the same operator twice is refused; entries that disagree are a conflict, settled by a
further entry. With signatures required, `escrutinio verify` accepts a manual acta only with its two entries
by two tokens in the log."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from escrutinio.domain.errors import ManualEntryRefused
from escrutinio.intake.actas import Record
from escrutinio.intake.signatures import public_key
from escrutinio.services import current_tally, ingest_records, init_election, keys, publish_bulletin, tokens
from escrutinio.services.intake import enter_manual
from escrutinio.store import schema
from escrutinio.verify import verify_source

from .factory import acta, small_election

T0 = dt.datetime(2024, 5, 5, 22, 0, tzinfo=dt.timezone.utc)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def _who(store, name: str, role: str = "clerk") -> dict:
    token_id, token = tokens.create_token(store, name, role)
    return tokens.authenticate(store, token, "clerk", "transmission")


@pytest.fixture
def signed(store):
    """The small election with signatures required, every table's key registered; two clerks."""
    election = init_election(store, small_election(signed=True))
    private = keys.generate_keys(election, seed="manual-tests")
    keys.register_keys(store, {t: public_key(k) for t, k in private.items()}, _at(0))
    return store, election, private, _who(store, "Ana"), _who(store, "Beto")


def _root_votes(store) -> dict:
    bulletin = publish_bulletin(store, now=_at(30))
    root = bulletin.root["results"]["Q"]
    return {o["code"]: o["votes"] for o in root["options"]} | {"tables_counted": root["tables"]["counted"]}


def test_one_entry_waits_and_counts_nothing(signed):
    store, _, _, ana, _ = signed
    outcome = enter_manual(store, acta("T1", votes={"YES": 70, "NO": 30}), ana, now=_at(1))
    assert outcome.result == "awaiting_second_entry"
    [record] = store.actas(table="T1")
    assert (record.status, record.entry, record.signature) == ("awaiting_second_entry", "manual", None)
    assert _root_votes(store) == {"YES": 0, "NO": 0, "tables_counted": 0}


def test_two_agreeing_entries_by_two_operators_count(signed):
    store, _, _, ana, beto = signed
    first = enter_manual(store, acta("T1", votes={"YES": 70, "NO": 30}), ana, now=_at(1))
    second = enter_manual(store, acta("T1", votes={"YES": 70, "NO": 30}), beto, now=_at(2))
    assert second.result == "accepted" and second.acta_id == first.acta_id
    [record] = store.actas(table="T1")
    assert record.status == "counted" and record.confirmed_by == "Beto (token 2)"
    assert _root_votes(store) == {"YES": 70, "NO": 30, "tables_counted": 1}
    assert [e.action for e in store.acta_events(record.id)] == ["awaiting_second_entry", "second_entry_counted"]


def test_the_same_operator_twice_is_refused(signed):
    store, _, _, ana, _ = signed
    enter_manual(store, acta("T1"), ana, now=_at(1))
    with pytest.raises(ManualEntryRefused, match="another operator"):
        enter_manual(store, acta("T1"), ana, now=_at(2))
    with pytest.raises(ManualEntryRefused, match="another operator"):  # nor new figures while one waits
        enter_manual(store, acta("T1", votes={"YES": 61, "NO": 39}), ana, now=_at(2))
    [record] = store.actas(table="T1")
    assert record.status == "awaiting_second_entry"
    assert _root_votes(store)["tables_counted"] == 0


def test_disagreeing_entries_are_a_conflict_settled_by_a_third(signed):
    store, _, _, ana, beto = signed
    carla = _who(store, "Carla", "transmission")
    first = enter_manual(store, acta("T1", votes={"YES": 70, "NO": 30}), ana, now=_at(1))
    second = enter_manual(store, acta("T1", votes={"YES": 71, "NO": 29}), beto, now=_at(2))
    assert second.result == "conflict"
    assert {r.status for r in store.actas(table="T1")} == {"awaiting_second_entry"}
    assert _root_votes(store)["tables_counted"] == 0
    third = enter_manual(store, acta("T1", votes={"YES": 70, "NO": 30}), carla, now=_at(3))
    assert third.result == "accepted" and third.acta_id == first.acta_id
    statuses = {r.id: r.status for r in store.actas(table="T1")}
    assert statuses == {first.acta_id: "counted", second.acta_id: "set_aside"}
    assert _root_votes(store) == {"YES": 70, "NO": 30, "tables_counted": 1}


def test_a_manual_acta_beside_a_counted_device_acta_is_a_conflict(signed):
    store, election, private, ana, beto = signed
    ingest_records(store, [Record("t", 1, keys.sign_record(election, acta("T1"), private["T1"]))], now=_at(1))
    enter_manual(store, acta("T1", votes={"YES": 50, "NO": 50}), ana, now=_at(2))
    assert _root_votes(store)["YES"] == 60  # the device's acta stays counted while the entry waits
    second = enter_manual(store, acta("T1", votes={"YES": 50, "NO": 50}), beto, now=_at(3))
    assert second.result == "conflict"
    assert sorted(r.status for r in store.actas(table="T1")) == ["conflicting", "counted"]


def test_a_signed_device_acta_is_not_a_manual_entry(signed):
    store, election, private, ana, _ = signed
    outcome = enter_manual(store, keys.sign_record(election, acta("T1"), private["T1"]), ana, now=_at(1))
    assert outcome.result == "rejected" and outcome.problems[0].field == "signature"


def test_a_scan_is_kept_by_its_hash(signed):
    store, _, _, ana, beto = signed
    import hashlib

    enter_manual(store, acta("T1"), ana, image=("image/png", PNG), now=_at(1))
    enter_manual(store, acta("T1"), beto, now=_at(2))
    [record] = store.actas(table="T1")
    assert record.image_sha256 == hashlib.sha256(PNG).hexdigest()
    assert store.image(record.image_sha256) == ("image/png", PNG)
    bad = enter_manual(store, acta("T2"), ana, image=("image/png", b"GIF89a"), now=_at(3))
    assert bad.result == "rejected" and bad.problems[0].field == "image"


def test_verify_accepts_two_agreeing_entries_by_two_tokens(signed):
    store, election, private, ana, beto = signed
    carla = _who(store, "Carla")
    ingest_records(store, [Record("t", 1, keys.sign_record(election, acta("T2"), private["T2"]))], now=_at(1))
    enter_manual(store, acta("T1", votes={"YES": 70, "NO": 30}), ana, image=("image/png", PNG), now=_at(2))
    publish_bulletin(store, now=_at(3))
    enter_manual(store, acta("T1", votes={"YES": 70, "NO": 30}), beto, now=_at(4))
    enter_manual(store, acta("T3", votes={"YES": 1, "NO": 2}), ana, now=_at(5))
    enter_manual(store, acta("T3", votes={"YES": 2, "NO": 1}), beto, now=_at(5))
    enter_manual(store, acta("T3", votes={"YES": 2, "NO": 1}), carla, now=_at(6))
    publish_bulletin(store, now=_at(7))
    report = verify_source(db=store.url)
    assert report.ok, report.text()


def test_verify_refuses_a_manual_acta_confirmed_by_the_same_token(signed):
    """Tampering: the second entry's leaf names the first entry's token; the log's bytes are rewritten
    consistently (as a dishonest store would), and verify must still name it."""
    store, _, _, ana, beto = signed
    enter_manual(store, acta("T1"), ana, now=_at(1))
    enter_manual(store, acta("T1"), beto, now=_at(2))
    publish_bulletin(store, now=_at(3))
    from escrutinio.domain.merkle import leaf_hash

    with store.engine.begin() as conn:
        leaf = schema.log_leaf.c
        position, data = conn.execute(sa.select(leaf.position, leaf.data).where(leaf.kind == "event")).one()
        forged = bytes(data).replace(b'"token":2', b'"token":1')
        assert forged != bytes(data)
        conn.execute(schema.log_leaf.update().where(leaf.position == position)
                     .values(data=forged, leaf_hash=leaf_hash(forged)))
    report = verify_source(db=store.url)
    assert any("same token" in p for p in report.of("replay")), report.text()


def test_cli_enter_twice_and_see_a_disagreement_side_by_side(tmp_path):
    from .conftest import escrutinio

    db = f"sqlite:///{tmp_path / 'night.db'}"
    definition = _definition(tmp_path)
    assert escrutinio(tmp_path, "init", str(definition), "--db", db).returncode == 0
    secrets = {}
    for name, role in (("Ana", "clerk"), ("Beto", "clerk"), ("Carla", "transmission")):
        done = escrutinio(tmp_path, "token", "create", name, "--role", role, "--db", db)
        secrets[name] = done.stdout.split(": ")[-1].strip()
    figures = ["--vote", "YES=70", "--vote", "NO=30", "--null", "0", "--ballots-cast", "100"]
    first = escrutinio(tmp_path, "actas", "enter", "T1", "Q", *figures, "--token", secrets["Ana"], "--db", db)
    assert first.returncode == 0 and "awaits its second entry" in first.stdout, first.stderr
    again = escrutinio(tmp_path, "actas", "enter", "T1", "Q", *figures, "--token", secrets["Ana"], "--db", db)
    assert again.returncode == 1 and "another operator" in again.stderr
    other = ["--vote", "YES=71", "--vote", "NO=29", "--null", "0", "--ballots-cast", "100"]
    second = escrutinio(tmp_path, "actas", "enter", "T1", "Q", *other, "--token", secrets["Beto"], "--db", db)
    assert second.returncode == 0 and "conflict" in second.stdout
    listed = escrutinio(tmp_path, "actas", "--table", "T1", "--db", db).stdout
    assert "side by side" in listed
    [yes_row] = [line for line in listed.splitlines() if "votes.YES" in line]
    assert yes_row.startswith("* ") and "70" in yes_row and "71" in yes_row
    [no_null] = [line for line in listed.splitlines() if line.strip().startswith("null")]
    assert not no_null.startswith("*")
    waiting = escrutinio(tmp_path, "actas", "--status", "awaiting_second_entry", "--db", db).stdout
    assert waiting.count("awaiting_second_entry") == 2
    third = escrutinio(tmp_path, "actas", "enter", "T1", "Q", *figures, "--token", secrets["Carla"], "--db", db)
    assert third.returncode == 0 and "counted" in third.stdout
    assert "side by side" not in escrutinio(tmp_path, "actas", "--table", "T1", "--db", db).stdout


def _definition(where):
    """A small election as a definition (TOML and CSV files), unsigned."""
    (where / "areas.csv").write_text("code,name,level,parent\nX,Country,country,\n")
    (where / "centres.csv").write_text("code,name,area\nC1,School,X\n")
    (where / "tables.csv").write_text("code,centre,registered,contests\nT1,C1,300,\nT2,C1,250,\n")
    path = where / "election.toml"
    path.write_text('''[election]
name = "Small"
date = 2024-05-05
time_zone = "America/Caracas"
polls_open = "06:00"
polls_close = "18:00"
locale = "es_VE"
require_signatures = false

[[contest]]
code = "Q"
name = "Question"
options = [{ code = "YES", name = "Yes" }, { code = "NO", name = "No" }]

[geography]
levels = ["country"]
areas = "areas.csv"
centres = "centres.csv"
tables = "tables.csv"
''')
    return path


def test_api_manual_entry_by_two_clerks(small_store):
    import base64

    from fastapi.testclient import TestClient

    from escrutinio.settings import load_settings
    from escrutinio.web.app import create_app

    _, ana = tokens.create_token(small_store, "Ana", "clerk")
    _, beto = tokens.create_token(small_store, "Beto", "clerk")
    body = {**acta("T1", votes={"YES": 70, "NO": 30}), "entry": "manual",
            "image": {"media_type": "image/png", "data": base64.b64encode(PNG).decode()}}
    with TestClient(create_app(load_settings(database_url=small_store.url), small_store)) as client:
        def post(token, payload):
            return client.post("/api/v1/actas", json=payload, headers={"Authorization": f"Bearer {token}"})

        first = post(ana, body)
        assert first.status_code == 202 and first.json()["result"] == "awaiting_second_entry"
        assert post(ana, body).status_code == 409  # the same operator twice
        assert post(ana, acta("T2")).status_code == 403  # a clerk sends no device actas
        second = post(beto, {**acta("T1", votes={"YES": 70, "NO": 30}), "entry": "manual"})
        assert second.status_code == 201 and second.json()["result"] == "accepted"
        view = client.get("/api/v1/tables/T1").json()
        [counted] = view["contests"][0]["actas"]
        assert counted["entry"] == "manual" and counted["confirmed_by"] == "Beto (token 2)"
        image = client.get(counted["image_url"])
        assert image.status_code == 200 and image.content == PNG
        page = client.get("/tables/T1").text
        assert "entered by hand" in page or "digitada a mano" in page
        assert counted["image_sha256"] in page
        disagree = post(ana, {**acta("T2", votes={"YES": 1, "NO": 1}), "entry": "manual"})
        other = post(beto, {**acta("T2", votes={"YES": 2, "NO": 0}), "entry": "manual"})
        assert disagree.status_code == 202 and other.status_code == 409 and other.json()["result"] == "conflict"
        page = client.get("/tables/T2").text
        assert "side-by-side" in page


def test_bulletins_count_the_tables_entered_by_hand(signed):
    store, election, private, ana, beto = signed
    ingest_records(store, [Record("t", 1, keys.sign_record(election, acta("T2"), private["T2"]))], now=_at(1))
    for table in ("T1", "T3"):
        enter_manual(store, acta(table), ana, now=_at(2))
    enter_manual(store, acta("T1"), beto, now=_at(3))
    enter_manual(store, acta("T1", "R"), ana, now=_at(3))
    enter_manual(store, acta("T1", "R"), beto, now=_at(3))
    bulletin = publish_bulletin(store, now=_at(4))
    # T1 (both contests, one table) is counted from entries; T3 waits; T2 is its device's
    assert bulletin.body["manual"] == {"tables": 1, "recounted_tables": 0}
    assert verify_source(db=store.url).ok


def test_verify_names_a_wrong_count_of_tables_entered_by_hand(signed):
    from escrutinio.domain.bulletin import Bulletin, build_bulletin  # noqa: F401
    from escrutinio.services import bulletins

    store, _, _, ana, beto = signed
    enter_manual(store, acta("T1"), ana, now=_at(1))
    enter_manual(store, acta("T1"), beto, now=_at(2))
    real = store.entered_tables
    store.entered_tables = lambda conn=None: {"manual": 2}  # a store that claims one table too many
    try:
        bulletins.publish_bulletin(store, now=_at(3))
    finally:
        store.entered_tables = real
    report = verify_source(db=store.url)
    assert any("entered by hand" in p for p in report.of("figure")), report.text()


def test_a_recount_after_bulletins_replaces_the_counted_acta_and_verifies(signed):
    from escrutinio.domain.errors import ResolutionError
    from escrutinio.services import recount

    store, election, private, ana, beto = signed
    ingest_records(store, [Record("t", 1, keys.sign_record(election, acta("T1"), private["T1"]))], now=_at(1))
    first = publish_bulletin(store, now=_at(2))
    assert first.root["results"]["Q"]["options"][0]["votes"] == 60
    figures = {"votes": {"YES": 58, "NO": 42}, "null": 0, "ballots_cast": 100}
    record = recount(store, "T1", "Q", figures, "JNE-2024-017", "recount ordered by the board", "admin",
                     now=_at(3))
    assert (record.status, record.entry, record.signature) == ("counted", "recount", None)
    statuses = sorted((r.entry or "device", r.status) for r in store.actas(table="T1"))
    assert statuses == [("device", "set_aside"), ("recount", "counted")]
    old = next(r for r in store.actas(table="T1") if r.entry is None)
    [replaced] = [e for e in store.acta_events(old.id) if e.action == "replaced_by_recount"]
    assert "JNE-2024-017" in replaced.reason and replaced.operator == "admin"
    second = publish_bulletin(store, now=_at(4))
    assert [o["votes"] for o in second.root["results"]["Q"]["options"]] == [58, 42]
    assert second.body["manual"] == {"tables": 0, "recounted_tables": 1}
    assert first.root["results"]["Q"]["options"][0]["votes"] == 60  # bulletin 1 stays as published
    report = verify_source(db=store.url)
    assert report.ok, report.text()
    with pytest.raises(ResolutionError, match="changes nothing"):
        recount(store, "T1", "Q", figures, "JNE-2024-017", "again", "admin", now=_at(5))
    with pytest.raises(ResolutionError, match="no acta to recount"):
        recount(store, "T2", "Q", figures, "JNE-2024-018", "no acta", "admin", now=_at(5))


def test_verify_names_a_recount_without_its_board_reference(signed):
    from escrutinio.domain.merkle import leaf_hash
    from escrutinio.services import recount

    store, election, private, _, _ = signed
    ingest_records(store, [Record("t", 1, keys.sign_record(election, acta("T1"), private["T1"]))], now=_at(1))
    recount(store, "T1", "Q", {"votes": {"YES": 58, "NO": 42}, "null": 0, "ballots_cast": 100}, "B-1", "why",
            "admin", now=_at(2))
    publish_bulletin(store, now=_at(3))
    with store.engine.begin() as conn:
        leaf = schema.log_leaf.c
        rows = conn.execute(sa.select(leaf.position, leaf.data).where(leaf.kind == "acta")).all()
        position, data = next((p, bytes(d)) for p, d in rows if b'"board_ref"' in bytes(d))
        forged = data.replace(b'"board_ref":"B-1"', b'"board_ref":""')
        conn.execute(schema.log_leaf.update().where(leaf.position == position)
                     .values(data=forged, leaf_hash=leaf_hash(forged)))
    report = verify_source(db=store.url)
    assert any("without its board_ref" in p for p in report.of("replay")), report.text()

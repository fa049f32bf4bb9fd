"""`escrutinio verify`: an observer's independent check, from a database or over HTTP.

A small signed night (conflicts resolved, a quarantine set aside, an acta
annulled, four bulletins, an acta after the last one) must verify; each
kind of tampering, done straight in the database, must be named precisely.
"""

from __future__ import annotations

import ast
import base64
import datetime as dt
import hashlib
import json
import socket
import sys
import threading
import zlib
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvicorn

import escrutinio.verify as verify_package
from escrutinio.domain.merkle import MerkleLog
from escrutinio.domain.percent import PercentRule
from escrutinio.intake.actas import Record
from escrutinio.intake.signatures import public_key
from escrutinio.services import (annul_acta, ingest_records, init_election, keys, open_store, publish_bulletin,
                                 resolve_conflict)
from escrutinio.settings import load_settings
from escrutinio.store import schema
from escrutinio.verify import verify_source
from escrutinio.verify.chain import Merkle
from escrutinio.verify.geography import Tree
from escrutinio.verify.replay import Replay
from escrutinio.verify.report import Report
from escrutinio.verify.sources import SourceError, _pages
from escrutinio.web.app import create_app
from escrutinio.web.published_api import router as published_router

from .conftest import WAIT_SECONDS, escrutinio, wait_for
from .factory import acta, small_election

T0 = dt.datetime(2024, 5, 5, 22, 0, tzinfo=dt.timezone.utc)


def _at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def make_night(store, rule: PercentRule = PercentRule("truncate", 2)) -> dict:
    """The small election, signed, through a whole night; returns what the tests need to know."""
    election = init_election(store, small_election(signed=True, rule=rule))
    private = keys.generate_keys(election, seed="verify-tests")
    keys.register_keys(store, {t: public_key(k) for t, k in private.items()}, _at(0))

    def send(minutes: int, *records: dict) -> list:
        signed = [Record("test", n, keys.sign_record(election, r, private[r["table"]]))
                  for n, r in enumerate(records, 1)]
        outcomes = ingest_records(store, signed, now=_at(minutes))
        assert all(o.result != "rejected" for o in outcomes), [o.problems for o in outcomes]
        return [o.acta_id for o in outcomes]

    t1q, _, t2q, t3q_bad, t5q, t6q = send(1, acta("T1"), acta("T1", "R", blank=5),
                                          acta("T2", votes={"YES": 100, "NO": 37}, null=3),
                                          acta("T3", cast=1000), acta("T5", votes={"YES": 200, "NO": 211}),
                                          acta("T6", votes={"YES": 30, "NO": 10}))
    publish_bulletin(store, _at(2))
    t5q_other, t2r, _, _ = send(3, acta("T5", votes={"YES": 210, "NO": 201}),
                                acta("T2", "R", votes={"C1": 50, "C2": 70, "C3": 7}, blank=2),
                                acta("T4", votes={"YES": 55, "NO": 44}, null=1), acta("T4", "R", blank=0))
    publish_bulletin(store, _at(4))  # T5 in conflict, still counting its first acta
    [t3q_good] = send(5, acta("T3", votes={"YES": 150, "NO": 149}, null=1))
    resolve_conflict(store, "T5", "Q", t5q_other, "recounted at the centre", "admin", _at(6))
    resolve_conflict(store, "T3", "Q", t3q_good, "the paper acta says 300 ballots", "admin", _at(6))
    annul_acta(store, t6q, "the table did not open", "admin", _at(7))
    publish_bulletin(store, _at(8))
    send(9, acta("T5", "R", votes={"C1": 100, "C2": 100, "C3": 100}, blank=11), acta("T3", "R", blank=1))
    publish_bulletin(store, _at(10))
    send(11, acta("T6", votes={"YES": 29, "NO": 11}))  # after the last bulletin: logged, in no tree head
    return {"T1Q": t1q, "T2Q": t2q, "T2R": t2r, "T3Q": t3q_bad, "T5Q": t5q}


@pytest.fixture
def night(store):
    ids = make_night(store)
    return store, ids


@pytest.fixture
def sqlite_night(tmp_path):
    url = f"sqlite:///{tmp_path / 'night.db'}"
    store = open_store(url)
    ids = make_night(store)
    yield store, ids
    store.close()


def _report(store) -> Report:
    return verify_source(db=store.url)


def _problems(report: Report) -> str:
    return report.text()


# -- it passes ------------------------------------------------------------------------------------------

def test_a_clean_night_verifies_from_the_database(night):
    store, _ = night
    report = _report(store)
    assert report.ok, _problems(report)
    assert report.counts["bulletins"] == 4
    assert report.counts["actas"] == report.counts["log actas"] == 14
    assert report.counts["signatures"] == 14
    # the election, one registration of keys, actas, events, bulletins
    assert report.counts["leaves"] == len(store.log_leaves(0, 10_000)) == 1 + 1 + 14 + 5 + 4
    assert report.counts["keys leaves"] == 1
    assert report.counts["figures"] > 0
    assert report.text().endswith("result: OK — every check holds\n")


@pytest.mark.parametrize("rule", [PercentRule("half_up", 1), PercentRule("truncate", 0), PercentRule("half_up", 3)])
def test_other_percent_rules_verify(tmp_path, rule):
    store = open_store(f"sqlite:///{tmp_path / 'rule.db'}")
    make_night(store, rule)
    report = _report(store)
    store.close()
    assert report.ok, _problems(report)


class _Server:
    """The app with the published API, served by uvicorn in a thread on a free port."""

    def __init__(self, store):
        app = create_app(load_settings(database_url=store.url), store)
        app.include_router(published_router)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        wait_for(lambda: self.server.started, "uvicorn to start")
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(WAIT_SECONDS)


def test_a_clean_night_verifies_over_http(sqlite_night):
    store, _ = sqlite_night
    with _Server(store) as base:
        report = verify_source(url=base)
    assert report.ok, _problems(report)
    assert report.source == f"site {base}"
    assert report.counts["bulletins"] == 4 and report.counts["actas"] == 14


def test_http_and_database_read_the_same_documents(sqlite_night):
    store, _ = sqlite_night
    db = verify_package.DatabaseSource(store.url)
    with _Server(store) as base:
        web = verify_package.HttpSource(base)
        assert web.geography() == db.geography()
        assert web.keys() == db.keys()
        assert web.actas() == db.actas()
        assert web.leaves() == db.leaves()
        assert web.bulletins() == db.bulletins()
        assert web.bulletin_body(2) == db.bulletin_body(2)
    db.close()


def test_an_unreachable_site_is_reported():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report = verify_source(url=f"http://127.0.0.1:{port}")
    assert not report.ok
    assert report.of("source")[0].startswith(f"GET http://127.0.0.1:{port}/api/v1/published/geography")


def test_a_missing_database_file_is_reported(tmp_path):
    report = verify_source(db=f"sqlite:///{tmp_path / 'none.db'}")
    assert report.of("source") == [f"no database file at {tmp_path / 'none.db'}"]
    assert not (tmp_path / "none.db").exists()


def test_pages_are_followed_until_there_is_no_next():
    pages = {0: {"actas": [1, 2], "next": 2}, 2: {"actas": [3, 4], "next": 4}, 4: {"actas": [5], "next": None}}
    assert _pages(pages.__getitem__, "actas", 0) == [1, 2, 3, 4, 5]
    with pytest.raises(SourceError, match="loop back"):
        _pages({0: {"actas": [], "next": 0}}.__getitem__, "actas", 0)


# -- tampering in the database is named -----------------------------------------------------------------

def _update(store, statement) -> None:
    with store.engine.begin() as conn:
        assert conn.execute(statement).rowcount == 1


def test_a_changed_vote_names_its_table_and_contest(night):
    store, ids = night
    with store.engine.connect() as conn:
        content = conn.execute(sa.select(schema.acta.c.content).where(schema.acta.c.id == ids["T2Q"])).scalar_one()
    changed = json.loads(content)
    changed["votes"]["YES"] += 1
    _update(store, schema.acta.update().where(schema.acta.c.id == ids["T2Q"])
            .values(content=json.dumps(changed, sort_keys=True)))
    report = _report(store)
    assert not report.ok
    where = f"table T2, contest Q, acta {ids['T2Q']}"
    assert any(p.startswith(f"{where}: the published acta differs from the log (leaf ")
               and p.endswith("): votes.YES: published 101, log 100") for p in report.of("acta"))
    assert any(p.startswith(f"{where}: the published digest is ") for p in report.of("acta"))
    assert report.of("signature") == [f"{where}: the signature does not match table T2's key and the published "
                                      "acta's figures"]
    # The bulletins were cut from the log, which still holds the true acta: they still add up.
    assert report.of("figure") == [] and report.of("log") == []


def test_signatures_checked_by_worker_processes_are_reported_the_same(night, monkeypatch):
    """A large night has its signatures checked by worker processes, in batches: forced here on a small night,
    in batches of two, a forged figure is still named, once, and every other signature holds."""
    import escrutinio.verify.actas as verify_actas

    monkeypatch.setattr(verify_actas, "PARALLEL_FROM", 1)
    monkeypatch.setattr(verify_actas, "BATCH", 2)
    store, ids = night
    assert _report(store).ok
    with store.engine.connect() as conn:
        content = conn.execute(sa.select(schema.acta.c.content).where(schema.acta.c.id == ids["T2Q"])).scalar_one()
    changed = json.loads(content)
    changed["votes"]["YES"] += 1
    _update(store, schema.acta.update().where(schema.acta.c.id == ids["T2Q"])
            .values(content=json.dumps(changed, sort_keys=True)))
    report = _report(store)
    where = f"table T2, contest Q, acta {ids['T2Q']}"
    assert report.of("signature") == [f"{where}: the signature does not match table T2's key and the published "
                                      "acta's figures"]
    # every acta of the log once, and the changed one's published figures too
    assert report.counts["signatures"] == report.counts["log actas"] + 1


def test_each_actas_history_built_when_asked_is_the_whole_logs(night):
    """LoggedHistory (what verify checks each published acta's history against, one acta at a time) gives
    what logged_history gives from the whole log, for every acta, those resolved and annulled included."""
    from escrutinio.services import published
    from escrutinio.verify.actas import LoggedHistory, logged_actas, logged_history
    from escrutinio.verify.chain import parse_leaves

    store, ids = night
    records, _ = parse_leaves(Report("test"), published.log_leaves(store, 0, 10_000)["leaves"])
    whole = logged_history(records)
    asked = LoggedHistory(records, logged_actas(Report("test"), records))
    assert set(ids.values()) <= set(whole) and any(len(entries) > 1 for entries in whole.values())
    for acta_id, entries in whole.items():
        assert asked.get(acta_id) == entries
    assert asked.get(10 ** 9, []) == []


def test_an_acta_leaf_held_in_slots_reads_as_the_dict_it_was_parsed_from():
    from escrutinio.verify.chain import _short
    from escrutinio.verify.common import ActaLeaf

    record = {"acta": {"table": "T1", "contest": "Q"}, "digest": "d", "id": 7, "kind": "acta", "reasons": [],
              "status": "counted"}
    leaf = ActaLeaf.of(dict(record))
    assert isinstance(leaf, ActaLeaf) and leaf == record and dict(leaf) == record and leaf["id"] == 7
    assert leaf.get("signature") is None and "signature" not in leaf and len(leaf) == 6
    with pytest.raises(KeyError):
        leaf["signature"]
    assert json.loads(_short(leaf)) == record
    leaf.drop("digest", "signature")
    assert "digest" not in leaf and len(leaf) == 5
    odd = {**record, "extra": 1}  # a field it does not know: the dict is kept as it is
    assert ActaLeaf.of(odd) is odd


def test_a_deleted_acta_is_named(night):
    store, ids = night
    victim = ids["T1Q"]
    with store.engine.begin() as conn:
        conn.execute(schema.acta_event.delete().where(schema.acta_event.c.acta_id == victim))
        assert conn.execute(schema.acta.delete().where(schema.acta.c.id == victim)).rowcount == 1
    report = _report(store)
    assert not report.ok
    position = store.log_position("acta", victim)
    assert report.of("acta") == [f"table T1, contest Q, acta {victim}: in the log (leaf {position:,}), but missing "
                                 "from the published actas"]
    assert report.of("figure") == [] and report.of("log") == []


def _bulletin_row(store, number: int) -> tuple[dict, list]:
    """Bulletin NUMBER's head and its counters as stored: per contest, (columns, rows as lists)."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(schema.bulletin).where(schema.bulletin.c.number == number)).one()
    head, data, matrices = json.loads(zlib.decompress(row.body)), row.counters, []
    for contest in head["contests"]:
        stream = zlib.decompressobj()
        raw, data = stream.decompress(data), stream.unused_data
        width = len(head["counters"]["columns"][contest["code"]])
        values = [int.from_bytes(raw[i:i + 8], "little", signed=True) for i in range(0, len(raw), 8)]
        matrices.append([values[i:i + width] for i in range(0, len(values), width)])
    return head, matrices


def _counter_bytes(rows: list) -> bytes:
    return b"".join(v.to_bytes(8, "little", signed=True) for row in rows for v in row)


def test_an_edited_bulletin_is_named(night):
    """Votes added at the country in bulletin 2's counters, and its head's digest made to match."""
    store, _ = night
    head, matrices = _bulletin_row(store, 2)
    assert [c["code"] for c in head["contests"]] == ["Q", "R"]
    q_columns = head["counters"]["columns"]["Q"]
    assert q_columns[0] == "YES"
    published = matrices[0][0][0]  # contest Q, node 0 (the country), column YES
    matrices[0][0][0] += 1000
    head["counters"]["sha256"]["Q"] = hashlib.sha256(_counter_bytes(matrices[0])).hexdigest()
    data = json.dumps(head, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    _update(store, schema.bulletin.update().where(schema.bulletin.c.number == 2).values(
        body=zlib.compress(data, 6), counters=b"".join(zlib.compress(_counter_bytes(m)) for m in matrices)))
    report = _report(store)
    assert not report.ok
    [listed] = [b for b in store.bulletin_heads() if b["number"] == 2]
    assert report.of("bulletin")[0] == (f"bulletin 2: the SHA-256 of its body is {hashlib.sha256(data).hexdigest()}, "
                                        f"but the published hash is {listed['hash']}")
    figures = report.of("figure")
    assert figures[0] == (f"bulletin 2, area X (Country), contest Q, counter YES: published {published + 1000:,}, "
                          f"recomputed {published:,}")
    # The site shows figures made from those counters: they are recomputed too, and differ.
    assert (f"bulletin 2 as shown, area X (Country), contest Q, figure options.YES.votes: published "
            f"{published + 1000}, recomputed {published}") in figures
    assert not any(f.startswith(("bulletin 1", "bulletin 3")) for f in figures)
    # Bulletin 3 still names the true hash of bulletin 2, and the log's leaf does too.
    assert any(p.startswith("bulletin 3: previous_hash is ") for p in report.of("bulletin"))
    assert any(p.startswith("bulletin 2: the log leaf at position ") for p in report.of("log"))


def test_counters_that_do_not_match_their_head_are_named(night):
    store, _ = night
    head, matrices = _bulletin_row(store, 1)
    matrices[1][-1][0] += 1  # contest R, the last node, its first column
    _update(store, schema.bulletin.update().where(schema.bulletin.c.number == 1).values(
        counters=b"".join(zlib.compress(_counter_bytes(m)) for m in matrices)))
    report = _report(store)
    digest = hashlib.sha256(_counter_bytes(matrices[1])).hexdigest()
    assert report.of("figure")[0] == (f"bulletin 1, contest R: the SHA-256 of its counters is {digest}, but its "
                                      f"head says {head['counters']['sha256']['R']}")
    assert len([f for f in report.of("figure") if ", counter " in f]) == 1
    assert report.of("bulletin") == [] and report.of("log") == []


def test_a_changed_log_leaf_breaks_the_roots(night):
    store, _ = night
    [first] = store.log_leaves(0, 1)
    record = json.loads(first["data"])
    record["source"] = "somewhere else"
    data = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    _update(store, schema.log_leaf.update().where(schema.log_leaf.c.position == 0).values(data=data))
    report = _report(store)
    assert not report.ok
    roots = [p for p in report.of("log") if " log leaves is " in p]
    assert len(roots) == 4
    for number, text in enumerate(roots, 1):
        head = store.bulletin(number).body["log"]
        assert text.startswith(f"bulletin {number}: the root of the first {head['size']:,} log leaves is ")
        assert text.endswith(f", but the bulletin's signed root is {head['root']}")
    assert report.of("acta") == [] and report.of("figure") == []


def test_a_changed_status_is_named(night):
    store, ids = night
    _update(store, schema.acta.update().where(schema.acta.c.id == ids["T3Q"]).values(status="counted"))
    report = _report(store)
    assert report.of("status") == [f"table T3, contest Q, acta {ids['T3Q']}: published status counted, but the "
                                   "log leads to set_aside"]


def test_a_replaced_table_key_is_named_by_its_table(night):
    """A key swapped in table_key after the actas were signed: the published key is not the logged one.

    The actas are still checked with the key the log holds from before them, so their signatures hold."""
    store, _ = night
    logged = public_key(keys.generate_keys(store.election(), seed="verify-tests")["T4"])
    other = public_key(keys.generate_keys(store.election(), seed="someone else")["T4"])
    with store.engine.connect() as conn:
        t4 = conn.execute(sa.select(schema.polling_table.c.id).where(schema.polling_table.c.code == "T4")).scalar_one()
    _update(store, schema.table_key.update().where(schema.table_key.c.table_id == t4).values(public_key=other))
    report = _report(store)
    assert not report.ok
    assert report.of("keys") == [f"table T4: the published key is {base64.b64encode(other).decode()}, but the last "
                                 f"key the log registers for it (leaf 1) is {base64.b64encode(logged).decode()}"]
    assert report.of("signature") == [] and report.of("figure") == []


def test_a_changed_register_shows_in_every_bulletin(night):
    store, _ = night
    _update(store, schema.polling_table.update().where(schema.polling_table.c.code == "T6").values(registered=81))
    report = _report(store)
    assert "bulletin 1, centre C-S1 (Library), contest Q, counter registered_all: published 580, recomputed 581" \
        in report.of("figure")
    assert report.of("acta") == [] and report.of("log") == []


# -- the geography and the keys are anchored in the log --------------------------------------------------

def test_a_changed_register_is_named_as_a_geography_mismatch_at_position_0(night):
    store, _ = night
    [first] = store.log_leaves(0, 1)
    logged = json.loads(first["data"])["geography_sha256"]
    _update(store, schema.polling_table.update().where(schema.polling_table.c.code == "T2").values(registered=251))
    report = _report(store)
    assert not report.ok
    [problem] = report.of("geography")
    assert problem.startswith("the published geography does not match the one logged at position 0: its SHA-256 "
                              "is ")
    assert problem.endswith(f", the election leaf says {logged}")
    assert report.of("log") == []


def test_a_changed_rule_of_the_election_is_a_geography_mismatch(night):
    store, _ = night
    with store.engine.connect() as conn:
        settings = json.loads(conn.execute(sa.select(schema.election.c.settings)).scalar_one())
    settings["extra_voters_allowed"] = 5
    _update(store, schema.election.update().values(settings=json.dumps(settings)))
    report = _report(store)
    assert len(report.of("geography")) == 1
    assert report.of("geography")[0].startswith("the published geography does not match the one logged at "
                                                "position 0: ")


def test_a_log_without_its_election_leaf_is_named(night):
    store, _ = night
    [first] = store.log_leaves(0, 1)
    data = json.dumps({"kind": "event", "acta_id": 1, "action": "annulled", "operator": "x", "reason": "x",
                       "at": "2024-05-05T22:00:00+00:00"}, sort_keys=True, separators=(",", ":")).encode()
    _update(store, schema.log_leaf.update().where(schema.log_leaf.c.position == 0).values(data=data))
    report = _report(store)
    assert "log leaf 0 is of kind 'event', not the election leaf that fixes the geography" in report.of("log")


def test_an_unknown_leaf_kind_is_named(night):
    store, _ = night
    size = len(store.log_leaves(0, 10_000))
    data = b'{"kind":"mystery"}'
    with store.engine.begin() as conn:
        conn.execute(schema.log_leaf.insert().values(position=size, kind="mystery", ref=0, data=data,
                                                     leaf_hash=hashlib.sha256(b"\x00" + data).digest(),
                                                     appended_at=_at(12)))
    report = _report(store)
    assert report.of("log") == [f"leaf {size} is of unknown kind 'mystery' (not election, keys, "
                                "key_replacement, acta, event, bulletin, release)"]


def _two_keys_night(store) -> tuple[int, bytes]:
    """T4's acta signed with key A; then T4's key replaced by B, through the service (so logged after it)."""
    election = init_election(store, small_election(signed=True))
    first = keys.generate_keys(election, seed="key A")
    keys.register_keys(store, {t: public_key(k) for t, k in first.items()}, _at(0))
    record = keys.sign_record(election, acta("T4"), first["T4"])
    [outcome] = ingest_records(store, [Record("test", 1, record)], now=_at(1))
    assert outcome.result == "accepted", outcome.problems
    second = keys.generate_keys(election, seed="key B")["T4"]
    keys.replace_key(store, "T4", public_key(second), "a new device", "admin", _at(2))
    return outcome.acta_id, second


def test_a_key_replaced_after_an_acta_leaves_it_checked_with_the_old_key(store):
    _two_keys_night(store)
    assert [leaf["kind"] for leaf in store.log_leaves(0, 100)] == ["election", "keys", "acta", "key_replacement"]
    report = _report(store)
    assert report.ok, _problems(report)
    assert report.counts["signatures"] == 1


def test_a_key_registered_later_cannot_vouch_for_an_earlier_acta(store):
    """The acta re-signed with the key logged after it (in the table and in its leaf): that key is not the one
    the log held for T4 when the acta arrived, so the signature fails."""
    acta_id, second = _two_keys_night(store)
    election = store.election()
    forged = keys.sign_record(election, {k: v for k, v in store.acta(acta_id).acta.as_dict().items()
                                         if k != "signature"}, second)["signature"]
    position = store.log_position("acta", acta_id)
    [leaf] = store.log_leaves(position, position + 1)
    record = json.loads(leaf["data"])
    record["signature"] = forged
    data = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    _update(store, schema.log_leaf.update().where(schema.log_leaf.c.position == position)
            .values(data=data, leaf_hash=hashlib.sha256(b"\x00" + data).digest()))
    _update(store, schema.acta.update().where(schema.acta.c.id == acta_id).values(signature=base64.b64decode(forged)))
    report = _report(store)
    assert report.of("signature") == [f"table T4, contest Q, acta {acta_id}: the signature does not match table "
                                      "T4's key and the logged acta's figures"]
    assert report.of("keys") == [] and report.of("acta") == []


def _authority(store) -> str:
    return base64.b64encode(store.authority_key()[0]).decode()


def test_the_authority_key_recorded_on_the_night_passes(night):
    store, _ = night
    report = verify_source(db=store.url, authority_key=_authority(store))
    assert report.ok, _problems(report)
    assert f"held to what was recorded on the night: authority key {_authority(store)}" in report.text()


def test_another_authority_key_names_every_bulletin(night):
    store, _ = night
    wrong = base64.b64encode(public_key(keys.generate_keys(store.election(), seed="an impostor")["T1"])).decode()
    report = verify_source(db=store.url, authority_key=wrong)
    assert not report.ok
    assert report.of("log") == [f"bulletin {n}: signed by authority key {_authority(store)}, but the authority's key "
                                f"recorded on the night (--authority-key) is {wrong}" for n in range(1, 5)]


def test_the_hashes_recorded_on_the_night_pass(night):
    store, _ = night
    heads = {h["number"]: h["hash"] for h in store.bulletin_heads()}
    report = verify_source(db=store.url, expect={1: heads[1], 3: heads[3].upper()})
    assert report.ok, _problems(report)


def test_a_hash_other_than_the_one_recorded_on_the_night_is_named(night):
    store, _ = night
    heads = {h["number"]: h["hash"] for h in store.bulletin_heads()}
    wrong = hashlib.sha256(b"what the screen showed").hexdigest()
    report = verify_source(db=store.url, expect={1: heads[1], 2: wrong, 9: heads[1]})
    assert not report.ok
    assert report.of("bulletin") == [
        f"bulletin 2: its hash is {heads[2]}, but the hash recorded on the night (--expect) is {wrong}",
        f"bulletin 9: not published, but recorded on the night (--expect) with hash {heads[1]}"]


def test_the_command_holds_the_night_to_what_was_recorded(sqlite_night, tmp_path):
    store, _ = sqlite_night
    heads = {h["number"]: h["hash"] for h in store.bulletin_heads()}
    good = escrutinio(tmp_path, "verify", "--db", store.url, "--authority-key", _authority(store),
                      "--expect", f"1={heads[1]}", "--expect", f"4={heads[4]}")
    assert good.returncode == 0, good.stdout + good.stderr
    assert f"bulletin 1 hash {heads[1]}; bulletin 4 hash {heads[4]}" in good.stdout
    wrong_key = base64.b64encode(bytes(32)).decode()
    bad = escrutinio(tmp_path, "verify", "--db", store.url, "--authority-key", wrong_key, "--expect", f"2={heads[1]}")
    assert bad.returncode == 1
    assert f"bulletin 1: signed by authority key {_authority(store)}, but the authority's key recorded on the night " \
           f"(--authority-key) is {wrong_key}" in bad.stdout
    assert f"bulletin 2: its hash is {heads[2]}, but the hash recorded on the night (--expect) is {heads[1]}" \
        in bad.stdout


@pytest.mark.parametrize("args, message", [
    (("--authority-key", "not-a-key"), "not an Ed25519 public key"),
    (("--expect", "1"), "write N=HASH"),
    (("--expect", "0=" + "a" * 64), "write N=HASH"),
    (("--expect", "1=" + "g" * 64), "write N=HASH"),
    (("--expect", "1=" + "a" * 64, "--expect", "1=" + "b" * 64), "bulletin 1 is given two different hashes"),
])
def test_the_command_refuses_malformed_recorded_values(tmp_path, args, message):
    done = escrutinio(tmp_path, "verify", "--db", "sqlite:///x.db", *args)
    assert done.returncode == 2
    assert message in done.stderr


def test_problems_are_counted_all_but_listed_fifty_per_kind():
    report = Report("test")
    for n in range(120):
        report.add("figure", f"problem {n}")
    text = report.text()
    assert "bulletin figures recomputed from the log: 120 problem(s)" in text
    assert "  - problem 49\n" in text and "problem 50\n" not in text
    assert "… and 70 more of this kind (not listed)" in text
    assert text.endswith("result: FAILED — 120 problem(s)\n")


# -- the command ------------------------------------------------------------------------------------------

def test_the_command_exits_0_when_all_holds_and_1_otherwise(sqlite_night, tmp_path):
    store, ids = sqlite_night
    done = escrutinio(tmp_path, "verify", "--db", store.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.endswith("result: OK — every check holds\n")
    _update(store, schema.acta.update().where(schema.acta.c.id == ids["T5Q"]).values(status="counted"))
    done = escrutinio(tmp_path, "verify", "--db", store.url)
    assert done.returncode == 1
    assert f"table T5, contest Q, acta {ids['T5Q']}: published status counted, but the log leads to set_aside" \
        in done.stdout


@pytest.mark.parametrize("args", [(), ("--db", "sqlite:///x.db", "--url", "http://127.0.0.1:1")])
def test_the_command_wants_exactly_one_source(tmp_path, args):
    done = escrutinio(tmp_path, "verify", *args)
    assert done.returncode == 2
    assert "give exactly one of --db URL or --url http://host:port" in done.stderr


def test_the_demo_night_verifies(demo_night):
    done = escrutinio(demo_night, "verify", "--db", "sqlite:///escrutinio.db")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "5 bulletins" in done.stdout or "bulletins (" in done.stdout


# -- its own arithmetic, cross-checked ---------------------------------------------------------------------

def test_merkle_roots_agree_with_the_log_for_every_size():
    hashes = [hashlib.sha256(b"\x00" + str(i).encode()).digest() for i in range(70)]
    theirs = MerkleLog()
    for digest in hashes:
        theirs.append_hash(digest)
    mine = Merkle(hashes)
    for size in range(0, 71):
        assert mine.root(size) == theirs.root(size), size


def _replay(method: str, decimals: int) -> Replay:
    geography = {"election": {"name": "x", "date": "2024-01-01", "time_zone": "UTC",
                              "percent_rule": {"method": method, "decimals": decimals}, "abstention_basis":
                              "whole_register", "extra_voters_allowed": 0, "require_signatures": False,
                              "levels": ["country"]},
                 "contests": [], "areas": [{"code": "X", "name": "X", "level": "country", "parent": None}],
                 "centres": [], "tables": []}
    return Replay(Report("test"), Tree(geography, Report("test")), [])


@pytest.mark.parametrize("rule", [PercentRule("truncate", 2), PercentRule("half_up", 2), PercentRule("half_up", 0),
                                  PercentRule("truncate", 3)])
def test_percentages_agree_with_the_percent_rule(rule):
    mine = _replay(rule.method, rule.decimals)
    for whole in (0, 1, 3, 7, 400, 9_002_439):
        for part in (0, 1, 2, whole // 3, whole // 2, whole - 1, whole):
            assert mine.percent(part, whole) == rule.format(part, whole), (part, whole)


def test_negative_shares_are_printed_with_a_minus_sign():
    """More ballots than registered voters (extra voters allowed) make abstention negative."""
    assert _replay("truncate", 2).percent(-1, 400) == "-0.25"
    assert _replay("half_up", 1).percent(-1, 400) == "-0.3"  # rounded by its size, the sign kept


# -- independence -------------------------------------------------------------------------------------------

VERIFY = Path(verify_package.__file__).parent


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ("escrutinio.verify." if node.level == 1 else "escrutinio." if node.level == 2 else "") + \
                (node.module or "")
            found += [f"{base}.{alias.name}" if base in ("escrutinio.", "escrutinio.services") else base
                      for alias in node.names]
    return [name.replace("..", ".") for name in found]


def test_the_verifier_shares_no_code_with_what_it_checks():
    """Only the standard library, PyNaCl and numpy (whole-matrix sums at national size); escrutinio itself only
    to read a database (sources.py)."""
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    for path in sorted(VERIFY.glob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            if name.startswith("escrutinio.verify"):
                continue
            if top == "escrutinio":
                assert path.name == "sources.py", f"{path.name} imports {name}"
                assert name in ("escrutinio.services.open_store", "escrutinio.services.published"), name
            else:
                assert top in stdlib or top in ("nacl", "numpy"), f"{path.name} imports {name}"


def test_the_independence_check_sees_imports():
    names = _imports(VERIFY / "sources.py")
    assert "escrutinio.services.published" in names and "escrutinio.services.open_store" in names


def test_a_night_with_more_voters_than_registered_verifies(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'extra.db'}")
    election = init_election(store, small_election(extra=10))
    ingest_records(store, [Record("test", 1, acta("T1", votes={"YES": 200, "NO": 101}))], now=_at(1))
    assert election.table_by_code["T1"].registered == 300
    publish_bulletin(store, _at(2))
    report = _report(store)
    store.close()
    assert report.ok, _problems(report)

"""`escrutinio verify` covers every fact a public page states about the count.

Each edit of the store below once went unnoticed while the site showed it:
an acta's history (operator and reason of a resolution), the figures of the
timeline's automatic bulletin entries, an acta's source and time received,
a stored leaf hash (proofs then disagree with the signed roots). Each is now
named by the verifier, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import sqlalchemy as sa
from fastapi.testclient import TestClient

from escrutinio.settings import load_settings
from escrutinio.store import schema
from escrutinio.web.app import create_app

from .test_verify import _report, _update, night  # noqa: F401 - the fixture

__all__ = ["night"]


def _only(report, kind: str) -> list[str]:
    """The problems of ``kind``, after checking there are none of any other kind."""
    others = {k: v for k, v in report.problems.items() if v and k != kind}
    assert not others, report.text()
    return report.of(kind)


def _event(store, acta_id: int, action: str):
    return schema.acta_event.update().where(schema.acta_event.c.acta_id == acta_id,
                                            schema.acta_event.c.action == action)


def test_a_false_operator_in_an_actas_history_is_named(night):
    store, ids = night
    # T3's first acta (1000 ballots at a 400-voter table) arrived quarantined, then was set aside by "admin".
    _update(store, _event(store, ids["T3Q"], "resolved_set_aside").values(operator="an impostor"))
    assert _only(_report(store), "acta") == [
        f"table T3, contest Q, acta {ids['T3Q']}: change 2 of its published history: operator: published "
        '"an impostor", log "admin"']


def test_a_false_reason_in_an_actas_history_is_named(night):
    store, ids = night
    _update(store, _event(store, ids["T3Q"], "resolved_set_aside").values(reason="nobody knows"))
    assert _only(_report(store), "acta") == [
        f"table T3, contest Q, acta {ids['T3Q']}: change 2 of its published history: reason: published "
        '"nobody knows", log "the paper acta says 300 ballots"']


def test_a_false_operator_of_an_arrival_is_named(night):
    store, ids = night
    _update(store, _event(store, ids["T1Q"], "counted").values(operator="someone else"))
    assert _only(_report(store), "acta") == [
        f"table T1, contest Q, acta {ids['T1Q']}: change 1 of its published history: operator: published "
        '"someone else", log "system"']


def test_a_history_line_deleted_is_named(night):
    store, ids = night
    with store.engine.begin() as conn:
        assert conn.execute(schema.acta_event.delete().where(
            schema.acta_event.c.acta_id == ids["T3Q"], schema.acta_event.c.action == "resolved_set_aside")).rowcount == 1
    problems = _only(_report(store), "acta")
    assert problems == [f"table T3, contest Q, acta {ids['T3Q']}: its published history has 1 change(s), the log 2"]


def test_an_actas_source_and_time_received_are_named(night):
    store, ids = night
    position = store.log_position("acta", ids["T2Q"])
    later = dt.datetime(2024, 5, 6, 3, 0, tzinfo=dt.timezone.utc)
    _update(store, schema.acta.update().where(schema.acta.c.id == ids["T2Q"])
            .values(source="paper:1", received_at=later))
    # T2's acta for Q was the third record sent at minute 1 (22:01 UTC) by the tests' channel "test".
    assert sorted(_only(_report(store), "acta")) == sorted([
        f"table T2, contest Q, acta {ids['T2Q']}: the published acta differs from the log (leaf {position:,}): "
        'received_at: published "2024-05-06T03:00:00+00:00", log "2024-05-05T22:01:00+00:00"',
        f"table T2, contest Q, acta {ids['T2Q']}: the published acta differs from the log (leaf {position:,}): "
        'source: published "paper:1", log "test:3"'])


def test_a_changed_stored_leaf_hash_is_named(night):
    store, ids = night
    position = store.log_position("acta", ids["T5Q"])
    [leaf] = store.log_leaves(position, position + 1)
    forged = hashlib.sha256(b"forged").digest()
    _update(store, schema.log_leaf.update().where(schema.log_leaf.c.position == position).values(leaf_hash=forged))
    true = hashlib.sha256(b"\x00" + leaf["data"]).hexdigest()
    sizes = [store.bulletin(n).body["log"]["size"] for n in (1, 2, 3, 4)]
    # Leaf 6 sits in the first 8 leaves. Bulletin 1's tree has exactly 8: the proof from it names only
    # newer subtrees and still holds. The proofs from bulletins 2 and 3 (more than 8 leaves, fewer than 32)
    # name the hash of leaves 0-7 or 0-15, made from the forged one, and fail.
    assert position == 6 and sizes[0] == 8 and 8 < sizes[1] < sizes[2] < 32
    assert _only(_report(store), "log") == [
        f"log leaf {position:,}: the site's stored leaf hash is {forged.hex()}, but SHA-256(0x00 || its data) is "
        f"{true}: the proofs it serves do not match the signed roots",
        f"bulletins 2 and 3: the site's consistency proof from {sizes[1]} to {sizes[2]} leaves does not verify "
        "against their signed roots",
        f"bulletins 3 and 4: the site's consistency proof from {sizes[2]} to {sizes[3]} leaves does not verify "
        "against their signed roots"]


def _bulletin_entry(store, number: int) -> tuple[int, dict]:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(schema.timeline_entry.c.id, schema.timeline_entry.c.data)
                           .where(schema.timeline_entry.c.bulletin_number == number)).one()
    return row.id, json.loads(row.data)


def test_false_figures_in_a_bulletin_entry_are_named_and_never_shown(night):
    store, _ = night
    entry_id, data = _bulletin_entry(store, 2)
    [q] = [c for c in data["contests"] if c["code"] == "Q"]
    [yes] = [o for o in q["options"] if o["code"] == "YES"]
    # Bulletin 2 counts Q at T1 (60 yes), T2 (100), T4 (55), T5's first acta (200) and T6 (30, annulled only
    # later); T3's acta is quarantined: 445 yes.
    assert yes["votes"] == 60 + 100 + 55 + 200 + 30
    true_percent = yes["percent"]
    yes["votes"], yes["percent"] = 9_999_999, "99.99"
    _update(store, schema.timeline_entry.update().where(schema.timeline_entry.c.id == entry_id)
            .values(data=json.dumps(data)))
    assert _only(_report(store), "timeline") == [
        f"timeline entry {entry_id} (bulletin 2): contests[Q].options[YES].percent: the entry says \"99.99\", the "
        f"bulletin says \"{true_percent}\"",
        f"timeline entry {entry_id} (bulletin 2): contests[Q].options[YES].votes: the entry says 9999999, the "
        "bulletin says 445"]
    # The site renders the entry from the bulletin itself: the false figures are never shown.
    client = TestClient(create_app(load_settings(database_url=store.url), store))
    shown = client.get(f"/api/v1/timeline/entries/{entry_id}").json()
    [shown_yes] = [o for c in shown["bulletin"]["contests"] if c["code"] == "Q" for o in c["options"]
                   if o["code"] == "YES"]
    assert (shown_yes["votes"], shown_yes["percent"]) == (445, true_percent)
    for page in ("/", "/timeline", "/timeline.atom", "/api/v1/timeline"):
        text = client.get(page).text
        assert "9999999" not in text and "9.999.999" not in text and "99,99" not in text, page


def test_a_clean_night_checks_every_timeline_entry_and_proof(night):
    store, _ = night
    report = _report(store)
    assert report.ok, report.text()
    assert report.counts["timeline entries"] == 4
    assert report.counts["consistency proofs"] == 3  # bulletins 1-2, 2-3, 3-4

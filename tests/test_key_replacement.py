"""A table's key changed mid-night: only by an explicit, logged replacement; `verify` names any other change.

The scenario a hostile test found: a fresh key registered for a table that had
already reported, an acta signed with it (a conflict), resolved in its favour,
a bulletin published — and the verifier said every check held.
"""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from escrutinio.domain.errors import KeyChangeRefused
from escrutinio.intake.actas import Record
from escrutinio.intake.signatures import public_key
from escrutinio.services import ingest_records, keys, log, open_store, publish_bulletin, resolve_conflict
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app

from .conftest import escrutinio
from .factory import acta
from .test_verify import _at, _report, make_night

FORGED = {"YES": 0, "NO": 100}  # T4's true acta for Q says YES 55, NO 44, null 1
REASON = "the device of table T4 was replaced after a fault; new key read from its screen"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _keys_of(store, seed: str) -> dict[str, bytes]:
    return keys.generate_keys(store.election(), seed=seed)


def _swap_as_before(store, public: bytes) -> None:
    """What `keys register` used to do for a table with a key: overwrite it with a plain keys leaf."""
    with store.log_writing() as conn:
        store.set_table_keys(conn, {"T4": public}, _at(20))
        store.append_log(conn, [log.keys_leaf({"T4": public})], _at(20))


def _forge(store, private: bytes, votes: dict = FORGED) -> int:
    """T4's acta for Q signed with the new key (a conflict), resolved in its favour, then a bulletin."""
    election = store.election()
    record = keys.sign_record(election, acta("T4", votes=votes), private)
    [outcome] = ingest_records(store, [Record("test", 1, record)], now=_at(21))
    assert outcome.result != "rejected", outcome.problems
    resolve_conflict(store, "T4", "Q", outcome.acta_id, "the new acta is right", "admin", _at(22))
    publish_bulletin(store, _at(23))
    return outcome.acta_id


def _forge_in_a_new_process(store, private: bytes, votes: dict = FORGED) -> None:
    """_forge through a store opened afresh, as a server started after the swap would (keys read anew)."""
    fresh = open_store(store.url, migrate=False)
    try:
        _forge(fresh, private, votes)
    finally:
        fresh.close()


def _first_t4_acta(store) -> int:
    return min(store.log_position("acta", r.id) for r in store.actas(table="T4"))


def _leaves(store) -> int:
    return len(store.log_leaves(0, 100_000))


def test_a_key_swapped_without_a_replacement_fails_verify_and_names_the_table(store):
    make_night(store)
    first_acta = _first_t4_acta(store)
    old = store.table_keys(refresh=True)["T4"]
    new = _keys_of(store, "attacker")["T4"]
    position = _leaves(store)  # the swap's keys leaf goes here
    _swap_as_before(store, public_key(new))
    _forge_in_a_new_process(store, new)
    # The forged figures are counted in bulletin 5 (100 NO at T4), and the log agrees with the bulletin:
    assert store.bulletin(5).root is not None
    report = _report(store)
    assert not report.ok
    assert report.of("keys") == [
        f"table T4: its key was changed at log leaf {position:,} (from {_b64(old)} to {_b64(public_key(new))}), "
        f"after its first acta (leaf {first_acta:,}), without a logged replacement with its reason "
        "(escrutinio keys replace)"]
    assert report.total == 1  # the signatures and figures hold: the key is what is wrong
    assert report.replacements == []


def test_a_logged_replacement_verifies_and_is_listed_in_its_own_section(store):
    make_night(store)
    old = store.table_keys(refresh=True)["T4"]
    new = _keys_of(store, "new device")["T4"]
    position = _leaves(store)
    record = keys.replace_key(store, "T4", public_key(new), REASON, "results centre admin", _at(20))
    assert record == {"kind": "key_replacement", "table": "T4", "previous_key": _b64(old),
                      "key": _b64(public_key(new)), "operator": "results centre admin", "reason": REASON,
                      "at": "2024-05-05T22:20:00+00:00"}
    _forge(store, new)
    report = _report(store)
    assert report.ok, report.text()
    listed = (f"table T4: at log leaf {position:,} (2024-05-05T22:20:00+00:00), key {_b64(old)} replaced by "
              f"{_b64(public_key(new))}, by results centre admin: {REASON}")
    assert report.replacements == [listed]
    text = report.text()
    assert f"table key replacements logged with a reason: 1\n  - {listed}\n" in text
    assert text.endswith("result: OK — every check holds\n")


def test_an_acta_signed_with_the_new_key_before_the_replacement_is_still_refused(store):
    make_night(store)
    new = _keys_of(store, "new device")["T4"]
    record = keys.sign_record(store.election(), acta("T4", votes=FORGED), new)
    [outcome] = ingest_records(store, [Record("test", 1, record)], now=_at(20))
    assert outcome.result == "rejected"


def test_the_commands_replay_the_swap(store, tmp_path):
    """`keys replace` on the command line, then `verify`: exit 0 with the replacement listed; the same swap
    done as `keys register` used to do it: exit 1, naming the table."""
    make_night(store)
    old = store.table_keys(refresh=True)["T4"]
    new = _keys_of(store, "new device")["T4"]
    done = escrutinio(tmp_path, "keys", "replace", "T4", "--public-key", _b64(public_key(new)), "--reason", REASON,
                      "--operator", "admin on duty", "--db", store.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"table T4: key {_b64(old)} replaced by {_b64(public_key(new))}" in done.stdout
    _forge(store, new)
    done = escrutinio(tmp_path, "verify", "--db", store.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "table key replacements logged with a reason: 1\n  - table T4: at log leaf " in done.stdout
    assert f"by admin on duty: {REASON}" in done.stdout
    other = _keys_of(store, "attacker")["T4"]
    _swap_as_before(store, public_key(other))
    _forge_in_a_new_process(store, other, {"YES": 1, "NO": 99})
    done = escrutinio(tmp_path, "verify", "--db", store.url)
    assert done.returncode == 1
    assert "table T4: its key was changed at log leaf " in done.stdout


@pytest.mark.parametrize("reason, operator, message", [
    ("", "admin", "needs a written reason"),
    ("new device", " ", "needs a written operator's name"),
    ("bad\x00reason", "admin", "without control characters"),
])
def test_a_replacement_needs_its_reason_and_operator(store, reason, operator, message):
    make_night(store)
    before = _leaves(store)
    with pytest.raises(KeyChangeRefused, match=message):
        keys.replace_key(store, "T4", public_key(_keys_of(store, "x")["T4"]), reason, operator, _at(20))
    assert _leaves(store) == before


def test_a_replacement_needs_a_key_to_replace_and_a_different_one(store):
    make_night(store)
    held = store.table_keys(refresh=True)["T4"]
    with pytest.raises(KeyChangeRefused, match="already has this key"):
        keys.replace_key(store, "T4", held, REASON, "admin", _at(20))
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM table_key")
    store.table_keys(refresh=True)
    with pytest.raises(KeyChangeRefused, match="has no key to replace: register its first key"):
        keys.replace_key(store, "T4", held, REASON, "admin", _at(20))


def test_keys_register_refuses_to_overwrite_a_key(store, tmp_path):
    make_night(store)
    held = store.table_keys(refresh=True)
    before = _leaves(store)
    other = public_key(_keys_of(store, "attacker")["T4"])
    with pytest.raises(KeyChangeRefused, match=r"1 table\(s\) already have a different key registered \(T4\); "
                                               r"nothing was registered\. .*escrutinio keys replace TABLE"):
        keys.register_keys(store, {"T3": held["T3"], "T4": other}, _at(20))
    assert store.table_keys(refresh=True) == held and _leaves(store) == before
    # The same keys again change nothing and log nothing.
    assert keys.register_keys(store, dict(held), _at(20)) == 0
    assert _leaves(store) == before
    path = tmp_path / "keys.csv"
    path.write_text(f"table,public_key\nT4,{_b64(other)}\n", encoding="utf-8")
    done = escrutinio(tmp_path, "keys", "register", str(path), "--db", store.url)
    assert done.returncode == 1
    assert "already have a different key registered (T4)" in done.stderr
    assert store.table_keys(refresh=True) == held


def test_the_table_page_shows_the_replacement(store):
    make_night(store)
    old = store.table_keys(refresh=True)["T4"]
    new = public_key(_keys_of(store, "new device")["T4"])
    position = _leaves(store)
    keys.replace_key(store, "T4", new, REASON, "admin <on duty>", _at(20))
    client = TestClient(create_app(load_settings(database_url=store.url), store))
    data = client.get("/api/v1/tables/T4").json()
    assert data["key_replacements"] == [{"at": "2024-05-05T22:20:00+00:00", "previous_key": _b64(old),
                                         "key": _b64(new), "operator": "admin <on duty>", "reason": REASON,
                                         "log_position": position}]
    assert client.get("/api/v1/tables/T3").json()["key_replacements"] == []
    page = client.get("/tables/T4").text
    assert "admin &lt;on duty&gt;: " + REASON in page
    assert f"<code>{_b64(old)}</code>" in page and f"<code>{_b64(new)}</code>" in page
    assert "key-replacements" not in client.get("/tables/T3").text


def test_a_running_server_takes_the_replacement_made_elsewhere_at_its_next_batch(store):
    """The store object ingesting (a server) has T4's old key cached; the replacement is made through
    another (the command line, another process). Its next batch refuses the old key and takes the new."""
    make_night(store)
    old = keys.generate_keys(store.election(), seed="verify-tests")["T4"]
    new = _keys_of(store, "new device")["T4"]
    elsewhere = open_store(store.url, migrate=False)
    try:
        keys.replace_key(elsewhere, "T4", public_key(new), REASON, "admin", _at(20))
    finally:
        elsewhere.close()
    election = store.election()
    by_old = keys.sign_record(election, acta("T4", votes={"YES": 1, "NO": 99}), old)
    by_new = keys.sign_record(election, acta("T4", votes=FORGED), new)
    outcomes = ingest_records(store, [Record("test", 1, by_old), Record("test", 2, by_new)], now=_at(21))
    assert [o.result for o in outcomes] == ["rejected", "conflict"]
    assert "does not match table T4's key" in str(outcomes[0].problems[0])

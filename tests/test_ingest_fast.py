"""The fast ingest path gives exactly what the plain one gave.

The acta texts made from per-contest formats (ActaJson) equal json.dumps of the acta, byte for
byte; the log leaf assembled around the acta's text equals canonical_json of the record; the
rules' fast path returns what the full rules return (or leaves the record to them); the JSON
reader's fast path reads what the hooked one reads; Tally.set_many equals one Tally.set per slot;
and a tally kept by ingest_records equals the tally of the store.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escrutinio.domain import rules
from escrutinio.domain.canonical import ActaJson, canonical_json
from escrutinio.domain.errors import ActaRejected
from escrutinio.domain.merkle import leaf_hash
from escrutinio.domain.model import Acta, Contest, Option
from escrutinio.domain.tally import SlotState, Tally
from escrutinio.intake import signatures
from escrutinio.intake.actas import Record, loads
from escrutinio.services import ingest_records
from escrutinio.services import log as log_service
from escrutinio.services.bulletins import current_tally
from escrutinio.store.store import content_json, reasons_json

from .factory import acta as raw_acta
from .factory import small_election

ELECTION = small_election()
COUNT = st.integers(0, 2**31 - 1)
TEXT = st.text(max_size=12)  # any code point but surrogates: control characters, quotes, '%', non-ASCII


@st.composite
def contest_and_acta(draw) -> tuple[Contest, Acta]:
    codes = draw(st.lists(TEXT, min_size=1, max_size=5, unique=True))
    contest = Contest(draw(TEXT), draw(TEXT), tuple(Option(code, code) for code in codes), draw(st.booleans()))
    votes = [(code, draw(COUNT)) for code in draw(st.permutations(codes))]  # in any order
    return contest, Acta(draw(TEXT), contest.code, tuple(votes), draw(COUNT), draw(COUNT), draw(COUNT))


@given(contest_and_acta())
def test_acta_texts_equal_json_dumps(case):
    contest, acta = case
    assert ActaJson(contest).text(acta).encode() == canonical_json(acta.as_dict())
    assert content_json(contest).text(acta) == json.dumps(acta.as_dict(), sort_keys=True)


@given(contest_and_acta(), TEXT, st.dates(), st.none() | st.text(min_size=1))
def test_signed_text_equals_the_signing_payload(case, name, date, election_id):
    contest, acta = case
    election = dataclasses.replace(ELECTION, name=name, date=date, id=election_id)
    assert signatures.context(election) + signatures.signed_json(election, contest).text(acta).encode() == \
        signatures.signing_payload(election, acta)
    # Version 2 (an identifier) and version 1 (none), each as the signature spec writes it: raw UTF-8.
    fields = {"election": name, "date": date.isoformat(), **({"election_id": election_id} if election_id else {})}
    spec = json.dumps({**fields, **acta.as_dict()}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    version = b"escrutinio-acta-v2\n" if election_id else b"escrutinio-acta-v1\n"
    assert signatures.signing_payload(election, acta) == version + spec.encode("utf-8")


@given(contest_and_acta(), st.sampled_from(["drop", "extra"]))
def test_an_acta_not_shaped_by_the_rules_is_still_encoded_as_json_dumps(case, change):
    contest, acta = case
    votes = acta.votes[1:] if change == "drop" else acta.votes + (("not an option", 7),)
    odd = dataclasses.replace(acta, votes=votes)
    assert ActaJson(contest).text(odd).encode() == canonical_json(odd.as_dict())


def test_the_acta_text_is_the_documented_canonical_json():
    contest = Contest("P%d", "x", (Option("ñ", "n"), Option("A\"", "a")))
    text = ActaJson(contest).text(Acta("T\x01é", "P%d", (("ñ", 1), ('A"', 2)), 3, 0, 6))
    assert text == '{"ballots_cast":6,"blank":0,"contest":"P%d","null":3,"table":"T\\u0001é","votes":{"A\\"":2,"ñ":1}}'


@given(contest_and_acta(), st.integers(1, 2**40), st.sampled_from(["counted", "quarantined", "conflicting"]),
       st.lists(TEXT, max_size=3), st.none() | st.binary(min_size=64, max_size=64), TEXT,
       st.datetimes(timezones=st.timezones()), TEXT)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_acta_leaf_equals_canonical_json_of_the_record(case, acta_id, status, reasons, signature, source, at,
                                                       operator):
    contest, acta = case
    text = ActaJson(contest).text(acta)
    digest = canonical_json(acta.as_dict()).hex()[:64]
    leaf = log_service.acta_leaf(text, digest, signature, tuple(reasons), source, log_service.leaf_time(at))
    expected = canonical_json({"kind": "acta", "id": acta_id, "acta": acta.as_dict(), "digest": digest,
                               "signature": signatures.encode(signature) if signature else None,
                               "status": status, "reasons": reasons, "source": source, "operator": operator,
                               "received_at": at.astimezone(dt.timezone.utc).isoformat()})
    assert leaf.leaf(acta_id, status, operator) == ("acta", acta_id, expected, leaf_hash(expected))
    assert reasons_json(tuple(reasons)) == json.dumps(reasons, ensure_ascii=False)


# -- the rules' fast path ------------------------------------------------------------------------------------

VALUE = st.one_of(COUNT, st.integers(-5, 5), st.just(2**31), st.booleans(), st.none(), st.just(""),
                  st.just("7"), st.floats(allow_nan=False), st.lists(COUNT, max_size=1))
CODE = st.sampled_from(["T1", "T6", " T1", "T1 ", "T9", "", "Q", "R", "Z", "T\x00", "x" * 65]) | VALUE


@st.composite
def near_valid_records(draw) -> object:
    record = raw_acta(draw(st.sampled_from(["T1", "T2", "T6"])), draw(st.sampled_from(["Q", "R"])))
    if record["contest"] == "R" and draw(st.booleans()):
        record["blank"] = draw(COUNT)
        record["ballots_cast"] += draw(st.sampled_from([0, record["blank"]]))
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(["table", "contest", "null", "blank", "ballots_cast", "votes", "vote", "extra"]))
        if key == "vote" and isinstance(record.get("votes"), dict):
            record["votes"] = {**record["votes"], draw(st.sampled_from(["YES", "NO", "C1", "C4", "SI"])): draw(VALUE)}
        elif key in ("table", "contest"):
            record[key] = draw(CODE)
        elif draw(st.booleans()):
            record.pop(key, None)
        else:
            record[key] = draw(VALUE)
    if draw(st.integers(0, 9)) == 0:
        return list(record.items())
    return record


def _full_rules(record: object):
    fast, rules._well_formed = rules._well_formed, lambda election, record: None
    try:
        return rules.check_acta(ELECTION, record)
    except ActaRejected as exc:
        return exc.problems
    finally:
        rules._well_formed = fast


@given(near_valid_records())
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_the_rules_fast_path_returns_what_the_full_rules_return(record):
    fast = rules._well_formed(ELECTION, record)
    if fast is not None:
        assert fast == _full_rules(record)


def test_the_fast_path_takes_plain_actas_and_leaves_the_rest():
    assert rules._well_formed(ELECTION, raw_acta("T1")) is not None
    assert rules._well_formed(ELECTION, raw_acta("T1", "R", blank=4)) is not None
    assert rules._well_formed(ELECTION, raw_acta("T1", cast=1000)).quarantine_reasons  # over 300 registered
    for odd in ({**raw_acta("T1"), "table": " T1"}, {**raw_acta("T1"), "null": True},
                {**raw_acta("T1"), "votes": {"YES": 60, "NO": 40, "MAYBE": 0}}, raw_acta("T6", "R"),
                {**raw_acta("T1"), "blank": 3}):
        assert rules._well_formed(ELECTION, odd) is None


# -- reading JSON lines ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("digits", [1, 99, 100, 101, 5000])
def test_loads_keeps_long_numbers_as_text_either_way(digits):
    number = "7" * digits
    line = f'{{"table": "T1", "null": {number}, "votes": {{"YES": -{number}}}}}'
    expected = json.loads(line, parse_int=lambda t: int(t) if len(t.lstrip("-")) <= 100 else t)
    assert loads(line) == expected
    assert loads(line.encode()) == expected
    assert isinstance(loads(line)["null"], int) == (digits <= 100)


# -- the tally -----------------------------------------------------------------------------------------------

STATE = st.builds(lambda counts, received, quarantined, conflict, counted: SlotState(
    Acta("?", "R", tuple(zip(("C1", "C2", "C3"), counts[:3])), counts[3], counts[4], counts[5]) if counted else None,
    received, quarantined, conflict), st.lists(st.integers(0, 500), min_size=6, max_size=6),
    st.booleans(), st.booleans(), st.booleans(), st.booleans())


@given(st.lists(st.dictionaries(st.sampled_from(["T1", "T2", "T3", "T4", "T5"]), STATE, max_size=5), max_size=4))
def test_set_many_equals_one_set_per_slot(batches):
    one, many = Tally(ELECTION), Tally(ELECTION)
    for batch in batches:
        for table, state in batch.items():
            one.set(table, "R", state)
        many.set_many({(table, "R"): state for table, state in batch.items()})
    for code in ("Q", "R"):
        assert np.array_equal(one.contests[code].table_rows, many.contests[code].table_rows)
        assert np.array_equal(one.contests[code].node_rows, many.contests[code].node_rows)
    for code in ("Q", "R"):
        fresh = many.contests[code].node_rows.copy()
        many.contests[code].recompute()
        assert np.array_equal(fresh, many.contests[code].node_rows)


def test_a_tally_kept_by_ingest_equals_the_tally_of_the_store(small_store):
    at = dt.datetime(2024, 5, 5, 20, tzinfo=dt.timezone.utc)
    kept = Tally(small_store.election())
    batches = [
        [raw_acta("T1"), raw_acta("T2", "R", blank=5), raw_acta("T3", cast=999), raw_acta("T1")],
        [raw_acta("T1", votes={"YES": 61, "NO": 39}), raw_acta("T4"), raw_acta("T4", votes={"YES": 1, "NO": 99}),
         {**raw_acta("T5"), "null": -1}],
        [raw_acta("T2", "R", blank=5), raw_acta("T3", cast=100)],
    ]
    results = []
    for n, batch in enumerate(batches):
        outcomes = ingest_records(small_store, [Record("t", i + 1, r) for i, r in enumerate(batch)],
                                  now=at + dt.timedelta(minutes=n), tally=kept)
        results += [o.result for o in outcomes]
    assert results == ["accepted", "accepted", "quarantined", "already_present", "conflict", "accepted",
                       "conflict", "rejected", "already_present", "conflict"]
    stored = current_tally(small_store)
    for code in ("Q", "R"):
        assert np.array_equal(kept.contests[code].table_rows, stored.contests[code].table_rows)
        assert np.array_equal(kept.contests[code].node_rows, stored.contests[code].node_rows)

"""The compiled codec on the ingest path (msgspec) writes and reads what the standard library did.

Every stored and signed byte of an acta equals the old form (json.dumps, sorted keys), for any acta
(non-ASCII, quotes, control characters, any option codes); a JSON line decoded into a WireActa
and checked on the rules' fast path gives what json.loads and the full rules give.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escrutinio.domain.canonical import ActaJson, encode_sorted
from escrutinio.domain.errors import ActaRejected
from escrutinio.domain.merkle import leaf_hash
from escrutinio.domain.model import Acta, Contest, Option
from escrutinio.domain.rules import check_acta, well_formed
from escrutinio.intake import signatures
from escrutinio.intake.actas import WireActa, _decode_wire, loads, plain
from escrutinio.intake.actas import Record
from escrutinio.services import log as log_service

from .factory import small_election

ELECTION = small_election()
COUNT = st.integers(0, 2**31 - 1)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=10)
NON_ASCII = st.text(st.sampled_from("ñéü€中😀\u2028\x7f\x00\x1f\"\\%"), min_size=1, max_size=6)


def old_dumps(value: object, **style) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, **style).encode()


@st.composite
def actas(draw) -> tuple[Contest, Acta]:
    codes = draw(st.lists(TEXT | NON_ASCII, min_size=1, max_size=5, unique=True))
    contest = Contest(draw(TEXT | NON_ASCII), "c", tuple(Option(c, c) for c in codes), draw(st.booleans()))
    votes = tuple((c, draw(COUNT)) for c in draw(st.permutations(codes)))
    return contest, Acta(draw(TEXT | NON_ASCII), contest.code, votes, draw(COUNT), draw(COUNT), draw(COUNT))


@given(actas(), TEXT | NON_ASCII, st.dates(), st.none() | NON_ASCII)
def test_every_encoded_form_equals_the_old_bytes(case, name, date, election_id):
    contest, acta = case
    election = dataclasses.replace(ELECTION, name=name, date=date, id=election_id)
    assert ActaJson(contest).encode(acta) == old_dumps(acta.as_dict())
    fields = {"election": name, "date": date.isoformat(), **({"election_id": election_id} if election_id else {})}
    assert signatures.signed_json(election, contest).encode(acta) == old_dumps({**fields, **acta.as_dict()})
    assert encode_sorted(acta.as_dict()) == old_dumps(acta.as_dict())


@given(actas(), st.integers(0, 2**53), st.lists(TEXT | NON_ASCII, max_size=3),
       st.none() | st.binary(min_size=64, max_size=64), TEXT | NON_ASCII, TEXT | NON_ASCII,
       st.datetimes(timezones=st.timezones()))
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_the_acta_leaf_equals_the_old_bytes(case, acta_id, reasons, signature, source, operator, at):
    contest, acta = case
    text = ActaJson(contest).encode(acta)
    leaf = log_service.acta_leaf(text, "d" * 64, signature, tuple(reasons), source, log_service.leaf_time(at))
    expected = old_dumps({"kind": "acta", "id": acta_id, "acta": acta.as_dict(), "digest": "d" * 64,
                          "signature": signatures.encode(signature) if signature else None, "status": "counted",
                          "reasons": reasons, "source": source, "operator": operator,
                          "received_at": at.astimezone(dt.timezone.utc).isoformat()})
    assert leaf.leaf(acta_id, "counted", operator) == ("acta", acta_id, expected, leaf_hash(expected))


VALUE = st.one_of(COUNT, st.integers(-3, 3), st.just(2**31), st.just(2**70), st.booleans(), st.none(), st.just("7"),
                  st.floats(allow_nan=False, allow_infinity=False), st.lists(COUNT, max_size=1))
CODE = st.sampled_from(["T1", "T6", " T1", "T9", "", "Q", "R", "x" * 65, "T\x00", "ñ"]) | VALUE


@st.composite
def lines(draw) -> str:
    record = {"table": draw(CODE), "contest": draw(CODE),
              "votes": draw(st.dictionaries(st.sampled_from(["YES", "NO", "ñ", "SI"]), VALUE, max_size=3)),
              "null": draw(VALUE), "ballots_cast": draw(VALUE)}
    if draw(st.booleans()):
        record["blank"] = draw(VALUE)
    if draw(st.booleans()):
        record["signature"] = draw(st.sampled_from(["", "abc", None, 7]))
    if draw(st.booleans()):
        record["extra"] = 1
    for key in draw(st.lists(st.sampled_from(sorted(record)), max_size=2)):
        record.pop(key, None)
    return json.dumps(record, ensure_ascii=draw(st.booleans()))


def outcome(check, data):
    try:
        return check(ELECTION, data)
    except ActaRejected as exc:
        return exc.problems


@given(lines())
@settings(max_examples=400)
def test_decoding_into_a_wire_acta_checks_as_the_standard_library_did(line):
    expected = outcome(check_acta, json.loads(line))
    try:
        wire = _decode_wire(line)
    except Exception:  # noqa: BLE001 - the reader then reads the line as before (test_hostile, test_intake_files)
        return
    assert isinstance(wire, WireActa)
    assert wire.as_dict() == loads(line) == plain(Record("f", 1, wire, raw=line))
    fast = well_formed(ELECTION, wire.table, wire.contest, wire.votes, wire.null, wire.get("blank"),
                       wire.ballots_cast)
    assert (fast if fast is not None else outcome(check_acta, wire)) == expected
    assert wire.get("signature") == json.loads(line).get("signature")

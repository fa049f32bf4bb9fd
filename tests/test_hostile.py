"""Hostile input: fuzzed files, actas and definitions, and strict values and limits over HTTP.

- ``read_actas`` on any bytes, as .csv or .jsonl, never raises: every problem
  becomes a Record with its problems.
- ``check_acta`` on any JSON-like value raises nothing but ActaRejected.
- the definition loader on any TOML-ish text raises nothing but DefinitionError.
- POST /api/v1/actas answers every value of the wrong kind (booleans, floats,
  2**31, strings, objects, huge strings, control characters in codes,
  unknown fields) with 422 naming the field, and stores nothing; bodies over
  the limit, sent with a Content-Length or streamed without one, are cut at
  the limit with 413.
"""

from __future__ import annotations

import json
import socket
import tempfile
import threading
from pathlib import Path

import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escrutinio.domain.errors import ActaRejected, DefinitionError, Problem
from escrutinio.domain.model import Election
from escrutinio.domain.rules import Checked, check_acta
from escrutinio.intake import actas as acta_files
from escrutinio.intake.actas import Record, read_actas
from escrutinio.intake.definition import load_definition
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app

from .conftest import WAIT_SECONDS, wait_for
from .factory import acta, small_election
from .test_api import API, assert_problem, make_client, post

ELECTION = small_election()
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- acta files -------------------------------------------------------------------------

def read_all(path: Path, **options) -> list[Record]:
    records = list(read_actas(path, **options))
    for record in records:
        assert isinstance(record, Record)
        assert (record.data is None) == bool(record.problems), record
        assert all(isinstance(p, Problem) and p.message and p.action for p in record.problems), record
    return records


HEADER = b"table,contest,ballots_cast,null,blank,signature,YES,NO"
CSV_BITS = st.sampled_from([b",", b'"', b"\n", b"\r\n", b"\r", b"\x00", b" ", b"-", b"T1", b"Q", b"60", b"0",
                            b"\xff", b"\xef\xbb\xbf", b"9" * 40, b"\xc3\xa9", b"\t", b";", HEADER])
JSON_BITS = st.sampled_from([b"{", b"}", b"[", b"]", b'"', b":", b",", b"\n", b"null", b"true", b"NaN", b"1e999",
                             b"-", b"9" * 40, b'"table"', b'"votes"', b'"T1"', b'"\\ud800"', b"\xff", b" ",
                             json.dumps(acta("T1")).encode()])


@FUZZ
@given(content=st.binary(max_size=3000) | st.lists(CSV_BITS, max_size=80).map(b"".join),
       suffix=st.sampled_from([".csv", ".jsonl"]))
def test_read_actas_never_raises_on_any_bytes(content, suffix):
    with tempfile.TemporaryDirectory() as where:
        path = Path(where) / f"actas{suffix}"
        path.write_bytes(content)
        read_all(path)


@FUZZ
@given(lines=st.lists(st.lists(JSON_BITS, max_size=30).map(b"".join), max_size=10))
def test_read_actas_never_raises_on_json_lines_of_json_bits(lines):
    with tempfile.TemporaryDirectory() as where:
        path = Path(where) / "actas.jsonl"
        path.write_bytes(b"\n".join(lines))
        read_all(path)


@FUZZ
@given(rows=st.lists(st.lists(st.text(max_size=12) | st.integers().map(str), min_size=0, max_size=9), max_size=8))
def test_read_actas_never_raises_on_csv_rows_under_a_good_header(rows):
    import csv
    import io

    text = io.StringIO()
    csv.writer(text).writerows([HEADER.decode().split(","), *rows])
    with tempfile.TemporaryDirectory() as where:
        path = Path(where) / "actas.csv"
        path.write_text(text.getvalue(), encoding="utf-8", errors="surrogatepass")
        read_all(path)


GOOD_LINE = json.dumps(acta("T1", votes={"YES": 1, "NO": 1})).encode()


@pytest.mark.parametrize("name, content, results", [
    ("deep.jsonl", b"[" * 200_000 + b"\n" + GOOD_LINE, ["not valid JSON (nested too deeply)", "ok"]),
    ("long-number.jsonl", b'{"table": "T1", "contest": "Q", "votes": {"YES": ' + b"7" * 5000 + b', "NO": 1}, '
                          b'"null": 0, "ballots_cast": 1}\n' + GOOD_LINE, ["YES", "ok"]),
    ("long-number.csv", HEADER + b"\nT1,Q," + b"7" * 5000 + b",0,,,1,1\nT1,Q,2,0,,,1,1\n", ["ballots_cast", "ok"]),
    ("long-header.csv", b"table,contest," + b"x" * 200_000 + b"\nT1,Q,1\n", ["unreadable CSV header"]),
    ("long-cell.csv", HEADER + b"\nT1,Q,1,0,,," + b"1" * 200_000 + b",1\nT1,Q,2,0,,,1,1\n",
     ["unreadable CSV row", "ok"]),
])
def test_pathological_files_are_problems_not_crashes(tmp_path, name, content, results):
    """Each record: a problem of reading (its message), refused by the rules (the field), or "ok"."""
    path = tmp_path / name
    path.write_bytes(content)
    records = read_all(path)
    assert len(records) == len(results), records
    for record, expected in zip(records, results):
        if record.data is None:
            assert any(expected in p.message for p in record.problems), (expected, record.problems)
            continue
        try:
            check_acta(ELECTION, record.data)
        except ActaRejected as refused:
            assert expected in {p.field for p in refused.problems}, refused.problems
            assert all(len(p.message) < 300 for p in refused.problems)
        else:
            assert expected == "ok", record


def test_a_file_larger_than_the_limit_is_one_problem_naming_it(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text(HEADER.decode() + "\n" + "T1,Q,100,0,,,60,40\n" * 100, encoding="utf-8")
    size = path.stat().st_size
    [record] = read_all(path, max_bytes=size - 1)
    [problem] = record.problems
    assert problem.source == str(path) and f"{size:,}" in problem.message and f"{size - 1:,}" in problem.message
    assert "split" in problem.action
    assert len(read_all(path, max_bytes=size)) == 100
    assert acta_files.MAX_FILE_BYTES == 500_000_000


# -- the rules ----------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=80)
    | st.sampled_from(["T1", "T6", "Q", "R", "YES", "NO", "C1", "", " ", "T1\x00", "\ud800", "T" * 70]),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=20)
COUNTS = st.integers(min_value=-5, max_value=600) | JSON_VALUES
ACTA_LIKE = st.fixed_dictionaries({}, optional={
    "table": st.sampled_from(["T1", "T2", "T6", "T9"]) | JSON_VALUES,
    "contest": st.sampled_from(["Q", "R", "Z"]) | JSON_VALUES,
    "votes": st.dictionaries(st.sampled_from(["YES", "NO", "C1", "C2", "C3", "MAYBE"]) | st.text(max_size=70),
                             COUNTS, max_size=6) | JSON_VALUES,
    "null": COUNTS, "blank": COUNTS, "ballots_cast": COUNTS, "signature": JSON_VALUES,
    "extra": JSON_VALUES,
})


@FUZZ
@given(record=ACTA_LIKE | JSON_VALUES)
def test_check_acta_raises_nothing_but_acta_rejected(record):
    try:
        checked = check_acta(ELECTION, record)
    except ActaRejected as exc:
        assert exc.problems and all(p.message and p.action for p in exc.problems)
        assert all(len(p.message) < 500 and len(p.field) < 100 for p in exc.problems)
        json.dumps([vars(p) for p in exc.problems], ensure_ascii=False).encode()  # can be answered over HTTP
        return
    assert isinstance(checked, Checked)
    assert checked.acta.table in ELECTION.table_by_code and checked.acta.contest in ELECTION.contest_by_code


@pytest.mark.parametrize("value", [10**5000, -(10**5000), [[[[[[[[[[1]]]]]]]]]], "x" * 1_000_000, {"a": "b" * 10**6}],
                         ids=["huge-int", "huge-negative-int", "nested", "huge-string", "huge-object"])
def test_monstrous_values_are_refused_briefly(value):
    for field in ("table", "contest", "null", "ballots_cast", "votes"):
        with pytest.raises(ActaRejected) as refused:
            check_acta(ELECTION, {**acta("T1"), field: value})
        assert field in {p.field for p in refused.value.problems} or field == "votes"
        assert all(len(p.message) + len(p.action) < 500 for p in refused.value.problems)


# -- the election definition --------------------------------------------------------------

GOOD_DEFINITION = """
[election]
name = "Fuzz"
date = 2024-05-05
time_zone = "America/Caracas"
polls_open = "06:00"
polls_close = "18:00"
require_signatures = false

[[contest]]
code = "Q"
name = "Question"
options = [{ code = "YES", name = "Yes" }, { code = "NO", name = "No" }]

[geography]
levels = ["country", "region"]
areas = "areas.csv"
centres = "centres.csv"
tables = "tables.csv"
"""
TOML_VALUES = st.sampled_from([
    '"x"', '""', "0", "-1", "1e999", "nan", "true", "2024-05-05", "2024-05-05T10:00:00Z", "10:00:00", "[]", "{}",
    '["a", 1]', '[{ code = "A", name = "A" }]', '"America/Caracas"', '"../areas.csv"', '"areas.csv"',
    '"half_up"', "99999999999999999999", '"\\u0000"', '"' + "z" * 300 + '"', '"America"', '"tables.csv"',
])
TOML_KEYS = st.sampled_from([
    "name", "date", "time_zone", "polls_open", "polls_close", "locale", "percent_rule", "percent_decimals",
    "abstention_basis", "extra_voters_allowed", "require_signatures", "keys", "code", "options", "blank",
    "levels", "areas", "centres", "tables", "contest", "election", "geography"])
TOML_LINES = st.one_of(
    st.builds(lambda k, v: f"{k} = {v}", TOML_KEYS, TOML_VALUES),
    st.sampled_from(["[election]", "[[contest]]", "[geography]", "[[contest.options]]", "[election.x]", "[", "=",
                     '"', "# comment", ""]),
    st.text(max_size=30))


def definition_files(where: Path, text: str) -> Path:
    (where / "areas.csv").write_text("code,name,level,parent\nX,Country,country,\nN,North,region,X\n",
                                     encoding="utf-8")
    (where / "centres.csv").write_text("code,name,area\nC1,School,N\n", encoding="utf-8")
    (where / "tables.csv").write_text("code,centre,registered,contests\nT1,C1,100,\n", encoding="utf-8")
    path = where / "election.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


def load_or_refuse(path: Path) -> None:
    try:
        election = load_definition(path)
    except DefinitionError as exc:
        assert all(isinstance(p, Problem) for p in exc.problems)
        return
    assert isinstance(election, Election)


@FUZZ
@given(lines=st.lists(TOML_LINES, max_size=25), keep=st.booleans())
def test_the_definition_loader_raises_nothing_but_definition_error(lines, keep):
    with tempfile.TemporaryDirectory() as where:
        text = (GOOD_DEFINITION if keep else "") + "\n".join(lines)
        load_or_refuse(definition_files(Path(where), text))


@FUZZ
@given(text=st.text(max_size=400))
def test_the_definition_loader_on_any_text(text):
    with tempfile.TemporaryDirectory() as where:
        load_or_refuse(definition_files(Path(where), text))


@FUZZ
@given(lines=st.lists(st.integers(min_value=0, max_value=GOOD_DEFINITION.count("\n")), max_size=4),
       replacement=TOML_LINES)
def test_the_definition_loader_on_a_good_definition_with_lines_changed(lines, replacement):
    text = GOOD_DEFINITION.split("\n")
    for n in lines:
        text[n % len(text)] = replacement
    with tempfile.TemporaryDirectory() as where:
        load_or_refuse(definition_files(Path(where), "\n".join(text)))


PATHOLOGICAL_DEFINITIONS = [
    # Python refuses int() of over 4,300 digits (ValueError)
    pytest.param("tables.csv", "code,centre,registered,contests\nT1,C1,7" + "0" * 5000 + ",\n", "registered",
                 id="registered-of-5000-digits"),
    # open() refuses a path with a NUL byte (ValueError)
    pytest.param("election.toml", GOOD_DEFINITION.replace('areas = "areas.csv"', 'areas = "areas\\u0000.csv"'),
                 "geography.areas", id="nul-in-a-file-name"),
    # tomllib recurses once per level of nesting (RecursionError)
    pytest.param("election.toml", GOOD_DEFINITION + "deep = " + "[" * 5000 + "]" * 5000, "", id="deep-nesting"),
    # the store's code columns hold 64 characters: PostgreSQL refuses more when the election is created
    pytest.param("election.toml", GOOD_DEFINITION.replace('code = "Q"', f'code = "{"Q" * 65}"'), "contest[1].code",
                 id="contest-code-of-65-characters"),
]


@pytest.mark.parametrize("name, text, field", PATHOLOGICAL_DEFINITIONS)
def test_pathological_definitions_are_problems_not_crashes(tmp_path, name, text, field):
    path = definition_files(tmp_path, GOOD_DEFINITION)
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as refused:
        load_definition(path)
    assert field in [p.field for p in refused.value.problems], refused.value.problems


# -- strict values over HTTP --------------------------------------------------------------

GOOD = acta("T1")
STRICT = [
    ("YES", {"votes": {"YES": True, "NO": 40}}),
    ("null", {"null": False}),
    ("NO", {"votes": {"YES": 60, "NO": 40.0}}),
    ("ballots_cast", {"ballots_cast": 100.5}),
    ("null", {"null": 2**31}),
    ("YES", {"votes": {"YES": 2**31, "NO": 40}}),
    ("ballots_cast", {"ballots_cast": "100"}),
    ("YES", {"votes": {"YES": "60", "NO": 40}}),
    ("table", {"table": {"code": "T1"}}),
    ("contest", {"contest": ["Q"]}),
    ("null", {"null": {"n": 0}}),
    ("votes", {"votes": [60, 40]}),
    ("table", {"table": "T" * 1_000_000}),
    ("contest", {"contest": "Q" * 65}),
    ("table", {"table": "T1\x00"}),
    ("table", {"table": "T\x1b[31m1"}),
    ("contest", {"contest": "Q\x07"}),
    ("contest", {"contest": "\ud800"}),
    ("extra", {"extra": 1}),
    ("tabel", {"tabel": "T1"}),
]


@pytest.mark.parametrize("field, change", STRICT, ids=[f"{f}-{n}" for n, (f, _) in enumerate(STRICT)])
def test_values_of_the_wrong_kind_are_422_naming_the_field(client, small_store, field, change):
    body = json.dumps({**GOOD, **change}).encode()
    response = client.post(f"{API}/actas", content=body, headers={"Content-Type": "application/json"})
    problem = assert_problem(response, 422, detail="acta rejected")
    assert field in [e["field"] for e in problem["errors"]], problem["errors"]
    assert len(response.content) < 5_000, "the answer repeats a huge value"
    # the same in a batch
    batch = post(client, {"actas": [{**GOOD, **change}, GOOD]}).json()
    assert [o["result"] for o in batch["outcomes"]] == ["rejected", "accepted"]
    assert field in [e["field"] for e in batch["outcomes"][0]["errors"]]
    assert [(r.acta.table, r.acta.contest) for r in small_store.actas()] == [("T1", "Q")]


@pytest.mark.parametrize("body", [
    pytest.param(b"[" * 100_000, id="deep"),
    pytest.param(b'{"table": "T1", "contest": "Q", "votes": {"YES": ' + b"9" * 5000 + b', "NO": 1}, "null": 0, '
                 b'"ballots_cast": 1}', id="long-number"),
    pytest.param(b'{"table": "\\ud800", "\\udfff": 1}', id="surrogates"),
    pytest.param(b'{"table": "T1", "null": NaN, "x": Infinity}', id="nan"),
])
def test_hostile_json_is_a_problem_not_a_crash(client, small_store, body):
    response = client.post(f"{API}/actas", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422), response.text
    assert_problem(response, response.status_code)
    assert list(small_store.actas()) == []


def test_many_unknown_fields_or_options_are_answered_briefly(client, small_store):
    for item in ({**GOOD, **{f"x{n}": n for n in range(50_000)}},
                 {**GOOD, "votes": {f"O{n}": 1 for n in range(50_000)}}):
        response = post(client, item)
        assert_problem(response, 422)
        assert len(response.content) < 20_000
    assert list(small_store.actas()) == []


def test_the_batch_limit(client, small_store):
    assert_problem(post(client, {"actas": [0] * 10_001}), 413, detail="10,000")
    assert post(client, {"actas": [0] * 10_000}).json()["counts"]["rejected"] == 10_000
    assert list(small_store.actas()) == []


@pytest.fixture
def client(small_store):
    with make_client(small_store) as client:
        yield client


# -- the body limit, over a real socket ----------------------------------------------------

LIMIT = 200_000


@pytest.fixture
def live(small_store):
    """The app on a loopback port, with a body limit of LIMIT bytes; yields (port, token)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(small_store)  # only for its token
    token = client.headers["Authorization"]
    app = create_app(load_settings(database_url=small_store.url, max_body_bytes=LIMIT, rate_limit_per_second=0),
                     small_store)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, "uvicorn to start")
    yield port, token
    server.should_exit = True
    thread.join(WAIT_SECONDS)


def send_until_answered(port: int, head: bytes, chunks, cap: int) -> tuple[bytes, int]:
    """Send ``head`` then ``chunks`` until the server answers (or ``cap`` bytes are sent); (answer, bytes sent)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        sock.settimeout(0.05)
        answer = b""
        for chunk in chunks:
            try:
                answer = sock.recv(65536)
                if answer:
                    break
            except TimeoutError:
                pass
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
            if sent > cap:
                break
        sock.settimeout(10)
        while b"\r\n\r\n" not in answer:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    return answer, sent


def test_a_chunked_body_without_length_is_cut_at_the_limit(live, small_store):
    port, token = live
    head = (f"POST {API}/actas HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {token}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
    piece = b"[" + b" " * 16_000
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"

    def endless():
        for _ in range(100_000):  # 1.6 GB at most; the server must answer long before
            yield chunk

    answer, sent = send_until_answered(port, head, endless(), cap=64_000_000)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    # what the sockets' buffers hold aside, the server stopped reading at the limit
    assert sent < LIMIT + 16_000_000, f"the server read {sent:,} bytes before answering"
    assert list(small_store.actas()) == []


def test_a_declared_length_over_the_limit_is_413(live, small_store):
    port, token = live
    body = json.dumps({"actas": [GOOD] * 3000}).encode()
    assert len(body) > LIMIT
    head = (f"POST {API}/actas HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    answer, _ = send_until_answered(port, head, [body[i:i + 16_000] for i in range(0, len(body), 16_000)],
                                    cap=len(body))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert list(small_store.actas()) == []

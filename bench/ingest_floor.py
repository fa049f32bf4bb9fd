"""The least an acta's ingest can cost in CPython on this machine, besides its signature check.

    python bench/ingest_floor.py [--n 20000]

Times, per acta, the steps no ingest can skip, each done once and as cheaply as the standard
library allows: json.loads of the line, one canonical JSON encoding, one SHA-256, the base64
signature decoded, and one sqlite3 executemany of the acta and its log leaf (WAL, synchronous=FULL,
a commit per 1,000) — no rules, no tally, no SQLAlchemy. Beside them, the raw Ed25519 verification
(PyNaCl) and the budget the target "ingest per core ≥ 75 % of the raw verify rate" leaves for
everything else: 1/(0.75 × rate) − 1/rate.

``--codecs`` also compares the compiled JSON libraries the ingest path could use (msgspec, orjson)
against the standard library on the same lines: decoding a line (msgspec into a typed Struct, which
also checks every field's type in the same pass; orjson and json into a dict), and encoding the
canonical form (sorted keys, no white space, raw UTF-8), each checked to give json.dumps's bytes.
"""

from __future__ import annotations

import argparse
import base64
import gc
import hashlib
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE)]

from synth import CONTESTS, acta_record, synthetic_election  # noqa: E402


def per_acta(label: str, n: int, fn) -> float:
    """Best of three runs of ``fn``, per acta, with cyclic garbage collection paused as ingest_records does."""
    gc.collect()
    gc.disable()
    try:
        best = min(_timed(fn) for _ in range(3))
    finally:
        gc.enable()
    us = best / n * 1e6
    print(f"  {label:<56} {us:6.1f} µs")
    return us


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--codecs", action="store_true", help="also compare msgspec, orjson and json")
    args = parser.parse_args()
    n = args.n
    import nacl.signing

    election = synthetic_election(max(1000, n // 2))
    rng = random.Random(1)
    records = [acta_record(election, election.tables[i % len(election.tables)], CONTESTS[i % 2], rng)
               for i in range(n)]
    key = nacl.signing.SigningKey(b"\1" * 32)
    canonical = [json.dumps(r, sort_keys=True, separators=(",", ":")).encode() for r in records]
    signed = [(c, key.sign(c).signature) for c in canonical]
    lines = [json.dumps({**r, "signature": base64.b64encode(s).decode()}) for r, (_, s) in zip(records, signed)]
    verify = key.verify_key.verify

    print(f"per acta, {n:,} actas:")
    raw = per_acta("raw Ed25519 verify (PyNaCl)", n, lambda: [verify(c, s) for c, s in signed])
    data = [json.loads(line) for line in lines]
    floor = per_acta("json.loads of the line", n, lambda: [json.loads(line) for line in lines])
    floor += per_acta("canonical JSON, once", n, lambda: [json.dumps({k: v for k, v in d.items() if k != "signature"},
                                                                     sort_keys=True, separators=(",", ":")).encode()
                                                          for d in data])
    floor += per_acta("SHA-256, once", n, lambda: [hashlib.sha256(c).digest() for c in canonical])
    floor += per_acta("base64 decode of the signature", n, lambda: [base64.b64decode(d["signature"]) for d in data])
    with tempfile.TemporaryDirectory() as where:
        conn = sqlite3.connect(Path(where) / "floor.db")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE acta (id INTEGER PRIMARY KEY, table_id INT, contest_id INT, digest BLOB, "
                     "content BLOB, signature BLOB, status TEXT, received_at TEXT)")
        conn.execute("CREATE INDEX acta_slot ON acta (table_id, contest_id)")
        conn.execute("CREATE TABLE log_leaf (position INTEGER PRIMARY KEY, data BLOB, leaf_hash BLOB)")

        def store() -> None:
            for lo in range(0, n, 1000):
                chunk = range(lo, min(lo + 1000, n))
                with conn:
                    conn.executemany("INSERT INTO acta (table_id, contest_id, digest, content, signature, status, "
                                     "received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                     [(i, i % 2, b"d" * 32, canonical[i], signed[i][1], "counted", "2007-12-02")
                                      for i in chunk])
                    conn.executemany("INSERT INTO log_leaf (data, leaf_hash) VALUES (?, ?)",
                                     [(canonical[i], b"h" * 32) for i in chunk])

        floor += per_acta("sqlite3 executemany: acta + log leaf, commit per 1,000", n, store)
        conn.close()
    budget = 1 / 0.75 * raw - raw
    print(f"  {'floor besides the signature (sum)':<56} {floor:6.1f} µs")
    print(f"budget for everything but the signature at 75 % of the raw rate: {budget:.1f} µs; "
          f"with this floor the best ratio is {raw / (raw + floor):.0%}")
    if args.codecs:
        codecs(n, lines, data)


def codecs(n: int, lines: list[str], data: list[dict]) -> None:
    """Decode a line and encode the canonical form with json, orjson and msgspec (bytes checked equal)."""
    import msgspec
    import orjson

    class Wire(msgspec.Struct, forbid_unknown_fields=True):
        table: str
        contest: str
        votes: dict[str, int]
        null: int
        ballots_cast: int
        blank: int = 0
        signature: str = ""

    class Canonical(msgspec.Struct):
        ballots_cast: int
        blank: int
        contest: str
        null: int
        table: str
        votes: dict[str, int]

    raw_lines = [line.encode() for line in lines]
    bare = [{"blank": 0, **{k: v for k, v in d.items() if k != "signature"}} for d in data]  # as the rules store it
    expected = [json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() for d in bare]
    decoder = msgspec.json.Decoder(Wire)
    encoder = msgspec.json.Encoder(order="sorted")
    wires = [decoder.decode(b) for b in raw_lines]
    structs = [Canonical(w.ballots_cast, w.blank, w.contest, w.null, w.table, w.votes) for w in wires]
    assert [encoder.encode(s) for s in structs] == expected
    assert [orjson.dumps(d, option=orjson.OPT_SORT_KEYS) for d in bare] == expected
    print(f"JSON codecs, per acta, {n:,} actas (decode: one line; encode: the canonical form of a decoded acta):")
    per_acta("decode: json.loads (dict)", n, lambda: [json.loads(b) for b in raw_lines])
    per_acta("decode: orjson.loads (dict)", n, lambda: [orjson.loads(b) for b in raw_lines])
    per_acta("decode: msgspec.json.decode (dict)", n, lambda: [msgspec.json.decode(b) for b in raw_lines])
    per_acta("decode: msgspec into a typed Struct (fields checked)", n, lambda: [decoder.decode(b) for b in raw_lines])
    per_acta("encode: json.dumps, sorted keys", n,
             lambda: [json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() for d in bare])
    per_acta("encode: orjson.dumps OPT_SORT_KEYS (dict)", n,
             lambda: [orjson.dumps(d, option=orjson.OPT_SORT_KEYS) for d in bare])
    per_acta("encode: msgspec, sorted (dict)", n, lambda: [encoder.encode(d) for d in bare])
    per_acta("encode: msgspec, a Struct made from the decoded one", n,
             lambda: [encoder.encode(Canonical(w.ballots_cast, w.blank, w.contest, w.null, w.table, w.votes))
                      for w in wires])


if __name__ == "__main__":
    main()

"""The least an acta's ingest can cost in CPython on this machine, besides its signature check.

    python bench/ingest_floor.py [--n 20000]

Times, per acta, the steps no ingest can skip, each done once and as cheaply as the standard
library allows: json.loads of the line, one canonical JSON encoding, one SHA-256, the base64
signature decoded, and one sqlite3 executemany of the acta and its log leaf (WAL, synchronous=FULL,
a commit per 1,000) — no rules, no tally, no SQLAlchemy. Beside them, the raw Ed25519 verification
(PyNaCl) and the budget the target "ingest per core ≥ 75 % of the raw verify rate" leaves for
everything else: 1/(0.75 × rate) − 1/rate.
"""

from __future__ import annotations

import argparse
import base64
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
    start = time.perf_counter()
    fn()
    us = (time.perf_counter() - start) / n * 1e6
    print(f"  {label:<56} {us:6.1f} µs")
    return us


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000)
    n = parser.parse_args().n
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


if __name__ == "__main__":
    main()

"""Table keys: generate them (for the demo and tests), register them, sign actas with them."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from ..domain.errors import ActaRejected, DefinitionError, Problem
from ..domain.model import Election
from ..domain.rules import check_acta
from ..intake import signatures
from ..intake.actas import read_actas
from ..store import Store
from . import log
from .clock import now_utc

PUBLIC_FILE = "table-keys.csv"
SECRET_FILE = "table-keys.secret.csv"
KEYS_PER_LEAF = 5000  # a registration of more tables is logged as several keys leaves (about 300 kB each)


def generate_keys(election: Election, seed: str | None = None) -> dict[str, bytes]:
    """A private key per table: random, or derived from ``seed`` (reproducible, for demos only)."""
    return {t.code: signatures.new_private_key(None if seed is None else f"{seed}\n{t.code}".encode())
            for t in election.tables}


def write_keys(private: dict[str, bytes], out: str | Path) -> tuple[Path, Path]:
    """The public keys (to register) and the private keys (for the devices: keep secret)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    public_path, secret_path = out / PUBLIC_FILE, out / SECRET_FILE
    _write(public_path, "public_key", {t: signatures.public_key(k) for t, k in private.items()})
    _write(secret_path, "private_key", private)
    secret_path.chmod(0o600)
    return public_path, secret_path


def _write(path: Path, column: str, keys: dict[str, bytes]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["table", column])
        writer.writerows((table, signatures.encode(key)) for table, key in keys.items())


def read_keys(path: str | Path, election: Election, column: str = "public_key") -> dict[str, bytes]:
    """Keys by table from a CSV (table,<column>); every problem listed, nothing returned if any."""
    keys, problems = {}, []
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not {"table", column} <= set(reader.fieldnames or []):
            raise DefinitionError(f"cannot read keys from {path}", [Problem(
                column, f"the header must be: table,{column}", "use a file made by `escrutinio keys generate`",
                str(path), 1)])
        for row in reader:
            table, raw = (row.get("table") or "").strip(), signatures.decode(row.get(column) or "", 32)
            if table not in election.table_by_code:
                problems.append(Problem("table", f"unknown table {table!r}", "check the table code",
                                        str(path), reader.line_num))
            elif raw is None:
                problems.append(Problem(column, "not a base64 Ed25519 key of 32 bytes",
                                        "copy the key exactly as generated", str(path), reader.line_num))
            else:
                keys[table] = raw
    if problems:
        raise DefinitionError(f"keys file {path} has {len(problems)} problem(s); nothing was registered", problems)
    return keys


def register_keys(store: Store, public_keys: dict[str, bytes], now: dt.datetime | None = None) -> int:
    """Register (or replace) tables' public keys, and log them in the same transaction.

    The keys go into the public log as keys leaves (at most KEYS_PER_LEAF tables each, in table order), so
    a key vouches only for the actas logged after it.
    """
    when = now or now_utc()
    tables = sorted(public_keys)
    with store.log_writing() as conn:
        store.set_table_keys(conn, public_keys, when)
        store.append_log(conn, [log.keys_leaf({t: public_keys[t] for t in tables[i:i + KEYS_PER_LEAF]})
                                for i in range(0, len(tables), KEYS_PER_LEAF)], when)
    return len(public_keys)


def register_keys_file(store: Store, path: str | Path) -> int:
    return register_keys(store, read_keys(path, store.election()))


def sign_record(election: Election, record: dict, private: bytes) -> dict:
    """``record`` with its "signature", over the acta it describes (it must pass the rules' shape checks)."""
    acta = check_acta(election, record).acta
    return {**record, "signature": signatures.encode(signatures.sign(private, signatures.signing_payload(election,
                                                                                                      acta)))}


def sign_files(election: Election, paths: list[Path], secret: Path, out: Path) -> tuple[list[Path], list[Problem]]:
    """Signed JSON Lines copies of acta files; rows that cannot be read or checked are listed, not signed."""
    private = read_keys(secret, election, column="private_key")
    out.mkdir(parents=True, exist_ok=True)
    written, problems = [], []
    for path in paths:
        target = out / f"{Path(path).stem}.signed.jsonl"
        with target.open("w", encoding="utf-8") as handle:
            for record in read_actas(path):
                signed, trouble = _signed(election, record, private)
                problems += trouble
                if signed:
                    handle.write(json.dumps(signed, ensure_ascii=False) + "\n")
        written.append(target)
    return written, problems


def _signed(election: Election, record, private: dict[str, bytes]) -> tuple[dict | None, list[Problem]]:
    if record.data is None:
        return None, record.problems
    data = {k: v for k, v in record.data.items() if k != "signature"}
    key = private.get(data.get("table"))
    if key is None:
        return None, [Problem("table", f"no private key for table {data.get('table')!r}",
                              "sign with the keys file of this election", record.source, record.row)]
    try:
        return sign_record(election, data, key), []
    except ActaRejected as exc:
        return None, [p.located(record.source, record.row) for p in exc.problems]

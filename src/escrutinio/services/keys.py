"""Table keys: generate them (for the demo and tests), register them, sign actas with them."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from ..domain.errors import ActaRejected, DefinitionError, KeyChangeRefused, NotFound, Problem
from ..domain.model import Election
from ..domain.rules import check_acta
from ..intake import signatures
from ..intake.actas import plain, read_actas
from ..store import Store
from . import log
from .clock import now_utc
from .resolve import MAX_TEXT

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
    """Register tables' first public keys, and log them in the same transaction; returns how many.

    The keys go into the public log as keys leaves (at most KEYS_PER_LEAF tables each, in table order), so
    a key vouches only for the actas logged after it. A table registered again with the key it has is
    left as it is; one with a different key is refused (nothing is registered): a key changes only by
    :func:`replace_key`, with its reason on record.
    """
    when = now or now_utc()
    with store.log_writing() as conn:
        held = store.held_keys(conn, list(public_keys))
        changed = sorted(t for t, key in held.items() if public_keys[t] != key)
        if changed:
            shown = ", ".join(changed[:10]) + (f" and {len(changed) - 10:,} more" if len(changed) > 10 else "")
            raise KeyChangeRefused(f"{len(changed):,} table(s) already have a different key registered ({shown}); "
                                   "nothing was registered. Replace a table's key one by one with `escrutinio keys "
                                   "replace TABLE --public-key … --reason … --operator …`")
        new = {t: key for t, key in public_keys.items() if t not in held}
        if not new:
            return 0
        tables = sorted(new)
        store.set_table_keys(conn, new, when)
        store.append_log(conn, [log.keys_leaf({t: new[t] for t in tables[i:i + KEYS_PER_LEAF]})
                                for i in range(0, len(tables), KEYS_PER_LEAF)], when)
    return len(new)


def parse_public_key(text: str) -> bytes | None:
    """The 32 bytes of an Ed25519 public key written in base64, or None."""
    return signatures.decode(text, 32)


def replace_key(store: Store, table: str, public_key: bytes, reason: str, operator: str,
                now: dt.datetime | None = None) -> dict:
    """Replace ``table``'s registered key by ``public_key``, an explicit act logged with its operator and
    reason (a key_replacement leaf): an acta signed with the new key counts only from then on, and the
    table's page and ``escrutinio verify`` list the replacement. Returns the leaf's record."""
    _check_words(reason, operator)
    if len(public_key) != 32:
        raise KeyChangeRefused("the new key must be an Ed25519 public key of 32 bytes")
    if table not in store.election().table_by_code:
        raise NotFound("table", table)
    when = now or now_utc()
    with store.log_writing() as conn:
        previous = store.held_keys(conn, [table]).get(table)
        if previous is None:
            raise KeyChangeRefused(f"table {table} has no key to replace: register its first key with "
                                   "`escrutinio keys register`")
        if previous == public_key:
            raise KeyChangeRefused(f"table {table} already has this key: nothing to replace")
        store.set_table_keys(conn, {table: public_key}, when)
        leaf = log.key_replacement_leaf(table, store.ids.table[table], previous, public_key, operator.strip(),
                                        reason.strip(), when)
        store.append_log(conn, [leaf], when)
    return json.loads(leaf[2])


def key_replacements(store: Store, table: str) -> list[dict]:
    """Every replacement of ``table``'s key, oldest first, read from the public log (what it commits to)."""
    return [{**json.loads(leaf["data"]), "log_position": leaf["position"]}
            for leaf in store.log_leaves_of("key_replacement", store.ids.table[table])]


def _check_words(reason: str, operator: str) -> None:
    for what, text, option in (("reason", reason, "--reason"), ("operator's name", operator, "--operator")):
        if not text or not text.strip():
            raise KeyChangeRefused(f"a key replacement needs a written {what} ({option})")
        if len(text) > MAX_TEXT or any(ord(ch) < 32 and ch not in "\t" for ch in text):
            raise KeyChangeRefused(f"the {what} must be at most {MAX_TEXT} characters, without control characters")


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
    data = {k: v for k, v in plain(record).items() if k != "signature"}
    key = private.get(data.get("table"))
    if key is None:
        return None, [Problem("table", f"no private key for table {data.get('table')!r}",
                              "sign with the keys file of this election", record.source, record.row)]
    try:
        return sign_record(election, data, key), []
    except ActaRejected as exc:
        return None, [p.located(record.source, record.row) for p in exc.problems]

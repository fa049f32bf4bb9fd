"""Take actas in: rules, dedupe, conflicts, one transaction per batch.

An acta is acknowledged (its outcome returned) only after the transaction
holding it has committed.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..domain.canonical import digest
from ..domain.errors import ActaRejected, Problem, WriteConflict
from ..domain.model import COUNTED, CONFLICTING, QUARANTINED, ActaEvent
from ..domain.rules import Checked, check_acta
from ..intake import signatures
from ..intake.actas import Record, count_rows, read_actas
from ..store import Store
from . import log
from .clock import now_utc

ACCEPTED = "accepted"
ALREADY_PRESENT = "already_present"
CONFLICT = "conflict"
REJECTED = "rejected"
OUTCOMES = (ACCEPTED, ALREADY_PRESENT, CONFLICT, QUARANTINED, REJECTED)
BATCH = 1000
SYSTEM = "system"


@dataclass(frozen=True)
class Outcome:
    """What happened to one acta."""

    source: str
    row: int | None
    result: str
    table: str | None = None
    contest: str | None = None
    acta_id: int | None = None
    reasons: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()


@dataclass
class IngestReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        seen = Counter(o.result for o in self.outcomes)
        return {name: seen.get(name, 0) for name in OUTCOMES}

    @property
    def problems(self) -> list[Problem]:
        return [p for o in self.outcomes for p in o.problems]


def ingest_records(store: Store, records: Iterable[Record], *, now: dt.datetime | None = None,
                   operator: str = SYSTEM) -> list[Outcome]:
    """Check and store one batch of records in one transaction; outcomes in input order."""
    election = store.election()
    when = now or now_utc()
    checked: list[tuple[Record, Checked | None, tuple[Problem, ...]]] = []
    for record in records:
        if record.data is None:
            checked.append((record, None, tuple(record.problems)))
            continue
        try:
            item = check_acta(election, record.data)
        except ActaRejected as exc:
            checked.append((record, None, tuple(p.located(record.source, record.row) for p in exc.problems)))
            continue
        problem = _signature_problem(store, election, item, record.data) if election.require_signatures else None
        if problem:
            checked.append((record, None, (problem.located(record.source, record.row),)))
        else:
            checked.append((record, item, ()))
    for attempt in range(3):
        try:
            return _store_batch(store, checked, when, operator)
        except WriteConflict:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


_verifiers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _verifier(store: Store, table: str) -> signatures.Verifier:
    """The verifier of ``store``'s registered keys, read again when a table's key is not known yet."""
    found = _verifiers.get(store)
    if found is None or not found.has_key(table):
        found = _verifiers[store] = signatures.Verifier(store.table_keys(refresh=found is not None))
    return found


def _signature_problem(store: Store, election, item: Checked, data: dict) -> Problem | None:
    table = item.acta.table
    given = data.get("signature")
    if given is None or given == "":
        return Problem("signature", "the acta is not signed",
                       f"sign it with table {table}'s key (docs/security.md) and send it again")
    raw = signatures.decode(given, 64)
    if raw is None:
        return Problem("signature", "not a base64 Ed25519 signature of 64 bytes",
                       "send the signature exactly as the table's device made it")
    verifier = _verifier(store, table)
    if not verifier.has_key(table):
        return Problem("signature", f"table {table} has no registered key",
                       "register the table's public key (escrutinio keys register) and send the acta again")
    if not verifier.verify(table, signatures.signing_payload(election, item.acta), raw):
        return Problem("signature", f"the signature does not match table {table}'s key and this acta's figures",
                       "send the acta exactly as signed by this table's own device")
    return None


def _store_batch(store: Store, checked, when: dt.datetime, operator: str) -> list[Outcome]:
    slots = [(c.acta.table, c.acta.contest) for _, c, _ in checked if c is not None]
    with store.log_writing() as conn:
        held = store.slot_actas(conn, slots)
        planned = [_plan(record, item, problems, held) for record, item, problems in checked]
        new = [p for p in planned if p.insert]
        ids = store.add_actas(conn, [(p.item.acta, p.digest, p.status, p.item.quarantine_reasons,
                                      _where(p.record), when, _signature(p.record)) for p in new])
        for plan, acta_id in zip(new, ids):
            plan.acta_id = acta_id
        store.add_events(conn, [ActaEvent(p.acta_id, when, p.status, operator,
                                          "; ".join(p.item.quarantine_reasons)) for p in new])
        store.append_log(conn, [log.acta_leaf(p.acta_id, p.item.acta, p.digest, _signature(p.record), p.status,
                                              p.item.quarantine_reasons, _where(p.record), when) for p in new], when)
    return [p.outcome() for p in planned]


@dataclass
class _Plan:
    """What one record will do to the store, decided before anything is written."""

    record: Record
    item: Checked | None
    problems: tuple[Problem, ...]
    result: str
    status: str = ""
    digest: str = ""
    acta_id: int | None = None
    reasons: tuple[str, ...] = ()
    insert: bool = False
    twin: object = None  # the stored acta (or earlier plan) this one repeats

    @property
    def id(self) -> int | None:
        return self.twin.id if self.twin is not None else self.acta_id

    def outcome(self) -> Outcome:
        acta = self.item.acta if self.item else None
        return Outcome(self.record.source, self.record.row, self.result, acta.table if acta else None,
                       acta.contest if acta else None, self.id, self.reasons, self.problems)


def _plan(record: Record, item: Checked | None, problems: tuple[Problem, ...], held: dict) -> _Plan:
    if item is None:
        return _Plan(record, None, problems, REJECTED)
    acta = item.acta
    key = digest(acta.as_dict())
    existing: list = held[(acta.table, acta.contest)]
    same = next((r for r in existing if r.digest == key), None)
    if same is not None:
        return _Plan(record, item, (), ALREADY_PRESENT, same.status, key, reasons=same.reasons, twin=same)
    if existing:
        status, result = CONFLICTING, CONFLICT
    elif item.quarantined:
        status, result = QUARANTINED, QUARANTINED
    else:
        status, result = COUNTED, ACCEPTED
    plan = _Plan(record, item, (), result, status, key, None, item.quarantine_reasons, insert=True)
    existing.append(plan)  # later records of this batch see it
    return plan


def _signature(record: Record) -> bytes | None:
    given = record.data.get("signature") if record.data else None
    return signatures.decode(given, 64) if given else None


def _where(record: Record) -> str:
    return f"{record.source}:{record.row}" if record.row else record.source


def ingest_files(store: Store, paths: Iterable[str | Path], *, now: dt.datetime | None = None,
                 operator: str = SYSTEM, progress: Callable[[int], None] | None = None) -> IngestReport:
    """Ingest CSV / JSON Lines acta files, in batches; every problem is reported."""
    report = IngestReport()
    for path in paths:
        batch: list[Record] = []
        for record in read_actas(path):
            batch.append(record)
            if len(batch) >= BATCH:
                report.outcomes += ingest_records(store, batch, now=now, operator=operator)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            report.outcomes += ingest_records(store, batch, now=now, operator=operator)
            if progress:
                progress(len(batch))
    return report


def total_rows(paths: Iterable[str | Path]) -> int:
    """Lines in the given files, for a progress bar's length."""
    total = 0
    for path in paths:
        try:
            total += count_rows(Path(path))
        except OSError:
            continue
    return total

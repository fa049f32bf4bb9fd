"""Take actas in: rules, dedupe, conflicts, one transaction per batch.

An acta is acknowledged (its outcome returned) only after the transaction
holding it has committed.
"""

from __future__ import annotations

import datetime as dt
import gc
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from ..domain.canonical import ActaJson, sha256_hex
from ..domain.errors import ActaRejected, Problem, StoreUnavailable, WriteConflict
from ..domain.model import COUNTED, CONFLICTING, QUARANTINED, Acta, ActaEvent, Election
from ..domain.rules import check_acta
from ..domain.tally import Tally, slot_state
from ..intake import signatures
from ..intake.actas import Record, count_rows, read_actas
from ..store import Store
from ..store.store import content_json, reasons_json
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
                   operator: str = SYSTEM, tally: Tally | None = None) -> list[Outcome]:
    """Check and store one batch of records in one transaction; outcomes in input order.

    Rules, signatures and every encoding are done before the log's write lock is taken, so that
    concurrent writers wait for each other as little as possible. ``tally``, if given, is then
    brought up to date with every slot the batch stored an acta in.
    """
    when = now or now_utc()
    with _no_cyclic_collection():
        batch = _Batch(store, when)
        plans = [batch.check(record) for record in records]
        for attempt in range(3):
            try:
                held = _store_batch(store, plans, when, operator)
                break
            except WriteConflict:
                if attempt == 2:
                    raise
            except StoreUnavailable:
                # Once, on fresh connections: the pool has dropped every one opened before the fault,
                # so a database writable again takes the batch; one still failing answers "unavailable".
                if attempt > 0:
                    raise
        if tally is not None:
            tally.set_many({slot: slot_state(held[slot]) for slot in dict.fromkeys(p.slot for p in plans if p.insert)})
        return [p.outcome() for p in plans]


@contextmanager
def _no_cyclic_collection() -> Iterator[None]:
    """Automatic garbage collection paused for one batch (as Mercurial's ``util.nogc`` does).

    A batch makes tens of thousands of objects, all freed by reference counting, so the collections
    their allocation sets off find nothing to free; each one that reaches the oldest generation
    still walks every object of the election, the keys and the tally: a tenth of an acta's ingest
    time at 30,000 tables. Collection resumes afterwards, unless it had been paused by someone else.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(slots=True)
class _Plan:
    """One record: checked and encoded before the write lock, then what it does to the store, decided under it."""

    record: Record
    acta: Acta | None = None
    quarantine_reasons: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    slot: tuple[str, str] = ("", "")
    digest: str = ""
    content: str = ""  # the stored JSON texts of the acta and of its reasons
    reasons_json: str = ""
    source: str = ""
    signature: bytes | None = None
    leaf: log.ActaLeaf | None = None
    result: str = REJECTED
    status: str = ""
    reasons: tuple[str, ...] = ()
    insert: bool = False
    acta_id: int | None = None
    twin: object = None  # the stored acta (or earlier plan) this one repeats

    @property
    def id(self) -> int | None:
        return self.twin.id if self.twin is not None else self.acta_id

    def outcome(self) -> Outcome:
        acta = self.acta
        return Outcome(self.record.source, self.record.row, self.result, acta.table if acta else None,
                       acta.contest if acta else None, self.id, self.reasons, self.problems)


class _Encoders(NamedTuple):
    canonical: ActaJson
    signed: ActaJson
    content: ActaJson


class _Batch:
    """What checking the records of one batch needs: the election, its encoders, the table keys."""

    def __init__(self, store: Store, when: dt.datetime):
        self.store, self.election = store, store.election()
        self.encoders, self.received = _encoders(store, self.election), log.leaf_time(when)
        self.verifier: signatures.Verifier | None = _current_verifier(store)

    def check(self, record: Record) -> _Plan:
        """Rules and signature of one record; the acta encoded if it passes."""
        if record.data is None:
            return _Plan(record, problems=tuple(record.problems))
        try:
            item = check_acta(self.election, record.data)
        except ActaRejected as exc:
            return _Plan(record, problems=tuple(p.located(record.source, record.row) for p in exc.problems))
        acta, encoder = item.acta, self.encoders[item.acta.contest]
        given = record.data.get("signature")
        signature = signatures.decode(given, 64) if given else None
        if self.election.require_signatures:
            problem = _signature_problem(self, acta, given, signature, encoder.signed)
            if problem:
                return _Plan(record, problems=(problem.located(record.source, record.row),))
        text, source, reasons = encoder.canonical.text(acta), _where(record), item.quarantine_reasons
        key = sha256_hex(text.encode())
        return _Plan(record, acta, reasons, (), (acta.table, acta.contest), key, encoder.content.text(acta),
                     reasons_json(reasons), source, signature,
                     log.acta_leaf(text, key, signature, reasons, source, self.received))

    def verifier_for(self, table: str) -> signatures.Verifier:
        if self.verifier is None or not self.verifier.has_key(table):
            self.verifier = _verifier(self.store, table)
        return self.verifier


_encoders_of: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _encoders(store: Store, election: Election) -> dict[str, _Encoders]:
    """Per contest code, the encoders of its actas (made once per store and election)."""
    found = _encoders_of.get(store)
    if found is None or found[0] is not election:
        found = _encoders_of[store] = (election, {c.code: _Encoders(ActaJson(c), signatures.signed_json(election, c),
                                                                    content_json(c)) for c in election.contests})
    return found[1]


_verifiers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _current_verifier(store: Store) -> signatures.Verifier | None:
    """The cached verifier of ``store``'s keys, unless a key was replaced since it was made (in this process
    or another: the count of key replacements in the log is one indexed look-up), so that a replaced key
    stops vouching at once."""
    found = _verifiers.get(store)
    if found is not None and found[0] != store.key_replacement_count():
        del _verifiers[store]
        return None
    return found[1] if found else None


def _verifier(store: Store, table: str) -> signatures.Verifier:
    """The verifier of ``store``'s registered keys, read again when a table's key is not known yet."""
    found = _verifiers.get(store)
    if found is None or not found[1].has_key(table):
        replaced = store.key_replacement_count()
        found = _verifiers[store] = (replaced, signatures.Verifier(store.table_keys(refresh=True)))
    return found[1]


def _signature_problem(batch: _Batch, acta: Acta, given: object, raw: bytes | None,
                       signed: ActaJson) -> Problem | None:
    """What is wrong with the signature ``given`` (``raw``: it decoded), or None."""
    table = acta.table
    if given is None or given == "":
        return Problem("signature", "the acta is not signed",
                       f"sign it with table {table}'s key (docs/security.md) and send it again")
    if raw is None:
        return Problem("signature", "not a base64 Ed25519 signature of 64 bytes",
                       "send the signature exactly as the table's device made it")
    verifier = batch.verifier_for(table)
    if not verifier.has_key(table):
        return Problem("signature", f"table {table} has no registered key",
                       "register the table's public key (escrutinio keys register) and send the acta again")
    if not verifier.verify(table, signatures.context(batch.election) + signed.text(acta).encode(), raw):
        return Problem("signature", f"the signature does not match table {table}'s key and this acta's figures "
                       "for this election",
                       "send the acta exactly as signed by this table's own device for this election (its "
                       "identifier is in the signed bytes: an acta signed for a drill or another election is "
                       "refused)")
    return None


def _store_batch(store: Store, plans: list[_Plan], when: dt.datetime, operator: str) -> dict:
    """Decide and write the batch under the log's write lock; what each slot it names holds afterwards."""
    with store.log_writing() as conn:
        held = store.slot_actas(conn, [p.slot for p in plans if p.acta is not None])
        for plan in plans:
            _plan(plan, held)
        new = [p for p in plans if p.insert]
        ids = store.insert_actas(conn, [(*p.slot, p.digest, p.content, p.status, p.reasons_json, p.source, when,
                                         p.signature) for p in new])
        for plan, acta_id in zip(new, ids):
            plan.acta_id = acta_id
        store.add_events(conn, [ActaEvent(p.acta_id, when, p.status, operator, "; ".join(p.reasons)) for p in new])
        store.append_log(conn, [p.leaf.leaf(p.acta_id, p.status, operator) for p in new], when)
    return held


def _plan(plan: _Plan, held: dict) -> None:
    """Decide what ``plan`` does, given what its slot holds (decided afresh if the transaction is retried)."""
    if plan.acta is None:
        return
    existing: list = held[plan.slot]
    same = next((r for r in existing if r.digest == plan.digest), None) if existing else None
    plan.insert, plan.acta_id, plan.twin = False, None, same
    if same is not None:
        plan.result, plan.status, plan.reasons = ALREADY_PRESENT, same.status, same.reasons
        return
    if existing:
        plan.status, plan.result = CONFLICTING, CONFLICT
    elif plan.quarantine_reasons:
        plan.status, plan.result = QUARANTINED, QUARANTINED
    else:
        plan.status, plan.result = COUNTED, ACCEPTED
    plan.reasons, plan.insert = plan.quarantine_reasons, True
    existing.append(plan)  # later records of this batch see it


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

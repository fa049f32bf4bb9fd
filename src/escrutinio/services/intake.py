"""Take actas in: rules, dedupe, conflicts, one transaction per batch.

An acta is acknowledged (its outcome returned) only after the transaction
holding it has committed.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from msgspec import UNSET

from ..domain.canonical import ActaJson, sha256_hex
from ..domain.errors import ActaRejected, ManualEntryRefused, Problem, StoreUnavailable, WriteConflict
from ..domain.model import (AWAITING, COUNTED, CONFLICTING, MANUAL, QUARANTINED, SET_ASIDE, Acta, ActaEvent,
                            ActaRecord, Election)
from ..domain.rules import check_acta, well_formed
from ..domain.tally import Tally, slot_state
from ..intake import signatures
from ..intake.actas import Record, WireActa, check_json_shape, count_rows, plain, read_actas
from ..store import Store
from ..store.store import content_json, pack_counts, reasons_json
from . import log
from .clock import now_utc
from .tokens import operator_label

ACCEPTED = "accepted"
ALREADY_PRESENT = "already_present"
CONFLICT = "conflict"
REJECTED = "rejected"
AWAITING_SECOND_ENTRY = AWAITING  # a manual entry's first: kept, nothing counted until another operator agrees
OUTCOMES = (ACCEPTED, ALREADY_PRESENT, CONFLICT, QUARANTINED, REJECTED)  # of files and batches
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
                   operator: str = SYSTEM, tally: Tally | None = None, origin: str | None = None) -> list[Outcome]:
    """Check and store one batch of records in one transaction; outcomes in input order.

    Every record rejected is written into the register of refused actas afterwards (see record_refusals;
    a failure to write it is logged, never raised): where it came from is its file and line, or ``origin``
    (say, the client's address and token) and its place in the batch.

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
        refused = [p for p in plans if p.result == REJECTED]
        if refused:
            record_refusals(store, [_refusal(p.record, p.problems, origin) for p in refused], when)
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
    counts: bytes | None = None  # packed (store.pack_counts)
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
    order: tuple[str, ...]  # the contest's option codes, as its counts are packed


class _Batch:
    """What checking the records of one batch needs: the election, its encoders, the table keys."""

    def __init__(self, store: Store, when: dt.datetime):
        self.store, self.election = store, store.election()
        self.encoders, self.received = _encoders(store, self.election), log.leaf_time(when)
        self.verifier: signatures.Verifier | None = _current_verifier(store)

    def check(self, record: Record) -> _Plan:
        """Rules and signature of one record; the acta encoded if it passes."""
        data = record.data
        if data is None:
            return _Plan(record, problems=tuple(record.problems))
        item = None
        if type(data) is WireActa:  # decoded and typed already: the rules' fast path over its fields
            item = well_formed(self.election, data.table, data.contest, data.votes, data.null,
                               None if data.blank is UNSET else data.blank, data.ballots_cast)
            if item is None:  # every rule, over the dict the line holds, to name every problem as always
                data = record.data = plain(record)
        if item is None:
            try:
                item = check_acta(self.election, data)
            except ActaRejected as exc:
                return _Plan(record, problems=tuple(p.located(record.source, record.row) for p in exc.problems))
        acta, encoder = item.acta, self.encoders[item.acta.contest]
        given = data.get("signature")
        signature = signatures.decode(given, 64) if given else None
        if self.election.require_signatures:
            problem = _signature_problem(self, acta, given, signature, encoder.signed)
            if problem:
                return _Plan(record, problems=(problem.located(record.source, record.row),))
        text, source, reasons = encoder.canonical.encode(acta), _where(record), item.quarantine_reasons
        key = sha256_hex(text)
        return _Plan(record, acta, reasons, (), (acta.table, acta.contest), key, encoder.content.text(acta),
                     reasons_json(reasons), pack_counts(acta, encoder.order), source, signature,
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
                                                                    content_json(c), c.option_codes)
                                            for c in election.contests})
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
    if not verifier.verify(table, signatures.context(batch.election) + signed.encode(acta), raw):
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
                                         p.signature, p.counts) for p in new])
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
    if any(getattr(r, "placed", True) for r in existing):  # a manual entry still awaiting its second holds no place
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


# -- the register of refused actas ---------------------------------------------------------------------------

REFUSED_KEPT = 10_000  # refusals kept one by one; past this, the oldest are folded into counts per reason
REFUSAL_REASONS = ("bad_signature", "unsigned", "unknown_key", "unknown_table", "unknown_contest", "malformed",
                   "too_large")
_logger = logging.getLogger(__name__)


def refusal_reason(problems: Iterable[Problem]) -> str:
    """The reason code of a refusal, from its problems: a signature's first, then the table's and contest's."""
    problems = list(problems)
    for p in problems:
        if p.field == "signature":
            return ("unsigned" if "not signed" in p.message else
                    "unknown_key" if "no registered key" in p.message else "bad_signature")
    for p in problems:
        if p.field == "table" and p.message.startswith("unknown table"):
            return "unknown_table"
        if p.field == "contest" and (p.message.startswith("unknown contest") or "not on the ballot" in p.message):
            return "unknown_contest"
        if "larger than the limit" in p.message:
            return "too_large"
    return "malformed"


def refusal(table: object, source: str, reason: str, raw: str | bytes | None) -> dict:
    """One row of the register: the table's code only if it is a plausible one (printable, at most 64
    characters), where from, why, and the SHA-256 of the bytes (never the bytes)."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else (raw or b"")
    code = table if isinstance(table, str) and 0 < len(table) <= 64 and table.isprintable() else None
    return {"table_code": code, "source": source[:500], "reason": reason, "sha256": sha256_hex(data)}


def _refusal(record: Record, problems: tuple[Problem, ...], origin: str | None) -> dict:
    table = record.data.get("table") if isinstance(record.data, (dict, WireActa)) else None
    where = f"{origin}, item {record.row}" if origin else _where(record)
    return refusal(table, where, refusal_reason(problems or record.problems), record.raw)


def record_refusals(store: Store, rows: list[dict], when: dt.datetime | None = None,
                    keep: int | None = None) -> bool:
    """Write refusals into the register, in a transaction of their own; whether it was written. Never raises:
    an acta refused stays refused (a 4xx stays a 4xx) even if the register cannot be written (the failure is
    logged). At most ``keep`` (default REFUSED_KEPT) are kept one by one; older ones are counted per reason."""
    if not rows:
        return True
    at = when or now_utc()
    try:
        with store.transaction() as conn:
            store.add_refused(conn, [{**r, "at": at} for r in rows], REFUSED_KEPT if keep is None else keep)
        return True
    except Exception:  # noqa: BLE001 - the register must never turn a refusal into a failure
        _logger.warning("could not record %d refused acta(s) in the register", len(rows), exc_info=True)
        return False


def refused_counts(store: Store) -> dict[str, int]:
    """Every refusal recorded, per reason code (kept and folded); {} if the register cannot be read."""
    try:
        return store.refused_counts()
    except Exception:  # noqa: BLE001 - a page showing counts must not fail because of them
        _logger.warning("could not read the register of refused actas", exc_info=True)
        return {}


# -- manual (double) entry of paper actas -------------------------------------------------------------------

MANUAL_KEYS = ("entry", "image")
IMAGE_TYPES = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",), "application/pdf": (b"%PDF-",),
               "image/webp": (b"RIFF",)}
MAX_IMAGE_BYTES = 8_000_000


def check_image(media_type: str, data: bytes) -> Problem | None:
    """What is wrong with a scanned paper acta, or None: a PNG, JPEG, WebP or PDF of at most MAX_IMAGE_BYTES,
    whose first bytes are those of its type."""
    if media_type not in IMAGE_TYPES:
        return Problem("image", f"media type {media_type!r} is not one of {', '.join(IMAGE_TYPES)}",
                       "scan the paper acta as PNG, JPEG, WebP or PDF")
    if not data or len(data) > MAX_IMAGE_BYTES:
        return Problem("image", f"the image has {len(data):,} bytes; it must have 1 to {MAX_IMAGE_BYTES:,}",
                       "scan the paper acta at a lower resolution")
    if not data.startswith(IMAGE_TYPES[media_type]):
        return Problem("image", f"the bytes are not those of a {media_type} file",
                       "send the scan's file as it is, with its own media type")
    return None


def _first_operator(store: Store, conn, record: ActaRecord) -> str:
    events = store.acta_events(record.id, conn)
    return events[0].operator if events else ""


def enter_manual(store: Store, data: object, who: dict, *, channel: str = "cli",
                 image: tuple[str, bytes] | None = None, now: dt.datetime | None = None,
                 raw: bytes | None = None) -> Outcome:
    """One entry of a paper acta keyed in by hand by the operator of token ``who`` (as tokens.authenticate
    gives it: id, name, role).

    The first entry of a table's acta waits (``awaiting_second_entry``: kept, shown, nothing counted). A
    second entry by another token that agrees with it field by field confirms it: it then takes its place
    as any acta would (counted; quarantined if it breaks a rule; conflicting if the table already has a
    different acta in place), and entries that disagreed and still wait are set aside. An entry that
    disagrees with one waiting is kept beside it (result ``conflict``): a further entry by another operator
    settles which one the paper says. The same token entering twice is refused (ManualEntryRefused). Rules
    that make an acta unusable reject it as for any channel (result ``rejected``, nothing stored).
    ``image``: (media type, bytes) of the scanned paper acta; its SHA-256 goes into the log. ``raw``: the bytes
    the entry came in (a request's body), hashed into the register of refused actas if it is rejected.
    """
    when = now or now_utc()
    source = f"manual entry ({channel})"
    item = {k: v for k, v in data.items() if k not in MANUAL_KEYS} if isinstance(data, dict) else data
    problems = check_json_shape(item)
    if not problems and isinstance(item, dict) and item.get("signature") not in (None, ""):
        problems = [Problem("signature", "a manual entry carries no signature",
                            "key in the figures of the paper acta only; a signed acta is sent as it is")]
    if image is not None and not problems:
        found = check_image(*image)
        problems = [found] if found else []
    if not problems:
        try:
            checked = check_acta(store.election(), item)
        except ActaRejected as exc:
            problems = exc.problems
    if problems:
        raw = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str) if raw is None else raw
        table = item.get("table") if isinstance(item, dict) else None
        record_refusals(store, [refusal(table, f"{source}, token {operator_label(who)}", refusal_reason(problems),
                                        raw)], now)
        return Outcome(source, 1, REJECTED, problems=tuple(p.located(source, 1) for p in problems))
    election = store.election()
    acta, encoders = checked.acta, _encoders(store, election)[checked.acta.contest]
    text = encoders.canonical.text(acta)
    digest, slot, operator = sha256_hex(text.encode()), (acta.table, acta.contest), operator_label(who)
    image_sha = sha256_hex(image[1]) if image is not None else None
    with store.log_writing() as conn:
        held = store.slot_actas(conn, [slot])[slot]
        waiting = [r for r in held if r.entry == MANUAL and r.status == AWAITING]
        same = next((r for r in held if r.digest == digest), None)
        if same is not None and same.id not in {r.id for r in waiting}:
            return Outcome(source, 1, ALREADY_PRESENT, *slot, same.id, same.reasons)
        mine = [r for r in ([same] if same is not None else waiting) if _first_operator(store, conn, r) == operator]
        if mine:
            raise ManualEntryRefused(
                f"acta {mine[0].id} of table {acta.table}, contest {acta.contest} was entered by this operator "
                f"({operator}): the second entry must be made by another operator, independently, from the paper "
                "acta")
        if image is not None:
            store.add_image(conn, image_sha, image[0], image[1], when)
        if same is not None:
            return _confirm(store, conn, same, held, waiting, operator, who, image_sha, when, source)
        reasons = checked.quarantine_reasons
        acta_id = store.insert_entered_acta(conn, acta, digest, encoders.content.text(acta), AWAITING,
                                            reasons_json(reasons), source, when, MANUAL, image_sha)
        event = ActaEvent(acta_id, when, AWAITING, operator, "; ".join(reasons))
        store.add_events(conn, [event])
        store.append_log(conn, [log.entered_acta_leaf(json.loads(text), digest, acta_id, AWAITING, reasons, source,
                                                      when, operator, MANUAL, token=who["id"],
                                                      image_sha256=image_sha)], when)
    return Outcome(source, 1, CONFLICT if waiting else AWAITING_SECOND_ENTRY, *slot, acta_id, reasons)


def _confirm(store: Store, conn, record: ActaRecord, held: list[ActaRecord], waiting: list[ActaRecord],
             operator: str, who: dict, image_sha: str | None, when: dt.datetime, source: str) -> Outcome:
    """The agreeing second entry of ``record``: it takes its place; entries that disagreed with it are set aside."""
    placed = [r for r in held if r.id != record.id and r.placed]
    status = CONFLICTING if placed else (QUARANTINED if record.reasons else COUNTED)
    store.confirm_acta(conn, record.id, status, operator, image_sha)
    event = ActaEvent(record.id, when, f"second_entry_{status}", operator, "")
    leaves = [log.second_entry_leaf(event, who["id"], image_sha)]
    events = [event]
    for other in waiting:
        if other.id != record.id:
            store.set_status(conn, other.id, SET_ASIDE)
            aside = ActaEvent(other.id, when, f"resolved_{SET_ASIDE}", operator,
                              f"the two entries of acta {record.id} agree; this entry does not")
            events.append(aside)
            leaves.append(log.event_leaf(aside))
    store.add_events(conn, events)
    store.append_log(conn, leaves, when)
    result = {COUNTED: ACCEPTED, QUARANTINED: QUARANTINED, CONFLICTING: CONFLICT}[status]
    return Outcome(source, 1, result, record.acta.table, record.acta.contest, record.id, record.reasons)


def disagreements(store: Store, table: str) -> dict[str, list[dict]]:
    """Per contest of ``table`` in conflict (actas that differ, or manual entries that disagree), the actas in
    play side by side: id, status, who entered it, and its fields (votes per option, null, blank, cast)."""
    out: dict[str, list[dict]] = {}
    by_contest: dict[str, list[ActaRecord]] = {}
    for record in store.actas(table=table):
        by_contest.setdefault(record.acta.contest, []).append(record)
    for contest, held in by_contest.items():
        live = [r for r in held if r.status in (COUNTED, CONFLICTING, AWAITING, QUARANTINED)]
        waiting = [r for r in live if r.status == AWAITING]
        if not (any(r.status == CONFLICTING for r in live) or len(waiting) > 1):
            continue
        out[contest] = [{"id": r.id, "status": r.status,
                         "operator": _first_operator(store, None, r) if r.entry else r.source,
                         "fields": {**{f"votes.{code}": n for code, n in r.acta.votes}, "null": r.acta.null,
                                    "blank": r.acta.blank, "ballots_cast": r.acta.ballots_cast}} for r in live]
    return out

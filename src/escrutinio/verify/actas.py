"""Actas: the log's acta leaves against the published actas, their digests, shapes and signatures."""

from __future__ import annotations

import gc
import json
import multiprocessing
import sys
import os
from collections import deque
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor

from .anchors import KeyLog
from .common import ACTA_CONTEXT, ACTA_CONTEXT_V2, ActaLeaf, b64, canonical, ed25519_ok, sha256_hex
from .geography import Tree
from .report import Report

COMPARED = ("acta", "digest", "signature", "reasons", "source", "received_at", "entry", "image_sha256")
# What the replay reads of an acta leaf, once it is checked (an acta entered at the centre: how, and by whom).
SLIM = ("kind", "id", "acta", "status", "reasons", "entry", "token", "board_ref", "reason")
# Actas entered at the centre carry no table signature: a manual acta is vouched for by two agreeing entries
# by two tokens (checked in the replay), a recount by the admin's logged decision.
UNSIGNED_ENTRIES = ("manual", "recount")
# From this many actas on, signatures are checked by worker processes, in batches, while this process goes on
# with the rest (starting the workers costs more than it saves on a small night).
PARALLEL_FROM = 20_000
BATCH = 4_000


def label(acta_id: object, acta: dict | None) -> str:
    acta = acta if isinstance(acta, dict) else {}
    return f"table {acta.get('table')}, contest {acta.get('contest')}, acta {acta_id}"


def logged_actas(report: Report, records: list[dict | None]) -> dict[int, tuple[int, dict]]:
    """Acta id -> (position, record) of every acta leaf."""
    found: dict[int, tuple[int, dict]] = {}
    for position, record in enumerate(records):
        if record and record.get("kind") == "acta":
            acta_id = record.get("id")
            if acta_id in found:
                report.add("acta", f"{label(acta_id, record.get('acta'))}: logged twice (leaves "
                                   f"{found[acta_id][0]:,} and {position:,})")
                continue
            found[acta_id] = (position, record)
    report.count("log actas", len(found))
    return found


def logged_history(records: list[dict | None]) -> dict[object, list[dict]]:
    """Acta id -> its history as the log tells it (at, action, operator, reason), in log order: its arrival
    (the acta leaf: received_at, status, operator, reasons) and then its event leaves."""
    found: dict[object, list[dict]] = {}
    for record in records:
        if record and record.get("kind") == "acta":
            found.setdefault(record.get("id"), []).append(_history_entry(record))
        elif record and record.get("kind") == "event":
            found.setdefault(record.get("acta_id"), []).append(
                {k: record.get(k) for k in ("at", "action", "operator", "reason")})
    return found


class LoggedHistory:
    """What logged_history gives, built for one acta when asked: only the leaves after an acta's first one
    (its events, a second arrival) are kept aside, so a night of millions of actas needs no list apiece."""

    def __init__(self, records: list[Mapping | None], logged: dict[int, tuple[int, Mapping]]):
        self.logged = logged
        self.later: dict[object, list[Mapping]] = {}
        for record in records:
            kind = record.get("kind") if record else None
            if kind == "event":
                self.later.setdefault(record.get("acta_id"), []).append(record)
            elif kind == "acta" and (logged.get(record.get("id")) or (None, None))[1] is not record:
                self.later.setdefault(record.get("id"), []).append(record)

    def get(self, acta_id: object, default: list[dict] | None = None) -> list[dict] | None:
        first = self.logged.get(acta_id)
        found = ([first[1]] if first else []) + self.later.get(acta_id, [])
        return [_history_entry(record) for record in found] if found else default


def _history_entry(record: Mapping) -> dict:
    if record.get("kind") == "acta":
        reasons = record.get("reasons") if isinstance(record.get("reasons"), list) else []
        said = "; ".join(map(str, reasons))
        if record.get("entry") == "recount":  # a recount's arrival names the board and its reason
            said = f"recount, board {record.get('board_ref')}: {record.get('reason')}"
        return {"at": record.get("received_at"), "action": record.get("status"), "operator": record.get("operator"),
                "reason": said}
    return {k: record.get(k) for k in ("at", "action", "operator", "reason")}


def check_history(report: Report, by_id: dict[int, dict], events: dict[object, list[dict]]) -> None:
    """Each published acta's history (what its table's page shows) is exactly its event leaves."""
    for acta_id, item in by_id.items():
        check_history_of(report, acta_id, item, events.get(acta_id, []))


def check_history_of(report: Report, acta_id: object, item: dict, logged: list[dict]) -> None:
    """One published acta's history against the log's (see logged_history)."""
    published = item.get("history")
    where = label(acta_id, item.get("acta"))
    if not isinstance(published, list):
        report.add("acta", f"{where}: no published history")
        return
    if len(published) != len(logged):
        report.add("acta", f"{where}: its published history has {len(published)} change(s), the log "
                           f"{len(logged)}")
    for n, (mine, theirs) in enumerate(zip(published, logged), 1):
        mine = mine if isinstance(mine, dict) else {}
        for key in ("at", "action", "operator", "reason"):
            if mine.get(key) != theirs.get(key):
                report.add("acta", f"{where}: change {n} of its published history: {key}: published "
                                   f"{_show(mine.get(key))}, log {_show(theirs.get(key))}")


def check_actas(report: Report, tree: Tree, keys: KeyLog, published: Iterable[dict],
                logged: dict[int, tuple[int, dict]], records: list[dict | None], leaves: int,
                history: dict[object, list[dict]] | LoggedHistory | None = None) -> dict[int, object]:
    """Compare both sides, acta by acta; returns each published acta's status by id.

    ``published`` may be a stream: each acta is checked as it comes and only its status is kept, and its log record (``records``, ``logged``) is cut down to what the replay reads (SLIM); so a night
    of millions of actas fits in memory. With ``history`` (logged_history), each published acta's history is
    checked against it as the acta comes. Signatures are checked with the key the log registered for the
    table before the acta's leaf (for an acta missing from the log: the last key of all ``leaves``)."""
    by_id: dict[int, object] = {}
    signer = Signatures(report, tree, keys, parallel=len(logged) >= PARALLEL_FROM)
    try:
        for item in published:
            acta_id = item.get("id")
            if acta_id in by_id:
                report.add("acta", f"{label(acta_id, item.get('acta'))}: published twice")
                continue  # checked once, as it came first
            entry = logged.get(acta_id)
            _check_published(report, tree, signer, acta_id, item, entry, leaves)
            if history is not None:
                check_history_of(report, acta_id, item, history.get(acta_id, []))
            by_id[acta_id] = _kept(item, entry, logged, records)
        report.count("actas", len(by_id))
        for acta_id, (position, leaf) in logged.items():
            if acta_id not in by_id:
                _shape(report, tree, acta_id, leaf.get("acta"))
                _digest(report, acta_id, leaf, "logged")
                report.add("acta", f"{label(acta_id, leaf.get('acta'))}: in the log (leaf {position:,}), but missing "
                                   "from the published actas")
                signer.check(acta_id, leaf, "logged", position)
        signer.finish()
    finally:
        signer.close()
    return by_id


def _check_published(report: Report, tree: Tree, signer: Signatures, acta_id: object, item: dict,
                     entry: tuple[int, dict] | None, leaves: int) -> None:
    _shape(report, tree, acta_id, item.get("acta"))
    if entry is None or entry[1].get("acta") != item.get("acta") or entry[1].get("digest") != item.get("digest"):
        _digest(report, acta_id, item, "published")
    if entry is None:
        report.add("acta", f"{label(acta_id, item.get('acta'))}: published, but not in the log")
        signer.check(acta_id, item, "published", leaves)
        return
    position, leaf = entry
    _digest(report, acta_id, leaf, "logged")
    differences = _differences(item, leaf)
    for text in differences:
        report.add("acta", f"{label(acta_id, leaf.get('acta'))}: the published acta differs from the log "
                           f"(leaf {position:,}): {text}")
    signer.check(acta_id, leaf, "logged", position)
    if differences:
        signer.check(acta_id, item, "published", position)


def _kept(item: dict, entry: tuple[int, dict] | None, logged: dict[int, tuple[int, dict]],
          records: list[dict | None]) -> object:
    """What is kept of a checked acta: its published status; and its log record, cut down to SLIM."""
    status = item.get("status")
    if entry is not None:
        position, leaf = entry
        if isinstance(leaf, ActaLeaf):
            leaf.drop(*(key for key in ActaLeaf.FIELDS if key not in SLIM))
        elif records[position] is leaf:
            slim = {key: leaf[key] for key in SLIM if key in leaf}
            records[position] = slim
            logged[item.get("id")] = (position, slim)
    return sys.intern(status) if type(status) is str else status


def _differences(published: dict, logged: dict) -> list[str]:
    out = []
    for key in COMPARED:
        mine, theirs = published.get(key), logged.get(key)
        if mine == theirs and type(mine) is type(theirs):
            continue
        if key == "signature":
            mine, theirs = b64(mine, 64) or mine, b64(theirs, 64) or theirs
        if key == "acta" and isinstance(mine, dict) and isinstance(theirs, dict):
            mine, theirs = _flat(mine), _flat(theirs)
            for field in sorted(set(mine) | set(theirs)):
                a, b = mine.get(field), theirs.get(field)
                if a != b or type(a) is not type(b):
                    out.append(f"{field}: published {_show(a)}, log {_show(b)}")
        elif mine != theirs:
            out.append(f"{key}: published {_show(published.get(key))}, log {_show(logged.get(key))}")
    if published.get("table") != (published.get("acta") or {}).get("table") or \
            published.get("contest") != (published.get("acta") or {}).get("contest"):
        out.append("its table and contest differ from those inside the acta")
    return out


def _flat(acta: dict) -> dict[str, object]:
    out = {k: v for k, v in acta.items() if k != "votes"}
    votes = acta.get("votes")
    if isinstance(votes, dict):
        out.update({f"votes.{code}": n for code, n in votes.items()})
    else:
        out["votes"] = votes
    return out


def _show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _digest(report: Report, acta_id: int, item: dict, side: str) -> None:
    acta = item.get("acta")
    if not isinstance(acta, dict):
        return
    digest = sha256_hex(canonical(acta))
    if digest != item.get("digest"):
        report.add("acta", f"{label(acta_id, acta)}: the {side} digest is {item.get('digest')}, but the SHA-256 "
                           f"of the {side} acta is {digest}")


def _shape(report: Report, tree: Tree, acta_id: int, acta: object) -> None:
    """The acta names a known table and contest on its ballot, every option once, whole counts."""
    if not isinstance(acta, dict):
        report.add("acta", f"acta {acta_id}: no acta content")
        return
    where = label(acta_id, acta)
    table, contest = tree.tables.get(acta.get("table")), acta.get("contest")
    if table is None:
        report.add("acta", f"{where}: not a table of the geography")
    elif contest not in table[2]:
        report.add("acta", f"{where}: contest {contest} is not on this table's ballot")
    if contest not in tree.contests:
        report.add("acta", f"{where}: not a contest of the election")
        return
    votes = acta.get("votes")
    if not isinstance(votes, dict) or sorted(votes) != sorted(tree.options[contest]):
        report.add("acta", f"{where}: its votes do not name exactly the options {', '.join(tree.options[contest])}")
        return
    counts = list(votes.values()) + [acta.get("null"), acta.get("blank"), acta.get("ballots_cast")]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts):
        report.add("acta", f"{where}: a count is not a whole number >= 0")
    elif not tree.contests[contest].get("blank") and acta.get("blank") != 0:
        report.add("acta", f"{where}: blank is {acta.get('blank')}, but contest {contest} counts no blank apart")


class Signatures:
    """Ed25519 over b"escrutinio-acta-v2\\n" + canonical({"election_id", "election", "date", **acta}) (v1 and no
    election_id for an election made before identifiers) with the table's key,
    as the log registered it before the acta.

    With ``parallel``, the verifications go in batches to one worker process per core (libsodium in each),
    a few batches ahead at most; :meth:`finish` waits for the last ones. Their findings are reported in
    the order of the actas either way."""

    def __init__(self, report: Report, tree: Tree, keys: KeyLog, *, parallel: bool = False):
        self.report = report
        self.tree = tree
        self.keys = keys
        self.parallel = parallel
        self.pool: ProcessPoolExecutor | None = None
        self.workers = os.cpu_count() or 1
        self.batch: list[tuple[bytes, bytes, bytes]] = []
        self.texts: list[str] = []
        self.waiting: deque[tuple[Future, list[str]]] = deque()

    def check(self, acta_id: int, item: dict, side: str, position: int) -> None:
        acta, given = item.get("acta"), item.get("signature")
        if not isinstance(acta, dict):
            return
        where = label(acta_id, acta)
        required = self.tree.require_signatures
        if given is None:
            if required and item.get("entry") not in UNSIGNED_ENTRIES:
                self.report.add("signature", f"{where}: the {side} acta is not signed")
            return
        raw = b64(given, 64)
        found = self.keys.at(acta.get("table"), position)
        key = found[1] if found else None
        if raw is None or key is None:
            if raw is None or required:
                what = ("is not 64 bytes of base64" if raw is None else
                        f"has no key for its table in the log before it (leaf {position:,})" if found is None else
                        f"cannot be checked: the key logged for its table at leaf {found[0]:,} is unusable")
                self.report.add("signature", f"{where}: the {side} acta's signature {what}")
            return
        message = self.tree.signed(ACTA_CONTEXT, ACTA_CONTEXT_V2, acta)
        self.report.count("signatures")
        text = (f"{where}: the signature does not match table {acta.get('table')}'s key and the {side} acta's "
                "figures")
        if not self.parallel:
            if not ed25519_ok(key, message, raw):
                self.report.add("signature", text)
            return
        self.batch.append((bytes(key), message, raw))
        self.texts.append(text)
        if len(self.batch) >= BATCH:
            self._send()

    def _send(self) -> None:
        if self.pool is None:
            # Forked, with every object read so far frozen out of the workers' garbage collection: they share
            # this process's memory without touching it (a spawned worker would import the caller's __main__).
            gc.freeze()
            self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("fork"))
        while len(self.waiting) >= 3 * self.workers:
            self._collect()
        self.waiting.append((self.pool.submit(failing, self.batch), self.texts))
        self.batch, self.texts = [], []

    def _collect(self) -> None:
        future, texts = self.waiting.popleft()
        for index in future.result():
            self.report.add("signature", texts[index])

    def finish(self) -> None:
        """Wait for every batch still out and report what it found."""
        if self.batch:
            self._send()
        while self.waiting:
            self._collect()

    def close(self) -> None:
        """Stop the workers (at once, if :meth:`finish` was not reached)."""
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None
            gc.unfreeze()


def failing(batch: list[tuple[bytes, bytes, bytes]]) -> list[int]:
    """Positions in ``batch`` of the (public key, message, signature) whose signature does not verify."""
    return [i for i, (key, message, signature) in enumerate(batch) if not ed25519_ok(key, message, signature)]

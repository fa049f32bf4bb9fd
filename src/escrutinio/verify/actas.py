"""Actas: the log's acta leaves against the published actas, their digests, shapes and signatures."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import sys
import os
from array import array
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor

import numpy as np

from .anchors import KeyLog
from .common import (ACTA_CONTEXT, ACTA_CONTEXT_V2, PLAIN_ACTA, ActaLeaf, ByActa, SlimActa, b64, canonical,
                     ed25519_ok, hashable, sha256_hex)
from .geography import Tree
from .report import Report

COMPARED = ("acta", "digest", "signature", "reasons", "source", "received_at", "entry", "image_sha256")
# What the replay reads of an acta leaf, once it is checked (an acta entered at the centre: how, and by whom).
SLIM = ("kind", "id", "acta", "status", "reasons", "entry", "token", "board_ref", "reason")
# Actas entered at the centre carry no table signature: a manual acta is vouched for by two agreeing entries
# by two tokens (checked in the replay), a recount by the admin's logged decision.
UNSIGNED_ENTRIES = ("manual", "recount")
HISTORY_KEYS = ("at", "action", "operator", "reason")  # what a published acta's history says of each change
# From this many actas on, signatures are checked by worker processes, in batches, while this process goes on
# with the rest (starting the workers costs more than it saves on a small night).
PARALLEL_FROM = 20_000
BATCH = 4_000


def label(acta_id: object, acta: dict | SlimActa | None) -> str:
    if type(acta) is SlimActa:
        return f"table {acta.table}, contest {acta.contest}, acta {acta_id}"
    acta = acta if isinstance(acta, dict) else {}
    return f"table {acta.get('table')}, contest {acta.get('contest')}, acta {acta_id}"


def logged_actas(report: Report, records: list[dict | None]) -> Logged:
    """Acta id -> (position, record) of every acta leaf (the first, for an id logged twice)."""
    found = Logged(records)
    for position, record in enumerate(records):
        if type(record) is SlimActa:
            found.add(record.id, position)
        elif record and record.get("kind") == "acta":
            acta_id = record.get("id")
            if acta_id in found:
                first = found.get(acta_id)[0]
                report.add("acta", f"{label(acta_id, record.get('acta'))}: logged twice (leaves "
                                   f"{first:,} and {position:,})")
                continue
            found.add(acta_id, position)
    found.done(report)
    report.count("log actas", len(found))
    return found


class Logged:
    """Acta id -> (position, record) of each acta's first leaf, without a Python object per acta: the positions
    of whole-number ids are kept in one array by id when the ids are dense (as a store gives them), any others
    in a dict."""

    def __init__(self, records: list[Mapping | None]):
        self.records = records
        self.ids, self.positions = array("q"), array("q")
        self.other: dict[object, int] = {}
        self.dense: np.ndarray | None = None
        self.count = 0

    def add(self, acta_id: object, position: int) -> None:
        if type(acta_id) is int and 0 <= acta_id < 2 ** 62:
            self.ids.append(acta_id)
            self.positions.append(position)
        else:
            self.other[acta_id] = position

    def done(self, report: Report) -> None:
        """Index what was added; an id logged twice is reported (its first leaf is the one kept)."""
        ids, positions = np.frombuffer(self.ids, dtype=np.int64), np.frombuffer(self.positions, dtype=np.int64)
        unique, first = np.unique(ids, return_index=True)
        for i in sorted(set(range(len(ids))) - set(first.tolist())) if len(unique) < len(ids) else ():
            acta_id, position = int(ids[i]), int(positions[i])
            record = self.records[position]
            first_position = int(positions[first[np.searchsorted(unique, acta_id)]])
            report.add("acta", f"{label(acta_id, record.get('acta'))}: logged twice (leaves {first_position:,} and "
                               f"{position:,})")
        self.count = len(unique) + len(self.other)
        top = int(unique[-1]) + 1 if len(unique) else 0
        if top <= 4 * len(unique) + 1024:
            self.dense = np.full(top, -1, dtype=np.int64)
            self.dense[unique] = positions[first]
        else:
            self.other.update(zip(unique.tolist(), positions[first].tolist()))
        self.ids, self.positions = array("q"), array("q")

    def position(self, acta_id: object) -> int | None:
        if type(acta_id) is int and self.dense is not None and 0 <= acta_id < len(self.dense):
            found = int(self.dense[acta_id])
            return found if found >= 0 else None
        return self.other.get(acta_id) if hashable(acta_id) else None

    def get(self, acta_id: object, default: object = None) -> tuple[int, Mapping] | None:
        position = self.position(acta_id)
        return default if position is None else (position, self.records[position])

    def __contains__(self, acta_id: object) -> bool:
        return self.position(acta_id) is not None

    def __len__(self) -> int:
        return self.count

    def items(self) -> Iterator[tuple[object, tuple[int, Mapping]]]:
        """(id, (position, record)) of every logged acta, in log order."""
        pairs = list(self.other.items())
        if self.dense is not None:
            ids = np.flatnonzero(self.dense >= 0)
            pairs += zip(ids.tolist(), self.dense[ids].tolist())
        for acta_id, position in sorted(pairs, key=lambda pair: pair[1]):
            yield acta_id, (position, self.records[position])


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

    def __init__(self, records: list[Mapping | None], logged: Logged | dict[int, tuple[int, Mapping]]):
        self.logged = logged
        self.later: dict[object, list[Mapping]] = {}
        for position, record in enumerate(records):
            if type(record) is SlimActa:
                if logged.get(record.id)[0] != position:
                    self.later.setdefault(record.id, []).append(record)
                continue
            kind = record.get("kind") if record else None
            if kind == "event":
                self.later.setdefault(record.get("acta_id"), []).append(record)
            elif kind == "acta" and (logged.get(record.get("id")) or (None, None))[1] is not record:
                self.later.setdefault(record.get("id"), []).append(record)

    def get(self, acta_id: object, default: list[dict] | None = None, first: Mapping | None = None) -> \
            list[dict] | None:
        """The acta's history as the log tells it; ``first``: its first leaf whole, where the log's record of it
        is a SlimActa (which keeps no time, operator or reasons)."""
        if first is None:
            entry = self.logged.get(acta_id)
            first = entry[1] if entry else None
        found = ([first] if first is not None else []) + self.later.get(acta_id, [])
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
    if isinstance(published, list) and len(published) == len(logged) and all(
            isinstance(mine, dict) and all(mine.get(key) == theirs.get(key) for key in HISTORY_KEYS)
            for mine, theirs in zip(published, logged)):
        return
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
                logged: Logged | dict[int, tuple[int, dict]], records: list[dict | None], leaves: int,
                history: dict[object, list[dict]] | LoggedHistory | None = None,
                reader: LeafReader | None = None,
                pool: ProcessPoolExecutor | None = None) -> ByActa | dict[int, object]:
    """Compare both sides, acta by acta; returns each published acta's status by id.

    ``published`` may be a stream: each acta is checked as it comes and only its status is kept, and its log
    record (``records``, ``logged``) is cut down to what the replay reads (SLIM); so a night of millions of
    actas fits in memory. A log record held as a SlimActa is made whole again from the published acta, proved
    equal to the leaf by the leaf's hash, or read again from the source (``reader``) if it is not. With
    ``history`` (logged_history), each published acta's history is checked against it as the acta comes.
    Signatures are checked with the key the log registered for the table before the acta's leaf (for an acta
    missing from the log: the last key of all ``leaves``). ``pool``: signature workers started already (see
    start_workers)."""
    by_id: ByActa | dict[int, object] = ByActa() if isinstance(logged, Logged) else {}
    signer = Signatures(report, tree, keys, parallel=len(logged) >= PARALLEL_FROM, pool=pool)
    try:
        for item in published:
            acta_id = item.get("id")
            if acta_id in by_id:
                report.add("acta", f"{label(acta_id, item.get('acta'))}: published twice")
                continue  # checked once, as it came first
            entry, encoded, slim = logged.get(acta_id), None, None
            if entry is not None and type(entry[1]) is SlimActa and reader is not None:
                leaf, encoded = reader.as_logged(item, entry[0])
                slim = entry[1] if encoded is not None else None
                entry = (entry[0], leaf if leaf is not None else entry[1])
            if slim is not None:
                _check_proven(report, tree, signer, acta_id, item, entry, encoded, slim)
            else:
                _check_published(report, tree, signer, acta_id, item, entry, leaves, encoded)
            if history is not None:
                first = entry[1] if entry is not None and type(entry[1]) is not SlimActa else None
                if isinstance(history, LoggedHistory):
                    logged_history_of = history.get(acta_id, [], first=first)
                else:
                    logged_history_of = history.get(acta_id, [])
                check_history_of(report, acta_id, item, logged_history_of)
            by_id[acta_id] = _kept(item, entry, logged, records)
        report.count("actas", len(by_id))
        for acta_id, (position, leaf) in logged.items():
            if acta_id not in by_id:
                if type(leaf) is SlimActa and reader is not None:
                    leaf = reader.leaf(position) or leaf
                _shape(report, tree, acta_id, leaf.get("acta"))
                _digest(report, acta_id, leaf, "logged")
                report.add("acta", f"{label(acta_id, leaf.get('acta'))}: in the log (leaf {position:,}), but missing "
                                   "from the published actas")
                signer.check(acta_id, leaf, "logged", position)
        signer.finish()
    finally:
        signer.close()
    return by_id


class LeafReader:
    """What a SlimActa left out of its leaf: the leaf made whole from the published acta that hashes to it, or
    read again from the source (a page at a time, the last page kept: published actas come in log order)."""

    def __init__(self, report: Report, source, hashes: list[bytes]):
        self.report = report
        self.source = source
        self.hashes = hashes
        self.page: dict[object, dict] = {}

    def as_logged(self, item: dict, position: int) -> tuple[Mapping | None, bytes | None]:
        """The leaf at ``position`` as a dict and its acta's canonical JSON, if the published acta ``item``
        (with the first change of its published history: the status and operator of its arrival) re-encodes to
        the leaf's exact bytes; else the leaf read again from the source, and None."""
        history = item.get("history")
        first = history[0] if isinstance(history, list) and history and isinstance(history[0], dict) else None
        acta = item.get("acta")
        if first is not None and isinstance(acta, dict) and item.get("entry") is None and \
                item.get("image_sha256") is None:
            rest = {"digest": item.get("digest"), "id": item.get("id"), "kind": "acta",
                    "operator": first.get("operator"), "reasons": item.get("reasons"),
                    "received_at": item.get("received_at"), "signature": item.get("signature"),
                    "source": item.get("source"), "status": first.get("action")}
            try:
                encoded = canonical(acta)
                data = b'{"acta":' + encoded + b"," + canonical(rest)[1:]  # "acta" sorts before every other key
            except (TypeError, ValueError):
                encoded = None
            if encoded is not None and hashlib.sha256(b"\x00" + data).digest() == self.hashes[position]:
                return {"acta": acta, **rest}, encoded
        return self.leaf(position), None

    def leaf(self, position: int) -> Mapping | None:
        """The record of the leaf at ``position``, read again from the source; None (reported) if it is no
        longer the leaf first read there."""
        if position not in self.page:
            try:
                page = next(iter(self.source.leaf_pages(position)), [])
            except Exception as exc:  # noqa: BLE001 - reported; the acta is then checked with what is known
                self.report.add("source", f"log leaf {position:,}: cannot read it again ({exc})")
                return None
            self.page = {leaf.get("position"): leaf for leaf in page if isinstance(leaf, dict)}
        leaf = self.page.get(position) or {}
        data = leaf["data"].encode() if isinstance(leaf.get("data"), str) else b""
        if hashlib.sha256(b"\x00" + data).digest() != self.hashes[position]:
            self.report.add("source", f"log leaf {position:,}: read again, it is no longer the leaf first read "
                                      "there (the source changed while it was being checked)")
            return None
        return ActaLeaf.of(json.loads(data))


def _check_published(report: Report, tree: Tree, signer: Signatures, acta_id: object, item: dict,
                     entry: tuple[int, dict] | None, leaves: int, encoded: bytes | None = None) -> None:
    """``encoded``: the canonical JSON of the logged acta, if known already."""
    _shape(report, tree, acta_id, item.get("acta"))
    if entry is None or entry[1].get("acta") != item.get("acta") or entry[1].get("digest") != item.get("digest"):
        _digest(report, acta_id, item, "published")
    if entry is None:
        report.add("acta", f"{label(acta_id, item.get('acta'))}: published, but not in the log")
        signer.check(acta_id, item, "published", leaves)
        return
    position, leaf = entry
    _digest(report, acta_id, leaf, "logged", encoded)
    differences = _differences(item, leaf)
    for text in differences:
        report.add("acta", f"{label(acta_id, leaf.get('acta'))}: the published acta differs from the log "
                           f"(leaf {position:,}): {text}")
    signer.check(acta_id, leaf, "logged", position, encoded)
    if differences:
        signer.check(acta_id, item, "published", position)


def _check_proven(report: Report, tree: Tree, signer: Signatures, acta_id: object, item: dict,
                  entry: tuple[int, dict], encoded: bytes, slim: SlimActa) -> None:
    """_check_published of a published acta that LeafReader.as_logged proved to be its logged leaf (the leaf is
    made of the acta's own fields and hashes to the logged leaf's hash; ``encoded`` is the acta's canonical
    JSON): both sides are the same objects, so they cannot differ but in the table and contest named beside
    the acta, and the leaf's shape is what SlimActa.of held it to (a table of the geography, a contest's
    options each once, whole counts): left to check are the contest on the table's ballot and a blank count
    where the contest counts none apart (the whole _shape says what is wrong, if anything is)."""
    acta = item["acta"]
    if slim.contest not in tree.tables[slim.table][2] or not tree.distinct_options[slim.contest] or (
            not tree.contests[slim.contest].get("blank") and acta.get("blank") != 0):
        _shape(report, tree, acta_id, acta)
    position, leaf = entry
    _digest(report, acta_id, leaf, "logged", encoded)
    if item.get("table") != acta.get("table") or item.get("contest") != acta.get("contest"):
        report.add("acta", f"{label(acta_id, acta)}: the published acta differs from the log (leaf {position:,}): "
                           "its table and contest differ from those inside the acta")
    signer.check(acta_id, leaf, "logged", position, encoded)


def _kept(item: dict, entry: tuple[int, dict] | None, logged: Logged | dict[int, tuple[int, dict]],
          records: list[dict | None]) -> object:
    """What is kept of a checked acta: its published status; and its log record, cut down to SLIM (a SlimActa
    is already)."""
    status = item.get("status")
    if entry is not None:
        position, leaf = entry
        record = records[position]
        if isinstance(record, ActaLeaf):
            record.drop(*(key for key in ActaLeaf.FIELDS if key not in SLIM))
        elif type(record) is dict and record is leaf:
            slim = {key: leaf[key] for key in SLIM if key in leaf}
            records[position] = slim
            if not isinstance(logged, Logged):
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


def _digest(report: Report, acta_id: int, item: dict, side: str, encoded: bytes | None = None) -> None:
    acta = item.get("acta")
    if not isinstance(acta, dict):
        return
    digest = sha256_hex(encoded if encoded is not None else canonical(acta))
    if digest != item.get("digest"):
        report.add("acta", f"{label(acta_id, acta)}: the {side} digest is {item.get('digest')}, but the SHA-256 "
                           f"of the {side} acta is {digest}")


def _shape(report: Report, tree: Tree, acta_id: int, acta: object) -> None:
    """The acta names a known table and contest on its ballot, every option once, whole counts."""
    if not isinstance(acta, dict):
        report.add("acta", f"acta {acta_id}: no acta content")
        return
    where = _Where(acta_id, acta)
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


class _Where:
    """label(acta_id, acta), made only if a problem names it."""

    __slots__ = ("acta_id", "acta")

    def __init__(self, acta_id: object, acta: object):
        self.acta_id, self.acta = acta_id, acta

    def __str__(self) -> str:
        return label(self.acta_id, self.acta)

    __format__ = lambda self, spec: format(str(self), spec)  # noqa: E731


class Signatures:
    """Ed25519 over b"escrutinio-acta-v2\\n" + canonical({"election_id", "election", "date", **acta}) (v1 and no
    election_id for an election made before identifiers) with the table's key,
    as the log registered it before the acta.

    With ``parallel``, the verifications go in batches to one worker process per core (libsodium in each),
    a few batches ahead at most; :meth:`finish` waits for the last ones. Their findings are reported in
    the order of the actas either way."""

    def __init__(self, report: Report, tree: Tree, keys: KeyLog, *, parallel: bool = False,
                 pool: ProcessPoolExecutor | None = None):
        """``pool``: workers started early (start_workers); without it they are forked when first needed."""
        self.report = report
        self.tree = tree
        self.keys = keys
        self.parallel = parallel
        self.pool: ProcessPoolExecutor | None = pool
        self.own_pool = pool is None
        self.workers = os.cpu_count() or 1
        self.batch: list[tuple[bytes, bytes, bytes]] = []
        self.texts: list[str] = []
        self.waiting: deque[tuple[Future, list[str]]] = deque()
        # The signed bytes' context and the election's fields, as canonical() writes them amid an acta's.
        if tree.election_id is None:
            self.prefix, shown = ACTA_CONTEXT, {"date": tree.date, "election": tree.name}
        else:
            self.prefix = ACTA_CONTEXT_V2
            shown = {"date": tree.date, "election": tree.name, "election_id": tree.election_id}
        self.fields = canonical(shown)[1:-1]

    def check(self, acta_id: int, item: dict, side: str, position: int, encoded: bytes | None = None) -> None:
        """``encoded``: the canonical JSON of the acta, if known already (the signed bytes are made from it)."""
        acta, given = item.get("acta"), item.get("signature")
        if not isinstance(acta, dict):
            return
        where = _Where(acta_id, acta)
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
        message = self._message(acta, encoded)
        self.report.count("signatures")
        if not self.parallel:
            if not ed25519_ok(key, message, raw):
                self.report.add("signature", _mismatch(where, acta, side))
            return
        self.batch.append((bytes(key), message, raw))
        self.texts.append((where, acta, side))
        if len(self.batch) >= BATCH:
            self._send()

    def _message(self, acta: dict, encoded: bytes | None) -> bytes:
        """The signed bytes of ``acta``: tree.signed(ACTA_CONTEXT, ACTA_CONTEXT_V2, acta). Of an acta with
        exactly a device's fields, whose canonical JSON is ``encoded``, they are that JSON with the election's
        fields put in their sorted place (after "contest", before "null"), as canonical() would."""
        if encoded is not None and acta.keys() == PLAIN_ACTA and type(acta["ballots_cast"]) is int and \
                type(acta["blank"]) is int and type(acta["contest"]) is str:
            # Nothing before "null" can hold the bytes ,"null": (two numbers, and a text whose quotes are
            # escaped), so the first is the key's.
            cut = encoded.find(b',"null":')
            if cut > 0:
                return self.prefix + encoded[:cut + 1] + self.fields + encoded[cut:]
        return self.tree.signed(ACTA_CONTEXT, ACTA_CONTEXT_V2, acta)

    def _send(self) -> None:
        if self.pool is None:
            self.pool = start_workers(self.workers)
        while len(self.waiting) >= 3 * self.workers:
            self._collect()
        self.waiting.append((self.pool.submit(failing, self.batch), self.texts))
        self.batch, self.texts = [], []

    def _collect(self) -> None:
        future, texts = self.waiting.popleft()
        for index in future.result():
            self.report.add("signature", _mismatch(*texts[index]))

    def finish(self) -> None:
        """Wait for every batch still out and report what it found."""
        if self.batch:
            self._send()
        while self.waiting:
            self._collect()

    def close(self) -> None:
        """Stop the workers (at once, if :meth:`finish` was not reached)."""
        if self.pool is not None and self.own_pool:
            self.pool.shutdown(cancel_futures=True)
        self.pool = None


def _mismatch(where: _Where, acta: dict, side: str) -> str:
    return f"{where}: the signature does not match table {acta.get('table')}'s key and the {side} acta's figures"


def start_workers(workers: int | None = None) -> ProcessPoolExecutor:
    """Signature workers, forked now (one per core). Started before the night is read, they share almost
    nothing with this process: a worker forked later would keep its own copy of every page of this process's
    memory that changes afterwards (a national night's gigabytes, counted once per worker). They are forked,
    not spawned: a spawned worker would import the caller's __main__."""
    pool = ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1,
                               mp_context=multiprocessing.get_context("fork"))
    pool.submit(int).result()  # with fork, the first task starts every worker at once
    return pool


def failing(batch: list[tuple[bytes, bytes, bytes]]) -> list[int]:
    """Positions in ``batch`` of the (public key, message, signature) whose signature does not verify."""
    return [i for i, (key, message, signature) in enumerate(batch) if not ed25519_ok(key, message, signature)]

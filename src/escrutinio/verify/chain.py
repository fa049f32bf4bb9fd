"""The log and the bulletins: Merkle roots (RFC 6962), signed tree heads, the hash chain.

Leaf hash = SHA-256(0x00 || data); node = SHA-256(0x01 || left || right); a
tree of n leaves splits at the largest power of two smaller than n.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from itertools import islice

from .common import TREE_HEAD_CONTEXT, TREE_HEAD_CONTEXT_V2, ActaLeaf, SlimActa, b64, canonical, ed25519_ok, sha256_hex
from .geography import Tree
from .report import Report

FORMAT = "escrutinio-bulletin/5"
# /2: before outcomes, /3: before projections, /4: before the previous election's figures; their figures are
# checked all the same.
READABLE = ("escrutinio-bulletin/2", "escrutinio-bulletin/3", "escrutinio-bulletin/4", FORMAT)
WITH_RULES = ("escrutinio-bulletin/3", "escrutinio-bulletin/4", FORMAT)
KINDS = ("election", "keys", "key_replacement", "acta", "event", "bulletin", "release")
PAGE = 5000  # leaves parsed at once
SHARED = ("kind", "status", "source", "operator")  # values repeated from leaf to leaf: one copy of each in memory


class Hashes:
    """The leaf hashes of the log, in order: 32 bytes each in one buffer (a national night has millions; a bytes
    object apiece would cost more than twice as much)."""

    def __init__(self):
        self._data = bytearray()

    def append(self, digest: bytes) -> None:
        self._data += digest

    def __len__(self) -> int:
        return len(self._data) // 32

    def __getitem__(self, index: int) -> bytes:
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return bytes(self._data[32 * index:32 * index + 32])


def parse_leaves(report: Report, leaves: Iterable[dict],
                 tree: Tree | None = None) -> tuple[list[Mapping | None], Hashes]:
    """Each leaf's record (None if unreadable) and its leaf hash, in log order.

    ``leaves`` may be a stream: they are read PAGE at a time, and each page is parsed as one JSON array (a
    record is taken from it only if it re-encodes to its leaf's exact bytes; any other leaf is parsed alone),
    which shares the field names between records. With ``tree``, a device's acta leaf is held as a SlimActa
    (what the replay needs; the published acta is later held to the leaf's hash): millions of acta leaves
    then fit in memory."""
    records: list[Mapping | None] = []
    hashes = Hashes()
    stream = iter(leaves)
    while page := list(islice(stream, PAGE)):
        datas = [leaf["data"].encode() if isinstance(leaf.get("data"), str) else b"" for leaf in page]
        for leaf, data, parsed in zip(page, datas, _together(datas)):
            index = len(records)
            if leaf.get("position") != index:
                report.add("log", f"leaf {index} of the published log says it is at position {leaf.get('position')}")
            digest = hashlib.sha256(b"\x00" + data).digest()
            hashes.append(digest)
            if leaf.get("leaf_hash") != digest.hex():
                report.add("log", f"log leaf {index:,}: the site's stored leaf hash is {leaf.get('leaf_hash')}, but "
                                  f"SHA-256(0x00 || its data) is {digest.hex()}: the proofs it serves do not "
                                  "match the signed roots")
            records.append(_record(report, index, data, parsed, tree))
    report.count("leaves", len(records))
    return records, hashes


def _together(datas: list[bytes]) -> list[object]:
    """The leaves of one page parsed as one JSON array; Nones if that fails (each is then parsed alone)."""
    try:
        values = json.loads(b"[" + b",".join(datas) + b"]")
    except ValueError:
        return [None] * len(datas)
    return values if isinstance(values, list) and len(values) == len(datas) else [None] * len(datas)


def _record(report: Report, index: int, data: bytes, parsed: object, tree: Tree | None = None) -> Mapping | None:
    if isinstance(parsed, dict) and parsed.get("kind") in KINDS and canonical(parsed) == data:
        record = parsed  # exactly what parsing the leaf alone gives: it re-encodes to the leaf's bytes
    else:
        try:
            record = json.loads(data)
        except ValueError:
            report.add("log", f"leaf {index} is not JSON")
            return None
        if not isinstance(record, dict):
            report.add("log", f"leaf {index} is not a JSON object")
            return None
        if record.get("kind") not in KINDS:
            report.add("log", f"leaf {index} is of unknown kind {record.get('kind')!r} (not {', '.join(KINDS)})")
            return None
        if canonical(record) != data:
            report.add("log", f"leaf {index} is not canonical JSON (its bytes would hash differently if "
                              "re-encoded)")
    for key in SHARED:
        value = record.get(key)
        if type(value) is str:
            record[key] = sys.intern(value)
    if record["kind"] != "acta":
        return record
    return SlimActa.of(record, tree.tables, tree.options) if tree is not None and tree.usable else ActaLeaf.of(record)


class Merkle:
    """Roots of the first n leaves, sharing the complete subtrees between sizes."""

    def __init__(self, hashes: Hashes | list[bytes]):
        self.hashes = hashes
        self._full: dict[tuple[int, int], bytes] = {}

    def root(self, size: int) -> bytes:
        if size == 0:
            return hashlib.sha256(b"").digest()
        return self._node(0, size)

    def _node(self, lo: int, hi: int) -> bytes:
        n = hi - lo
        if n == 1:
            return self.hashes[lo]
        complete = n & (n - 1) == 0
        if complete and (lo, hi) in self._full:
            return self._full[(lo, hi)]
        k = 1 << ((n - 1).bit_length() - 1)  # the largest power of two smaller than n
        value = hashlib.sha256(b"\x01" + self._node(lo, lo + k) + self._node(lo + k, hi)).digest()
        if complete:
            self._full[(lo, hi)] = value
        return value


class BulletinChain:
    """Checks each bulletin in turn: its hash, its place in the chain and in the log, its tree head."""

    def __init__(self, report: Report, tree: Tree, records: list[dict | None], merkle: Merkle,
                 authority_key: str | None = None, expect: dict[int, str] | None = None):
        """``authority_key``, ``expect``: what the observer recorded on the night, if anything: the
        authority's public key (base64), and bulletin number -> hash."""
        self.report = report
        self.trusted_key = authority_key
        self.expect = {n: str(h).lower() for n, h in (expect or {}).items()}
        self.hashes: dict[int, str] = {}
        self.tree = tree
        self.nodes_digest = sha256_hex(canonical(tree.listing()))
        self.records = records
        self.merkle = merkle
        self.previous: str | None = None
        self.authority_key: str | None = None
        self.cut_off: str | None = None
        self.expected_number = 1

    def problem(self, number: int, text: str) -> None:
        self.report.add("bulletin", f"bulletin {number}: {text}")

    def check(self, listed: dict, data: bytes) -> tuple[dict | None, int | None]:
        """The bulletin's body (None if unreadable) and the log size it was cut at (None if unknown)."""
        number, listed_hash = listed.get("number"), listed.get("hash")
        if number != self.expected_number:
            self.report.add("bulletin", f"the list of bulletins has number {number} where "
                                        f"{self.expected_number} should be (numbers run 1, 2, 3, … with no gap)")
        self.expected_number = (number if isinstance(number, int) else self.expected_number) + 1
        digest = sha256_hex(data)
        if digest != listed_hash:
            self.problem(number, f"the SHA-256 of its body is {digest}, but the published hash is {listed_hash}")
        if isinstance(number, int):
            self.hashes.setdefault(number, digest)
        if number in self.expect and digest != self.expect[number]:
            self.problem(number, f"its hash is {digest}, but the hash recorded on the night (--expect) is "
                                 f"{self.expect[number]}")
        try:
            body = json.loads(data)
        except ValueError:
            self.problem(number, "its body is not JSON")
            self.previous = digest
            return None, None
        if canonical(body) != data:
            self.problem(number, "its body is not canonical JSON")
        self._fields(number, body)
        if body.get("previous_hash") != self.previous:
            self.problem(number, f"previous_hash is {body.get('previous_hash')}, but the bulletin before it "
                                 f"hashes to {self.previous}")
        self.previous = digest
        size = self._tree_head(number, body)
        self._own_leaf(number, digest, size)
        self.report.count("bulletins")
        return body, size

    def _fields(self, number: int, body: dict) -> None:
        t = self.tree
        if body.get("format") not in READABLE:
            self.problem(number, f"format {body.get('format')!r} is not {FORMAT!r}")
        if body.get("number") != number:
            self.problem(number, f"its body says it is number {body.get('number')}")
        election = body.get("election") or {}
        for key, want in (("name", t.name), ("date", t.date), ("time_zone", t.time_zone), ("id", t.election_id)):
            if election.get(key) != want:
                self.problem(number, f"election {key} is {election.get(key)!r}, the geography says {want!r}")
        if (body.get("drill") is True) != t.drill:
            self.problem(number, "it says it is a drill's bulletin, but the geography is a real night's" if not t.drill
                         else "it does not say it is a drill's, but the geography is a drill's")
        rule = body.get("percent_rule") or {}
        if (rule.get("method"), rule.get("decimals")) != (t.method, t.decimals):
            self.problem(number, f"percent rule {rule.get('method')}/{rule.get('decimals')} differs from the "
                                 f"election's {t.method}/{t.decimals}")
        if body.get("abstention_basis") != t.abstention_basis:
            self.problem(number, f"abstention basis {body.get('abstention_basis')!r} differs from the "
                                 f"election's {t.abstention_basis!r}")
        if body.get("contests") != _as_published(t.contest_list, body.get("format")):
            self.problem(number, "its contests and options differ from the published geography's")
        if body.get("format") in WITH_RULES and (body.get("levels"), body.get("weights")) != (t.levels, t.weights):
            self.problem(number, f"its levels {body.get('levels')} or cantons' weights {body.get('weights')} differ "
                                 "from the published geography's")
        nodes = body.get("nodes") or {}
        if t.usable and (nodes.get("count"), nodes.get("sha256")) != (len(t.order), self.nodes_digest):
            self.problem(number, f"its node list ({nodes.get('count')} nodes, SHA-256 {nodes.get('sha256')}) is not "
                                 f"the geography's in bulletin order ({len(t.order)} nodes, {self.nodes_digest})")
        cut_off = body.get("cut_off")
        if not isinstance(cut_off, str) or (self.cut_off is not None and cut_off < self.cut_off):
            self.problem(number, f"cut-off {cut_off} is earlier than the previous bulletin's {self.cut_off}")
        elif isinstance(cut_off, str):
            self.cut_off = cut_off

    def _tree_head(self, number: int, body: dict) -> int | None:
        head = body.get("log")
        if not isinstance(head, dict):
            self.problem(number, "it carries no signed tree head (\"log\"): nothing ties it to the log")
            return None
        size, root = head.get("size"), head.get("root")
        if not isinstance(size, int) or not 0 <= size <= len(self.records):
            self.problem(number, f"its log size {size!r} is not within the {len(self.records):,} published leaves")
            return None
        mine = self.merkle.root(size).hex()
        if mine != root:
            self.report.add("log", f"bulletin {number}: the root of the first {size:,} log leaves is {mine}, "
                                   f"but the bulletin's signed root is {root}")
        key_text = head.get("authority_key")
        key, signature = b64(key_text, 32), b64(head.get("signature"), 64)
        if self.trusted_key is not None and (key is None or key != b64(self.trusted_key, 32)):
            self.report.add("log", f"bulletin {number}: signed by authority key {key_text}, but the authority's "
                                   f"key recorded on the night (--authority-key) is {self.trusted_key}")
        if self.authority_key is None:
            self.authority_key = key_text
        elif key_text != self.authority_key:
            self.report.add("log", f"bulletin {number}: signed by authority key {key_text}, but bulletin 1 by "
                                   f"{self.authority_key}")
        if key is None or signature is None:
            self.report.add("log", f"bulletin {number}: its tree head's key or signature is not base64 of the "
                                   "right length")
        else:
            message = self.tree.signed(TREE_HEAD_CONTEXT, TREE_HEAD_CONTEXT_V2, {"size": size, "root": root})
            if not ed25519_ok(key, message, signature):
                self.report.add("log", f"bulletin {number}: the authority's signature of its tree head (size "
                                       f"{size:,}, root {root}) does not verify")
        return size

    def check_expected(self, listed: list[dict]) -> None:
        """Every bulletin whose hash the observer recorded was published, with that hash (checked in check)."""
        numbers = {item.get("number") for item in listed}
        for number, want in sorted(self.expect.items()):
            if number not in numbers:
                self.problem(number, f"not published, but recorded on the night (--expect) with hash {want}")
            elif number not in self.hashes:
                self.problem(number, f"its body could not be read, so its hash cannot be compared with the one "
                                     f"recorded on the night (--expect), {want}")

    def _own_leaf(self, number: int, digest: str, size: int | None) -> None:
        if size is None:
            return
        want = {"kind": "bulletin", "number": number, "hash": digest}
        found = self.records[size] if size < len(self.records) else None
        if found is None:
            self.report.add("log", f"bulletin {number}: no readable log leaf at position {size:,}, right after "
                                   "the tree it was cut at")
        elif found != want:
            self.report.add("log", f"bulletin {number}: the log leaf at position {size:,} is {_short(found)}, not "
                                   f"this bulletin's {_short(want)}")


def stray_bulletin_leaves(report: Report, records: list[dict | None], placed: set[int]) -> None:
    """Bulletin leaves that no listed bulletin accounts for."""
    for position, record in enumerate(records):
        if record and record.get("kind") == "bulletin" and position not in placed:
            report.add("log", f"log leaf {position:,} records bulletin {record.get('number')} "
                              f"(hash {record.get('hash')}), which is not a listed bulletin cut right before it")


def _short(record: dict) -> str:
    text = json.dumps(dict(record), ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 200 else text[:200] + "…"


def _as_published(contests: list[dict], fmt: object) -> list[dict]:
    """The geography's contests as a bulletin of format ``fmt`` names them (/2: without rules or option extras)."""
    if fmt in WITH_RULES:
        return contests
    return [{"code": c["code"], "name": c["name"], "blank": c["blank"],
             "options": [{"code": o["code"], "name": o["name"]} for o in c["options"]]} for c in contests]

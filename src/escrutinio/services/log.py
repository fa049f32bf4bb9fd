"""The public log: the election, its table keys (and every replacement of one), every stored acta, every change of status and every
bulletin, as Merkle leaves.

Position 0 is the election leaf: the SHA-256 of the published geography
(escrutinio.services.published.geography), so the registered voters and the
rules every figure depends on are fixed from the start. Every registration
of table keys is a keys leaf, and every replacement of a registered key a
key_replacement leaf with its operator and reason, so the key that vouches
for an acta is the one logged before it. Each leaf is the canonical JSON of one record; the tree follows RFC 6962,
so anyone holding the leaves can recompute every root, and anyone holding
one acta can check it is included with a short proof. Each bulletin names
the tree size and root it was cut at, signed with the authority's key.
"""

from __future__ import annotations

import datetime as dt
import weakref
from typing import NamedTuple

import msgspec

from ..domain.canonical import canonical_json, encode_sorted, sha256_hex
from ..domain.merkle import MerkleLog, leaf_hash
from ..domain.model import ActaEvent, Election
from ..intake import signatures
from ..store import Connection, Store
from . import authority

TREE_HEAD_CONTEXT = b"escrutinio-tree-head-v1\n"
TREE_HEAD_CONTEXT_V2 = b"escrutinio-tree-head-v2\n"
_logs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def election_leaf(geography: dict) -> tuple[str, int, bytes, bytes]:
    """The first leaf: the hash of the published geography (a dict as published.geography gives it)."""
    data = canonical_json({"kind": "election", "geography_sha256": sha256_hex(canonical_json(geography))})
    return "election", 0, data, leaf_hash(data)


def keys_leaf(public_keys: dict[str, bytes]) -> tuple[str, int, bytes, bytes]:
    """Table public keys registered (or replaced) together; ref is how many."""
    data = canonical_json({"kind": "keys", "tables": {table: signatures.encode(key)
                                                      for table, key in public_keys.items()}})
    return "keys", len(public_keys), data, leaf_hash(data)


def key_replacement_leaf(table: str, table_id: int, previous: bytes, key: bytes, operator: str, reason: str,
                         at: dt.datetime) -> tuple[str, int, bytes, bytes]:
    """A table's key replaced by an explicit act, with who did it and why; ref is the table's id."""
    data = canonical_json({"kind": "key_replacement", "table": table, "previous_key": signatures.encode(previous),
                           "key": signatures.encode(key), "operator": operator, "reason": reason,
                           "at": at.astimezone(dt.timezone.utc).isoformat()})
    return "key_replacement", table_id, data, leaf_hash(data)


class _ActaLeafRecord(msgspec.Struct, kw_only=True, gc=False):
    """A stored acta's leaf record, written by msgspec with its fields in sorted order."""

    kind: str
    id: int
    acta: msgspec.Raw
    digest: str
    status: str
    reasons: tuple
    source: str
    signature: str | None
    operator: str
    received_at: msgspec.Raw


class ActaLeaf(NamedTuple):
    """A stored acta's leaf, all but its id, status and operator (settled under the log's write lock)."""

    acta: bytes | str
    digest: str
    signature: str | None
    reasons: tuple[str, ...]
    source: str
    received_at: str

    def leaf(self, acta_id: int, status: str, operator: str) -> tuple[str, int, bytes, bytes]:
        data = encode_sorted(_ActaLeafRecord(kind="acta", id=int(acta_id), acta=msgspec.Raw(self.acta),
                                             digest=self.digest, status=status, reasons=self.reasons,
                                             source=self.source, signature=self.signature, operator=operator,
                                             received_at=msgspec.Raw(self.received_at)))
        return "acta", acta_id, data, leaf_hash(data)


def acta_leaf(acta_json: bytes | str, digest: str, signature: bytes | None, reasons: tuple[str, ...], source: str,
              received_at: str) -> ActaLeaf:
    """``acta_json`` is the acta's canonical JSON (``ActaJson(contest).encode``), ``received_at`` is
    ``leaf_time(when)``; the leaf also names the operator who took it in (its history's first line). The
    acta's text goes into the leaf as it is, so that it is not encoded a second time: the leaf equals
    ``canonical_json`` of the record (tests/test_ingest_fast.py)."""
    return ActaLeaf(acta_json, digest, signatures.encode(signature) if signature else None, tuple(reasons), source,
                    received_at)


def leaf_time(at: dt.datetime) -> str:
    """A time as the log writes it: JSON text of its UTC ISO form."""
    return encode_sorted(at.astimezone(dt.timezone.utc).isoformat()).decode()


def event_leaf(event: ActaEvent) -> tuple[str, int, bytes, bytes]:
    data = canonical_json({"kind": "event", "acta_id": event.acta_id, "action": event.action,
                           "operator": event.operator, "reason": event.reason,
                           "at": event.at.astimezone(dt.timezone.utc).isoformat()})
    return "event", event.acta_id, data, leaf_hash(data)


def entered_acta_leaf(acta: dict, digest: str, acta_id: int, status: str, reasons: tuple[str, ...], source: str,
                      at: dt.datetime, operator: str, entry: str, **more: object) -> tuple[str, int, bytes, bytes]:
    """The leaf of an acta entered at the centre: keyed in by hand (``entry`` "manual": its first entry, with
    the operator's ``token`` id and an ``image_sha256`` if a scan was given) or a board's recount
    (``entry`` "recount", with the ``board_ref`` and ``reason``). It has no signature: a manual acta is
    vouched for by two agreeing entries by two tokens, a recount by the admin's logged decision."""
    record = {"kind": "acta", "id": acta_id, "acta": acta, "digest": digest, "status": status,
              "reasons": list(reasons), "source": source, "signature": None, "operator": operator, "entry": entry,
              "received_at": at.astimezone(dt.timezone.utc).isoformat(),
              **{k: v for k, v in more.items() if v is not None}}
    data = canonical_json(record)
    return "acta", acta_id, data, leaf_hash(data)


def second_entry_leaf(event: ActaEvent, token: int, image_sha256: str | None) -> tuple[str, int, bytes, bytes]:
    """A manual acta's second entry, agreeing field by field with the first: an event leaf that also names the
    second operator's token id (which must differ from the first entry's)."""
    record = {"kind": "event", "acta_id": event.acta_id, "action": event.action, "operator": event.operator,
              "reason": event.reason, "at": event.at.astimezone(dt.timezone.utc).isoformat(), "token": token}
    if image_sha256:
        record["image_sha256"] = image_sha256
    data = canonical_json(record)
    return "event", event.acta_id, data, leaf_hash(data)


def bulletin_leaf(number: int, bulletin_hash: str) -> tuple[str, int, bytes, bytes]:
    data = canonical_json({"kind": "bulletin", "number": number, "hash": bulletin_hash})
    return "bulletin", number, data, leaf_hash(data)


def merkle(store: Store, conn: Connection | None = None) -> MerkleLog:
    """The store's log as a Merkle tree, brought up to date with what the store holds."""
    log = _logs.get(store)
    if log is None:
        log = _logs[store] = MerkleLog()
    for digest in store.log_hashes(len(log), conn):
        log.append_hash(digest)
    return log


def tree_head_bytes(election: Election, size: int, root: bytes) -> bytes:
    """What the authority signs; version 2 names the election's identifier (an election made before
    identifiers keeps version 1)."""
    if election.id:
        return TREE_HEAD_CONTEXT_V2 + canonical_json({"election_id": election.id, "election": election.name,
                                                      "date": election.date.isoformat(), "size": size,
                                                      "root": root.hex()})
    return TREE_HEAD_CONTEXT + canonical_json({"election": election.name, "date": election.date.isoformat(),
                                               "size": size, "root": root.hex()})


def authority_keys(store: Store, conn: Connection, now: dt.datetime) -> tuple[bytes, bytes]:
    """The authority's (public, private) key pair: from its file or the environment where the settings say
    (services.authority; the database then holds the public key only), else kept in the database, made
    on first use there (stores made before key files)."""
    found = store.authority_key(conn)
    pair = authority.signing_key(store, found)
    if pair is not None:
        if found is None:
            store.set_authority_key(conn, pair[0], None, now)
        return pair
    private = signatures.new_private_key()
    public = signatures.public_key(private)
    store.set_authority_key(conn, public, private, now)
    return public, private


def signed_tree_head(store: Store, conn: Connection, now: dt.datetime) -> dict:
    """The log's size and root now, signed by the authority."""
    log = merkle(store, conn)
    size, root = len(log), log.root()
    public, private = authority_keys(store, conn, now)
    signature = signatures.sign(private, tree_head_bytes(store.election(), size, root))
    return {"size": size, "root": root.hex(), "signature": signatures.encode(signature),
            "authority_key": signatures.encode(public)}


def inclusion(store: Store, kind: str, ref: int, size: int | None = None) -> dict | None:
    """What proves the leaf of (kind, ref) is in the tree of ``size`` leaves (default: all)."""
    position = store.log_position(kind, ref)
    log = merkle(store)
    size = len(log) if size is None else size
    if position is None or position >= size:
        return None
    [leaf] = store.log_leaves(position, position + 1)
    return {"position": position, "size": size, "root": log.root(size).hex(),
            "leaf": leaf["data"].decode(), "leaf_hash": log.levels[0][position].hex(),
            "proof": [h.hex() for h in log.inclusion_proof(position, size)]}


def consistency(store: Store, old: int, new: int | None = None) -> dict:
    log = merkle(store)
    new = len(log) if new is None else new
    return {"old": old, "new": new, "old_root": log.root(old).hex(), "new_root": log.root(new).hex(),
            "proof": [h.hex() for h in log.consistency_proof(old, new)]}

"""Everything an observer needs to recompute the night, as plain JSON documents.

The same documents are served over HTTP (under /api/v1/published/) and read
straight from a database by ``escrutinio verify --db``; the verifier
recomputes every bulletin from them with code of its own.
"""

from __future__ import annotations

import base64

from ..domain.model import Election
from ..store import Store
from . import log

PAGE = 5000


def geography(store: Store) -> dict:
    """The election and its whole tree: areas, centres and tables with their registered voters."""
    return geography_of(store.election())


def geography_of(e: Election) -> dict:
    return {
        "election": {"name": e.name, "date": e.date.isoformat(), "time_zone": e.time_zone,
                     "percent_rule": {"method": e.percent_rule.method, "decimals": e.percent_rule.decimals},
                     "abstention_basis": e.abstention_basis, "extra_voters_allowed": e.extra_voters_allowed,
                     "require_signatures": e.require_signatures, "levels": list(e.levels),
                     # Only where set, so that a store made before identifiers publishes what its log holds.
                     **({"id": e.id} if e.id else {}), **({"drill": True} if e.drill else {})},
        "contests": [{"code": c.code, "name": c.name, "blank": c.blank,
                      "options": [{"code": o.code, "name": o.name, **o.extras()} for o in c.options],
                      "rule": c.rule.as_dict()} for c in e.contests],
        "areas": [{"code": a.code, "name": a.name, "level": e.levels[a.level], "parent": a.parent,
                   **({"weight": a.weight} if a.weight is not None else {})} for a in e.areas],
        "centres": [{"code": c.code, "name": c.name, "area": c.area} for c in e.centres],
        "tables": [{"code": t.code, "centre": t.centre, "registered": t.registered, "contests": list(t.contests)}
                   for t in e.tables],
    }


def table_keys(store: Store) -> dict:
    return {"keys": {table: base64.b64encode(key).decode() for table, key in store.table_keys(refresh=True).items()}}


def actas(store: Store, after: int = 0, limit: int = PAGE) -> dict:
    """Stored actas with id > ``after``, oldest first, as stored now (status, source, time received and
    history included: the log commits to each of them)."""
    items = []
    records = store.actas_page(after, limit)
    history = store.acta_events_of(records[0].id, records[-1].id) if records else {}
    for record in records:
        items.append({"id": record.id, "table": record.acta.table, "contest": record.acta.contest,
                      "acta": record.acta.as_dict(), "digest": record.digest, "status": record.status,
                      "reasons": list(record.reasons), "signature": record.signature, "source": record.source,
                      "received_at": record.received_at.isoformat(), "entry": record.entry,
                      "image_sha256": record.image_sha256,
                      "history": [{"at": e.at.isoformat(), "action": e.action, "operator": e.operator,
                                   "reason": e.reason} for e in history.get(record.id, [])]})
    return {"actas": items, "next": items[-1]["id"] if len(items) == limit else None}


def log_leaves(store: Store, start: int = 0, limit: int = PAGE) -> dict:
    leaves = store.log_leaves(start, start + limit)
    return {"leaves": [{"position": leaf["position"], "data": leaf["data"].decode(),
                        "leaf_hash": leaf["leaf_hash"].hex()} for leaf in leaves],
            "next": start + limit if len(leaves) == limit else None}


def bulletins(store: Store) -> dict:
    """Every bulletin's number and hash; each whole body is at /api/v1/bulletins/{n}/full."""
    return {"bulletins": [{"number": h["number"], "hash": h["hash"]} for h in store.bulletin_heads()]}


def timeline_bulletins(store: Store) -> dict:
    """Every automatic bulletin entry of the timeline with the figures stored with it when it was posted
    (pages render them from the bulletin itself; ``escrutinio verify`` holds this copy to the bulletin)."""
    return {"entries": store.bulletin_entries_as_stored()}


def consistency(store: Store, old: int, new: int) -> dict:
    """The proof that the log's tree of ``old`` leaves is a prefix of its tree of ``new`` (hex hashes)."""
    return log.consistency(store, old, new)

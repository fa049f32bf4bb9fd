"""The public log over HTTP: its head, inclusion proofs of actas and bulletins, consistency proofs."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from .. import services
from ..domain.errors import NotFound
from ..intake import signatures
from .caching import cached
from .models import Whole

router = APIRouter(prefix="/api/v1/log")
PROBLEM = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
           "description": "Problem details (RFC 9457)"}


def _store(request: Request):
    return request.app.state.store


@router.get("", responses={503: PROBLEM})
def head(request: Request):
    """The log's size and root now, and the authority's public key that signs tree heads in bulletins."""
    store = _store(request)
    log = services.log.merkle(store)
    key = store.authority_key()
    body = {"size": len(log), "root": log.root().hex(),
            "authority_key": signatures.encode(key[0]) if key else None}
    return cached(request, body, max_age=1)


@router.get("/proof", responses={404: PROBLEM, 503: PROBLEM})
def inclusion(request: Request, kind: str = Query(..., pattern="^(election|keys|acta|event|bulletin)$"),
              ref: Whole = Query(..., ge=0, le=2**62),
              size: Whole = Query(0, ge=0, le=2**62, description="0: the whole log")):
    """Proof that the leaf of an acta (ref: acta id), event or bulletin (ref: number) is in the tree of
    ``size`` leaves (default: the whole log). Check it with RFC 9162 §2.1.3.2 against that tree's root."""
    store = _store(request)
    if size > len(services.log.merkle(store)):
        raise NotFound("log size", size)
    proof = services.log.inclusion(store, kind, ref, size or None)
    if proof is None:
        raise NotFound(f"{kind} in the log", ref)
    return cached(request, proof, etag=f"incl-{kind}-{ref}-{proof['size']}", immutable=bool(size))


@router.get("/consistency", responses={404: PROBLEM, 503: PROBLEM})
def consistency(request: Request, old: Whole = Query(..., ge=0, le=2**62),
                new: Whole = Query(0, ge=0, le=2**62, description="0: the whole log")):
    """Proof that the tree of ``old`` leaves is a prefix of the tree of ``new`` (RFC 9162 §2.1.4.2)."""
    store = _store(request)
    size = len(services.log.merkle(store))
    new = new or size
    if new > size or old > new:
        raise NotFound("log sizes", f"{old}..{new}")
    return cached(request, services.log.consistency(store, old, new), etag=f"cons-{old}-{new}", immutable=True)

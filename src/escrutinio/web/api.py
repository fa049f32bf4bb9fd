"""The JSON API under /api/v1: every page's twin, CSV downloads, live events and acta intake."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from .. import services
from ..domain.canonical import canonical_json
from ..domain.errors import NotFound
from ..publish.csvout import bulletin_csv
from ..services import results
from ..services.export import bulletin_document
from . import models
from .models import Whole
from .caching import cached
from .intake import acta_request_schema, acta_responses, post_actas

PROBLEM = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
           "description": "Problem details (RFC 9457)"}
NO_ELECTION = {**PROBLEM, "description": "The database holds no election yet (problem details, RFC 9457)"}
router = APIRouter(prefix="/api/v1", responses={503: NO_ELECTION})
MAX_NUMBER = 2**63 - 1  # the largest number a BIGINT column holds (acta ids, log positions)
MAX_BULLETIN = 2**31 - 1  # bulletin numbers are INTEGER (32 bits in PostgreSQL)


class CSVResponse(Response):
    """Declares the media type of a CSV download in the OpenAPI document."""

    media_type = "text/csv"


class EventStreamResponse(StreamingResponse):
    """Declares the media type of the live stream in the OpenAPI document."""

    media_type = "text/event-stream"


def _store(request: Request):
    return request.app.state.store


def _bulletin(request: Request, number: Whole):
    """Bulletin NUMBER; a number no bulletin can have is as unknown as any other."""
    if not 1 <= number <= MAX_BULLETIN:
        raise NotFound("bulletin", number)
    return services.get_bulletin(_store(request), number)


def _is_public(request: Request) -> bool:
    from ..services.publication import is_public

    return is_public(request.app.state.store)


def _public(request: Request) -> None:
    """Figures only once the publication policy allows (web/publication.py)."""
    from .publication import require_public

    require_public(request)


@router.get("/election", response_model=models.ElectionOut)
def election(request: Request):
    """The election: date, time zone, percent rule, contests and levels."""
    e = _store(request).election()
    return cached(request, election_out(e), etag=f"election-{e.id}-{len(e.tables)}", max_age=60)


def election_out(e) -> dict:
    rule = e.percent_rule
    return {"id": e.id, "drill": e.drill, "name": e.name, "date": e.date.isoformat(), "time_zone": e.time_zone,
            "polls_open": e.polls_open.isoformat(), "polls_close": e.polls_close.isoformat(), "locale": e.locale,
            "percent_rule": {"method": rule.method, "decimals": rule.decimals, "text": rule.describe()},
            "abstention_basis": e.abstention_basis, "levels": list(e.levels), "root": e.root.code,
            "contests": [{"code": c.code, "name": c.name, "blank": c.blank,
                          "options": [{"code": o.code, "name": o.name} for o in c.options]} for c in e.contests]}


@router.get("/areas", response_model=list[models.AreaNode])
def areas(request: Request):
    """The whole tree of areas (centres and tables: see one area)."""
    e = _store(request).election()
    body = [{"code": a.code, "name": a.name, "level": e.levels[a.level], "parent": a.parent} for a in e.areas]
    return cached(request, body, etag=f"areas-{len(e.areas)}", max_age=300)


@router.get("/areas/{code}", response_model=models.AreaOut, responses={404: PROBLEM})
def area(request: Request, code: str):
    """One area or centre: breadcrumbs, child areas or centres, and its tables with their status."""
    view = results.area_view(_store(request), code, None)
    view.pop("results")
    view["children"] = [{k: c[k] for k in ("code", "name", "kind", "level")} for c in view["children"]]
    return cached(request, view, max_age=2)


@router.get("/tables/{code}", response_model=models.TableOut, responses={404: PROBLEM})
def table(request: Request, code: str):
    """One table: per contest its status and every acta received, with its history."""
    return cached(request, results.table_view(_store(request), code, figures=_is_public(request)), max_age=2)


@router.get("/actas/{acta_id}/image", response_class=Response, responses={404: PROBLEM, 200: {
    "content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}, "application/pdf": {}},
    "description": "The scanned paper acta of a manual entry, as given; its SHA-256 is in the acta's log leaf"}})
def acta_image(request: Request, acta_id: Whole):
    """The scanned paper acta of an acta keyed in by hand, if one was given."""
    if not 1 <= acta_id <= MAX_NUMBER:  # beyond a database integer: unknown, not a server error
        raise NotFound("acta", acta_id)
    store = _store(request)
    record = store.acta(acta_id)
    found = store.image(record.image_sha256) if record.image_sha256 else None
    if found is None:
        raise NotFound("image of acta", acta_id)
    return Response(found[1], media_type=found[0], headers={
        "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox", "ETag": f'"{record.image_sha256}"'})


@router.get("/bulletins", response_model=list[models.BulletinHead])
def bulletins(request: Request):
    """Every published bulletin, oldest first."""
    heads = [{**h, "cut_off": h["cut_off"].isoformat(), "published_at": h["published_at"].isoformat()}
             for h in services.list_bulletins(_store(request))] if _is_public(request) else []
    return cached(request, heads, max_age=2)


@router.get("/bulletins/latest", dependencies=[Depends(_public)], response_model=models.BulletinOut, responses={404: PROBLEM})
def latest_bulletin(request: Request, area: str | None = None):
    """The latest bulletin at one area (default: the whole country) and its children."""
    bulletin = services.get_bulletin(_store(request), None)
    return cached(request, bulletin_out(request, bulletin, area), etag=f"{bulletin.hash}-{area}", max_age=2)


@router.get("/bulletins/{number}", dependencies=[Depends(_public)], response_model=models.BulletinOut, responses={404: PROBLEM})
def bulletin(request: Request, number: Whole, area: str | None = None):
    """Bulletin NUMBER at one area (default: the whole country) and its children. Immutable."""
    found = _bulletin(request, number)
    return cached(request, bulletin_out(request, found, area), etag=f"{found.hash}-{area}", immutable=True)


@router.get("/bulletins/{number}/areas/{code}", dependencies=[Depends(_public)], response_model=models.BulletinOut, responses={404: PROBLEM})
def bulletin_area(request: Request, number: Whole, code: str):
    """One area of bulletin NUMBER, with its children. Immutable."""
    found = _bulletin(request, number)
    return cached(request, bulletin_out(request, found, code), etag=f"{found.hash}-{code}", immutable=True)


@router.get("/bulletins/{number}/full", dependencies=[Depends(_public)], responses={200: {"content": {"application/json": {}}}, 404: PROBLEM})
def bulletin_full(request: Request, number: Whole):
    """The bulletin's head as canonical JSON: its SHA-256 is the bulletin's hash. It names the SHA-256 of
    the node list (/api/v1/nodes) and of each contest's counters (/api/v1/bulletins/NUMBER/counters/CONTEST)."""
    found = _bulletin(request, number)
    return cached(request, canonical_json(found.body), etag=found.hash, immutable=True, raw=True)


@router.get("/bulletins/{number}/counters/{contest}", dependencies=[Depends(_public)],
            responses={200: {"content": {"application/octet-stream": {"schema": {"type": "string",
                                                                                  "format": "binary"}}}},
                       404: PROBLEM})
def bulletin_counters(request: Request, number: Whole, contest: str):
    """One contest's counters at every node: 64-bit little-endian integers, one row per node of
    /api/v1/nodes, the columns named in the head (docs/api.md). Immutable."""
    found = _bulletin(request, number)
    if contest not in found.counters:
        raise NotFound("contest", contest)
    return cached(request, found.counter_bytes(contest), etag=f"{found.hash}-{contest}", immutable=True, raw=True,
                  media_type="application/octet-stream")


@router.get("/bulletins/{number}/previous", dependencies=[Depends(_public)],
            responses={200: {"content": {"application/octet-stream": {"schema": {"type": "string",
                                                                                  "format": "binary"}}}},
                       404: PROBLEM})
def bulletin_previous(request: Request, number: Whole):
    """The previous election's figures the bulletin's projection used: 64-bit little-endian integers, one row
    per node of /api/v1/nodes, the columns its head names under ``previous`` (its SHA-256 there too;
    docs/api.md). Immutable; 404 when the bulletin publishes none."""
    found = _bulletin(request, number)
    data = found.previous_bytes()
    if data is None:
        raise NotFound("previous election of bulletin", number)
    return cached(request, data, etag=f"{found.hash}-previous", immutable=True, raw=True,
                  media_type="application/octet-stream")


@router.get("/nodes", responses={200: {"content": {"application/json": {}}}})
def nodes(request: Request):
    """Every area and centre in bulletin order, as canonical JSON: its SHA-256 is in every bulletin's head."""
    listing = request.app.state.store.nodes()
    return cached(request, listing.canonical, etag=listing.digest, max_age=60, raw=True)


@router.get("/bulletins/{number}/csv", dependencies=[Depends(_public)], response_class=CSVResponse,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, 404: PROBLEM})
def bulletin_as_csv(request: Request, number: Whole, level: str | None = Query(None, description="e.g. estado, "
                    "or centre: every area of that level"), area: str | None = Query(None, description=
                    "an area and its children (default: the whole country and the first level)")):
    """Bulletin NUMBER as CSV, one row per area and contest."""
    found = _bulletin(request, number)
    chosen = _csv_areas(found, level, area)
    text = bulletin_csv(found, chosen).encode()
    name = f"bulletin-{number}-{level or area or 'summary'}.csv"
    return cached(request, text, etag=f"{found.hash}-csv-{level}-{area}", immutable=True, raw=True,
                  media_type="text/csv; charset=utf-8",
                  headers={"Content-Disposition": attachment(name)})


def attachment(name: str) -> str:
    """Content-Disposition for a download named ``name`` (RFC 6266): an ASCII fallback with anything but
    letters, digits, dots, dashes and underscores replaced, and the exact name, UTF-8, in ``filename*``."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _csv_areas(found, level: str | None, code: str | None) -> Iterable[dict]:
    if level:
        if not found.nodes.at_level(level):
            raise NotFound("level", level)
        return found.at_level(level)
    entry = found.area(code) if code else found.root
    if entry is None:
        raise NotFound("area", code)
    return [entry, *found.children(entry["code"])]


def bulletin_out(request: Request, found, code: str | None) -> dict:
    entry = found.area(code) if code else found.root
    if entry is None:
        raise NotFound("area", code)
    return bulletin_document(found, entry, str(request.url_for("bulletin_full", number=found.number).path))


@router.get("/events", response_class=EventStreamResponse,
            responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                             "description": "Server-sent events: see docs/api.md"}})
async def events(request: Request):
    """Live stream: an event `bulletin` with {number, hash, cut_off, cut_off_local} at each publication."""
    return request.app.state.stream_slots.open(request, request.app.state.broker.stream(),
                                               media_type="text/event-stream",
                                               headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


router.add_api_route("/actas", post_actas, methods=["POST"], responses=acta_responses(PROBLEM),
                     summary="Send one acta or a batch", openapi_extra=acta_request_schema(), response_model=None)


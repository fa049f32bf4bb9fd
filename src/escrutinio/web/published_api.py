"""The open-data API under /api/v1/published: everything an observer needs to recompute the night.

The same documents ``escrutinio verify --db`` reads from a database
(escrutinio.services.published); ``escrutinio verify --url`` reads them here,
with each bulletin's whole body from /api/v1/bulletins/{n}/full.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from .. import services
from ..services import published
from .api import MAX_NUMBER, NO_ELECTION
from .caching import cached
from .models import ContestRef, Strict, Whole

from .publication import require_public  # noqa: E402

router = APIRouter(prefix="/api/v1/published", responses={503: NO_ELECTION})


class PercentRuleIn(Strict):
    method: str = Field(description="truncate or half_up")
    decimals: int


class PublishedElection(Strict):
    name: str
    date: str
    time_zone: str
    percent_rule: PercentRuleIn
    abstention_basis: str
    extra_voters_allowed: int = Field(description="Voters a table may take beyond its register")
    require_signatures: bool = Field(description="False only in the unsigned mode for demos and tests")
    levels: list[str]
    id: str | None = Field(default=None, description="The election's random identifier, inside every signed acta "
                                                     "(absent: an election created before identifiers)")
    drill: bool | None = Field(default=None, description="true on a rehearsal night (absent on a real night)")


class PublishedArea(Strict):
    code: str
    name: str
    level: str
    parent: str | None


class PublishedCentre(Strict):
    code: str
    name: str
    area: str


class PublishedTable(Strict):
    code: str
    centre: str
    registered: int
    contests: list[str] = Field(description="Codes of the contests on this table's ballot")


class Geography(Strict):
    election: PublishedElection
    contests: list[ContestRef]
    areas: list[PublishedArea]
    centres: list[PublishedCentre]
    tables: list[PublishedTable]


class TableKeys(Strict):
    keys: dict[str, str] = Field(description="Per table: its Ed25519 public key, base64")


class ActaContent(Strict):
    table: str
    contest: str
    votes: dict[str, int]
    null: int
    blank: int
    ballots_cast: int


class ActaHistoryEntry(Strict):
    at: str
    action: str
    operator: str
    reason: str


class PublishedActa(Strict):
    id: int
    table: str
    contest: str
    acta: ActaContent
    digest: str = Field(description="SHA-256 (hex) of the acta's canonical JSON")
    status: str = Field(description="counted, quarantined, conflicting, set_aside, annulled or awaiting_second_entry, "
                                    "as it stands now")
    reasons: list[str]
    signature: str | None = Field(description="Ed25519 by the table's key, base64; null in unsigned mode")
    source: str = Field(description="Where the acta came from (channel, file and row), as its log leaf says")
    received_at: str = Field(description="When it was stored (UTC, ISO 8601), as its log leaf says")
    entry: str | None = Field(None, description="null: sent by the table's device; manual: keyed in by hand from the "
                                                "paper acta (twice, by two operators); recount: a board's recount")
    image_sha256: str | None = Field(None, description="SHA-256 of the scanned paper acta of a manual entry, if any")
    history: list[ActaHistoryEntry] = Field(description="Every change of its status, oldest first; each is an "
                                                        "event leaf of the log")


class ActaPage(Strict):
    actas: list[PublishedActa]
    next: int | None = Field(description="Pass as ?after= for the next page; null on the last page")


class LogLeaf(Strict):
    position: int
    data: str = Field(description="The leaf's canonical JSON; its leaf hash is SHA-256(0x00 || data)")
    leaf_hash: str = Field(description="The leaf hash the site stores and builds its proofs from (hex)")


class LogPage(Strict):
    leaves: list[LogLeaf]
    next: int | None = Field(description="Pass as ?start= for the next page; null on the last page")


class TimelineBulletinEntry(Strict):
    id: int
    bulletin_number: int
    data: dict | None = Field(description="The figures stored with the entry when it was posted")


class TimelineBulletins(Strict):
    entries: list[TimelineBulletinEntry]


class BulletinRef(Strict):
    number: Whole
    hash: str


class BulletinList(Strict):
    bulletins: list[BulletinRef]


class RefusedCounts(Strict):
    counts: dict[str, int] = Field(description="Actas refused at intake since the night began, per reason code "
                                               "(bad_signature, unsigned, unknown_key, unknown_table, "
                                               "unknown_contest, malformed, too_large); never their content")


def _store(request: Request):
    return request.app.state.store


@router.get("/geography", response_model=Geography)
def geography(request: Request):
    """The election and its whole tree: areas, centres and tables with their registered voters."""
    return cached(request, published.geography(_store(request)), max_age=60)


@router.get("/keys", response_model=TableKeys)
def keys(request: Request):
    """Every table's public key, that its actas' signatures verify with."""
    return cached(request, published.table_keys(_store(request)), max_age=10)


@router.get("/actas", dependencies=[Depends(require_public)], response_model=ActaPage)
def actas(request: Request, after: Whole = Query(0, ge=0, le=MAX_NUMBER, description="Actas with an id above this")):
    """Stored actas, oldest first, a page at a time, with each one's status as it stands now."""
    return cached(request, published.actas(_store(request), after), max_age=2)


@router.get("/log", dependencies=[Depends(require_public)], response_model=LogPage)
def log(request: Request, start: Whole = Query(0, ge=0, le=MAX_NUMBER - published.PAGE,
                                             description="Position of the first leaf")):
    """The public log's leaves from START, a page at a time. A full page never changes."""
    page = published.log_leaves(_store(request), start)
    return cached(request, page, immutable=page["next"] is not None, max_age=2)


@router.get("/bulletins", dependencies=[Depends(require_public)], response_model=BulletinList)
def bulletins(request: Request):
    """Every bulletin's number and hash; each whole body is at /api/v1/bulletins/{n}/full."""
    return cached(request, published.bulletins(_store(request)), max_age=2)


@router.get("/timeline-bulletins", dependencies=[Depends(require_public)], response_model=TimelineBulletins)
def timeline_bulletins(request: Request):
    """Every automatic bulletin entry of the timeline with the figures stored with it when it was posted."""
    return cached(request, published.timeline_bulletins(_store(request)), max_age=2)


@router.get("/refused", response_model=RefusedCounts)
def refused(request: Request):
    """How many actas were refused at intake, per reason (the register itself is for operators:
    escrutinio actas --status refused)."""
    return cached(request, {"counts": services.intake.refused_counts(_store(request))}, max_age=10)

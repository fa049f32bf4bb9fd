"""Read models for the public: one area with its children, one table with its actas."""

from __future__ import annotations

from ..domain.bulletin import Bulletin
from ..domain.errors import NotFound
from ..domain.model import AWAITING, COUNTED, CONFLICTING, MANUAL, QUARANTINED, ActaRecord, Area, Centre, Election
from ..store import Store
from .keys import key_replacements

# A table's status for one contest, as shown to the public.
NOT_RECEIVED = "not_received"
CONFLICT = "conflict"
TABLE_STATUSES = (COUNTED, QUARANTINED, CONFLICT, AWAITING, NOT_RECEIVED)


def node(election: Election, code: str) -> Area | Centre:
    found = election.area_by_code.get(code) or election.centre_by_code.get(code)
    if found is None:
        raise NotFound("area", code)
    return found


def breadcrumbs(election: Election, code: str) -> list[dict]:
    return [_ref(election, n) for n in election.lineage(code)]


def _ref(election: Election, item: Area | Centre) -> dict:
    if isinstance(item, Centre):
        return {"code": item.code, "name": item.name, "kind": "centre", "level": "centre"}
    return {"code": item.code, "name": item.name, "kind": "area", "level": election.levels[item.level]}


def area_view(store: Store, code: str, bulletin: Bulletin | None) -> dict:
    """An area or centre: where it is, its figures in ``bulletin``, and its children's."""
    election = store.election()
    item = node(election, code)
    areas, centres, tables = election.children[code]
    figures = {a["code"]: a["results"] for a in bulletin.children(code)} if bulletin else {}
    children = [{**_ref(election, child), "results": figures.get(child.code, {})} for child in areas + centres]
    here = bulletin.area(code) if bulletin else None
    view = {**_ref(election, item), "breadcrumbs": breadcrumbs(election, code),
            "results": here["results"] if here else {}, "children": children, "tables": []}
    if tables:
        statuses = table_statuses(store, [t.code for t in tables])
        view["tables"] = [{"code": t.code, "registered": t.registered, "contests": list(t.contests),
                           "status": statuses.get(t.code, {})} for t in tables]
    return view


def table_statuses(store: Store, codes: list[str]) -> dict[str, dict[str, str]]:
    """Per table and contest on its ballot: counted, quarantined, conflict or not received."""
    election = store.election()
    out = {}
    with store.reading() as conn:
        for code in codes:
            held = list(store.actas(conn, table=code))
            out[code] = {c: slot_status([r for r in held if r.acta.contest == c])
                         for c in election.table_by_code[code].contests}
    return out


def slot_status(held: list[ActaRecord]) -> str:
    statuses = {r.status for r in held}
    waiting = [r for r in held if r.status == AWAITING and r.entry == MANUAL]
    if CONFLICTING in statuses or len(waiting) > 1:  # two manual entries that disagree are a conflict too
        return CONFLICT
    if COUNTED in statuses:
        return COUNTED
    if QUARANTINED in statuses:
        return QUARANTINED
    if waiting:
        return AWAITING
    return NOT_RECEIVED


def table_view(store: Store, code: str, figures: bool = True) -> dict:
    """A table: where it is, and per contest its status and every acta with its history (without
    ``figures``, while the publication policy holds them: the statuses only, no acta)."""
    election = store.election()
    table = election.table_by_code.get(code)
    if table is None:
        raise NotFound("table", code)
    held = list(store.actas(table=code))
    contests = []
    for contest_code in table.contests:
        mine = [r for r in held if r.acta.contest == contest_code]
        contests.append({"code": contest_code, "name": election.contest_by_code[contest_code].name,
                         "status": slot_status(mine), "actas": [_acta(store, r) for r in mine] if figures else []})
    replaced = [{k: r[k] for k in ("at", "previous_key", "key", "operator", "reason", "log_position")}
                for r in key_replacements(store, code)]
    return {"code": table.code, "registered": table.registered, "centre": table.centre,
            "breadcrumbs": breadcrumbs(election, table.centre), "contests": contests, "key_replacements": replaced,
            "figures_held": not figures}


def _acta(store: Store, record: ActaRecord) -> dict:
    acta = record.acta
    return {"id": record.id, "status": record.status, "reasons": list(record.reasons),
            "votes": [{"code": c, "votes": n} for c, n in acta.votes], "null": acta.null, "blank": acta.blank,
            "ballots_cast": acta.ballots_cast, "valid": acta.valid, "digest": record.digest,
            "source": record.source, "received_at": record.received_at.isoformat(),
            "signature": record.signature, "entry": record.entry, "confirmed_by": record.confirmed_by,
            "image_sha256": record.image_sha256,
            "image_url": f"/api/v1/actas/{record.id}/image" if record.image_sha256 else None,
            "log_position": store.log_position("acta", record.id),
            "proof": f"/api/v1/log/proof?kind=acta&ref={record.id}",
            "history": [{"at": e.at.isoformat(), "action": e.action, "operator": e.operator, "reason": e.reason}
                        for e in store.acta_events(record.id)]}

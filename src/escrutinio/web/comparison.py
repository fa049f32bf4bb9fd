"""The previous election on the web: its record, the comparison per area and level, the transfer table,
and the comparison page with the swing map."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from .. import services
from ..domain.errors import NotFound
from ..publish.svgmap import MapRegion, available_maps, load_map, option_palette, render_map, shade
from .api import NO_ELECTION, PROBLEM, _bulletin
from .caching import cached
from .models import Whole

router = APIRouter(prefix="/api/v1", tags=["previous election"], responses={503: NO_ELECTION})
pages = APIRouter(include_in_schema=False)
JSON = {"content": {"application/json": {}}}


def _previous(request: Request):
    found = services.comparison.get_previous(request.app.state.store)
    if found is None:
        raise NotFound("previous election", "none loaded")
    return found


def previous_record(found) -> dict:
    totals = found.totals()
    return {"name": found.name, "date": found.date, "unit": found.unit, "units": len(found.units),
            "options": [{"code": c, "name": n} for c, n in found.options], "mapping": found.mapping,
            "registered": totals[0], "ballots_cast": totals[1], "null": totals[2],
            "votes": dict(zip(found.option_codes, totals[3:])), "unmatched": list(found.unmatched),
            "split": list(found.split), "source": found.source}


@router.get("/previous", responses={200: JSON, 404: PROBLEM})
def previous(request: Request):
    """The loaded previous election: its options, tonight's options mapped to them, its whole figures, and
    every code that could not be matched (docs/formats/previous.md)."""
    return cached(request, previous_record(_previous(request)), max_age=10)


@router.get("/bulletins/{number}/comparison", responses={200: JSON, 404: PROBLEM})
def comparison(request: Request, number: Whole, area: str | None = Query(None, description="an area code "
               "(default: the whole country)"), level: str | None = Query(None, description="every area of "
               "this level instead (e.g. estado)")):
    """Bulletin NUMBER beside the previous election: per contest, change in votes and points per mapped
    option, change in turnout, leader then and now. Worked out on request; not part of the bulletin's hash."""
    store = request.app.state.store
    found = _bulletin(request, number)
    record = _previous(request)
    if level is not None:
        if not found.nodes.at_level(level):
            raise NotFound("level", level)
        body = {"previous": record.name, "bulletin": number, "level": level,
                "areas": services.comparison.comparison_level(store, found, level)}
    else:
        body = {"previous": record.name, "bulletin": number, "area": area or found.nodes.codes[0],
                "contests": services.comparison.comparison(store, found, area)}
    return cached(request, body, max_age=10)


@router.get("/bulletins/{number}/transfer/{contest}", responses={200: JSON, 404: PROBLEM})
def transfer(request: Request, number: Whole, contest: str):
    """Where the previous election's voters went in CONTEST: Duncan–Davis bounds (exact) and Goodman's
    estimate with a bootstrap interval, over areas fully counted in bulletin NUMBER; with its caveats."""
    found = _bulletin(request, number)
    _previous(request)
    return cached(request, services.comparison.transfer(request.app.state.store, found, contest), max_age=10)


@pages.get("/comparison", response_class=HTMLResponse)
def comparison_page(request: Request, contest: str | None = None, level: str | None = None,
                    bulletin: int | None = None):
    app_pages = request.app.state.pages
    store = app_pages.store
    record = _previous(request)
    shown = services.get_bulletin(store, bulletin) if bulletin else app_pages.latest()
    if shown is None:
        raise NotFound("bulletin", "latest (none published yet)")
    contests = [c for c in shown.body["contests"] if any(record.mapping.get(o["code"]) for o in c["options"])]
    if not contests:
        raise NotFound("contest", "with an option mapped to the previous election")
    chosen = next((c for c in contests if c["code"] == contest), contests[0])
    levels = shown.body["levels"]
    level = level if level in levels[1:] else (levels[1] if len(levels) > 1 else levels[0])
    root = services.comparison.comparison(store, shown) or {}
    areas = services.comparison.comparison_level(store, shown, level)
    moved = services.comparison.transfer(store, shown, chosen["code"])
    lang = app_pages.language(request)
    return app_pages.render(
        request, "comparison.html", bulletin=shown, previous=previous_record(record), contests=contests,
        contest=chosen, level=level, levels=levels[1:], root=root.get(chosen["code"]), areas=areas,
        changed=[a for a in areas if a["comparison"].get(chosen["code"], {}).get("leader_changed")],
        transfer=moved, swing_map=_swing_map(store, shown, chosen, areas, lang),
        json_twin=f"/api/v1/bulletins/{shown.number}/comparison?level={level}")


def _swing_map(store, bulletin, contest: dict, areas: list[dict], lang) -> str | None:
    """Each first-level area shaded by the option whose share grew most since the previous election."""
    election = store.election()
    name = election.extra.get("map") if isinstance(election.extra, dict) else None
    first_level = election.levels[1] if len(election.levels) > 1 else None
    if name not in available_maps() or not areas or areas[0]["code"] not in {
            a.code for a in election.areas if first_level and election.levels[a.level] == first_level}:
        return None
    palette = option_palette([o["code"] for o in contest["options"]])
    names = {o["code"]: o["name"] for o in contest["options"]}
    regions = [_swing_region(a, contest["code"], palette, names, lang) for a in areas]
    title = f"{lang.t('Swing since')} {areas and _previous_name(areas)} — {contest['name']}"
    return render_map(load_map(name), regions, title=title, description=title, fit_to_regions=True)


def _previous_name(areas: list[dict]) -> str:
    return next((c["previous"] for a in areas for c in a["comparison"].values()), "")


def _swing_region(area: dict, contest: str, palette: dict, names: dict, lang) -> MapRegion:
    href = f"/areas/{area['code']}"
    compared = area["comparison"].get(contest)
    changes = [(code, float(o["points_change"])) for code, o in (compared or {}).get("options", {}).items()
               if o.get("points_change") is not None]
    if not changes:
        return MapRegion(area["code"], area["name"], "#d0d0d0", href, f"{area['name']}: —")
    code, points = max(changes, key=lambda item: item[1])
    fill = shade(palette[code], min(1.0, 0.25 + abs(points) / 25))
    words = "; ".join(f"{names[c]} {p:+.2f} {lang.t('points')}" for c, p in changes)
    return MapRegion(area["code"], area["name"], fill, href, f"{area['name']}: {words}")

"""What the pages draw of the observers' work: the quick count's convergence chart with its table,
and the map of incidents per area with its table. Each figure comes with the same numbers as text."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ... import services
from ...publish.chart import Line, convergence_svg
from ...publish.svgmap import MapRegion, available_maps, load_map, option_palette, render_map, shade
from ..i18n import Language

router = APIRouter(include_in_schema=False)
INCIDENT_COLOUR = "#b35806"
NO_INCIDENT_FILL = "#f3f3f3"


def share(lang: Language, fraction: float | None, decimals: int = 2) -> str:
    """A share (a fraction) as a percentage with ``decimals`` decimals, in the reader's locale."""
    return "—" if fraction is None else lang.percent(f"{100 * fraction:.{decimals}f}")


def quickcount_views(store, status: dict, lang: Language) -> list[dict]:
    """Per contest with reports: option names, the chart (SVG) and the rows of its table alternative."""
    election = store.election()
    zone = ZoneInfo(election.time_zone)
    views = []
    for c in status["contests"]:
        if not c["reports"]:
            continue
        contest = election.contest_by_code[c["contest"]]
        names = {o.code: o.name for o in contest.options}
        c = {**c, "name": contest.name, "names": names, "steps": _steps(c, zone)}
        views.append({**c, "chart": _chart(c, names, lang, zone)})
    return views


def _local(at: str, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.fromisoformat(at).astimezone(zone)


def _steps(c: dict, zone: ZoneInfo) -> list[dict]:
    return [{**p, "local": _local(p["at"], zone)} for p in c["convergence"]]


def _chart(c: dict, names: dict[str, str], lang: Language, zone: ZoneInfo) -> str | None:
    points = c["convergence"]
    if not points:
        return None
    palette = option_palette(list(names))
    official = {o["option"]: o["share"] for o in (c["official"] or {}).get("options", [])}
    lines = [Line(names[code], palette[code],
                  [next((o["share"], o["low"], o["high"]) for o in p["options"] if o["option"] == code)
                   for p in points], official.get(code))
             for code in names]
    labels = [_local(p["at"], zone).strftime("%H:%M") for p in points]
    t = lang.t
    title = f"{t('Quick count')} — {c['name']}: {t('estimate as reports arrived')}"
    last = points[-1]
    description = "; ".join(f"{names[o['option']]} {share(lang, o['share'])} ({t('95 % interval')} "
                            f"{share(lang, o['low'])} – {share(lang, o['high'])})" for o in last["options"])
    description = (f"{lang.number(last['reports'])} {t('sampled tables reported')} {t('at')} {labels[-1]}: "
                   f"{description}")
    return convergence_svg(lines, labels, title=title, description=description,
                           percent=lambda v, d: share(lang, v, d), ident=f"qc-{c['contest']}")


def incidents_map(store, counts: list[dict], lang: Language) -> str | None:
    """Incidents per first-level area on the election's map (None when it has no map)."""
    election = store.election()
    name = election.extra.get("map") if isinstance(election.extra, dict) else None
    if name not in available_maps() or not counts:
        return None
    most = max(row["incidents"] for row in counts) or 1
    regions = []
    for row in counts:
        n = row["incidents"]
        fill = shade(INCIDENT_COLOUR, 0.2 + 0.8 * n / most) if n else NO_INCIDENT_FILL
        label = f"{row['name']}: {lang.number(n)} {lang.t('incidents')}"
        regions.append(MapRegion(row["area"], row["name"], fill, f"/incidents?area={row['area']}", label))
    title = (lang.t("Incidents per {level}", level=lang.level_text(election, election.levels[1])[0])
             if len(election.levels) > 1 else lang.t("Incidents per area"))
    return render_map(load_map(name), regions, title=title, description=title, fit_to_regions=True)


@router.get("/quickcount", response_class=HTMLResponse)
def quickcount_page(request: Request):
    pages = request.app.state.pages
    lang = pages.language(request)
    status = services.quickcount.status(pages.store)
    return pages.render(request, "quickcount.html", quick=status, views=quickcount_views(pages.store, status, lang),
                        share=lambda f: share(lang, f), json_twin="/api/v1/quickcount")

"""Server-rendered pages: usable without JavaScript; live.js only adds live updates."""

from __future__ import annotations

import re

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .. import services
from ..domain.errors import NotFound
from ..publish.svgmap import MapRegion, available_maps, load_map, option_palette, render_map, shade
from ..services import results
from .api import MAX_BULLETIN
from .i18n import FALLBACK, LANGUAGES, Language, language_for
from .timeline_pages import aside as timeline_aside
from .observation.pages import home_panel
from .publication import require_public

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).parent / "templates"


class Pages:
    """Renders the site's pages for one store, in the reader's language."""

    def __init__(self, store, settings):
        self.store = store
        self.settings = settings
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                               trim_blocks=True, lstrip_blocks=True)

    def language(self, request: Request) -> Language:
        election = self.store.election()
        chosen = (language_for(request.query_params.get("lang")) or language_for(request.cookies.get("lang"))
                  or language_for(self.settings.default_language) or language_for(election.locale) or FALLBACK)
        return Language(chosen, election.locale)

    def render(self, request: Request, template: str, *, status: int = 200, json_twin: str | None = None,
               live: bool = False, **context) -> Response:
        lang = self.language(request)
        election = self.store.election()
        html = self.env.get_template(template).render(
            request=request, lang=lang, t=lang.t, tn=lang.tn, who=self.who(lang), election=election,
            languages=LANGUAGES,
            json_twin=json_twin, live=live, path=request.url.path, **context)
        response = HTMLResponse(html, status_code=status)
        if language_for(request.query_params.get("lang")):
            response.set_cookie("lang", language_for(request.query_params["lang"]), max_age=365 * 86400,
                                samesite="lax")
        response.headers["Cache-Control"] = "no-cache"
        return response

    def who(self, lang: Language):
        """Names an operator on a public page as the setting ``public_operator_names`` says (full or role)."""
        mode = self.settings.public_operator_names
        roles: dict[int, str] = {}
        if mode == "role":
            roles = {t["id"]: t["role"] for t in self.store.tokens()}
        return lambda name: lang.operator(name, roles, mode)

    def error_page(self, request: Request, status: int, detail: str, message: tuple[str, dict] | None = None) -> str:
        try:
            return self.render(request, "error.html", status=status, status_code=status, detail=detail,
                               message=message).body.decode()
        except Exception:  # no election yet, or the error is in rendering itself
            return f"<!doctype html><title>{status}</title><h1>{status}</h1><p>{detail}</p>"

    def public(self) -> bool:
        return services.publication.is_public(self.store)

    def progress(self) -> dict | None:
        """Transmission progress while the publication policy holds figures (None once they are public)."""
        return None if self.public() else services.publication.progress(self.store)

    def latest(self):
        if not self.public():
            return None
        try:
            return services.get_bulletin(self.store, None)
        except NotFound:
            return None

    def map_svg(self, bulletin, lang: Language) -> str | None:
        election = self.store.election()
        name = election.extra.get("map") if isinstance(election.extra, dict) else None
        if not bulletin or name not in available_maps():
            return None
        contest = bulletin.body["contests"][0]
        palette = option_palette([o["code"] for o in contest["options"]])
        # An option's own colour (from the definition) when the map can shade it: #rgb or #rrggbb.
        palette.update({o["code"]: o["colour"] for o in contest["options"]
                        if re.fullmatch(r"#(?:[0-9a-fA-F]{3}){1,2}", o.get("colour") or "")})
        names = {o["code"]: o["name"] for o in contest["options"]}
        regions = []
        for area in bulletin.children(election.root.code):
            if contest["code"] not in area["results"]:
                continue
            regions.append(_region(area, contest["code"], palette, names, lang))
        title = f"{lang.t('Leading option')} — {contest['name']}"
        return render_map(load_map(name), regions, title=title, description=title, fit_to_regions=True)


def _region(area: dict, contest: str, palette: dict, names: dict, lang: Language) -> MapRegion:
    figures = area["results"][contest]
    ranked = sorted(figures["options"], key=lambda o: -o["votes"])
    href = f"/areas/{area['code']}"
    if not figures["valid"] or len(ranked) < 2 or ranked[0]["votes"] == ranked[1]["votes"]:
        return MapRegion(area["code"], area["name"], "#d0d0d0", href, f"{area['name']}: —")
    top, second = ranked[0], ranked[1]
    margin = (top["votes"] - second["votes"]) / figures["valid"]
    fill = shade(palette[top["code"]], min(1.0, 0.35 + margin * 3))
    label = (f"{area['name']}: {names[top['code']]} {lang.percent(top['percent'])} "
             f"({lang.t('margin')} {lang.number(top['votes'] - second['votes'])} {lang.t('Votes').lower()})")
    return MapRegion(area["code"], area["name"], fill, href, label)


def _pages(request: Request) -> Pages:
    return request.app.state.pages


@router.get("/", response_class=HTMLResponse)
def home(request: Request):
    pages = _pages(request)
    bulletin = pages.latest()
    lang = pages.language(request)
    return pages.render(request, "home.html", bulletin=bulletin, json_twin="/api/v1/bulletins/latest", live=True,
                        map_svg=pages.map_svg(bulletin, lang), timeline=timeline_aside(request, lang),
                        area=bulletin.root if bulletin else None,
                        children=bulletin.children(bulletin.root["code"]) if bulletin else [],
                        observation=home_panel(pages.store, lang), compared=_compared(pages.store, bulletin, None),
                        progress=pages.progress())


@router.get("/areas", response_class=HTMLResponse)
def areas_index(request: Request):
    return area_page(request, _pages(request).store.election().root.code)


@router.get("/areas/{code}", response_class=HTMLResponse)
def area_page(request: Request, code: str):
    pages = _pages(request)
    bulletin = pages.latest()
    view = results.area_view(pages.store, code, bulletin)
    return pages.render(request, "area.html", bulletin=bulletin, view=view, live=True,
                        json_twin=f"/api/v1/bulletins/latest?area={code}",
                        compared=_compared(pages.store, bulletin, code))


def _compared(store, bulletin, code: str | None) -> dict | None:
    """The previous election beside this area of the bulletin, if one is loaded and the area is comparable."""
    if bulletin is None or (code is not None and code not in bulletin.nodes.index):
        return None
    return services.comparison.comparison(store, bulletin, code) or None


@router.get("/tables/{code}", response_class=HTMLResponse)
def table_page(request: Request, code: str):
    pages = _pages(request)
    view = results.table_view(pages.store, code, figures=pages.public())
    return pages.render(request, "table.html", view=view, json_twin=f"/api/v1/tables/{code}")


@router.get("/bulletins", response_class=HTMLResponse)
def bulletins_page(request: Request):
    pages = _pages(request)
    progress = pages.progress()
    heads = [] if progress else services.list_bulletins(pages.store)
    return pages.render(request, "bulletins.html", heads=list(reversed(heads)), json_twin="/api/v1/bulletins",
                        progress=progress,
                        live=True)


@router.get("/bulletins/{number}", response_class=HTMLResponse)
def bulletin_page(request: Request, number: int):
    pages = _pages(request)
    if not 1 <= number <= MAX_BULLETIN:  # beyond a database integer: unknown, not a server error
        raise NotFound("bulletin", number)
    require_public(request)
    bulletin = services.get_bulletin(pages.store, number)
    area = bulletin.root
    changes = None
    if number > 1:
        changes = services.compare_bulletins(pages.store, number - 1, number, {area["code"]})
    return pages.render(request, "bulletin.html", bulletin=bulletin, area=area,
                        children=bulletin.children(area["code"]), changes=changes,
                        refused=services.intake.refused_counts(pages.store),
                        json_twin=f"/api/v1/bulletins/{number}")

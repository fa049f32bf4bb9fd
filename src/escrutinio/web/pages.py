"""Server-rendered pages: usable without JavaScript; live.js only adds live updates."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .. import services
from ..domain.errors import NotFound
from ..services import results
from .api import MAX_BULLETIN
from .models import Whole
from .headline import PROGRESS, headline as build_headline
from .maps import Maps
from .night import Night, leader_changes
from .i18n import FALLBACK, LANGUAGES, Language, language_for
from .timeline_pages import aside as timeline_aside
from .observation.pages import home_panel
from .publication import require_public

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).parent / "templates"


# What the home page shows (the marks of capacity.Versions): the bulletin, the timeline beside it, the
# observers' panel, claims, the previous election, operators' names; and every acta while figures are held.
HOME_SHOWS = ("bulletin", "timeline", "observation", "claims", "previous", "tokens")
AREA_SHOWS = ("bulletin", "previous")


class Pages:
    """Renders the site's pages for one store, in the reader's language."""

    def __init__(self, store, settings, versions=None):
        self.store = store
        self.settings = settings
        self.versions = versions
        self._parts: dict[tuple, tuple[tuple, object]] = {}
        self.night = Night(store)
        self.maps = Maps(store)
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                               trim_blocks=True, lstrip_blocks=True)

    def language(self, request: Request) -> Language:
        election = self.store.election()
        chosen = (language_for(request.query_params.get("lang")) or language_for(request.cookies.get("lang"))
                  or language_for(self.settings.default_language) or language_for(election.locale) or FALLBACK)
        return Language(chosen, election.locale)

    def part(self, name: str, shows: tuple[str, ...], key, make):
        """``make()``, kept until one of the marks it ``shows`` changes (web/capacity.py's Versions): the
        parts of a page that cost most (the observers' panel and its maps, the timeline) are made once
        per change of what they show, not at each render. Without marks (no Versions), made each time."""
        if self.versions is None:
            return make()
        from .capacity import project

        try:
            mark = project(self.versions.now(), shows)
        except Exception:  # noqa: BLE001 - the store is unavailable: made (and failing) as before
            return make()
        found = self._parts.get((name, key))
        if found is not None and found[0] == mark:
            return found[1]
        value = make()
        if len(self._parts) > 256:
            self._parts.clear()
        self._parts[(name, key)] = (mark, value)
        return value

    def shows(self, *marks: str) -> tuple[str, ...]:
        """The marks a page shows: ``marks``, whether figures are public, and every acta while they are held
        (the transmission progress counts them)."""
        return (*marks, "public") if self.public() else (*marks, "public", "actas")

    def render(self, request: Request, template: str, *, status: int = 200, json_twin: str | None = None,
               live: bool = False, shows: tuple[str, ...] | None = None, **context) -> Response:
        lang = self.language(request)
        election = self.store.election()
        context.setdefault("latest_number", None)
        context.setdefault("area_query", "")
        html = self.env.get_template(template).render(
            request=request, lang=lang, t=lang.t, tn=lang.tn, who=self.who(lang), election=election,
            languages=LANGUAGES,
            json_twin=json_twin, live=live, path=request.url.path,
            headline=lambda contest, figures, rule: build_headline(contest, figures, rule, lang), **context)
        response = HTMLResponse(html, status_code=status)
        if language_for(request.query_params.get("lang")):
            response.set_cookie("lang", language_for(request.query_params["lang"]), max_age=365 * 86400,
                                samesite="lax")
        response.headers["Cache-Control"] = "no-cache"
        if shows is not None:  # for web/capacity.py: what the kept page shows, taken off before it is sent
            response.headers["X-Escrutinio-Depends"] = " ".join(shows)
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

    def area_map(self, request: Request, bulletin, area: str, children: list[dict]) -> dict:
        """The map of the contest the reader chose (``?map=CODE``, else the first) over ``children``."""
        if not bulletin:
            return {"drawn_map": None, "map_contest": None}
        contests = bulletin.body["contests"]
        chosen = request.query_params.get("map")
        contest = next((c for c in contests if c["code"] == chosen), contests[0])
        return {"drawn_map": self.maps.draw(bulletin, area, children, contest, self.language(request)),
                "map_contest": contest}


def _pages(request: Request) -> Pages:
    return request.app.state.pages


@router.get("/", response_class=HTMLResponse)
def home(request: Request):
    pages = _pages(request)
    bulletin = pages.latest()
    lang = pages.language(request)
    children = bulletin.children(bulletin.root["code"]) if bulletin else []
    return pages.render(request, "home.html", bulletin=bulletin, json_twin="/api/v1/bulletins/latest", live=True,
                        shows=pages.shows(*HOME_SHOWS),
                        timeline=timeline_aside(request, lang), area=bulletin.root if bulletin else None,
                        children=children,
                        observation=pages.part("observation", ("observation", "bulletin", "public"), lang.code,
                                               lambda: home_panel(pages.store, lang)),
                        compared=_compared(pages.store, bulletin, None), progress=pages.progress(),
                        **pages.area_map(request, bulletin, bulletin.root["code"] if bulletin else "", children))


@router.get("/areas", response_class=HTMLResponse)
def areas_index(request: Request):
    return area_page(request, _pages(request).store.election().root.code)


@router.get("/areas/{code}", response_class=HTMLResponse)
def area_page(request: Request, code: str, bulletin: Whole | None = None):
    """An area in the latest bulletin, or in bulletin N (``?bulletin=N``): then every figure, and every link
    down the tree, stays in bulletin N, and the page says it is not the latest."""
    pages = _pages(request)
    latest = pages.latest()
    shown = latest
    if bulletin is not None and latest is not None and bulletin != latest.number:  # none while figures are held
        if not 1 <= bulletin <= MAX_BULLETIN:
            raise NotFound("bulletin", bulletin)
        shown = services.get_bulletin(pages.store, bulletin)
    view = results.area_view(pages.store, code, shown)
    pinned = shown is not latest
    children = [c for c in view["children"] if c.get("kind", "area") == "area" and c["results"]]
    shows = pages.shows(*AREA_SHOWS, *(("actas",) if view["tables"] else ()))  # a centre shows its tables
    return pages.render(request, "area.html", bulletin=shown, view=view, live=not pinned, shows=shows,
                        **pages.area_map(request, shown, code, children),
                        latest_number=latest.number if pinned and latest else None,
                        area_query=f"?bulletin={shown.number}" if pinned else "",
                        json_twin=f"/api/v1/bulletins/{shown.number}?area={code}" if pinned
                        else f"/api/v1/bulletins/latest?area={code}",
                        compared=_compared(pages.store, shown, code))


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
    night = [] if progress else pages.night.headlines()
    contests = pages.latest().body["contests"] if heads else []
    return pages.render(request, "bulletins.html", heads=list(reversed(heads)), json_twin="/api/v1/bulletins",
                        progress=progress, live=True, night=night,
                        charts=pages.night.charts(pages.language(request), contests) if heads else [],
                        counted_share=lambda counted, expected: PROGRESS.format(counted, expected))


@router.get("/bulletins/{number}", response_class=HTMLResponse)
def bulletin_page(request: Request, number: int):
    pages = _pages(request)
    if not 1 <= number <= MAX_BULLETIN:  # beyond a database integer: unknown, not a server error
        raise NotFound("bulletin", number)
    require_public(request)
    bulletin = services.get_bulletin(pages.store, number)
    area = bulletin.root
    changes, leaders = None, []
    if number > 1:
        changes = services.compare_bulletins(pages.store, number - 1, number, {area["code"]})
        before = services.get_bulletin(pages.store, number - 1)
        leaders = [(contest, *leader_changes(before, bulletin, contest)) for contest in bulletin.body["contests"]]
    latest = pages.latest()
    return pages.render(request, "bulletin.html", bulletin=bulletin, area=area,
                        children=bulletin.children(area["code"]), changes=changes, leaders=leaders,
                        refused=services.intake.refused_counts(pages.store),
                        area_query="" if latest and latest.number == number else f"?bulletin={number}",
                        change=_change, json_twin=f"/api/v1/bulletins/{number}")


def _change(old, new) -> tuple[str, object] | None:
    """What a figure moved by: a count by a whole number, a printed share by points; nothing for the rest."""
    if isinstance(old, bool) or isinstance(new, bool) or old is None or new is None:
        return None
    if isinstance(old, int) and isinstance(new, int):
        return ("count", new - old)
    try:
        before, after = Decimal(str(old)), Decimal(str(new))
    except (InvalidOperation, ValueError):
        return None
    return ("points", after - before)

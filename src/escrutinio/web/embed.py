"""A contest's figures as a tiny page for newsrooms' iframes: ``/embed/{contest}`` (?area=CODE for an area).

    <iframe src="https://results.example.org/embed/A" title="Bloque A" width="360" height="260"></iframe>
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..domain.errors import NotFound

router = APIRouter(include_in_schema=False)


@router.get("/embed/{contest}", response_class=HTMLResponse)
def embed(request: Request, contest: str, area: str | None = None):
    pages = request.app.state.pages
    bulletin = pages.latest()
    if bulletin is None:
        raise NotFound("bulletin", "latest (none published yet)")
    chosen = next((c for c in bulletin.body["contests"] if c["code"] == contest), None)
    entry = bulletin.area(area) if area else bulletin.root
    if chosen is None or entry is None or contest not in entry["results"]:
        raise NotFound("contest", contest if chosen is None else f"{contest} at {area}")
    return pages.render(request, "embed.html", bulletin=bulletin, contest=chosen, area=entry,
                        f=entry["results"][contest], json_twin=f"/api/v1/bulletins/latest?area={entry['code']}")

"""A printable results certificate for one area of one bulletin.

One page to print, sign and stamp: the area's figures as the bulletin publishes them, the bulletin's
SHA-256 and the authority's signed tree head (what makes it checkable), and a QR code of the
certificate's own address, where anyone can compare the hash with the one published. The QR code is
drawn by segno (pure Python), inline as SVG.
"""

from __future__ import annotations

from pathlib import Path

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from .. import services
from ..domain.errors import NotFound
from .api import MAX_BULLETIN
from .caching import public_base
from .i18n import Language
from .publication import require_public

router = APIRouter(include_in_schema=False)
STYLE = Path(__file__).parent / "static" / "style.css"


def certificate_path(number: int, code: str) -> str:
    return f"/bulletins/{number}/certificate/{code}"


def qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def render_certificate(env, store, number: int | None, code: str, base_url: str, lang: Language) -> str:
    """The certificate's HTML; ``base_url`` is the site's public address (its QR code and link)."""
    bulletin = services.get_bulletin(store, number)
    area = bulletin.area(code)
    if area is None:
        raise NotFound("area", code)
    url = base_url.rstrip("/") + certificate_path(bulletin.number, code)
    return env.get_template("certificate.html").render(
        lang=lang, t=lang.t, tn=lang.tn, election=store.election(), bulletin=bulletin, area=area, url=url,
        qr_svg=qr_svg(url), style=STYLE.read_text(encoding="utf-8"))


@router.get("/bulletins/{number}/certificate/{code}", response_class=HTMLResponse)
def certificate_page(request: Request, number: int, code: str):
    pages = request.app.state.pages
    if not 1 <= number <= MAX_BULLETIN:
        raise NotFound("bulletin", number)
    require_public(request)
    base = public_base(request)
    html = render_certificate(pages.env, pages.store, number, code, base, pages.language(request))
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})

"""The observers' report form: a page that works on a phone without JavaScript, for observers with data.

The same grammar and reply as an SMS; the token is the observer's own
(``escrutinio observers token``) and is never kept by the page.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ...domain.errors import EscrutinioError
from ...domain.messages import CATEGORIES
from .api import submit

router = APIRouter(include_in_schema=False)


@router.get("/observe", response_class=HTMLResponse)
def observe_form(request: Request):
    return request.app.state.pages.render(request, "observe.html", categories=CATEGORIES, answer=None, token="",
                                          text="")


@router.post("/observe", response_class=HTMLResponse)
async def observe_send(request: Request):
    body = await request.body()  # its size is bounded before it is read (web/bodies.py, max_comment_bytes)
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    token, text = form.get("token", "").strip(), form.get("text", "").strip()
    try:
        answer = await submit(request, token, text[:2000])
        reply, status, kept = answer.reply, 200 if answer.outcome == "accepted" else 422, ""
    except EscrutinioError as exc:  # a wrong token: say so on the form rather than on an error page
        reply, status, kept = str(exc), 403, text
    if status == 422:
        kept = text
    return request.app.state.pages.render(request, "observe.html", status=status, categories=CATEGORIES,
                                          answer=reply, token=token, text=kept)


def home_panel(store, lang) -> dict | None:
    """What the home page shows of the observers, beside the official figures (None: nothing to show)."""
    from ... import services
    from .views import incidents_map, quickcount_views, share

    summary = services.observers.summary(store)
    quick = services.quickcount.status(store)
    every_area = services.incidents.counts_by_area(store)
    counts = [row for row in every_area if row["incidents"]]
    if not summary["accredited"] and quick["sample"] is None and not counts:
        return None
    return {"observers": summary, "quickcount": quick, "incidents": counts,
            "quickcounts": quickcount_views(store, quick, lang),
            "incidents_map": incidents_map(store, every_area, lang) if counts else None,
            "share": lambda f: share(lang, f)}

"""Search: ``/search?q=`` (a page) and ``/api/v1/search?q=`` (JSON), over areas, centres and tables.

The index (escrutinio.publish.search) is built once per election, the first time it is needed (or when
the server starts, off the request path), and then shared by every request.
"""

from __future__ import annotations

import threading
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from pathlib import Path

from fastapi.responses import FileResponse, HTMLResponse
from pydantic import Field

from ..publish.search import SearchIndex
from .api import NO_ELECTION
from .caching import cached
from .models import Strict

router = APIRouter(prefix="/api/v1", responses={503: NO_ELECTION})
pages = APIRouter(include_in_schema=False)
MAX_QUERY = 200
MAX_RESULTS = 50


class SearchHit(Strict):
    code: str
    name: str
    kind: str = Field(description="area, centre or table")
    level: str = Field(description="The area's level (estado, municipio, …); centre or table otherwise")
    url: str = Field(description="The page of this area, centre or table")
    context: str = Field(description="Where it is: its parent area's name (a table: its centre's)")


class SearchOut(Strict):
    query: str
    results: list[SearchHit] = Field(description="Best first: exact code or name, then names that start "
                                                 "with the query, areas before centres before tables")


class Searcher:
    """The election's search index, built once (thread-safe) and kept."""

    def __init__(self, store):
        self.store = store
        self._index: SearchIndex | None = None
        self._election = None
        self._lock = threading.Lock()

    def index(self) -> SearchIndex:
        election = self.store.election()
        if self._index is None or self._election is not election:
            with self._lock:
                if self._index is None or self._election is not election:
                    self._index, self._election = SearchIndex(election), election
        return self._index

    def search(self, query: str, limit: int = 10) -> list[dict]:
        return [hit.as_dict() for hit in self.index().search(query[:MAX_QUERY], limit)]


def _searcher(request: Request) -> Searcher:
    return request.app.state.searcher


@router.get("/search", response_model=SearchOut)
def search(request: Request, q: str = Query("", max_length=MAX_QUERY, description="A name or a code; case and "
           "accents do not matter"), limit: int = Query(10, ge=1, le=MAX_RESULTS)):
    """Areas, centres and tables whose name or code matches ``q``, best first."""
    found = _searcher(request).search(q, limit)
    return cached(request, {"query": q, "results": found}, etag=f"search-{id(_searcher(request).index())}-{q}-"
                  f"{limit}", max_age=300)


@pages.get("/favicon.ico")
def favicon():
    """The site's icon where browsers look for it unasked (an SVG: every current browser shows one)."""
    return FileResponse(Path(__file__).parent / "static" / "favicon.svg", media_type="image/svg+xml")


@pages.get("/search", response_class=HTMLResponse)
def search_page(request: Request, q: str = ""):
    q = q[:MAX_QUERY]
    found = _searcher(request).search(q, MAX_RESULTS) if q.strip() else []
    return request.app.state.pages.render(request, "search.html", query=q, found=found,
                                          json_twin=f"/api/v1/search?{urlencode({'q': q})}" if q else None)

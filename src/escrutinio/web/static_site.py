"""The whole site of a bulletin as static files: served by any web server or object store, no Python.

``escrutinio bulletin export --format static`` writes, beside the JSON of services/export.py, the pages of
the latest bulletin under ``pages/N/`` (the document root of bulletin N's site):

    pages/N/index.html                       home, in the election's language
    pages/N/areas/CODE/index.html            every area and centre
    pages/N/tables/CODE/index.html           every table
    pages/N/bulletins/index.html, bulletins/K/index.html   the list, and every bulletin up to N
    pages/N/search/index.html, search.json   search: the page, and the index it reads in the browser
    pages/N/404.html                         the page for addresses that do not exist
    pages/N/static/…                         style sheets, scripts, the icon
    pages/N/LANG/…                           the same pages in each other language (en/, …)

Pages are rendered by the application itself (the very templates the server uses), then their links are
made to work without a server: a page of another language lives under its own prefix, the language links
point there, and the search box reads ``search.json`` instead of the API. The JSON twins and the live
updates need the server; the exported pages say nothing live and link the exported JSON files instead
where there is one.

Successive exports share unchanged files: a file whose bytes are the same as the same path of the
previous bulletin's pages is a hard link to it, so a night's many exports take little more room than one
(what changes between bulletins is mostly figures; static assets and the pages of tables counted early
do not change). Upload the folder as it is: object stores copy each link as a plain file.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ..settings import load_settings
from .app import HERE, create_app
from .i18n import LANGUAGES

STATIC_FILES = ("style.css", "print.css", "live.js", "search.js", "favicon.svg")


@dataclass
class SiteExported:
    number: int
    pages: int = 0
    files: int = 0
    linked: int = 0  # files shared with the previous bulletin's pages (hard links)
    bytes: int = 0


def export_site(store, out: Path, *, languages: list[str] | None = None,
                progress: Callable[[int], None] | None = None) -> SiteExported:
    """Write the pages of the store's latest bulletin under ``out/pages/N`` (see the module's docstring)."""
    from fastapi.testclient import TestClient

    election = store.election()
    heads = store.bulletin_heads()
    number = heads[-1]["number"] if heads else 0
    root = out / "pages" / str(number)
    previous = _previous(out / "pages", number)
    done = SiteExported(number)
    settings = load_settings(database_url=store.url, rate_limit_per_second=0, default_language="")
    app = create_app(settings, store)
    default = settings.default_language or (election.locale.split("_")[0] if election.locale.split("_")[0]
                                            in LANGUAGES else "en")
    languages = [default] + [code for code in (languages or list(LANGUAGES)) if code != default]
    # every page, by its path on the site
    paths = ["/", "/areas", "/bulletins", "/search", "/timeline"]
    paths += [f"/bulletins/{h['number']}" for h in heads]
    paths += [f"/areas/{quote(a.code, safe='')}" for a in election.areas]
    paths += [f"/areas/{quote(c.code, safe='')}" for c in election.centres]
    paths += [f"/tables/{quote(t.code, safe='')}" for t in election.tables]

    def write(relative: str, data: bytes) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        before = previous / relative if previous else None
        if path.exists():
            path.unlink()
        if before is not None and before.is_file() and before.stat().st_size == len(data) \
                and before.read_bytes() == data:
            os.link(before, path)
            done.linked += 1
        else:
            partial = path.with_name(path.name + ".partial")
            partial.write_bytes(data)
            os.replace(partial, path)
            done.bytes += len(data)
        done.files += 1

    # The application's own requests: an operator's header keeps them out of its cache of kept pages.
    with TestClient(app, headers={"Authorization": "Bearer static-export"}) as client:
        for lang in languages:
            prefix = "" if lang == default else f"/{lang}"
            for path in paths:
                response = client.get(path, params={"lang": lang})
                if response.status_code != 200:
                    continue
                target = path.strip("/")
                write(f"{prefix.strip('/')}/{target}/index.html".lstrip("/").replace("//", "/"),
                      _static_links(response.text, prefix, languages, default, path).encode())
                done.pages += 1
                if progress:
                    progress(1)
            missing = client.get("/static-export-no-such-page", params={"lang": lang})
            write(f"{prefix.strip('/')}/404.html".lstrip("/"),
                  _static_links(missing.text, prefix, languages, default, "/").encode())
        index = app.state.searcher.index()
    write("search.json", json.dumps(_search_entries(index), ensure_ascii=False, separators=(",", ":")).encode())
    for name in STATIC_FILES:
        source = HERE / "static" / name
        if source.exists():
            write(f"static/{name}", source.read_bytes())
    return done


def _previous(pages: Path, number: int) -> Path | None:
    """The pages of the latest bulletin exported before ``number``, if any (their files are shared)."""
    earlier = [int(p.name) for p in pages.iterdir() if p.name.isdigit() and int(p.name) < number] \
        if pages.is_dir() else []
    return pages / str(max(earlier)) if earlier else None


_LINK = re.compile(r'(href|src|action|data-suggest)="(/[^"]*)"')
_LANGUAGE_LINK = re.compile(r'href="\?lang=([a-zA-Z_]+)"')


def _static_links(html: str, prefix: str, languages: list[str], default: str, path: str) -> str:
    """The page's links made to work from files: pages of a language under its prefix, the language links
    to the same page in that language, search from search.json; nothing live."""

    def link(match: re.Match) -> str:
        attribute, target = match.groups()
        if attribute == "data-suggest":
            return 'data-index="/search.json"'
        if target.startswith(("/static/", "/api/", "/search.json")):
            return match.group(0)
        return f'{attribute}="{prefix}{target}"'

    html = _LINK.sub(link, html)
    html = _LANGUAGE_LINK.sub(lambda m: f'href="{"" if m.group(1) == default else "/" + m.group(1)}{path}"', html)
    return html.replace('data-live="on"', 'data-live="off"')


def _search_entries(index) -> list[list[str]]:
    """The search index for the browser: [code, name, kind, level, url, context] per area, centre and table."""
    return [[code, name, ("area", "centre", "table")[kind],
             index.levels[rank] if kind == 0 else ("centre", "table")[kind - 1],
             index.area_url(code) if kind < 2 else index.table_url(code), context]
            for code, name, kind, rank, context in index.entries]

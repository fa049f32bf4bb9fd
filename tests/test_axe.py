"""Accessibility: an axe-core scan (the npm package, injected by Playwright) of the demo's pages in two
languages reports no serious or critical violation.

axe-core is found at $ESCRUTINIO_AXE, tests/node_modules/axe-core/axe.min.js, or in the cache folder
~/.cache/escrutinio-test-node (where scripts/test installs it with npm when it is missing; this module does
the same if npm is there). It is never committed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from .test_browser import browser, db_of_night, site  # noqa: F401 - the demo served, and Chromium

CACHE = Path.home() / ".cache" / "escrutinio-test-node"
PLACES = [Path(os.environ["ESCRUTINIO_AXE"])] if os.environ.get("ESCRUTINIO_AXE") else []
PLACES += [Path(__file__).parent / "node_modules/axe-core/axe.min.js", CACHE / "node_modules/axe-core/axe.min.js"]


@pytest.fixture(scope="module")
def axe() -> Path:
    for place in PLACES:
        if place.is_file():
            return place
    npm = shutil.which("npm")
    if npm:
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", "--silent", "axe-core@4"],
                       check=False, capture_output=True, timeout=600)
    if not PLACES[-1].is_file():
        pytest.fail("axe-core is missing: npm install --prefix ~/.cache/escrutinio-test-node axe-core@4 "
                    "(scripts/test does it)")
    return PLACES[-1]


@pytest.fixture(scope="module")
def table_code(site) -> str:
    node = httpx.get(f"{site}/api/v1/areas/ZU-07", timeout=60).json()
    while not node["tables"]:
        node = httpx.get(f"{site}/api/v1/areas/{node['children'][0]['code']}", timeout=60).json()
    return node["tables"][0]["code"]


PAGES = ["/", "/areas/ZU", "/tables/{table}", "/bulletins/2", "/timeline", "/search?q=merida"]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_no_serious_or_critical_violation(browser, site, axe, table_code, lang):  # noqa: F811
    context = browser.new_context(base_url=site, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(120_000)
    context.add_cookies([{"name": "lang", "value": lang, "url": site}])
    page = context.new_page()
    found = {}
    for path in PAGES:
        url = path.format(table=table_code)
        assert page.goto(url).status == 200, url
        assert page.locator("html").get_attribute("lang").startswith(lang)
        page.add_script_tag(path=str(axe))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        bad = [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
               for v in result["violations"] if v["impact"] in ("serious", "critical")]
        if bad:
            found[url] = bad
    context.close()
    assert not found, found


def test_api_docs_ask_nothing_of_another_origin(browser, site):  # noqa: F811
    context = browser.new_context(base_url=site)
    context.set_default_timeout(120_000)
    page = context.new_page()
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    assert page.goto("/api/docs").status == 200
    page.get_by_role("heading", name="GET /api/v1/search").wait_for()
    page.goto("/")  # the icon, the style sheets, the scripts and the live stream too
    page.wait_for_load_state("load")
    context.close()
    assert asked and all(url.startswith(site) for url in asked), [u for u in asked if not u.startswith(site)]

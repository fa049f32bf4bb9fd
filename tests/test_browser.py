"""The site in a real browser: Chromium driven by Playwright against `escrutinio serve`.

One server per module, started as a separate process on the demo night's database
(the session's ``demo_night``), exactly as a reader would meet it. Every test leaves a
full-page screenshot in test-artifacts/<test name>.png (git-ignored) to look at.

Playwright cannot download browsers here: it drives Debian's Chromium at /usr/bin/chromium
(or ESCRUTINIO_CHROMIUM). Without it the tests are skipped, unless CI is set, when they fail.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .conftest import cli_env, served

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("ESCRUTINIO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# A generous bound for a live bulletin to reach an open page on a loaded machine: the test asserts that it
# arrives without a reload, not how fast (live_poll_seconds says how soon it normally does).
LIVE_WAIT_SECONDS = 120.0


def _unavailable(message: str):
    message += " (the browser tests need it: apt-get install chromium; pip install -e '.[test]')"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None


def _spaces(text: str) -> str:
    """Babel may print a no-break or narrow no-break space (e.g. before %): compare them as spaces."""
    return re.sub(r"\s+", " ", text.replace("\xa0", " ").replace("\u202f", " ")).strip()


def _percent(text: str) -> str:
    """A share as printed, without caring whether the locale puts a space before % ("50,70 %" in es,
    "50,70%" in es_VE): the digits, the decimal sign and the sign itself are what a reader reads."""
    return re.sub(r"\s*%", "%", _spaces(text))


# -- the server and the browser ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def db_of_night(demo_night) -> str:
    return f"sqlite:///{demo_night / 'escrutinio.db'}"


@pytest.fixture(scope="module")
def site(demo_night, db_of_night):
    """The base URL of `escrutinio serve` running in its own process on the demo night."""
    with served(db_of_night, demo_night) as base:
        yield base


@pytest.fixture(scope="session", autouse=True)  # session: before the session's demo_night
def _browser_present():
    """First of all (before the demo night is replayed and served): is there a browser to drive?"""
    if sync_playwright is None:
        _unavailable("the playwright Python package is not installed")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"Chromium not found at {CHROMIUM}")


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser, site):
    """A fresh reader: no cookies (so no language chosen yet), a desktop window."""
    opened = browser.new_context(base_url=site, viewport={"width": 1280, "height": 900})
    opened.set_default_timeout(60_000)  # generous bounds: a loaded machine renders slowly
    expect.set_options(timeout=60_000)
    yield opened
    opened.close()


@pytest.fixture
def page(context, request):
    """A tab; at the end of the test (pass or fail) its full page goes to test-artifacts/<test>.png."""
    tab = context.new_page()
    yield tab
    shoot(tab, request.node.name)


def shoot(tab, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        tab.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    except Exception as exc:  # a screenshot must never hide the test's own outcome
        print(f"no screenshot {name}: {exc}")


# -- reading figures off a page ---------------------------------------------------------------------

def contest(tab, name: str):
    return tab.locator("main section.contest").filter(has=tab.get_by_role("heading", name=name, exact=True))


def option_row(tab, contest_name: str, option_code: str):
    return contest(tab, contest_name).locator(f"tr[data-option='{option_code}']")


def text(locator) -> str:
    return _spaces(locator.inner_text())


def read_bulletin_1(tab) -> dict:
    figures = {}
    for name in ("Bloque A", "Bloque B"):
        for code in ("NO", "SI"):
            row = option_row(tab, name, code)
            figures[name, code] = (text(row.locator("td.votes")), _percent(row.locator("td.percent").inner_text()))
    block_a = contest(tab, "Bloque A")
    figures["valid"] = text(block_a.locator("td.valid"))
    figures["null"] = text(block_a.locator("td.null"))
    figures["cast"] = text(block_a.locator("td.cast"))
    figures["abstention"] = _percent(block_a.locator("span.abstention").inner_text())
    figures["abstention basis"] = text(block_a.locator("dd", has=tab.locator("span.abstention")))
    return figures


BULLETIN_1 = {  # the CNE's first bulletin, 3 Dec 2007 01:07, as the reader sees it
    "es": {("Bloque A", "NO"): ("4.504.354", "50,70%"), ("Bloque A", "SI"): ("4.379.392", "49,29%"),
           ("Bloque B", "NO"): ("4.522.332", "51,05%"), ("Bloque B", "SI"): ("4.335.136", "48,94%"),
           "valid": "8.883.746", "null": "118.693", "cast": "9.002.439", "abstention": "44,39%"},
}
# Numbers are printed in the election's locale (es_VE) whatever the page's language: the same on English pages.
BULLETIN_1["en"] = BULLETIN_1["es"]
BASIS = {"es": "sobre el registro total", "en": "over the whole register"}


def assert_bulletin_1(tab, lang: str) -> None:
    expect(tab.locator("html")).to_have_attribute("lang", lang)
    expect(tab.get_by_role("heading", level=1)).to_have_text("Boletín 1" if lang == "es" else "Bulletin 1")
    figures = read_bulletin_1(tab)
    basis = figures.pop("abstention basis")
    assert figures == BULLETIN_1[lang]
    assert BASIS[lang] in basis, basis


# -- the tests --------------------------------------------------------------------------------------

def test_bulletin_1_in_spanish(page):
    response = page.goto("/bulletins/1")
    assert response.status == 200
    assert_bulletin_1(page, "es")  # Spanish without asking: the election's own language


def test_language_link_switches_to_english(page):
    page.goto("/bulletins/1")
    assert_bulletin_1(page, "es")
    page.locator("header .languages").get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"lang=en"))
    assert_bulletin_1(page, "en")
    expect(page.locator("header .languages a[aria-current]")).to_have_text("English")
    page.goto("/bulletins/1")  # the choice is remembered (cookie), not only carried in the URL
    assert_bulletin_1(page, "en")


def _number(shown: str) -> int:
    return int(re.sub(r"[^\d]", "", shown))


def test_drill_down_from_home_to_one_table(page, site):
    page.goto("/")
    visited = []

    def follow(link, url_pattern: str) -> str:
        name = _spaces(link.inner_text())
        link.click()
        page.wait_for_url(re.compile(url_pattern))
        expect(page.get_by_role("heading", level=1)).to_contain_text(name)
        visited.append(page.url)
        return name

    children = "main table.children tbody th a"
    follow(page.locator(children).filter(has_text=re.compile(r"^Zulia$")), r"/areas/[A-Z]+$")  # a state
    follow(page.locator(children).first, r"/areas/[A-Z]+-\d+$")  # a municipio
    follow(page.locator(children).first, r"/areas/[A-Z]+-\d+-\d+$")  # a parroquia
    centre = follow(page.locator(children).first, r"/areas/[A-Z]+-\d+-\d+-\d+$")  # a centre
    breadcrumbs = page.locator("nav.breadcrumbs li")
    expect(breadcrumbs).to_have_count(5)  # país › estado › municipio › parroquia › centre
    expect(breadcrumbs.last).to_have_text(centre)
    table_link = page.locator("main table.tables tbody th a").first
    code = table_link.inner_text().strip()
    table_link.click()
    page.wait_for_url(f"**/tables/{code}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)

    twin = httpx.get(f"{site}/api/v1/tables/{code}", timeout=10)
    assert twin.status_code == 200
    table = twin.json()
    assert table["code"] == code
    names = {o["code"]: o["name"] for c in httpx.get(f"{site}/api/v1/bulletins/latest", timeout=10).json()["contests"]
             for o in c["options"]}
    sections = page.locator("main section.table-contest")
    expect(sections).to_have_count(len(table["contests"]))
    read = 0
    for index, twin_contest in enumerate(table["contests"]):
        section = sections.nth(index)
        expect(section.get_by_role("heading", level=2)).to_contain_text(twin_contest["name"])
        actas = section.locator("article.acta")
        expect(actas).to_have_count(len(twin_contest["actas"]))
        for number, acta in enumerate(twin_contest["actas"]):
            shown = {}
            for row in actas.nth(number).locator("table.acta-votes tbody tr").all():
                shown[_spaces(row.locator("th").inner_text())] = _number(row.locator("td").inner_text())
            expected = {names[v["code"]]: v["votes"] for v in acta["votes"]}
            expected |= {"Nulos": acta["null"], "Votos escrutados": acta["ballots_cast"]}
            assert shown.pop("Blancos", 0) == acta["blank"]
            assert shown == expected, f"acta {acta['id']} of {code}"
            read += 1
    assert read, f"table {code} shows no acta to check"


def test_new_bulletin_appears_live_without_reload(context, page, demo_night, db_of_night):
    area = context.new_page()
    page.goto("/")
    area.goto("/areas/ZU")
    before = int(page.locator("body").get_attribute("data-bulletin"))
    assert before >= 1
    for tab in (page, area):
        expect(tab.locator("main .bulletin-line a").first).to_have_text(str(before))
        tab.wait_for_function("window.EventSource && document.readyState === 'complete'")
        expect(tab.locator("body")).to_have_attribute("data-following", "yes")  # its event stream is open
        tab.evaluate("window.__before_publish = 'still here'")

    published = subprocess.run([sys.executable, "-m", "escrutinio.cli", "bulletin", "publish", "--db", db_of_night],
                               cwd=demo_night, env=cli_env(), capture_output=True, text=True, timeout=600)
    returned = time.monotonic()
    assert published.returncode == 0, published.stderr
    new = before + 1
    assert f"Published bulletin {new} " in published.stdout

    def left() -> float:
        return max(1.0, (returned + LIVE_WAIT_SECONDS - time.monotonic()) * 1000)

    try:
        for tab in (page, area):
            expect(tab.locator("main .bulletin-line a").first).to_have_text(str(new), timeout=left())
            expect(tab.locator("#live")).to_contain_text(f"Nuevo boletín {new}", timeout=left())
    finally:
        shoot(area, "test_new_bulletin_appears_live_without_reload-area")
    for tab in (page, area):
        assert tab.evaluate("window.__before_publish") == "still here", "the page was reloaded"
        assert tab.evaluate("performance.getEntriesByType('navigation').length") == 1
        assert tab.evaluate("performance.getEntriesByType('navigation')[0].type") == "navigate"
        expect(tab.locator("body")).to_have_attribute("data-bulletin", str(new))
        expect(tab.locator("#live")).to_have_attribute("aria-live", "polite")
    area.close()


@pytest.mark.parametrize("path", ["/", "/bulletins", "/bulletins/3", "/tables/ZU-01-01-001-1"],
                         ids=["home", "bulletins", "bulletin-3", "table"])
def test_pages_fit_a_phone_without_sideways_scrolling(browser, site, request, path):
    phone = browser.new_context(base_url=site, viewport={"width": 390, "height": 844}, is_mobile=True,
                                has_touch=True, device_scale_factor=1)
    tab = phone.new_page()
    try:
        tab.goto(path)
        expect(tab.get_by_role("heading", level=1)).to_be_visible()
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways on a phone"
    finally:
        shoot(tab, request.node.name)
        phone.close()


def test_unknown_area_is_a_404_page(page):
    response = page.goto("/areas/NOPE")
    assert response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).not_to_be_empty()
    back = page.locator("main").get_by_role("link", name="Volver a los resultados")
    expect(back).to_be_visible()
    back.click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("main table.results").first).to_be_visible()

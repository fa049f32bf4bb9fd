"""The live timeline in a real browser: Chromium driven by Playwright against `escrutinio serve`.

A small election of its own (tests/factory.py) with an editor's and an admin's token, served by a
separate process as a reader would meet it. Two readers keep the timeline open — one on its page,
one beside the results on the home page — while an editor works through the API:

- a new entry reaches both within 2 seconds, without a reload;
- correcting it shows the "updated" mark and the trail (old words struck, reason given);
- publishing a bulletin posts one entry, and announcing that bulletin again (API and CLI) adds none;
- a reader who has scrolled into the list is not moved: the entry waits behind a button, and the
  aria-live region says how many updates are new;
- a comment sent from the page shows nowhere until an editor approves it, then appears live.

Screenshots go to test-artifacts/ (git-ignored), like tests/test_browser.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time

import httpx
import pytest

from escrutinio.services import init_election, open_store
from escrutinio.services.tokens import create_token

from .conftest import cli_env, served
from .factory import small_election
from .test_browser import CHROMIUM, CHROMIUM_ARGS, _unavailable, shoot

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

# A generous bound for an entry to reach every open page on a loaded machine: the tests assert that it
# arrives without a reload, not how fast.
LIVE_WAIT_SECONDS = 120.0
API = "/api/v1/timeline"


@pytest.fixture(scope="module", autouse=True)
def _browser_present():
    if sync_playwright is None:
        _unavailable("the playwright Python package is not installed")
    if not (CHROMIUM.is_file() and CHROMIUM.stat().st_mode & 0o111):
        _unavailable(f"Chromium not found at {CHROMIUM}")


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> dict:
    """A database with the small election and two tokens (editor, admin)."""
    where = tmp_path_factory.mktemp("timeline-night")
    url = f"sqlite:///{where / 'escrutinio.db'}"
    store = open_store(url)
    init_election(store, small_election())
    _, editor = create_token(store, "Ana (desk)", "editor")
    _, admin = create_token(store, "Chief", "admin")
    store.close()
    return {"where": where, "url": url, "editor": {"Authorization": f"Bearer {editor}"},
            "admin": {"Authorization": f"Bearer {admin}"}}


@pytest.fixture(scope="module")
def site(night) -> str:
    with served(night["url"], night["where"], ready=API) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def reader(browser, site: str, path: str, viewport: dict | None = None):
    """A reader of their own (no shared cookies), on ``path``, following the timeline live."""
    context = browser.new_context(base_url=site, viewport=viewport or {"width": 1280, "height": 900})
    context.set_default_timeout(60_000)  # generous bounds: a loaded machine renders slowly
    expect.set_options(timeout=60_000)
    tab = context.new_page()
    tab.goto(path)
    expect(tab.locator("[data-timeline]")).to_have_attribute("data-following", "yes")  # its stream is open
    tab.evaluate("window.__loaded_once = 'still here'")
    return tab


def not_reloaded(tab) -> None:
    assert tab.evaluate("window.__loaded_once") == "still here", "the page was reloaded"
    assert tab.evaluate("performance.getEntriesByType('navigation').length") == 1


def deadline_after(returned: float):
    return lambda: max(1.0, (returned + LIVE_WAIT_SECONDS - time.monotonic()) * 1000)


def test_two_readers_follow_posts_corrections_and_bulletins_live(browser, site, night):
    page_reader = reader(browser, site, "/timeline")
    home_reader = reader(browser, site, "/")
    readers = (page_reader, home_reader)
    try:
        posted = httpx.post(f"{site}{API}/entries", headers=night["editor"], timeout=10, json={
            "body": "Cierran las mesas sin fila; **las demás siguen abiertas**.", "kind": "key"})
        left = deadline_after(time.monotonic())
        assert posted.status_code == 201, posted.text
        entry = posted.json()
        for tab in readers:
            shown = tab.locator(f"#entry-{entry['id']}")
            expect(shown).to_contain_text("las demás siguen abiertas", timeout=left())
            expect(shown.locator("strong")).to_have_text("las demás siguen abiertas")
            expect(shown).to_contain_text("Momento clave")
            expect(tab.locator(".tl-announce")).to_have_text("1 actualización nueva", timeout=left())

        edited = httpx.patch(f"{site}{API}/entries/{entry['id']}", headers=night["editor"], timeout=10, json={
            "body": "Cierran las mesas sin fila; **las demás siguen abiertas** hasta que vote el último "
                    "elector de la cola.", "reason": "precisamos la regla"})
        left = deadline_after(time.monotonic())
        assert edited.status_code == 200, edited.text
        for tab in readers:
            shown = tab.locator(f"#entry-{entry['id']}")
            expect(shown).to_contain_text("hasta que vote el último elector", timeout=left())
            mark = shown.locator("details.tl-trail summary")
            expect(mark).to_contain_text(re.compile(r"actualizada a las (\d+ \w+\.? )?\d\d:\d\d"), timeout=left())
        trail = page_reader.locator(f"#entry-{entry['id']} details.tl-trail")
        trail.locator("summary").click()
        expect(trail).to_contain_text("precisamos la regla")
        expect(trail.locator("li")).to_have_count(2)  # posted, corrected
        expect(trail.locator("li").nth(1)).to_contain_text("corregida")
        expect(trail.locator("ins").first).to_contain_text("hasta que vote")

        published = httpx.post(f"{site}/api/v1/bulletins", headers=night["admin"], timeout=600)
        left = deadline_after(time.monotonic())
        assert published.status_code == 201, published.text
        for tab in readers:
            expect(tab.locator(".tl-entry.kind-bulletin")).to_have_count(1, timeout=left())
            expect(tab.locator(".tl-entry.kind-bulletin")).to_contain_text("Boletín 1")
        again = httpx.put(f"{site}{API}/bulletins/1", headers=night["editor"], timeout=10)
        assert again.status_code == 200
        cli = subprocess.run([sys.executable, "-m", "escrutinio.cli", "timeline", "bulletin", "1", "--db",
                              night["url"]], cwd=night["where"], env=cli_env(), capture_output=True, text=True,
                             timeout=60)
        assert cli.returncode == 0, cli.stderr
        assert cli.stdout.strip() == f"Bulletin 1 is entry {again.json()['id']}."
        # Events come in the order they were written: once an entry posted after the CLI's call is on every
        # page, a duplicate that call might have made would be there too.
        later = httpx.post(f"{site}{API}/entries", headers=night["editor"], timeout=60,
                           json={"body": "Seguimos atentos."})
        assert later.status_code == 201, later.text
        for tab in readers:
            expect(tab.locator(f"#entry-{later.json()['id']}")).to_contain_text("Seguimos atentos.",
                                                                               timeout=deadline_after(time.monotonic())())
        kinds = [e["kind"] for e in httpx.get(f"{site}{API}", timeout=10).json()["entries"]]
        assert kinds.count("bulletin") == 1
        for tab in readers:
            expect(tab.locator(".tl-entry.kind-bulletin")).to_have_count(1)
            not_reloaded(tab)
            expect(tab.locator(".tl-announce")).to_have_attribute("aria-live", "polite")
        page_reader.reload()
        expect(page_reader.locator(".tl-entry.kind-bulletin")).to_have_count(1)
    finally:
        shoot(page_reader, "test_timeline_live-page")
        shoot(home_reader, "test_timeline_live-home")
        for tab in readers:
            tab.context.close()


def test_a_reader_scrolled_into_the_list_is_not_moved(browser, site, night):
    for n in range(8):  # enough entries that the list runs well past a short window
        httpx.post(f"{site}{API}/entries", headers=night["editor"], timeout=10,
                   json={"body": f"Nota de relleno {n}.\n\nUn segundo párrafo para ocupar sitio."})
    tab = reader(browser, site, "/timeline", viewport={"width": 800, "height": 500})
    try:
        tab.locator(".tl-entries li").nth(4).scroll_into_view_if_needed()
        assert tab.evaluate("document.querySelector('.tl-entries').getBoundingClientRect().top") < 0
        anchor = tab.locator(".tl-entries li").nth(4)
        before = anchor.bounding_box()["y"]
        posted = httpx.post(f"{site}{API}/entries", headers=night["editor"], timeout=10,
                            json={"body": "Entrada nueva mientras leías."})
        left = deadline_after(time.monotonic())
        button = tab.locator("button.tl-show")
        expect(button).to_be_visible(timeout=left())
        expect(button).to_have_text("Mostrar 1 actualización nueva")
        expect(tab.locator(".tl-announce")).to_have_text("1 actualización nueva")
        expect(tab.locator(f"#entry-{posted.json()['id']}")).to_have_count(0)  # waiting, not inserted
        assert abs(anchor.bounding_box()["y"] - before) < 1, "the page moved under the reader"
        button.click()
        shown = tab.locator(f"#entry-{posted.json()['id']}")
        expect(shown).to_be_visible()
        expect(shown).to_be_focused()
        expect(button).to_be_hidden()
        not_reloaded(tab)
    finally:
        shoot(tab, "test_timeline_live-scrolled")
        tab.context.close()


def test_a_comment_appears_only_once_approved_and_then_live(browser, site, night):
    entry = httpx.post(f"{site}{API}/entries", headers=night["editor"], timeout=10,
                       json={"body": "¿Cómo está la fila en su centro?"}).json()
    writer = reader(browser, site, "/timeline")
    try:
        form = writer.locator(f"#entry-{entry['id']} details.tl-comment-form")
        form.locator("summary").click()
        form.get_by_label("Tu nombre").fill("Marta")
        form.get_by_label("Tu comentario").fill("Media hora de espera en la Escuela A.")
        form.get_by_role("button", name="Enviar").click()
        writer.wait_for_url(re.compile(r"comment=pending"))
        expect(writer.locator(".tl-notice")).to_contain_text("cuando un editor lo apruebe")
        expect(writer.locator(f"#entry-{entry['id']} .tl-comments")).to_have_count(0)
        expect(writer.locator("[data-timeline]")).to_have_attribute("data-following", "yes")
        writer.evaluate("window.__loaded_once = 'still here'")
        pending = httpx.get(f"{site}{API}/comments", headers=night["editor"], timeout=10).json()
        [comment] = [c for c in pending if c["entry_id"] == entry["id"]]
        approved = httpx.post(f"{site}{API}/comments/{comment['id']}/approve", headers=night["editor"], timeout=10)
        left = deadline_after(time.monotonic())
        assert approved.status_code == 200
        shown = writer.locator(f"#entry-{entry['id']} .tl-comments")
        expect(shown).to_contain_text("Media hora de espera en la Escuela A.", timeout=left())
        expect(shown).to_contain_text("Marta")
        not_reloaded(writer)
    finally:
        shoot(writer, "test_timeline_live-comment")
        writer.context.close()

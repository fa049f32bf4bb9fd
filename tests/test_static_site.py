"""The site of a bulletin as static files (escrutinio bulletin export): served by nginx (or, without it,
Python's http.server), with no escrutinio behind it, and browsed in Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from escrutinio.services import init_election, open_store, publish_bulletin

from .conftest import escrutinio, free_port
from .factory import small_election
from .test_browser import CHROMIUM, CHROMIUM_ARGS

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover
    sync_playwright = None

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """Bulletins 1 and 2 of the small election exported one after the other into one folder."""
    where = tmp_path_factory.mktemp("static")
    url = f"sqlite:///{where / 'night.db'}"
    store = open_store(url)
    init_election(store, small_election())
    publish_bulletin(store)
    for number in (1, 2):
        if number == 2:
            publish_bulletin(store)
        done = escrutinio(where, "bulletin", "export", "--db", url, "--out", str(where / "out"))
        assert done.returncode == 0, done.stderr
        assert f"Pages of bulletin {number}" in done.stdout
    store.close()
    return where / "out"


def test_every_page_of_every_language_is_a_file_and_unchanged_files_are_shared(exported):
    site = exported / "pages" / "2"
    for page in ("index.html", "areas/N/index.html", "areas/C-N1a/index.html", "tables/T1/index.html",
                 "bulletins/index.html", "bulletins/1/index.html", "bulletins/2/index.html", "search/index.html",
                 "404.html", "en/index.html", "en/areas/S1/index.html", "en/tables/T6/index.html"):
        assert (site / page).is_file(), page
    english = (site / "en/areas/N/index.html").read_text()
    assert '<html lang="en">' in english and 'href="/en/areas/N1"' in english  # links stay in the language
    assert 'href="/areas/N"' in english  # the language menu: the same page in Spanish, at the root
    assert 'data-index="/search.json"' in english and "/api/v1/search" not in english
    assert (site / "search.json").is_file() and '"T6"' in (site / "search.json").read_text()
    one = exported / "pages" / "1"
    for shared in ("static/style.css", "static/search.js", "search.json", "tables/T6/index.html"):
        assert (site / shared).stat().st_ino == (one / shared).stat().st_ino, shared  # a hard link, not a copy
    assert (site / "index.html").stat().st_ino != (one / "index.html").stat().st_ino  # it names bulletin 2


NGINX_CONF = """
{user}
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 64; }}
http {{
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy; fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {root};
    location / {{ try_files $uri $uri/index.html =404; }}
    error_page 404 /404.html;
  }}
}}
"""


@pytest.fixture(scope="module")
def static_server(exported, tmp_path_factory):
    """A plain static server on the pages of bulletin 2: nginx from Debian, or Python's http.server."""
    root = exported / "pages" / "2"
    port = free_port()
    work = tmp_path_factory.mktemp("nginx")
    if NGINX:
        # as root, nginx's workers would otherwise drop to nobody, who cannot read pytest's private folders
        user = "user root;" if os.geteuid() == 0 else ""
        (work / "nginx.conf").write_text(NGINX_CONF.format(user=user, dir=work, port=port, root=root))
        server = subprocess.Popen([NGINX, "-c", str(work / "nginx.conf"), "-p", str(work)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                   "--directory", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(30)


@pytest.fixture(scope="module")
def browser():
    if sync_playwright is None or not CHROMIUM.is_file():
        pytest.fail("the browser test needs playwright and Chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_the_exported_site_is_browsed_with_no_server_behind_it(browser, static_server):
    context = browser.new_context(base_url=static_server)
    context.set_default_timeout(60_000)
    page = context.new_page()
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    assert page.goto("/").status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Small test election")
    page.locator("main table.children").get_by_role("link", name="North").click()
    page.wait_for_url("**/areas/N")
    expect(page.get_by_role("heading", level=1)).to_contain_text("North")
    page.locator("header .languages").get_by_role("link", name="English").click()
    page.wait_for_url("**/en/areas/N")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # search by keyboard, from the index file
    box = page.locator("header input[type=search]")
    box.focus()
    page.keyboard.type("south one")
    expect(page.get_by_role("option").first).to_contain_text("South One")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/areas/S1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("South One")
    missing = page.goto("/areas/NOPE")
    assert missing.status == 404
    expect(page.get_by_role("search").last).to_be_visible()
    assert all(url.startswith(static_server) for url in asked), [u for u in asked if not u.startswith(static_server)]
    context.close()

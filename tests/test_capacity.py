"""Holding a crowd (web/capacity.py): kept pages, gzip and brotli, ETag and 304, HEAD, no store read on a kept
page, and a change renewing the pages that show it (a new bulletin renewing all)."""

from __future__ import annotations

import gzip
import threading

import brotli
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from escrutinio import services
from escrutinio.intake.actas import Record
from escrutinio.services import ingest_records, open_store, publish_bulletin
from escrutinio.settings import load_settings
from escrutinio.web import capacity
from escrutinio.web import pages as web_pages
from escrutinio.web.app import create_app

GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture
def client(small_store):
    publish_bulletin(small_store)
    with TestClient(create_app(load_settings(database_url=small_store.url, rate_limit_per_second=0),
                               small_store)) as client:
        yield client


def raw(client, method: str, url: str, **headers):
    """The answer as sent (httpx would otherwise decompress it for us)."""
    headers = {"Accept-Encoding": "identity", **headers}
    with client.stream(method, url, headers=headers) as response:
        return response, b"".join(response.iter_raw())


@pytest.mark.parametrize("url", ["/", "/areas/N", "/bulletins/1", "/api/v1/bulletins/latest",
                                 "/static/style.css", "/search?q=north"])
def test_gzip_etag_and_304_on_get_and_head(client, url):
    plain, body = raw(client, "GET", url)
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert int(plain.headers["content-length"]) == len(body)
    packed, zipped = raw(client, "GET", url, **GZIP)
    assert packed.headers["content-encoding"] == "gzip" and "Accept-Encoding" in packed.headers["vary"]
    assert gzip.decompress(zipped) == body and len(zipped) < len(body)
    tag = packed.headers["etag"]
    assert tag == plain.headers["etag"] and tag.startswith('"')
    head, nothing = raw(client, "HEAD", url, **GZIP)  # curl -I
    assert head.status_code == 200 and nothing == b""
    assert head.headers["etag"] == tag and head.headers["content-encoding"] == "gzip"
    assert head.headers["content-length"] == str(len(zipped))
    for method in ("GET", "HEAD"):
        again, empty = raw(client, method, url, **GZIP, **{"If-None-Match": tag})
        assert again.status_code == 304 and empty == b"" and again.headers["etag"] == tag
    other, _ = raw(client, "GET", url, **{"If-None-Match": '"0123"'})
    assert other.status_code == 200


def test_live_pages_may_be_kept_briefly_and_revalidated(client):
    policy = client.get("/").headers["cache-control"]
    assert "max-age=2" in policy and "stale-while-revalidate" in policy and "immutable" not in policy
    assert "Cookie" in client.get("/").headers["vary"]  # the language cookie picks the page
    assert "immutable" in client.get("/api/v1/bulletins/1").headers["cache-control"]  # kept as it was


def test_a_page_is_rendered_once_then_kept_until_a_new_bulletin(client, small_store, monkeypatch):
    monkeypatch.setattr(capacity, "FRESH_SECONDS", 3600)  # only a new bulletin renews it (not a slow machine)
    rendered = []
    real = web_pages.Pages.render
    monkeypatch.setattr(web_pages.Pages, "render", lambda self, *a, **k: rendered.append(1) or real(self, *a, **k))
    first = client.get("/areas/N")
    for _ in range(5):
        assert client.get("/areas/N").text == first.text
        assert client.get("/areas/N", headers=GZIP).status_code == 200
    assert len(rendered) == 1
    assert client.get("/areas/N?lang=en").text != first.text  # each language its own page
    english = client.get("/areas/N", cookies={"lang": "en"})
    assert 'lang="en"' in english.text and len(rendered) == 3
    tag = first.headers["etag"]
    publish_bulletin(small_store)  # a new bulletin: every kept page is stale
    fresh = client.get("/areas/N", headers={"If-None-Match": tag})
    assert fresh.status_code == 200 and fresh.headers["etag"] != tag and len(rendered) == 4
    assert 'data-bulletin="2"' in fresh.text


def test_writes_errors_and_operators_pass_through(client):
    missing = client.get("/areas/NOPE", headers=GZIP)
    assert missing.status_code == 404 and "etag" not in missing.headers
    assert client.get("/api/v1/bulletins/latest?area=NOPE").status_code == 404
    repeated = client.get("/search?q=a&q=b")
    assert repeated.status_code == 422
    assert client.post("/api/v1/actas", json={}).status_code == 401  # still refused before any body is read


def test_brotli_for_clients_that_take_it(client):
    plain, body = raw(client, "GET", "/")
    packed, squeezed = raw(client, "GET", "/", **{"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["content-encoding"] == "br" and brotli.decompress(squeezed) == body
    assert packed.headers["etag"] == plain.headers["etag"]
    refused, zipped = raw(client, "GET", "/", **{"Accept-Encoding": "br;q=0, gzip"})
    assert refused.headers["content-encoding"] == "gzip" and gzip.decompress(zipped) == body


def _statements(store):
    """Every SQL statement the store runs from now on, but the marks' own thread's (a list that grows)."""
    seen = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda conn, cursor, statement, *rest: seen.append(
        statement) if threading.current_thread().name != "escrutinio-versions" else None)
    return seen


@pytest.mark.parametrize("url", ["/", "/areas/N", "/areas/C-N1a", "/api/v1/bulletins/latest", "/static/style.css"])
def test_a_kept_answer_reads_nothing_from_the_store(small_store, url):
    publish_bulletin(small_store)
    # The live streams' watchers read the store on a clock of their own, whatever is asked: an hour here.
    settings = load_settings(database_url=small_store.url, rate_limit_per_second=0, live_poll_seconds=3600)
    with TestClient(create_app(settings, small_store)) as client:
        assert client.get(url, headers=GZIP).status_code == 200  # made and kept
        client.get(url, headers=GZIP)
        statements = _statements(small_store)
        for headers in (GZIP, {"Accept-Encoding": "identity"}, {**GZIP, "If-None-Match": '"x"'}):
            for _ in range(5):
                assert client.get(url, headers=headers).status_code == 200
        assert statements == []


def test_a_change_renews_the_pages_that_show_it_and_no_other(client, small_store, monkeypatch, tmp_path):
    """Changes made by another process (another Store on the same database) are seen by the marks' thread:
    a timeline entry renews the home page; an acta renews a centre's page (its tables), not the home page,
    whose figures come from bulletins once they are public."""
    from .conftest import wait_for
    from .factory import acta

    rendered = []
    real = web_pages.Pages.render
    monkeypatch.setattr(web_pages.Pages, "render",
                        lambda self, request, *a, **k: rendered.append(request.url.path) or real(self, request, *a, **k))
    home, centre = client.get("/"), client.get("/areas/C-N1a")
    assert "Election night notes" not in home.text and rendered == ["/", "/areas/C-N1a"]
    other = open_store(small_store.url)
    try:
        services.timeline.post_entry(other, "Election night notes", author="Desk")
        wait_for(lambda: "Election night notes" in client.get("/").text, "the home page renewed by the entry")
        assert rendered.count("/") == 2 and client.get("/areas/C-N1a").text == centre.text
        ingest_records(other, [Record("late", 1, acta("T1"))])
        wait_for(lambda: client.get("/areas/C-N1a").text != centre.text, "the centre's page renewed by the acta")
        assert rendered.count("/areas/C-N1a") == 2
        for _ in range(3):
            client.get("/")
        assert rendered.count("/") == 2  # an acta is not on the home page until a bulletin counts it
    finally:
        other.close()


def test_an_old_page_is_served_while_it_is_made_again(client, monkeypatch):
    """What no mark sees (a clock passing a time) is renewed too: a page past FRESH_SECONDS is made again."""
    rendered = []
    real = web_pages.Pages.render
    monkeypatch.setattr(web_pages.Pages, "render", lambda self, *a, **k: rendered.append(1) or real(self, *a, **k))
    first = client.get("/areas/S")
    monkeypatch.setattr(capacity, "FRESH_SECONDS", 0)  # from now on, every kept page is old
    assert client.get("/areas/S").text == first.text  # the kept page at once; made again behind it
    from .conftest import wait_for
    wait_for(lambda: len(rendered) == 2, "the page made again")
    assert client.get("/static/style.css").status_code == 200  # a file made again ends (no client waits on it)
    assert client.get("/static/style.css").status_code == 200


def test_serve_with_two_workers_answers_and_stops(tmp_path):
    import httpx

    from escrutinio.services import init_election, open_store

    from .conftest import serving
    from .factory import small_election

    url = f"sqlite:///{tmp_path / 'night.db'}"
    store = open_store(url)
    init_election(store, small_election())
    publish_bulletin(store)
    with serving(url, tmp_path, ESCRUTINIO_WORKERS="2") as (base, process):
        answers = [httpx.get(f"{base}/", headers=GZIP, timeout=60) for _ in range(4)]
        assert {a.status_code for a in answers} == {200} and all("etag" in a.headers for a in answers)
    assert process.poll() is not None  # terminated, not left waiting for its workers

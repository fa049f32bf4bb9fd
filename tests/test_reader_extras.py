"""What readers and newsrooms expect besides the figures: API docs from the package itself, an icon, share
cards with the headline figures, an embeddable widget per contest."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from escrutinio.services import publish_bulletin
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app



@pytest.fixture
def client(small_store):
    publish_bulletin(small_store)
    with TestClient(create_app(load_settings(database_url=small_store.url, rate_limit_per_second=0),
                               small_store)) as client:
        yield client


def test_api_docs_are_served_from_the_package_with_nothing_from_elsewhere(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for route in ("GET /api/v1/search", "GET /api/v1/bulletins/latest", "POST /api/v1/actas"):
        assert route in page.text, route
    external = re.findall(r'(?:src|href)="((?:https?:)?//[^"]*)"', page.text)
    assert external == [], external
    assert client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/search"]


def test_favicon(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.text.startswith("<svg")
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/").text


def test_share_cards_carry_the_headline_figures(client):
    home = client.get("/", params={"lang": "en"}).text
    description = re.search(r'<meta property="og:description" content="([^"]*)"', home).group(1)
    # no acta counted yet: the options with no share, 0 of the 6 tables, and the bulletin's number
    assert description.startswith("Question: Yes —, No — (0/6 tables)") and description.endswith("Bulletin 1")
    assert '<meta name="twitter:card" content="summary">' in home
    assert re.search(r'<meta property="og:title" content="[^"]*Small test election', home)


def test_embed_widget_per_contest(client):
    widget = client.get("/embed/Q", params={"lang": "en"})
    assert widget.status_code == 200
    assert "<h1" in widget.text and "Question" in widget.text and "<header" not in widget.text
    assert "0 counted of 6" in widget.text.replace("\xa0", " ")
    assert client.get("/embed/R", params={"area": "S1"}).status_code == 200
    assert client.get("/embed/NOPE").status_code == 404
    assert client.get("/embed/Q", params={"area": "NOPE"}).status_code == 404


def test_csv_links_for_every_level_and_for_an_area(client):
    import html as html_lib

    bulletin = client.get("/bulletins/1", params={"lang": "en"}).text
    links = {html_lib.unescape(h) for h in re.findall(r'href="(/api/v1/bulletins/1/csv[^"]*)"', bulletin)}
    assert links >= {"/api/v1/bulletins/1/csv", "/api/v1/bulletins/1/csv?level=country",
                     "/api/v1/bulletins/1/csv?level=region", "/api/v1/bulletins/1/csv?level=district",
                     "/api/v1/bulletins/1/csv?level=centre"}
    area = client.get("/areas/N1").text
    (csv_link,) = re.findall(r'href="(/api/v1/bulletins/1/csv\?area=[^"]*)"', area)
    for link in links | {csv_link}:
        answer = client.get(link)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv"), link
    assert "North One" in client.get(csv_link).text and "School A" in client.get(csv_link).text

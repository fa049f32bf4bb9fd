"""The smaller weaknesses hostile testing found at the web edge, each closed.

- every id in a path is bounded: beyond what a database column holds is 404 or 422, never 500;
- a malformed reason to annul or resolve is 422 (the request's shape), not 409;
- links in cacheable documents (Atom, JSON-LD) use the configured public address, never the Host header;
- CSV downloads name their file safely (RFC 6266) and neutralise cells a spreadsheet would run as formulas;
- one client address may hold only so many live event streams;
- X-Forwarded-For is believed only from the proxies named in the settings.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re

import httpx
import pytest
from fastapi.testclient import TestClient

from escrutinio import services
from escrutinio.intake.actas import Record
from escrutinio.services import ingest_records, init_election, open_store, publish_bulletin
from escrutinio.services.tokens import create_token
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app

from .conftest import asgi_get_scope, served
from .factory import acta, small_election

API = "/api/v1"


@pytest.fixture
def seeded(small_store):
    """The small election with actas, a bulletin, a timeline entry and a comment; an admin client."""
    ingest_records(small_store, [Record("seed", n, r) for n, r in enumerate([acta("T1"), acta("T2")], 1)])
    publish_bulletin(small_store)
    entry = services.timeline.post_entry(small_store, "Polls are open", author="Desk")
    services.timeline.add_comment(small_store, entry.id, "A reader", "Thanks")
    return small_store


def admin_client(store, **settings) -> TestClient:
    client = TestClient(create_app(load_settings(database_url=store.url, rate_limit_per_second=0, **settings),
                                   store))
    client.headers["Authorization"] = f"Bearer {create_token(store, 'results centre', 'admin')[1]}"
    return client


# -- ids in paths ---------------------------------------------------------------------------------

# A body each write with an id in its path takes, valid but for the id (so the id is what is judged).
BODIES = {
    ("post", "/api/v1/actas/{acta_id}/resolve"): {"reason": "paper acta checked"},
    ("post", "/api/v1/actas/{acta_id}/annul"): {"reason": "the table never opened"},
    ("post", "/api/v1/incidents/{incident_id}/status"): {"status": "verified"},
    ("patch", "/api/v1/timeline/entries/{entry_id}"): {"body": "Corrected"},
    ("post", "/api/v1/timeline/entries/{entry_id}/comments"): {"name": "A reader", "body": "Hello"},
    ("post", "/api/v1/timeline/comments/{comment_id}/approve"): {},
    ("post", "/api/v1/timeline/comments/{comment_id}/reject"): {},
}
HUGE = [2**31, 2**63 - 1, 2**63, 2**64, 10**30]
PAGES = ["/timeline/entries/{}", "/timeline/fragments/{}", "/bulletins/{}"]


def test_every_id_in_a_path_is_bounded(seeded):
    client = admin_client(seeded)
    doc = client.get(f"{API}/openapi.json").json()
    asked = 0
    for template, operations in doc["paths"].items():
        for method, operation in operations.items():
            ids = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"
                   and p["schema"].get("type") == "integer"]
            if not ids:
                continue
            body = BODIES.get((method, template)) if operation.get("requestBody") else None
            assert body is not None or not operation.get("requestBody"), f"give BODIES a body for {method} {template}"
            for value in HUGE:
                path = template
                for name in ids:
                    path = path.replace("{" + name + "}", str(value))
                path = re.sub(r"\{[^}]+\}", "Q", path)  # other parameters (a contest, an area code)
                client.app.state.comment_limiter.buckets.clear()  # a few comments a minute: not what is tested
                response = client.request(method.upper(), path, json=body)
                asked += 1
                assert response.status_code in (404, 422), (method, path, response.status_code, response.text[:300])
    for page in PAGES:
        for value in HUGE:
            assert client.get(page.format(value)).status_code in (404, 422), page.format(value)
    assert asked >= 14 * len(HUGE)


@pytest.mark.parametrize("reason", ["", " \t ", "\u3000", "two\nlines", "line\x00break", "bell\x07", "x" * 1001])
@pytest.mark.parametrize("action", ["annul", "resolve"])
def test_a_malformed_reason_is_422_naming_it(seeded, action, reason):
    client = admin_client(seeded)
    [first, *_] = seeded.actas()
    response = client.post(f"{API}/actas/{first.id}/{action}", json={"reason": reason})
    assert response.status_code == 422, response.text
    assert "reason" in [e["field"] for e in response.json()["errors"]]
    assert seeded.acta(first.id).status == first.status == "counted"

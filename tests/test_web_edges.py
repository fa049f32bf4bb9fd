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
import re
from dataclasses import replace

import httpx
import pytest
from fastapi.testclient import TestClient

from escrutinio import services
from escrutinio.domain.model import Area
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


# -- CSV downloads ----------------------------------------------------------------------------------

def hostile_names():
    """The small election with area names a spreadsheet would run as formulas, and a level name in Spanish."""
    areas = (Area("X", "Country", 0, None), Area("N", '=HYPERLINK("http://evil.example","x")', 1, "X"),
             Area("S", "-2+3", 1, "X"), Area("N1", "@SUM(A1:A9)", 2, "N"), Area("N2", "+1", 2, "N"),
             Area("S1", "\tSouth One", 2, "S"))
    return replace(small_election(), areas=areas, levels=("country", "región", "district"))


def test_csv_downloads_are_safe_in_a_spreadsheet_and_keep_their_figures(store):
    init_election(store, hostile_names())
    ingest_records(store, [Record("seed", n, acta(t)) for n, t in enumerate(["T1", "T2", "T3", "T4", "T5"], 1)])
    publish_bulletin(store)
    client = admin_client(store)
    response = client.get(f"{API}/bulletins/1/csv", params={"level": "región"})
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert disposition == ("attachment; filename=\"bulletin-1-regi_n.csv\"; "
                           "filename*=UTF-8''bulletin-1-regi%C3%B3n.csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    names = {(r["area_code"], r["contest"]): r["area_name"] for r in rows}
    assert names[("N", "Q")] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert names[("S", "Q")] == "'-2+3"
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (row["area_code"], cell)
    north = next(r for r in rows if r["area_code"] == "N" and r["contest"] == "Q")
    # T1 to T4 are in the north, 60 yes and 40 no each: 240 of 400 valid votes, 60.00 %
    assert (north["votes_YES"], north["votes_NO"], north["valid"], north["percent_YES"]) == ("240", "160", "400",
                                                                                             "60.00")
    districts = {r["area_code"]: r["area_name"] for r in csv.DictReader(io.StringIO(
        client.get(f"{API}/bulletins/1/csv", params={"level": "district"}).text))}
    assert (districts["N1"], districts["N2"], districts["S1"]) == ("'@SUM(A1:A9)", "'+1", "'\tSouth One")


# -- links in cacheable documents -------------------------------------------------------------------

@pytest.mark.parametrize("configured, expected", [("https://results.example.org/", "https://results.example.org"),
                                                  ("", "http://127.0.0.1:8000")])
def test_atom_and_json_ld_link_to_the_public_address_never_the_host_header(seeded, configured, expected):
    client = admin_client(seeded, public_base_url=configured)
    del client.headers["Authorization"]
    for path in ("/timeline.atom", "/timeline"):
        body = client.get(path, headers={"Host": "evil.example"}).text
        assert "evil.example" not in body, path
        assert f"{expected}/timeline" in body, path
    assert f"{expected}/timeline.atom" in client.get("/timeline.atom").text  # the feed's own address


# -- live streams per address -----------------------------------------------------------------------

def test_one_address_may_hold_only_so_many_live_streams(small_store):
    app = create_app(load_settings(database_url=small_store.url, rate_limit_per_second=0,
                                   max_streams_per_address=2), small_store)
    assert asyncio.run(_streams(app)) == [200, 200, 429, 200, 200]


async def _streams(app) -> list[int]:
    """Open two streams from one address, a third from it, one from another; end one, open again."""
    opened = []

    async def stream(path: str, client: str):
        start, end = {}, asyncio.Event()

        async def receive():
            await end.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            if message["type"] == "http.response.start":
                start.update(message)

        scope = asgi_get_scope(path)
        scope["client"] = (client, 50000)
        task = asyncio.ensure_future(app(scope, receive, send))
        async with asyncio.timeout(60):  # generous: it answers at once
            while not start:
                await asyncio.sleep(0.01)
        opened.append((task, end))
        return start["status"], task, end

    statuses = []
    first, task_one, end_one = await stream(f"{API}/events", "192.0.2.1")
    second, *_ = await stream(f"{API}/timeline/events", "192.0.2.1")
    third, *_ = await stream(f"{API}/events", "192.0.2.1")
    other, *_ = await stream(f"{API}/events", "192.0.2.2")
    statuses += [first, second, third, other]
    end_one.set()
    await asyncio.wait_for(task_one, 60)
    again, *_ = await stream(f"{API}/events", "192.0.2.1")
    statuses.append(again)
    for task, end in opened:
        end.set()
    await asyncio.wait_for(asyncio.gather(*(task for task, _ in opened)), 60)
    return statuses


# -- forwarded addresses ----------------------------------------------------------------------------

def test_x_forwarded_for_is_believed_only_from_a_named_proxy(tmp_path):
    url = f"sqlite:///{tmp_path / 'escrutinio.db'}"
    store = open_store(url)
    init_election(store, small_election())
    store.close()
    limits = {"ESCRUTINIO_RATE_LIMIT_PER_SECOND": "0.001", "ESCRUTINIO_RATE_LIMIT_BURST": "4"}
    with served(url, tmp_path, **limits) as base:  # by default no proxy is trusted, loopback included
        statuses = [httpx.get(f"{base}{API}/election", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
                    for n in range(1, 9)]
    assert statuses.count(429) >= 4, statuses  # one bucket of 4 for the one real address (the probe took one)
    with served(url, tmp_path, ESCRUTINIO_TRUSTED_PROXIES="127.0.0.1", **limits) as base:
        statuses = [httpx.get(f"{base}{API}/election", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
                    for n in range(1, 9)]
        assert statuses == [200] * 8  # each forwarded address has a bucket of its own
        same = [httpx.get(f"{base}{API}/election", headers={"X-Forwarded-For": "198.51.100.7"}).status_code
                for _ in range(6)]
    assert same == [200] * 4 + [429] * 2

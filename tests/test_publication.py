"""The publication policy: publish_after over the areas' own polls close, the first-bulletin condition,
bulletins held for the authority, transmission progress without a figure, and the logged override.

The acceptance test searches every public response of a held night for any of its vote counts and
shares; the figures are chosen so that none of them is a register size or a count of tables.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from escrutinio import services
from escrutinio.cli import main
from escrutinio.domain.errors import DefinitionError, PublicationHeld
from escrutinio.domain.publication import AreaClose, Policy, first_bulletin_met, polls_close_at, readiness
from escrutinio.intake.actas import Record
from escrutinio.intake.definition import load_definition
from escrutinio.services import init_election, publication
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app

from .factory import acta, small_election
from .test_definition import AREAS, HEAD, write

UTC = dt.timezone.utc


# -- when polls close, and from when figures may be published -------------------------------------

def test_each_area_closes_at_its_own_time_in_its_own_zone():
    # Brazil: 17:00 in Brasília (-03:00) is 20:00 UTC; Acre closes at 17:00 of its own clock (-05:00): 22:00 UTC
    policy = Policy(areas=(("AC", AreaClose(None, "America/Rio_Branco")), ("RR", AreaClose(dt.time(18), None))))
    date = dt.date(2022, 10, 30)
    at = lambda lineage: polls_close_at(date, dt.time(17), "America/Sao_Paulo", policy, lineage).astimezone(UTC)
    assert at(["BR", "SP"]) == dt.datetime(2022, 10, 30, 20, 0, tzinfo=UTC)
    assert at(["BR", "AC", "AC-01"]) == dt.datetime(2022, 10, 30, 22, 0, tzinfo=UTC)
    # Roraima's own 18:00 in the election's zone (-03:00): 21:00 UTC
    assert at(["BR", "RR"]) == dt.datetime(2022, 10, 30, 21, 0, tzinfo=UTC)


def test_last_polls_close_is_the_latest_area(small_store):
    election = dataclasses.replace(small_election(), publication=Policy(
        "last_polls_close", areas=(("S1", AreaClose(dt.time(19, 30), "America/Bogota")),)))
    # South One closes 19:30 in Bogotá (-05:00) = 00:30 UTC next day; the rest 18:00 Caracas (-04:00) = 22:00 UTC
    assert publication.last_polls_close(election).astimezone(UTC) == dt.datetime(2024, 5, 6, 0, 30, tzinfo=UTC)
    assert publication.publish_after(election) == publication.last_polls_close(election)


@pytest.mark.parametrize("rule, counted, decided, met", [
    ("85 % of tables counted", [(85, 100), (90, 100)], [False, False], True),
    ("85 % of tables counted", [(85, 100), (84, 100)], [True, True], False),  # every contest must reach it
    ("87.5 %", [(7, 8)], [False], True),
    ("decided", [(1, 100)], [True, True], True),
    ("decided", [(100, 100)], [True, False], False),
])
def test_the_first_bulletin_condition(rule, counted, decided, met):
    assert first_bulletin_met(Policy(first_bulletin_when=rule), counted, decided)[0] is met


def test_readiness_waits_for_the_time_then_the_condition():
    policy = Policy("20:00", "50 % of tables counted")
    after = dt.datetime(2024, 5, 5, 20, 0, tzinfo=ZoneInfo("America/Caracas"))
    early = readiness(policy, after, after - dt.timedelta(seconds=1), [(60, 100)], [False])
    assert not early.allowed and "until 2024-05-05T20:00:00-04:00" in early.reason
    assert not readiness(policy, after, after, [(49, 100)], [False]).allowed
    assert readiness(policy, after, after, [(50, 100)], [False]).allowed


# -- the definition ----------------------------------------------------------------------------------

def test_the_definition_declares_the_policy_and_the_areas_own_closes(tmp_path):
    head = HEAD + 'publish_after = "last_polls_close"\nfirst_bulletin_when = "85 % of tables counted"\n'
    areas = AREAS.replace("code,name,level,parent\n", "code,name,level,parent,polls_close,time_zone\n") \
                 .replace("DC,Distrito Capital,estado,VE", "DC,Distrito Capital,estado,VE,18:30,America/Bogota")
    areas = re.sub(r"^((?:VE|MI|LIB|SUC),[^\n]*)$", r"\1,,", areas, flags=re.M)
    election = load_definition(write(tmp_path, head=head, areas_csv=areas))
    assert election.publication == Policy("last_polls_close", "85 % of tables counted",
                                          (("DC", AreaClose(dt.time(18, 30), "America/Bogota")),))
    # Libertador is in DC: 18:30 in Bogotá (-05:00) = 23:30 UTC, after Miranda's 16:00 Caracas (20:00 UTC)
    assert publication.last_polls_close(election).astimezone(UTC) == dt.datetime(2007, 12, 2, 23, 30, tzinfo=UTC)


def test_every_problem_of_the_policy_is_listed(tmp_path):
    head = HEAD + 'publish_after = "after the count"\nfirst_bulletin_when = "150 %"\n'
    areas = AREAS.replace("code,name,level,parent\n", "code,name,level,parent,polls_close,time_zone\n") \
                 .replace("DC,Distrito Capital,estado,VE", "DC,Distrito Capital,estado,VE,25:00,Mars/Olympus")
    areas = re.sub(r"^((?:VE|MI|LIB|SUC),[^\n]*)$", r"\1,,", areas, flags=re.M)
    with pytest.raises(DefinitionError) as caught:
        load_definition(write(tmp_path, head=head, areas_csv=areas))
    fields = {p.field for p in caught.value.problems}
    assert fields == {"election.publish_after", "election.first_bulletin_when", "polls_close", "time_zone"}


def test_the_policy_is_stored_with_the_election(store):
    policy = Policy("21:00", "decided", (("S1", AreaClose(dt.time(19), "America/Bogota")),))
    init_election(store, dataclasses.replace(small_election(), publication=policy))
    assert store.election().publication == policy


# -- a held night: progress, no figure; the override in the log ----------------------------------

# Distinctive figures (none is a register size, 300, 250, 400, 120, 500, 80, or a count of tables):
T5_Q, T3_Q = {"YES": 293, "NO": 178}, {"YES": 211, "NO": 163}
T5_R = {"C1": 131, "C2": 97, "C3": 67}


def forbidden() -> tuple[set[str], set[str]]:
    """Every vote count and sum of this night (all above 59, so no clock time holds one), and each share to
    its first decimal, as any page or file could write them."""
    numbers = {293, 178, 211, 163, 131, 97, 67,  # options
               478, 379, 299,  # ballots cast of each acta
               471, 374, 295,  # valid of each acta
               504, 341, 845, 857}  # sums at the region and the country
    shares = set()
    for yes, no in ((293, 178), (211, 163), (504, 341)):
        for votes in (yes, no):
            value = f"{100 * votes / (yes + no):.2f}"[:-1]  # the first decimal: the same whatever the percent rule
            shares |= {value, value.replace(".", ",")}
    return {str(n) for n in numbers}, shares


def figures_in(text: str) -> list[str]:
    numbers, shares = forbidden()
    edge = r"[0-9A-Za-z.,]"
    found = [n for n in numbers if re.search(rf"(?<!{edge}){re.escape(n)}(?!{edge})", text)]
    found += [s for s in shares if re.search(rf"(?<!{edge}){re.escape(s)}", text)]  # 62.2 finds 62.20 and 62.21
    return found + [m for m in ('"null": 7', '"null":7', '"blank": 4', '"blank":4') if m in text]


@pytest.fixture
def held(store):
    policy = Policy("last_polls_close", "100 % of tables counted")
    init_election(store, dataclasses.replace(small_election(), publication=policy))
    records = [acta("T5", votes=T5_Q, null=7), acta("T3", votes=T3_Q, null=5),
               acta("T5", "R", votes=T5_R, blank=4)]
    services.ingest_records(store, [Record("test", n, r) for n, r in enumerate(records, 1)],
                            now=dt.datetime(2024, 5, 5, 22, 30, tzinfo=UTC))
    return store


def _routes(routes, prefix=""):
    """(path, methods) of every route, through included routers."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes, prefix + route.include_context.prefix)
        elif getattr(route, "path", None) is not None:
            yield prefix + route.path, getattr(route, "methods", None) or set()


def every_public_get(client, app) -> dict[str, str]:
    """Every GET route of the site and its API that needs no token, with its parameters filled in."""
    values = {"code": "T5", "number": "1", "contest": "Q", "entry_id": "1", "gateway": "twilio"}
    skipped = {"/api/v1/events", "/api/v1/timeline/events",  # endless streams: their events carry no figure
               "/api/v1/timeline/comments", "/api/docs", "/api/docs/oauth2-redirect", "/api/redoc"}
    out = {}
    for path, methods in _routes(app.routes):
        if "GET" not in methods or path in skipped or path.startswith("/static"):
            continue
        paths = [path.replace("{code}", c) for c in ("T5", "S", "C-S1")] if "{code}" in path else [path]
        for p in paths:
            for name, value in values.items():
                p = p.replace("{" + name + "}", value)
            response = client.get(p)
            out[p] = f"{response.status_code} {response.text}"
    return out


def test_before_the_policy_allows_the_public_sees_progress_and_no_figure(held, db_url):
    with pytest.raises(PublicationHeld) as refused:
        services.publish_bulletin(held, dt.datetime(2024, 5, 5, 23, 0, tzinfo=UTC))
    assert "--override --reason" in str(refused.value) and "100 % of tables counted" in str(refused.value)
    kept = services.publish_bulletin(held, dt.datetime(2024, 5, 5, 23, 0, tzinfo=UTC), hold=True)
    assert kept.number == 1 and kept.root["results"]["Q"]["valid"] == 471 + 374  # stored for the authority
    app = create_app(load_settings(database_url=held.url), held)
    with TestClient(app) as client:
        responses = every_public_get(client, app)
        progress = client.get("/api/v1/progress").json()
        home = client.get("/?lang=en").text
    assert len(responses) > 30 and responses["/api/v1/election"].startswith("200")
    leaks = {path: figures_in(text) for path, text in responses.items() if figures_in(text)}
    assert leaks == {}
    assert progress["public"] is False and progress["first_bulletin_when"] == "100 % of tables counted"
    root = progress["areas"][0]
    # 6 tables; T5 and T3 transmitted; T3 has Q only so far (R missing): counted in every contest is T5 alone
    assert (root["code"], root["tables"], root["transmitted"], root["counted"], root["pending"]) == ("X", 6, 2, 1, 4)
    south = next(a for a in progress["areas"] if a["code"] == "S")
    assert (south["tables"], south["transmitted"], south["counted"], south["pending"]) == (2, 1, 1, 1)
    assert progress["since_polls_closed_seconds"] is not None
    assert "Transmission progress" in home and "figures are held" in home


def test_the_override_releases_the_night_and_is_in_the_public_log(held, db_url):
    services.publish_bulletin(held, dt.datetime(2024, 5, 5, 23, 0, tzinfo=UTC), hold=True)
    refused = CliRunner().invoke(main, ["bulletin", "publish", "--db", db_url, "--override"])
    assert refused.exit_code != 0 and "--reason" in refused.output
    done = CliRunner().invoke(main, ["bulletin", "publish", "--db", db_url, "--override", "--reason",
                                     "the board ordered release after a court ruling"])
    assert done.exit_code == 0, done.output
    with TestClient(create_app(load_settings(database_url=held.url), held)) as client:
        leaves = client.get("/api/v1/published/log?start=0").json()["leaves"]
        latest = client.get("/api/v1/bulletins/latest").json()
        first = client.get("/api/v1/bulletins/1")
    [release] = [json.loads(leaf["data"]) for leaf in leaves if json.loads(leaf["data"])["kind"] == "release"]
    assert release["override"] is True and release["bulletin"] == 2
    assert release["reason"].startswith("the board ordered release after a court ruling")
    assert latest["number"] == 2 and first.status_code == 200  # the held bulletin is public now too
    assert figures_in(first.text)  # the search finds the figures once they are out
    assert services.publication.state(held)["public"] is True


def test_the_policy_releases_the_first_bulletin_that_meets_it(held):
    at = dt.datetime(2024, 5, 5, 23, 30, tzinfo=UTC)
    rest = [acta(t, votes={"YES": 40, "NO": 30}) for t in ("T1", "T2", "T4", "T6")]
    rest += [acta(t, "R", blank=0) for t in ("T1", "T2", "T3", "T4")]
    services.ingest_records(held, [Record("test", n, r) for n, r in enumerate(rest, 10)], now=at)
    bulletin = services.publish_bulletin(held, at)
    record = services.publication.release_record(held)
    assert (record["bulletin"], record["override"]) == (bulletin.number, False)
    assert record["reason"].startswith("100.00 % of tables counted")


def test_over_http_publishing_early_is_refused_unless_an_admin_overrides(held):
    _, token = services.tokens.create_token(held, "chief", "admin")
    with TestClient(create_app(load_settings(database_url=held.url), held)) as client:
        auth = {"Authorization": f"Bearer {token}"}
        refused = client.post("/api/v1/bulletins", headers=auth)
        no_reason = client.post("/api/v1/bulletins", headers=auth, json={"override": True})
        held_one = client.post("/api/v1/bulletins", headers=auth, json={"hold": True})
        released = client.post("/api/v1/bulletins", headers=auth, json={"override": True, "reason": "court order"})
    assert refused.status_code == 409 and "publication policy" in refused.json()["detail"]
    assert no_reason.status_code == 422
    assert held_one.status_code == 201 and held_one.json()["public"] is False
    assert released.status_code == 201 and released.json()["public"] is True
    assert services.publication.release_record(held)["operator"] == "chief"


def test_static_files_wait_for_the_release(held, db_url, tmp_path):
    services.publish_bulletin(held, dt.datetime(2024, 5, 5, 23, 0, tzinfo=UTC), hold=True)
    refused = CliRunner().invoke(main, ["bulletin", "export", "--db", db_url, "--out", str(tmp_path / "site")])
    assert refused.exit_code != 0 and "publication policy" in refused.output
    assert not (tmp_path / "site").exists()


def test_live_events_and_partner_webhooks_announce_no_held_bulletin(held):
    from escrutinio.web.live import Broker

    services.publish_bulletin(held, dt.datetime(2024, 5, 5, 23, 0, tzinfo=UTC), hold=True)
    broker = Broker(held, poll_seconds=1, queue_size=4)
    assert broker._head() is None  # the live stream's next bulletin event: none while held
    services.webhooks.add_subscriber(held, "https://partner.example/hook", ["bulletin.published"], from_start=True)
    services.webhooks.collect(held, now=dt.datetime(2024, 5, 5, 23, 5, tzinfo=UTC))
    assert services.webhooks.delivery_log(held) == []
    services.publish_bulletin(held, dt.datetime(2024, 5, 5, 23, 10, tzinfo=UTC), override="court order")
    assert broker._head()["number"] == 2
    services.webhooks.collect(held, now=dt.datetime(2024, 5, 5, 23, 15, tzinfo=UTC))
    assert [d["event"] for d in services.webhooks.delivery_log(held)] == ["bulletin.published"] * 2

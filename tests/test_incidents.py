"""Incidents: the verification workflow, de-duplication across channels, per-area counts, the public
list (never the reporter), the timeline entry made from a verified incident."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from escrutinio import services
from escrutinio.cli import main
from escrutinio.domain.errors import ObservationRejected, ResolutionError
from escrutinio.domain.observation import duplicate_of, may_move
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app

T0 = dt.datetime(2007, 12, 2, 14, 0, tzinfo=dt.timezone.utc)


def test_the_workflow_allows_only_its_arrows():
    allowed = {("unverified", "verified"), ("unverified", "rejected"), ("verified", "escalated"),
               ("verified", "closed"), ("rejected", "closed"), ("escalated", "closed")}
    statuses = ["unverified", "verified", "rejected", "escalated", "closed"]
    assert {(a, b) for a in statuses for b in statuses if may_move(a, b)} == allowed


def test_a_repeat_within_two_hours_of_the_same_place_and_category_is_a_duplicate():
    first = {"id": 1, "place": "T1", "category": "arrest", "duplicate_of": None, "status": "unverified",
             "reported_at": T0}
    assert duplicate_of("T1", "arrest", T0 + dt.timedelta(hours=2), [first]) == 1
    assert duplicate_of("T1", "arrest", T0 + dt.timedelta(hours=2, seconds=1), [first]) is None
    assert duplicate_of("T1", "violence", T0 + dt.timedelta(minutes=5), [first]) is None
    assert duplicate_of("T2", "arrest", T0 + dt.timedelta(minutes=5), [first]) is None
    assert duplicate_of("T1", "arrest", T0 + dt.timedelta(minutes=5), [{**first, "status": "rejected"}]) is None


@pytest.fixture
def observed(small_store, tmp_path):
    path = tmp_path / "observers.csv"
    path.write_text("accreditation,kind,organisation,name,phones,assignment,status\n"
                    "NAT-1,national,Ojo Electoral,Carla Secreta,+58 414 555 0101,,\n")
    services.observers.import_observers(small_store, path)
    return small_store


def sms(client, text, sid):
    body = urlencode({"MessageSid": sid, "From": "+584145550101", "Body": text})
    return client.post("/api/v1/sms/twilio", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_duplicates_across_channels_are_counted_once_per_area(observed):
    with TestClient(create_app(load_settings(database_url=observed.url), observed)) as client:
        sms(client, "INC T1 ARR two people taken away", "SM1")          # North
        sms(client, "INC T5 PRO posters inside the centre", "SM2")       # South
    services.incidents.report(observed, "T1", "arrest", "Two people arrested at the door", editor="desk")
    services.incidents.report(observed, "N2", "violence", "Fight outside the hall", editor="desk")
    listed = services.incidents.list_incidents(observed)
    by_text = {i["description"]: i for i in listed}
    assert by_text["Two people arrested at the door"]["duplicate_of"] == by_text["two people taken away"]["id"]
    assert {i["channel"] for i in listed} == {"sms", "editor"}
    # North: the arrest (once: the editor's is its duplicate) and the fight; South: the posters
    counts = {c["area"]: (c["incidents"], c["categories"]) for c in services.incidents.counts_by_area(observed)}
    assert counts == {"N": (2, {"arrest": 1, "violence": 1}), "S": (1, {"illegal_propaganda": 1})}
    district = {c["area"]: c["incidents"] for c in services.incidents.counts_by_area(observed, "district")}
    assert district == {"N1": 1, "N2": 1, "S1": 1}


def test_the_public_never_sees_the_reporter(observed):
    with TestClient(create_app(load_settings(database_url=observed.url), observed)) as client:
        sms(client, "INC C-N1a HAR students at the door", "SM1")
        response = client.get("/api/v1/incidents")
        page = client.get("/incidents")
    [incident] = response.json()
    assert set(incident) == {"id", "category", "severity", "place", "place_path", "areas", "description", "status",
                             "channel", "duplicate_of", "timeline_entry", "reported_at", "updated_at"}
    assert incident["place_path"] == ["Country", "North", "North One", "School A"]
    for private in ("Carla", "NAT-1", "4145550101", "SM1"):
        assert private not in response.text and private not in page.text
    assert page.status_code == 200 and "students at the door" in page.text


def test_filters_by_area_category_and_status(observed):
    services.incidents.report(observed, "T1", "arrest", "a", editor="desk")
    second = services.incidents.report(observed, "T5", "arrest", "b", editor="desk")
    services.incidents.report(observed, "T5", "machine_failure", "c", editor="desk")
    services.incidents.set_status(observed, second["id"], "verified", editor="desk")
    assert [i["description"] for i in services.incidents.list_incidents(observed, area="S")] == ["c", "b"]
    assert [i["description"] for i in services.incidents.list_incidents(observed, category="arrest")] == ["b", "a"]
    assert [i["description"] for i in services.incidents.list_incidents(observed, status="verified")] == ["b"]
    assert [i["description"] for i in services.incidents.list_incidents(observed, area="C-N1a")] == ["a"]
    with TestClient(create_app(load_settings(database_url=observed.url), observed)) as client:
        assert [i["description"] for i in client.get("/api/v1/incidents?area=S&category=arrest").json()] == ["b"]
        assert client.get("/api/v1/incidents?area=NOWHERE").status_code == 404


def test_verification_then_a_timeline_entry_in_one_action(observed):
    found = services.incidents.report(observed, "C-S1", "arrest", "46 people arrested across the country",
                                      editor="desk")
    with pytest.raises(ResolutionError, match="verify it before it goes on the timeline"):
        services.incidents.draft_entry(observed, found["id"])
    with pytest.raises(ResolutionError, match="it cannot become 'closed'. Allowed next: verified, rejected"):
        services.incidents.set_status(observed, found["id"], "closed", editor="desk")
    _, token = services.tokens.create_token(observed, "Desk", "editor")
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(load_settings(database_url=observed.url), observed)) as client:
        done = client.post(f"/api/v1/incidents/{found['id']}/status", json={"status": "verified", "reason": "police"},
                           headers=headers)
        assert done.status_code == 200 and done.json()["status"] == "verified"
        posted = client.post(f"/api/v1/incidents/{found['id']}/timeline", headers=headers)
        assert posted.status_code == 201
        assert client.post(f"/api/v1/incidents/{found['id']}/status", json={"status": "verified"}).status_code == 401
    entry = observed.entry(posted.json()["entry"])
    assert entry.body == ("**Incident (arrest, high severity), verified** — Country · South · South One · Library"
                          "\n\n46 people arrested across the country")
    assert services.incidents.list_incidents(observed)[0]["timeline_entry"] == entry.id


def test_an_editor_entry_lists_every_problem(observed):
    with pytest.raises(ObservationRejected) as caught:
        services.incidents.report(observed, "X9", "fight", "", editor="desk", severity="huge")
    assert {p.field for p in caught.value.problems} == {"place", "category", "severity", "description"}


def test_the_cli_lists_and_moves_incidents(observed, db_url):
    run = CliRunner()
    done = run.invoke(main, ["incidents", "report", "T2", "voter_turned_away", "Turned away without ID",
                             "--db", db_url])
    assert done.exit_code == 0 and "incident #1 recorded (unverified)" in done.output
    done = run.invoke(main, ["incidents", "set-status", "1", "rejected", "--reason", "not confirmed", "--db", db_url])
    assert "incident #1 is rejected" in done.output
    done = run.invoke(main, ["incidents", "list", "--status", "rejected", "--db", db_url])
    assert "rejected" in done.output and "voter_turned_away" in done.output and "T2" in done.output
    done = run.invoke(main, ["incidents", "set-status", "1", "verified", "--db", db_url])
    assert done.exit_code == 1 and "Allowed next: closed" in done.output

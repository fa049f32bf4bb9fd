"""SMS gateways' webhooks: each gateway's payload shape (field names from its public docs), stored once
per message id, malformed bodies refused with nothing stored, unknown senders refused politely and counted."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from escrutinio import services
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app

OBSERVERS = ("accreditation,kind,organisation,name,phones,assignment,status\n"
             "NAT-1,national,Ojo Electoral,Carla,+58 414 555 0101,,\n"
             "NAT-2,national,Ojo Electoral,Dario,+58 414 555 0102,C-N1a,\n"
             "NAT-3,national,Ojo Electoral,Eva,+58 414 555 0103,,revoked\n")
FORM = "application/x-www-form-urlencoded"


def twilio(text, sender="+584145550101", sid="SM0123456789abcdef0123456789abcdef"):
    # The parameters Twilio posts for an incoming message (Programmable Messaging webhook)
    return FORM, urlencode({"ToCountry": "VE", "ToState": "", "SmsMessageSid": sid, "NumMedia": "0",
                            "ToCity": "", "FromZip": "", "SmsSid": sid, "FromState": "", "SmsStatus": "received",
                            "FromCity": "", "Body": text, "FromCountry": "VE", "To": "+582125550000",
                            "MessagingServiceSid": "MG0123", "ToZip": "", "NumSegments": "1",
                            "MessageSid": sid, "AccountSid": "AC0123", "From": sender, "ApiVersion": "2010-04-01"})


def rapidpro(text, sender="+584145550101", uuid="9f0a1c2e-4b5d-4e6f-8a7b-0c1d2e3f4a5b"):
    # The body of a RapidPro / TextIt flow's "Call Webhook" action
    return "application/json", json.dumps({
        "contact": {"uuid": "c1a2b3c4-0000-4000-8000-000000000001", "name": "Carla", "urn": f"tel:{sender}"},
        "flow": {"uuid": "f1a2b3c4-0000-4000-8000-000000000002", "name": "Observer reports"},
        "path": [{"node_uuid": "n1", "arrived_on": "2007-12-02T14:05:00.000000Z", "exit_uuid": "e1"}],
        "results": {},
        "run": {"uuid": "r1a2b3c4-0000-4000-8000-000000000003", "created_on": "2007-12-02T14:05:00.000000Z"},
        "input": {"uuid": uuid, "type": "msg", "text": text, "urn": f"tel:{sender}", "attachments": [],
                  "created_on": "2007-12-02T14:05:00.000000Z",
                  "channel": {"uuid": "ch-1", "name": "Observer line"}},
        "channel": {"uuid": "ch-1", "name": "Observer line"}})


def africastalking(text, sender="+584145550101", message_id="ATXid_0123456789"):
    # Africa's Talking incoming-messages callback
    return FORM, urlencode({"date": "2007-12-02 14:05:00", "from": sender, "id": message_id,
                            "linkId": "SampleLinkId123", "text": text, "to": "23456", "networkCode": "73401"})


def smssync(text, sender="+584145550101", message_id="4ba9e79c-7a2f-4a33-a6f5-b3f2c6f0e0d1"):
    # SMSSync's POST to its sync URL
    return FORM, urlencode({"from": sender, "message": text, "message_id": message_id, "sent_to": "+582125550000",
                            "secret": "", "device_id": "1", "sent_timestamp": "1196618700000"})


def telerivet(text, sender="+584145550101", message_id="SM4f0c1b2a3d4e5f60"):
    # Telerivet's webhook for an incoming message
    return FORM, urlencode({"event": "incoming_message", "id": message_id, "message_type": "sms",
                            "content": text, "from_number": sender, "from_number_e164": sender,
                            "to_number": "+582125550000", "time_created": "1196618700", "time_sent": "",
                            "contact_id": "CT1", "phone_id": "PN1", "service_id": "SV1", "project_id": "PJ1",
                            "secret": ""})


GATEWAYS = {"twilio": (twilio, "text/xml"), "rapidpro": (rapidpro, "application/json"),
            "africastalking": (africastalking, "text/plain"), "smssync": (smssync, "application/json"),
            "telerivet": (telerivet, "application/json")}


@pytest.fixture
def client(small_store, tmp_path):
    path = tmp_path / "observers.csv"
    path.write_text(OBSERVERS)
    services.observers.import_observers(small_store, path)
    with TestClient(create_app(load_settings(database_url=small_store.url), small_store)) as client:
        yield client


def send(client, gateway, payload, query=""):
    content_type, body = payload
    return client.post(f"/api/v1/sms/{gateway}{query}", content=body, headers={"Content-Type": content_type})


def reply_text(gateway, response) -> str:
    if gateway == "twilio":
        return response.text.split("<Message>")[1].split("</Message>")[0]
    if gateway == "rapidpro":
        return response.json()["reply"]
    if gateway == "smssync":
        return response.json()["payload"]["messages"][0]["message"]
    if gateway == "telerivet":
        return response.json()["messages"][0]["content"]
    return response.text


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_each_gateway_records_an_incident_and_confirms(client, small_store, gateway):
    make, media = GATEWAYS[gateway]
    response = send(client, gateway, make("INC C-N1a HAR students harassing voters at the door"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media)
    assert reply_text(gateway, response) == "Recorded: incident (harassment) at C-N1a. Thank you."
    [incident] = small_store.incidents()
    assert (incident["place"], incident["category"], incident["channel"]) == ("C-N1a", "harassment", gateway)
    assert incident["description"] == "students harassing voters at the door"


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_a_message_resent_200_times_is_stored_once(client, small_store, gateway):
    make, _ = GATEWAYS[gateway]
    replies = {reply_text(gateway, send(client, gateway, make("RES T1 Q YES=60 NO=40"))) for _ in range(200)}
    assert replies == {"Recorded: table T1: Q YES 60 NO 40. Thank you."}
    assert services.reports.message_counts(small_store) == {"accepted": 1, "rejected": 0, "unknown_sender": 0}
    assert [(t, c, v) for t, c, v, _, _ in small_store.latest_results()] == [("T1", "Q", {"YES": 60, "NO": 40})]


@pytest.mark.parametrize("gateway, body, content_type, field", [
    ("twilio", "From=%2B584145550101&Body=INC+T1+HAR+x", FORM, "MessageSid"),
    ("twilio", '{"MessageSid": "SM1"}', "application/json", ""),
    ("rapidpro", "{not json", "application/json", ""),
    ("rapidpro", '{"contact": {"urn": "tel:+584145550101"}, "input": {"text": "INC T1 HAR x"}}',
     "application/json", "input.uuid"),
    ("rapidpro", "[1, 2]", "application/json", ""),
    ("africastalking", "id=1&from=%2B584145550101", FORM, "text"),
    ("smssync", "message_id=1&message=INC+T1+HAR+x", FORM, "from"),
    ("telerivet", "event=send_status&id=1", FORM, "event"),
    ("telerivet", "id=1&content=x&from_number=", FORM, "from_number"),
])
def test_malformed_bodies_get_a_clear_error_and_nothing_is_stored(client, small_store, gateway, body,
                                                                  content_type, field):
    response = client.post(f"/api/v1/sms/{gateway}", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    problem = response.json()
    assert "nothing was stored" in problem["detail"]
    assert problem["errors"][0]["field"] == field
    assert services.reports.message_counts(small_store) == {"accepted": 0, "rejected": 0, "unknown_sender": 0}
    assert small_store.incidents() == []


def test_unknown_senders_are_refused_politely_and_counted(client, small_store):
    for n, sender in enumerate(["+584145559999", "+584145559999", "+584145550103"]):  # the last one is revoked
        response = send(client, "twilio", twilio("INC T1 VIO fight", sender=sender, sid=f"SM{n}"))
        assert response.status_code == 200
        assert "not registered with an accredited observer" in response.text
    assert services.reports.message_counts(small_store)["unknown_sender"] == 3
    assert small_store.incidents() == []


def test_grammar_errors_are_answered_exactly_and_numbers_are_strict(client, small_store):
    cases = {"RES T1 Q YES=6O NO=40": "Not recorded: '6O' is not a number of votes (write the votes in digits only (0-9))",
             "INC T1 FOO x": "Not recorded: unknown category 'FOO' (use one of HAR, VIO, ARR, PRO, LATE, QUEUE, "
                             "MACH, AWAY, OTH)",
             "hello": "Not recorded: a message starts with INC or RES, not 'HELLO' (send INC <place> <category> "
                      "<text> or RES <table> <contest> <option>=<votes> …)"}
    for n, (text, reply) in enumerate(cases.items()):
        assert reply_text("smssync", send(client, "smssync", smssync(text, message_id=f"m{n}"))) == reply
    assert services.reports.message_counts(small_store) == {"accepted": 0, "rejected": 3, "unknown_sender": 0}
    assert small_store.latest_results() == [] and small_store.incidents() == []


def test_codes_forgive_o_for_0_and_i_or_l_for_1(client, small_store):
    # "tl" is T1 with a lower-case L; "Tl" and "ti" too. Case is ignored in contests and options.
    response = send(client, "telerivet", telerivet("res tl q yes=7 no=3", message_id="x1"))
    assert reply_text("telerivet", response) == "Recorded: table T1: Q YES 7 NO 3. Thank you."


def test_an_assigned_observer_reports_only_on_their_centre(client, small_store):
    outside = send(client, "twilio", twilio("INC T5 ARR two people taken", sender="+584145550102", sid="SMa"))
    assert "Not recorded: T5 is outside your assignment (C-N1a)" in outside.text
    inside = send(client, "twilio", twilio("INC T2 ARR two people taken", sender="+584145550102", sid="SMb"))
    assert "Recorded: incident (arrest) at T2" in inside.text


def test_the_webhook_secret_is_required_when_set(small_store, tmp_path):
    (tmp_path / "o.csv").write_text(OBSERVERS)
    services.observers.import_observers(small_store, tmp_path / "o.csv")
    app = create_app(load_settings(database_url=small_store.url, sms_webhook_secret="s3cret"), small_store)
    with TestClient(app) as client:
        assert send(client, "twilio", twilio("INC T1 HAR x")).status_code == 403
        assert send(client, "twilio", twilio("INC T1 HAR x"), "?secret=wrong").status_code == 403
        assert services.reports.message_counts(small_store)["accepted"] == 0
        assert send(client, "twilio", twilio("INC T1 HAR x"), "?secret=s3cret").status_code == 200
    assert services.reports.message_counts(small_store)["accepted"] == 1


def test_an_unknown_gateway_is_404(client):
    assert client.post("/api/v1/sms/pigeon", content=b"x", headers={"Content-Type": FORM}).status_code in (404, 422)


def test_aliases_textit_and_frontlinesms(client, small_store):
    assert "Recorded" in send(client, "textit", rapidpro("INC T1 OTH x")).json()["reply"]
    assert "Recorded" in send(client, "frontlinesms", smssync("INC T2 OTH y")).text
    assert {i["channel"] for i in small_store.incidents()} == {"rapidpro", "smssync"}


def test_observers_report_on_the_web_with_their_token(client, small_store):
    _, token = services.observers.create_observer_token(small_store, "NAT-2")
    headers = {"Authorization": f"Bearer {token}"}
    done = client.post("/api/v1/reports", json={"text": "RES T2 Q YES=10 NO=5"}, headers=headers)
    assert done.status_code == 201 and done.json()["reply"] == "Recorded: table T2: Q YES 10 NO 5. Thank you."
    refused = client.post("/api/v1/reports", json={"text": "RES T5 Q YES=10 NO=5"}, headers=headers)
    assert refused.status_code == 422 and "outside your assignment" in refused.json()["detail"]
    _, plain = services.tokens.create_token(small_store, "editor", "editor")
    assert client.post("/api/v1/reports", json={"text": "INC T1 HAR x"},
                       headers={"Authorization": f"Bearer {plain}"}).status_code == 403
    assert client.post("/api/v1/reports", json={"text": "INC T1 HAR x"}).status_code == 401


def test_the_web_form_takes_a_report_without_javascript(client, small_store):
    _, token = services.observers.create_observer_token(small_store, "NAT-1")
    page = client.get("/observe")
    assert page.status_code == 200 and 'name="viewport"' in page.text and "INC 010101001 HAR" in page.text
    sent = client.post("/observe", content=urlencode({"token": token, "text": "INC T3 LATE opened at 9"}),
                       headers={"Content-Type": FORM})
    assert sent.status_code == 200 and "Recorded: incident (opened late) at T3. Thank you." in sent.text
    assert small_store.incidents()[0]["channel"] == "web"
    wrong = client.post("/observe", content=urlencode({"token": "nope", "text": "INC T3 LATE x"}),
                        headers={"Content-Type": FORM})
    assert wrong.status_code == 403 and "unknown or revoked token" in wrong.text
    bad = client.post("/observe", content=urlencode({"token": token, "text": "RES T3 Q YES=l0 NO=2"}),
                      headers={"Content-Type": FORM})
    assert bad.status_code == 422 and "is not a number of votes" in bad.text and "RES T3 Q YES=l0 NO=2" in bad.text


def test_the_documented_examples_get_the_documented_replies(tmp_path):
    # docs/observers.md, "Examples and their replies", on the template election of docs/formats/templates
    import re
    from pathlib import Path

    docs = Path(__file__).resolve().parents[1] / "docs"
    rows = re.findall(r"^\| `([^`]+)` \| (?:[^`|]*)`([^`]+)` \|$", (docs / "observers.md").read_text(), re.M)
    assert len(rows) >= 5
    store = services.open_store(f"sqlite:///{tmp_path / 't.db'}")
    services.init_election(store, docs / "formats" / "templates" / "election" / "election.toml")
    services.observers.import_observers(store, docs / "formats" / "templates" / "observers.csv")
    observer_id = store.observer_id("INT-0001")
    _, observer = store.observer_by_id(observer_id)
    for message, reply in rows:
        answer = services.reports.submit_web(store, observer_id, observer, message.replace("…", "x"), "test")
        assert answer.reply == reply.replace("(…)", answer.reply[answer.reply.find("("):]), message
    store.close()

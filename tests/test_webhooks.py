"""Partner webhooks: signed deliveries for each event, checked by the receiver recipe of
docs/webhooks.md (taken from the page and run as it is), retries with backoff, the delivery log,
requests only to registered addresses."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.server
import json
import re
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from escrutinio import services
from escrutinio.cli import main
from escrutinio.domain.errors import NotFound
from escrutinio.intake.actas import Record
from escrutinio.services import webhooks as hooks
from tests.conftest import served, wait_for
from tests.factory import acta

DOC = Path(__file__).parent.parent / "docs" / "webhooks.md"
T0 = dt.datetime(2024, 5, 5, 22, 0, tzinfo=dt.timezone.utc)


def recipe() -> dict:
    """The receiver recipe's namespace, from the one Python block of docs/webhooks.md."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) == 1
    namespace: dict = {}
    exec(compile(blocks[0], str(DOC), "exec"), namespace)  # noqa: S102 - the documented code, run as a reader would
    return namespace


class Receiver:
    """A real HTTP server that records every request; answers with the statuses it is given, then 200."""

    def __init__(self, answers: list[int] | None = None, redirect_to: str | None = None):
        self.requests: list[tuple[str, dict, bytes]] = []
        self.answers = list(answers or [])
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((self.path, dict(self.headers), body))
                code = outer.answers.pop(0) if outer.answers else 200
                if redirect_to:
                    self.send_response(302)
                    self.send_header("Location", redirect_to)
                else:
                    self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(**kwargs) -> Receiver:
        made.append(Receiver(**kwargs))
        return made[-1]
    yield make
    for r in made:
        r.close()


def night(store):
    """Two actas (one counted, one quarantined: over the register), a bulletin, a timeline entry."""
    services.ingest_records(store, [Record("test", 1, acta("T1")),
                                    Record("test", 2, acta("T4", votes={"YES": 100, "NO": 30}))], now=T0)
    services.publish_bulletin(store, now=T0 + dt.timedelta(minutes=5))
    services.timeline.post_entry(store, "Polls are closed in the **North**.", author="desk",
                                 now=T0 + dt.timedelta(minutes=6))


def test_the_signature_is_the_documented_hmac():
    body = '{"event":"bulletin.published"}'.encode()
    mac = hmac.new(b"whsec_abc", b"1196666820." + body, hashlib.sha256).hexdigest()
    assert hooks.sign("whsec_abc", 1196666820, body) == f"t=1196666820,v1={mac}"


def test_every_event_is_delivered_signed_and_the_recipe_accepts_it(small_store, receiver):
    rx = receiver()
    subscriber, secret = hooks.add_subscriber(small_store, rx.url, now=T0)
    night(small_store)
    assert hooks.run_once(small_store, base_url="https://results.example.org") == len(rx.requests)

    check, seen = recipe()["check_delivery"], {}
    received = [check(secret, headers, body, seen) for _, headers, body in rx.requests]
    by_event: dict[str, list] = {}
    for delivery in received:
        by_event.setdefault(delivery["event"], []).append(delivery["data"])
    assert [b["number"] for b in by_event["bulletin.published"]] == [1]
    bulletin = services.get_bulletin(small_store, 1)
    assert by_event["bulletin.published"][0]["hash"] == bulletin.hash
    assert by_event["bulletin.published"][0]["url"] == "https://results.example.org/api/v1/bulletins/1"
    statuses = {(a["table"], a["status"]) for a in by_event["acta.status_changed"]}
    assert statuses == {("T1", "counted"), ("T4", "quarantined")}
    posted = [e for e in by_event["timeline.entry"] if e["action"] == "posted" and e["kind"] == "note"]
    assert [e["body"] for e in posted] == ["Polls are closed in the **North**."]
    assert {h["Escrutinio-Event"] for _, h, _ in rx.requests} == set(by_event)
    assert all(d["status"] == "delivered" for d in hooks.delivery_log(small_store, subscriber))

    # Nothing new: nothing queued, nothing sent again.
    assert hooks.run_once(small_store) == 0
    assert len(rx.requests) == len(received)


def test_the_recipe_refuses_a_replay_a_changed_body_a_wrong_secret_and_an_old_request(small_store, receiver):
    rx = receiver()
    _, secret = hooks.add_subscriber(small_store, rx.url, ["bulletin.published"], now=T0)
    services.publish_bulletin(small_store, now=T0)
    hooks.run_once(small_store)
    (_, headers, body), = rx.requests
    namespace = recipe()
    check, refused, replayed = namespace["check_delivery"], namespace["Refused"], namespace["Replayed"]
    sent_at = int(headers["Escrutinio-Signature"].split(",")[0][2:])

    seen: dict = {}
    assert check(secret, headers, body, seen, now=sent_at + 1)["data"]["number"] == 1
    with pytest.raises(replayed):
        check(secret, headers, body, seen, now=sent_at + 2)
    with pytest.raises(refused, match="signature"):
        check(secret, headers, body.replace(b'"number":1', b'"number":9'), {}, now=sent_at)
    with pytest.raises(refused, match="signature"):
        check("whsec_not-the-secret", headers, body, {}, now=sent_at)
    with pytest.raises(refused, match="window"):
        check(secret, headers, body, {}, now=sent_at + 301)
    with pytest.raises(refused, match="header"):
        check(secret, {k: v for k, v in headers.items() if k != "Escrutinio-Signature"}, body, {}, now=sent_at)


def test_a_failing_partner_is_retried_with_backoff_until_it_answers(small_store, receiver):
    rx = receiver(answers=[500, 503])
    subscriber, _ = hooks.add_subscriber(small_store, rx.url, ["bulletin.published"], now=T0)
    services.publish_bulletin(small_store, now=T0)
    hooks.collect(small_store, now=T0)

    assert hooks.deliver_due(small_store, now=T0) == 0
    (logged,) = hooks.delivery_log(small_store, subscriber)
    assert (logged["status"], logged["attempts"], logged["last_code"]) == ("pending", 1, 500)
    assert logged["next_attempt_at"] == T0 + dt.timedelta(seconds=10)
    assert hooks.deliver_due(small_store, now=T0 + dt.timedelta(seconds=9)) == 0  # not due yet
    assert len(rx.requests) == 1
    assert hooks.deliver_due(small_store, now=T0 + dt.timedelta(seconds=10)) == 0  # 503
    (logged,) = hooks.delivery_log(small_store, subscriber)
    assert logged["next_attempt_at"] == T0 + dt.timedelta(seconds=30)  # 10 s, then 20 s
    assert hooks.deliver_due(small_store, now=T0 + dt.timedelta(seconds=30)) == 1
    (logged,) = hooks.delivery_log(small_store, subscriber)
    assert (logged["status"], logged["attempts"], logged["last_code"]) == ("delivered", 3, 200)
    assert len({body for _, _, body in rx.requests}) == 1  # the same body on every attempt


def test_backoff_doubles_up_to_an_hour():
    waits = [hooks.backoff(n) for n in range(1, 30)]
    assert waits[:4] == [10, 20, 40, 80]
    assert max(waits) == waits[-1] == 3600 and all(b >= a for a, b in zip(waits, waits[1:]))


def test_a_delivery_fails_after_the_last_attempt_and_can_be_retried_by_hand(small_store):
    subscriber, _ = hooks.add_subscriber(small_store, "http://127.0.0.1:9/never", ["bulletin.published"], now=T0)
    services.publish_bulletin(small_store, now=T0)
    hooks.collect(small_store, now=T0)
    calls = []

    def down(url, body, headers):
        calls.append(url)
        return hooks.Attempt(None, "ConnectionRefusedError: refused")

    when = T0
    for _ in range(hooks.MAX_ATTEMPTS):
        hooks.deliver_due(small_store, post=down, now=when)
        when += dt.timedelta(hours=1)
    (logged,) = hooks.delivery_log(small_store, subscriber)
    assert (logged["status"], logged["attempts"]) == ("failed", hooks.MAX_ATTEMPTS)
    assert "refused" in logged["last_error"]
    hooks.deliver_due(small_store, post=down, now=when)
    assert len(calls) == hooks.MAX_ATTEMPTS  # a failed delivery is not tried again by itself

    hooks.retry(small_store, logged["delivery_id"], now=when)
    assert hooks.deliver_due(small_store, post=lambda *a: hooks.Attempt(204), now=when) == 1
    with pytest.raises(NotFound):
        hooks.retry(small_store, logged["delivery_id"], now=when)  # delivered: nothing to retry


def test_a_redirect_is_not_followed(small_store, receiver):
    elsewhere = receiver()
    rx = receiver(redirect_to=elsewhere.url)
    subscriber, _ = hooks.add_subscriber(small_store, rx.url, ["bulletin.published"], now=T0)
    services.publish_bulletin(small_store, now=T0)
    assert hooks.run_once(small_store, now=T0) == 0
    assert len(rx.requests) == 1 and elsewhere.requests == []
    (logged,) = hooks.delivery_log(small_store, subscriber)
    assert (logged["status"], logged["last_code"]) == ("pending", 302)


def test_a_new_subscriber_gets_what_happens_from_now_on_unless_from_start(small_store, receiver):
    services.publish_bulletin(small_store, now=T0)
    later, from_start = receiver(), receiver()
    hooks.add_subscriber(small_store, later.url, ["bulletin.published"], now=T0)
    hooks.add_subscriber(small_store, from_start.url, ["bulletin.published"], from_start=True, now=T0)
    services.publish_bulletin(small_store, now=T0 + dt.timedelta(minutes=1))
    hooks.run_once(small_store)
    numbers = {name: [json.loads(b)["data"]["number"] for _, _, b in r.requests]
               for name, r in (("later", later), ("from_start", from_start))}
    assert numbers == {"later": [2], "from_start": [1, 2]}


def test_a_second_pass_of_the_same_events_queues_nothing_twice(small_store):
    subscriber, _ = hooks.add_subscriber(small_store, "http://127.0.0.1:9/x", from_start=True, now=T0)
    night(small_store)
    first = hooks.collect(small_store, now=T0)
    assert first > 0 and hooks.collect(small_store, now=T0) == 0
    with small_store.transaction() as conn:  # a dispatcher that read the old marks queues the same ids
        small_store.set_marks(conn, subscriber, {"bulletin_mark": 0, "acta_event_mark": 0, "timeline_mark": 0})
    assert hooks.collect(small_store, now=T0) == 0
    assert len(hooks.delivery_log(small_store, subscriber, limit=1000)) == first


def test_a_removed_subscriber_gets_nothing_more(small_store):
    subscriber, _ = hooks.add_subscriber(small_store, "http://127.0.0.1:9/x", ["bulletin.published"], now=T0)
    services.publish_bulletin(small_store, now=T0)
    hooks.collect(small_store, now=T0)
    hooks.remove_subscriber(small_store, subscriber, now=T0)
    assert hooks.deliver_due(small_store, post=lambda *a: pytest.fail("sent after removal"), now=T0) == 0
    assert [d["status"] for d in hooks.delivery_log(small_store, subscriber)] == ["cancelled"]
    with pytest.raises(NotFound):
        hooks.remove_subscriber(small_store, subscriber)


@pytest.mark.parametrize("url, says", [("ftp://partner.example.org/x", "http"), ("partner.example.org", "http"),
                                       ("https://user:pw@partner.example.org/x", "password")])
def test_an_address_that_is_not_a_plain_web_address_is_refused(small_store, url, says):
    with pytest.raises(hooks.WebhookError, match=says):
        hooks.add_subscriber(small_store, url)
    assert hooks.list_subscribers(small_store) == []


def test_the_cli_registers_lists_without_secrets_and_shows_the_log(small_store, db_url, receiver):
    rx = receiver()
    runner = CliRunner()
    added = runner.invoke(main, ["webhooks", "add", rx.url, "--event", "bulletin.published", "--db", db_url])
    assert added.exit_code == 0, added.output
    secret = re.search(r"secret: (whsec_\S+)", added.output).group(1)
    listed = runner.invoke(main, ["webhooks", "list", "--db", db_url])
    assert rx.url in listed.output and secret not in listed.output
    services.publish_bulletin(small_store, now=T0)
    sent = runner.invoke(main, ["webhooks", "deliver", "--db", db_url])
    assert sent.exit_code == 0 and "1 delivered, 0 pending" in sent.output
    (_, headers, body), = rx.requests
    assert recipe()["check_delivery"](secret, headers, body, {})["event"] == "bulletin.published"
    log = runner.invoke(main, ["webhooks", "log", "--db", db_url])
    assert re.search(r"\.bulletin\.1\s+bulletin\.published\s+delivered\s+attempts 1", log.output)
    bad = runner.invoke(main, ["webhooks", "add", "ftp://x/y", "--db", db_url])
    assert bad.exit_code == 1 and "http" in bad.output


def test_the_server_sends_by_itself(small_store, db_url, receiver, tmp_path):
    rx = receiver()
    _, secret = hooks.add_subscriber(small_store, rx.url, ["bulletin.published"], now=T0)
    with served(db_url, tmp_path, ESCRUTINIO_WEBHOOK_INTERVAL_SECONDS="0.2",
                ESCRUTINIO_PUBLIC_BASE_URL="https://results.example.org"):
        services.publish_bulletin(small_store)
        wait_for(lambda: rx.requests, "the server's delivery of bulletin 1")
    (_, headers, body), = rx.requests
    delivered = recipe()["check_delivery"](secret, headers, body, {})
    assert delivered["data"]["url"] == "https://results.example.org/api/v1/bulletins/1"

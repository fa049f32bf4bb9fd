"""Kill the server with SIGKILL in the middle of a busy night: nothing acknowledged is lost.

`escrutinio serve` runs as a process of its own; eight client threads send a
few thousand signed actas to it in small batches (and some alone), a
bulletin is published midway from this process, and the server is killed
(SIGKILL, no chance to clean up) while the clients are still sending. After
a restart on the same database:

- every acta whose answer reached a client is there, with the content, id
  and status that answer gave;
- nothing is half-written: every acta has its event and its log leaf, and the
  log's positions are 0..n-1, each once;
- sending again what was not acknowledged loses and duplicates nothing;
- `escrutinio verify` recomputes every bulletin (the one published midway,
  while the server was writing, and one published at the end) and finds no
  problem.

Runs on SQLite and PostgreSQL (the db_url fixture); loopback only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from escrutinio.domain.model import COUNTED, CONFLICTING, QUARANTINED, Area, Centre, Contest, Election, Option, Table
from escrutinio.domain.percent import PercentRule
from escrutinio.intake import signatures
from escrutinio.services import init_election, open_store, publish_bulletin
from escrutinio.services.keys import generate_keys, register_keys, sign_record
from escrutinio.services.tokens import create_token
from escrutinio.store import schema

from .conftest import free_port

TABLES = 2_000           # × 2 contests = 4,000 slots
CLIENTS = 8
PUBLISH_AT = 0.25        # share of all actas acknowledged when the midway bulletin is published
KILL_AT = 0.55           # … and when the server is killed
# Generous bounds for events on a loaded machine (the test asserts what happened, not how fast):
PHASE_SECONDS = 900      # for the sending phase to reach the kill point
READY_SECONDS = 120      # for a started server to answer
ANSWER_SECONDS = 120     # for one request to be answered (a batch may wait for the log's write lock)
REGISTERED = 500
STATUS_OF = {"accepted": COUNTED, "quarantined": QUARANTINED, "conflict": CONFLICTING}
ACKNOWLEDGED = {"accepted": 201, "already_present": 200, "quarantined": 202, "conflict": 409}


# -- the election and its actas -------------------------------------------------

def big_election() -> Election:
    """2,000 tables in 200 centres of 20 regions; contest A (yes/no), contest B (two candidates, blank apart)."""
    regions = [Area(f"R{r:02d}", f"Region {r}", 1, "X") for r in range(20)]
    centres = [Centre(f"C{c:03d}", f"Centre {c}", f"R{c % 20:02d}") for c in range(200)]
    tables = [Table(f"M{t:04d}", f"C{t // 10:03d}", REGISTERED, ("A", "B")) for t in range(TABLES)]
    return Election(
        name="Crash test election", date=dt.date(2024, 5, 5), time_zone="America/Caracas",
        polls_open=dt.time(6), polls_close=dt.time(18), locale="es_VE", percent_rule=PercentRule("truncate", 2),
        abstention_basis="whole_register", extra_voters_allowed=0,
        contests=(Contest("A", "Question A", (Option("YES", "Yes"), Option("NO", "No"))),
                  Contest("B", "Race B", (Option("C1", "Candidate 1"), Option("C2", "Candidate 2")), blank=True)),
        levels=("country", "region"), areas=(Area("X", "Country", 0, None), *regions), centres=tuple(centres),
        tables=tuple(tables), require_signatures=True)


def record(t: int, contest: str, *, shift: int = 0, off_by: int = 0) -> dict:
    """The acta of table ``t`` for ``contest``: ``shift`` moves votes between the options (a different
    acta, same sum: a conflict), ``off_by`` breaks options + null (+ blank) == ballots cast (quarantine)."""
    if contest == "A":
        votes = {"YES": (t * 7) % 200 + 50 + shift, "NO": (t * 13) % 150 + 30 - shift}
        item = {"table": f"M{t:04d}", "contest": "A", "votes": votes, "null": t % 5}
    else:
        votes = {"C1": (t * 11) % 180 + 40 + shift, "C2": (t * 3) % 160 + 20 - shift}
        item = {"table": f"M{t:04d}", "contest": "B", "votes": votes, "null": t % 4, "blank": t % 3}
    item["ballots_cast"] = sum(votes.values()) + item["null"] + item.get("blank", 0) + off_by
    return item


def key(item: dict) -> tuple:
    """What identifies an acta's content (blank is 0 where the contest does not count it apart)."""
    return (item["table"], item["contest"], tuple(sorted(item["votes"].items())), item["null"],
            item.get("blank", 0), item["ballots_cast"])


def stored_key(acta) -> tuple:
    return (acta.table, acta.contest, tuple(sorted(acta.votes)), acta.null, acta.blank, acta.ballots_cast)


@dataclass
class Item:
    n: int
    data: dict                 # signed, as sent
    quarantine: bool           # breaks a rule that quarantines it (when it is the first of its slot)
    acks: list[dict] = field(default_factory=list)  # every outcome a client received for it


def night(election: Election, private: dict[str, bytes]) -> list[Item]:
    """One acta per slot; every 50th quarantined; a different second acta (conflict) for every 40th slot and
    the same acta again for every 45th, those coming later in the night."""
    rng = random.Random(2007)
    firsts, seconds = [], []
    for t in range(TABLES):
        for c, contest in enumerate(("A", "B")):
            slot = 2 * t + c
            off = 5 if slot % 50 == 7 else 0
            firsts.append((record(t, contest, off_by=off), bool(off)))
            if slot % 40 == 3:
                seconds.append((record(t, contest, shift=1), False))
            if slot % 45 == 11:
                seconds.append((record(t, contest, off_by=off), bool(off)))
    rng.shuffle(firsts)
    rng.shuffle(seconds)
    half = len(firsts) // 3
    order = firsts[:half] + sorted(firsts[half:] + seconds, key=lambda _: rng.random())
    return [Item(n, sign_record(election, data, private[data["table"]]), quarantine)
            for n, (data, quarantine) in enumerate(order)]


def requests_of(items: list[Item], rng: random.Random) -> list[tuple[bool, list[Item]]]:
    """(single?, items) per request: batches of 1 to 20 actas, about one request in six a single acta."""
    out, i = [], 0
    while i < len(items):
        if rng.random() < 1 / 6:
            out.append((True, [items[i]]))
            i += 1
        else:
            size = rng.randint(1, 20)
            out.append((False, items[i:i + size]))
            i += size
    return out


# -- the server ---------------------------------------------------------------------

class Server:
    def __init__(self, db_url: str, port: int, log: Path):
        self.db_url, self.port, self.log = db_url, port, log
        self.proc: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self) -> float:
        """Start `escrutinio serve`; the seconds until it answered."""
        env = {k: v for k, v in os.environ.items() if k != "ESCRUTINIO_DATABASE_URL"}
        env["ESCRUTINIO_RATE_LIMIT_PER_SECOND"] = "0"
        began = time.monotonic()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "escrutinio.cli", "serve", "--db", self.db_url, "--host", "127.0.0.1",
                 "--port", str(self.port)], env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = began + READY_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"the server exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base}/api/v1/election", timeout=2).status_code == 200:
                    return time.monotonic() - began
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        pytest.fail(f"the server did not answer within {READY_SECONDS} s:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=READY_SECONDS)


# -- the clients -------------------------------------------------------------------

class Night:
    """Requests shared by the client threads; what each answer said."""

    def __init__(self, base: str, token: str, requests: list[tuple[bool, list[Item]]]):
        self.base, self.token = base, token
        self.todo: queue.Queue = queue.Queue()
        for request in requests:
            self.todo.put(request)
        self.lock = threading.Lock()
        self.acknowledged = 0
        self.unanswered: list[Item] = []   # sent when the server died, or never sent
        self.unexpected: list[str] = []    # answers that are neither an outcome nor a connection failure
        self.stop = threading.Event()

    def client(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=ANSWER_SECONDS) as http:
            while not self.stop.is_set():
                try:
                    single, items = self.todo.get_nowait()
                except queue.Empty:
                    return
                body = items[0].data if single else {"actas": [i.data for i in items]}
                try:
                    response = http.post("/api/v1/actas", content=json.dumps(body))
                except httpx.TransportError:  # the server is gone: not acknowledged, and stop
                    with self.lock:
                        self.unanswered += items
                    return
                self.answered(single, items, response)

    def answered(self, single: bool, items: list[Item], response: httpx.Response) -> None:
        try:
            payload = response.json()
            outcomes = [payload] if single else payload["outcomes"]
            good = (response.status_code == (ACKNOWLEDGED.get(payload["result"]) if single else 200)
                    and len(outcomes) == len(items) and all(o["result"] in ACKNOWLEDGED for o in outcomes))
        except (ValueError, KeyError, TypeError):
            good = False
        with self.lock:
            if not good:
                self.unexpected.append(f"{response.status_code} {response.text[:500]}")
                self.unanswered += items
                return
            for item, outcome in zip(items, outcomes):
                item.acks.append(outcome)
            self.acknowledged += len(items)

    def leftovers(self) -> list[Item]:
        while True:
            try:
                self.unanswered += self.todo.get_nowait()[1]
            except queue.Empty:
                return self.unanswered


# -- checks against the database ------------------------------------------------------

def check_whole(store) -> dict[str, int]:
    """Nothing half-written: every acta has its event and its log leaf; the log is 0..n-1 with no gap."""
    a, e, leaf, b = schema.acta.c, schema.acta_event.c, schema.log_leaf.c, schema.bulletin.c
    with store.engine.connect() as conn:
        actas = conn.execute(sa.select(sa.func.count()).select_from(schema.acta)).scalar_one()
        no_event = conn.execute(sa.select(a.id).where(~sa.exists().where(e.acta_id == a.id))).scalars().all()
        no_leaf = conn.execute(sa.select(a.id).where(~sa.exists().where(leaf.kind == "acta", leaf.ref == a.id))
                               ).scalars().all()
        events = dict(conn.execute(sa.select(e.acta_id, sa.func.count()).group_by(e.acta_id)).all())
        acta_leaves = dict(conn.execute(sa.select(leaf.ref, sa.func.count()).where(leaf.kind == "acta")
                                        .group_by(leaf.ref)).all())
        stray = conn.execute(sa.select(leaf.ref).where(leaf.kind == "acta", ~sa.exists().where(a.id == leaf.ref))
                             ).scalars().all()
        positions = conn.execute(sa.select(leaf.position).order_by(leaf.position)).scalars().all()
        bulletins = conn.execute(sa.select(b.number).order_by(b.number)).scalars().all()
        bulletin_leaves = conn.execute(sa.select(leaf.ref).where(leaf.kind == "bulletin").order_by(leaf.ref)
                                       ).scalars().all()
        kinds = dict(conn.execute(sa.select(leaf.kind, sa.func.count()).group_by(leaf.kind)).all())
    assert no_event == [], f"actas without their event: {no_event[:20]}"
    assert no_leaf == [], f"actas without their log leaf: {no_leaf[:20]}"
    assert stray == [], f"log leaves of actas that do not exist: {stray[:20]}"
    assert set(events.values()) <= {1} and set(acta_leaves.values()) <= {1}, "an acta logged or evented twice"
    assert positions == list(range(len(positions))), "log positions are not 0..n-1, each once"
    assert bulletin_leaves == bulletins == list(range(1, len(bulletins) + 1)), (bulletins, bulletin_leaves)
    assert kinds.get("acta", 0) == actas and kinds.get("bulletin", 0) == len(bulletins), kinds
    assert "event" not in kinds, "a change of status nobody asked for"
    # the other leaves (the election, the tables' keys) were written before the night began
    return {"actas": actas, "bulletins": len(bulletins), "other leaves": len(positions) - actas - len(bulletins)}


def check_acknowledged(store, items: list[Item]) -> int:
    """Every acknowledged acta is stored with the content, id and status its answer gave."""
    held = {r.id: r for r in store.actas()}
    id_of: dict[tuple, int] = {}
    checked = 0
    for item in items:
        for ack in item.acks:
            where = f"acta #{item.n} {item.data['table']}/{item.data['contest']} answered {ack}"
            stored = held.get(ack["acta_id"])
            assert stored is not None, f"lost: {where}"
            assert stored_key(stored.acta) == key(item.data), f"different content: {where}"
            assert (ack["table"], ack["contest"]) == (item.data["table"], item.data["contest"]), where
            if ack["result"] in STATUS_OF:
                assert stored.status == STATUS_OF[ack["result"]], f"status {stored.status}: {where}"
            allowed = {"quarantined", "conflict", "already_present"} if item.quarantine \
                else {"accepted", "conflict", "already_present"}
            assert ack["result"] in allowed, where
            assert id_of.setdefault(key(item.data), ack["acta_id"]) == ack["acta_id"], f"two ids: {where}"
            checked += 1
    return checked


# -- the test ---------------------------------------------------------------------------

def test_sigkill_in_the_middle_of_a_busy_night_loses_nothing_acknowledged(db_url, tmp_path):
    began = time.monotonic()
    election = big_election()
    store = open_store(db_url)
    server = None
    try:
        election = init_election(store, election)  # signed for the identifier init gives it
        private = generate_keys(election, seed="crash test")
        register_keys(store, {t: signatures.public_key(k) for t, k in private.items()})
        _, token = create_token(store, "crash test device", "transmission")
        items = night(election, private)
        requests = requests_of(items, random.Random(42))
        prepared = time.monotonic() - began

        server = Server(db_url, free_port(), tmp_path / "server.log")
        server.start()
        sending = Night(server.base, token, requests)
        threads = [threading.Thread(target=sending.client, daemon=True) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + PHASE_SECONDS
        midway = None
        while time.monotonic() < deadline and sending.acknowledged < KILL_AT * len(items):
            if midway is None and sending.acknowledged >= PUBLISH_AT * len(items):
                midway = publish_bulletin(store)  # while the server writes
            assert not sending.unexpected, sending.unexpected[:5]
            assert all(t.is_alive() for t in threads) or sending.todo.empty(), "a client stopped early"
            time.sleep(0.01)
        assert midway is not None and sending.acknowledged >= KILL_AT * len(items), \
            f"only {sending.acknowledged:,} actas acknowledged in {PHASE_SECONDS} s"
        assert not sending.todo.empty(), "every acta was sent before the kill: make the night longer"
        server.kill()  # SIGKILL while the clients are still sending
        sending.stop.set()
        for thread in threads:
            thread.join(timeout=ANSWER_SECONDS)
        assert not any(t.is_alive() for t in threads), "a client is still waiting after the kill"
        assert not sending.unexpected, sending.unexpected[:5]
        remainder = sending.leftovers()
        acknowledged = sum(len(i.acks) for i in items)
        assert remainder and acknowledged + len(remainder) == len(items)

        restart = server.start()  # same database, same port
        whole = check_whole(store)
        assert whole["bulletins"] == 1
        before_night = whole["other leaves"]
        assert check_acknowledged(store, items) == acknowledged

        # send again what was not acknowledged: each is new, or found already there, never lost nor doubled
        before = {stored_key(r.acta): r.id for r in store.actas()}
        slots = {(k[0], k[1]) for k in before}
        answered = {key(i.data) for i in items if i.acks}
        committed_unanswered = sum(key(i.data) in before and key(i.data) not in answered for i in remainder)
        again = Night(server.base, token, [(False, remainder[i:i + 20]) for i in range(0, len(remainder), 20)])
        again.client()
        assert not again.unexpected and not again.unanswered, (again.unexpected[:5], len(again.unanswered))
        for item in remainder:
            [ack] = item.acks
            k = key(item.data)
            if k in before:  # committed before the kill (its answer died with the server), or a same acta again
                assert (ack["result"], ack["acta_id"]) == ("already_present", before[k]), (item, ack)
                continue
            first = (k[0], k[1]) not in slots
            expected = ("quarantined" if item.quarantine else "accepted") if first else "conflict"
            assert ack["result"] == expected, (item, ack)
            slots.add((k[0], k[1]))
            before[k] = ack["acta_id"]
        assert check_acknowledged(store, items) == len(items)
        stored = [stored_key(r.acta) for r in store.actas()]
        assert len(stored) == len(set(stored)), "an acta stored twice"
        assert set(stored) == {key(i.data) for i in items}, "an acta sent was lost, or one never sent is there"
        publish_bulletin(store)
        assert check_whole(store) == {"actas": len(set(stored)), "bulletins": 2, "other leaves": before_night}
    finally:
        if server is not None:
            server.kill()
        store.close()

    verify = subprocess.run([sys.executable, "-m", "escrutinio.cli", "verify", "--db", db_url],
                            capture_output=True, text=True, timeout=900)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    print(f"\n[{db_url.split(':')[0]}] {len(items):,} actas in {len(requests):,} requests; prepared in "
          f"{prepared:.1f} s; {acknowledged:,} acknowledged before the kill; {len(remainder):,} sent again "
          f"({committed_unanswered} of them committed before the kill but unanswered); "
          f"restart answered in {restart:.2f} s; {time.monotonic() - began:.1f} s in all")

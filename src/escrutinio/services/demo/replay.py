"""Replay the demo night through the same services a real night uses."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from ...domain.bulletin import Bulletin
from ...domain.model import Election
from ...intake import signatures
from ...intake.actas import Record
from ...store import Store
from ..bulletins import publish_bulletin
from ..election import init_election
from ..intake import Outcome, ingest_records
from ..keys import generate_keys, register_keys, sign_record
from ..resolve import resolve_conflict
from ..comparison import save_previous
from . import coverage, observation, paper
from .previous2006 import previous_2006
from .generate import Night, generate

WINDOW = dt.timedelta(minutes=5)
# The demo's table keys are derived from this, so anyone can re-create and check them.
KEY_SEED = "escrutinio demo night 2007-12-02"
OPERATOR = "sala de totalización (demo)"


@dataclass
class ReplayReport:
    election: Election
    bulletins: list[Bulletin]
    outcomes: dict[str, int]
    resolutions: int


def run_demo(store: Store, *, speed: float | None = None, on_bulletin: Callable[[Bulletin], None] | None = None,
             on_batch: Callable[[dt.datetime, list[Outcome]], None] | None = None, night: Night | None = None
             ) -> ReplayReport:
    """Create the demo election in ``store``, load its past (the 2006 presidential election) and replay its night.

    ``speed`` is how many night seconds pass per real second (None: as fast
    as possible). Actas are ingested in five-minute windows of night time.
    """
    night = night or generate()
    election = init_election(store, night.election, now=night.arrivals[0].at - dt.timedelta(hours=12))
    private = generate_keys(election, seed=KEY_SEED)
    register_keys(store, {t: signatures.public_key(k) for t, k in private.items()},
                  now=night.arrivals[0].at - dt.timedelta(hours=12))
    save_previous(store, previous_2006(night), now=night.arrivals[0].at - dt.timedelta(hours=12))

    def sign(record: dict) -> dict:
        return sign_record(election, record, private[record["table"]])

    manual = paper.manual_tables(night)  # their devices could not transmit: keyed in by hand
    events = _timeline(night, sign, skip=set(manual))
    events = _with_observers(events, observation.prepare(store, night)
                             + paper.prepare(store, night, manual, election, sign))
    clock = _Clock(events[0][0], speed)
    report = ReplayReport(election, [], {}, 0)
    written: dict[str, int] = {}  # the coverage's entries by name
    for at, kind, payload in events:
        clock.wait_until(at)
        if kind == "actas":
            outcomes = ingest_records(store, payload, now=at, operator="transmisión (demo)")
            for o in outcomes:
                report.outcomes[o.result] = report.outcomes.get(o.result, 0) + 1
            if on_batch:
                on_batch(at, outcomes)
        elif kind == "resolve":
            report.resolutions += _resolve(store, payload, at)
        elif kind == "coverage":
            coverage.play(store, payload, written)
        elif kind == "observation":
            payload(store, at)
        else:
            bulletin = publish_bulletin(store, now=at)
            report.bulletins.append(bulletin)
            if on_bulletin:
                on_bulletin(bulletin)
    return report


def _timeline(night: Night, sign: Callable[[dict], dict],
              skip: set[str] = frozenset()) -> list[tuple[dt.datetime, str, object]]:
    """Acta windows, resolutions, bulletins and the coverage's entries in night order.

    Windows are cut at every bulletin time too, so a bulletin holds exactly
    the actas that arrived by its cut-off.
    """
    cuts = sorted(t.astimezone(dt.timezone.utc) for t in night.bulletin_times)
    windows: dict[dt.datetime, list[Record]] = {}
    start = night.arrivals[0].at
    for n, arrival in enumerate(night.arrivals, 1):
        if arrival.record["table"] in skip:
            continue
        end = start + WINDOW * ((arrival.at - start) // WINDOW + 1)
        end = next((cut for cut in cuts if arrival.at <= cut < end), end)
        windows.setdefault(end, []).append(Record("transmisión", n, sign(arrival.record)))
    events = [(at, 0, "actas", records) for at, records in windows.items()]
    events += [(r.at, 1, "resolve", r) for r in night.resolutions]
    events += [(at, 2, "bulletin", None) for at in cuts]
    events += [(item.at.astimezone(dt.timezone.utc), 3, "coverage", item) for item in coverage.COVERAGE]
    events.sort(key=lambda e: (e[0], e[1]))
    return [(at, kind, payload) for at, _, kind, payload in events]


def _with_observers(events: list, observed: list) -> list:
    """The observers' reports and claims, placed in night order among the other events."""
    merged = [(at, n, kind, payload) for n, (at, kind, payload) in enumerate(events)]
    merged += [(at.astimezone(dt.timezone.utc), len(events) + n, "observation", act)
               for n, (at, act) in enumerate(observed)]
    merged.sort(key=lambda e: (e[0], e[1]))
    return [(at, kind, payload) for at, _, kind, payload in merged]


def _resolve(store: Store, resolution, at: dt.datetime) -> int:
    held = [r for r in store.actas(table=resolution.table) if r.acta.contest == resolution.contest]
    if len(held) < 2:
        return 0
    chosen = held[0] if resolution.pick == "first" else held[-1]
    resolve_conflict(store, resolution.table, resolution.contest, chosen.id, resolution.reason, OPERATOR, now=at)
    return 1


class _Clock:
    """Night time mapped onto real time at a given speed."""

    def __init__(self, start: dt.datetime, speed: float | None):
        self.start = start
        self.speed = speed
        self.real_start = time.monotonic()

    def wait_until(self, at: dt.datetime) -> None:
        if not self.speed:
            return
        due = self.real_start + (at - self.start).total_seconds() / self.speed
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)

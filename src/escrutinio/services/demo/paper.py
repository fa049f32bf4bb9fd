"""The demo night's paper actas, its board's recount and the actas refused at intake.

A handful of tables whose devices could not transmit (they report after the first bulletin, so bulletin 1
keeps the CNE's figures) are keyed in by hand at the results centre from their paper actas, twice, by two
clerks; one second entry disagrees with the first (two digits swapped) and a third clerk's entry settles
it. After bulletin 3 a municipal board recounts one table and its figures replace the counted acta. Through
the night a few actas are refused at intake (a forged signature, an unknown table, an unsigned acta, a
garbled line), which the register of refused actas lists.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from ...domain.errors import Problem
from ...domain.model import Election
from ...intake.actas import Record
from ...store import Store
from ..intake import enter_manual, ingest_records
from ..resolve import recount
from ..tokens import create_token
from .generate import BULLETIN_TIMES, Night, local

MANUAL_TABLES = 4
CLERKS = ("digitador 1 (demo)", "digitadora 2 (demo)", "digitadora 3 (demo)")
BOARD = "sala de totalización (demo)"
RECOUNT_AT = local(3, 7, 30)  # after bulletin 3 (06:00), before bulletin 4 (09:00)
FIRST_MANUAL = local(3, 1, 40)  # after bulletin 1 (01:07): its figures stay the CNE's
LAST_MANUAL = BULLETIN_TIMES[2]
SENDER = "http 200.44.32.17, token transmisión (demo)"

Event = tuple[dt.datetime, Callable[[Store, dt.datetime], None]]


def manual_tables(night: Night) -> list[str]:
    """The tables keyed in by hand: the first few reporting after FIRST_MANUAL (and before bulletin 3) whose
    actas went well (nothing quarantined, in conflict or sent twice)."""
    arrivals: dict[str, list] = {}
    for arrival in night.arrivals:
        arrivals.setdefault(arrival.record["table"], []).append(arrival)
    chosen = []
    for table, held in sorted(arrivals.items(), key=lambda item: min(a.at for a in item[1])):
        first = min(a.at for a in held)
        if FIRST_MANUAL <= first < LAST_MANUAL and all(not a.note for a in held) and len(held) == 2:
            chosen.append(table)
        if len(chosen) == MANUAL_TABLES:
            break
    return chosen


def prepare(store: Store, night: Night, manual: list[str], election: Election,
            sign: Callable[[dict], dict]) -> list[Event]:
    """The clerks' tokens made now; the night's paper entries, recount and refusals as (time, action)."""
    clerks = [{"id": create_token(store, name, "clerk")[0], "name": name, "role": "clerk"} for name in CLERKS]
    events: list[Event] = []
    for n, arrival in enumerate(a for a in night.arrivals if a.record["table"] in manual):
        first, second, third = (arrival.at + dt.timedelta(minutes=m) for m in (6, 14, 25))
        events.append((first, _enter(arrival.record, clerks[0])))
        if n == 0:  # the second clerk swaps two figures; the third clerk's entry agrees with the first
            votes = arrival.record["votes"]
            wrong = {**arrival.record, "votes": {"SI": votes["NO"], "NO": votes["SI"]}}
            events.append((second, _enter(wrong, clerks[1])))
            events.append((third, _enter(arrival.record, clerks[2])))
        else:
            events.append((second, _enter(arrival.record, clerks[1 + n % 2])))
    events.append((RECOUNT_AT, _recount(night, manual)))
    events += _refusals(night, election, sign)
    return events


def _enter(record: dict, clerk: dict) -> Callable[[Store, dt.datetime], None]:
    def enter(store: Store, at: dt.datetime) -> None:
        enter_manual(store, record, clerk, channel="demo", now=at)
    return enter


def _recount(night: Night, manual: list[str]) -> Callable[[Store, dt.datetime], None]:
    """A board recounts the first plain table counted before bulletin 3 that was not keyed in by hand: five
    ballots read as Sí at the table were No."""
    sent: dict[str, int] = {}
    for arrival in night.arrivals:
        sent[arrival.record["table"]] = sent.get(arrival.record["table"], 0) + 1
    record = min((a for a in night.arrivals if not a.note and a.record["contest"] == "A"
                  and a.record["table"] not in manual and FIRST_MANUAL <= a.at < LAST_MANUAL
                  and sent[a.record["table"]] == 2), key=lambda a: a.at).record

    def apply(store: Store, at: dt.datetime) -> None:
        votes = dict(record["votes"])
        moved = min(5, votes["SI"])
        votes["SI"] -= moved
        votes["NO"] += moved
        recount(store, record["table"], "A", {"votes": votes, "null": record["null"],
                                              "ballots_cast": record["ballots_cast"]},
                "JME-Libertador 2007-0143", "recount ordered by the municipal board after a witness's objection",
                BOARD, now=at)
    return apply


def _refusals(night: Night, election: Election, sign: Callable[[dict], dict]) -> list[Event]:
    """Actas refused at intake during the night: none of them is stored, each is in the register."""
    sample = next(a.record for a in night.arrivals if not a.note)
    forged = {**sign(sample), "votes": {**sample["votes"], "SI": sample["votes"]["SI"] + 100},
              "ballots_cast": sample["ballots_cast"] + 100}
    unknown = {**sign(sample), "table": "999999-99"}
    unsigned = dict(next(a.record for a in night.arrivals if not a.note and a.record is not sample))
    garbled = json.dumps(sign(sample), ensure_ascii=False)[:57]
    items = [(local(2, 19, 12), forged, json.dumps(forged)), (local(2, 21, 3), unknown, json.dumps(unknown)),
             (local(2, 23, 48), unsigned, json.dumps(unsigned)), (local(3, 0, 40), None, garbled)]
    return [(at, _refuse(data, raw)) for at, data, raw in items]


def _refuse(data: dict | None, raw: str) -> Callable[[Store, dt.datetime], None]:
    def refuse(store: Store, at: dt.datetime) -> None:
        problems = [] if data is not None else [Problem("", "not valid JSON (unterminated string)",
                                                        "write one JSON object per line")]
        ingest_records(store, [Record("transmisión", 1, data, problems, raw)], now=at, operator="transmisión (demo)",
                       origin=SENDER)
    return refuse

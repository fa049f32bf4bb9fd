"""The demo night's observers, incidents, quick count and claims, replayed with the actas.

Synthetic names and phones; counts and events shaped like 2 December 2007: more than 100
international observers, 2,000 national ones and 3,000 accredited media; incidents through
the day (tables opened late, students harassing voters at a centre in Táchira, a regional
front page breaking the campaign silence, a governor's call to occupy the electoral offices
in Sucre, 46 arrests in the country); a national observer group's quick count from about
1,500 tables whose reports arrive from 17:30; at 20:20 a news agency's claim that Sí would
win by 6 to 8 points, and at 02:41 a blog's claim about the opposition's gain over 2006.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from ...domain.model import Election
from ...store import Store
from .. import claims, incidents, observers, quickcount, reports
from .generate import Night, local

SEED = "2007-12-02 demo: sorteo público de la muestra"
SAMPLE_SIZE = 1500
GROUP = "Red de Observadores Electorales (demo)"
DESK = "Redacción (demo)"
REPORTS_FROM = local(2, 17, 30)
ORGANISATIONS = (  # kind, organisation, how many
    ("international", "Misión Internacional de Acompañamiento (demo)", 64),
    ("international", "Red Interamericana de Observación (demo)", 47),
    ("national", GROUP, SAMPLE_SIZE),
    ("national", "Ojo Ciudadano (demo)", 500),
    ("media", "Diario Nacional (demo)", 1200),
    ("media", "Televisora del Centro (demo)", 900),
    ("media", "Radio Llanera (demo)", 600),
    ("media", "Agencias extranjeras (demo)", 300),
    ("party_witness", "Testigos del Sí (demo)", 40),
    ("party_witness", "Testigos del No (demo)", 40),
)
Event = tuple[dt.datetime, Callable[[Store, dt.datetime], None]]


def prepare(store: Store, night: Night) -> list[Event]:
    """Register the observers and draw the sample now; return the night's reports and claims as events."""
    election = store.election()
    sample = quickcount.save_sample(store, SEED, SAMPLE_SIZE, "estado", now=local(2, 5, 0))
    assigned = [p.table for p in sample]
    _import(store, assigned)
    events = _result_reports(night, assigned)
    events += _incidents(election)
    events += [(local(2, 20, 20), _claim("in contest A, SI leads NO by 6 to 8 points",
                                         "Agencia de noticias (demo)", local(2, 20, 20), on_entry=True)),
               (local(3, 2, 41), _claim("in contest A, NO gained less than 100,000 votes over the previous "
                                        "election", "Blog de análisis electoral (demo)", local(3, 2, 41)))]
    return events


def phone(n: int) -> str:
    return f"+58412{n:07d}"


def _import(store: Store, assigned: list[str]) -> None:
    with tempfile.TemporaryDirectory() as where:
        path = Path(where) / "observers.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(["accreditation", "kind", "organisation", "name", "phones", "assignment", "status"])
            n = 0
            for kind, organisation, count in ORGANISATIONS:
                for k in range(count):
                    n += 1
                    assignment = assigned[k] if organisation == GROUP else ""
                    out.writerow([f"DEMO-{n:05d}", kind, organisation, f"Observador {n:05d}", phone(n),
                                  assignment, "accredited"])
        observers.import_observers(store, path)


def _group_phone(k: int) -> str:
    before = sum(count for _, organisation, count in ORGANISATIONS[:2])
    return phone(before + k + 1)


def _result_reports(night: Night, assigned: list[str]) -> list[Event]:
    """Each sampled table's observer sends its acta's figures by SMS, a little before it is transmitted."""
    first: dict[tuple[str, str], tuple[dt.datetime, dict]] = {}
    for arrival in night.arrivals:
        key = (arrival.record["table"], arrival.record["contest"])
        first.setdefault(key, (arrival.at, arrival.record))
    events = []
    for k, table in enumerate(assigned):
        parts = [(first[(table, c)]) for c in ("A", "B") if (table, c) in first]
        if not parts:
            continue
        at = max(REPORTS_FROM, min(at for at, _ in parts) - dt.timedelta(minutes=12))
        text = f"RES {table} " + "; ".join(
            f"{r['contest']} " + " ".join(f"{o}={n}" for o, n in r["votes"].items()) for _, r in parts)
        events.append((at, _sms(_group_phone(k), text, f"SMdemo{k:05d}")))
    return events


def _sms(sender: str, text: str, sid: str) -> Callable[[Store, dt.datetime], None]:
    body = urlencode({"MessageSid": sid, "From": sender, "To": "+582125550000", "Body": text}).encode()
    return lambda store, at: reports.receive_sms(store, "twilio", "application/x-www-form-urlencoded", body, now=at)


def _claim(statement: str, author: str, said_at: dt.datetime,
           on_entry: bool = False) -> Callable[[Store, dt.datetime], None]:
    """Record a claim; ``on_entry``: on the desk's entry posted at the same moment (the replay plays the
    coverage before the observers' events of the same time)."""
    def record(store: Store, at: dt.datetime) -> None:
        entry = None
        if on_entry:
            entry = next(e.id for e in store.entries() if e.posted_at == said_at and not e.bulletin)
        claims.add_claim(store, statement, author=author, said_at=said_at, entry_id=entry)
    return record


def _incidents(election: Election) -> list[Event]:
    """A few dozen incidents: most by observers' SMS, some by the desk; several verified."""
    centres = {e.code: [c.code for c in _centres_under(election, e.code)] for e in election.areas if e.level == 1}
    codes = sorted(centres)
    events: list[Event] = []
    sms_count = 0

    def by_sms(at, estado, index, code, text):
        nonlocal sms_count
        sms_count += 1
        place = centres[estado][index % len(centres[estado])]
        events.append((at, _sms(phone(4000 + sms_count), f"INC {place} {code} {text}", f"SMinc{sms_count:04d}")))

    for k, estado in enumerate(codes[:12]):  # tables opened late in the morning
        by_sms(local(2, 6, 20 + 3 * k), estado, k, "LATE", "la mesa abrió después de las 7:00 por falta de miembros")
    by_sms(local(2, 10, 40), "TA", 3, "HAR", "estudiantes hostigan a los votantes en la entrada del centro")
    by_sms(local(2, 10, 55), "TA", 3, "HAR", "siguen los estudiantes en la puerta, la gente se retira")
    by_sms(local(2, 11, 30), "ZU", 5, "MACH", "la máquina de votación no imprime el comprobante")
    by_sms(local(2, 12, 15), "LA", 2, "AWAY", "a dos electores les dicen que no están en el cuaderno")
    for k, estado in enumerate(codes[3:13]):  # tables kept open for queues
        by_sms(local(2, 16, 5 + 4 * k), estado, k + 7, "QUEUE", "la mesa sigue abierta: hay fila de electores")
    events.append((local(2, 9, 30), _desk("TA", "illegal_propaganda", "Un diario regional publica en primera "
                                          "página un llamado a votar, en pleno silencio de campaña.")))
    events.append((local(2, 18, 40), _desk("SU", "other", "El gobernador llama por radio a tomar las oficinas "
                                           "electorales del estado.", severity="high", verify=True)))
    events.append((local(2, 21, 0), _desk("VE", "arrest", "46 personas detenidas en todo el país por delitos "
                                          "electorales, según el balance oficial de la jornada.", verify=True,
                                          timeline=True)))
    return events


def _centres_under(election: Election, code: str):
    kids = election.children[code]
    for area in kids[0]:
        yield from _centres_under(election, area.code)
    yield from kids[1]


def _desk(place: str, category: str, text: str, *, severity: str | None = None, verify: bool = False,
          timeline: bool = False) -> Callable[[Store, dt.datetime], None]:
    def enter(store: Store, at: dt.datetime) -> None:
        found = incidents.report(store, place, category, text, editor=DESK, severity=severity, now=at)
        if verify:
            incidents.set_status(store, found["id"], "verified", editor=DESK, reason="confirmado por la redacción",
                                 now=at + dt.timedelta(minutes=20))
        if timeline:
            incidents.post_to_timeline(store, found["id"], editor=DESK, now=at + dt.timedelta(minutes=25))
    return enter

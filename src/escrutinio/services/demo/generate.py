"""A synthetic night shaped like Venezuela's referendum of 2 December 2007.

Deterministic (seeded): the same election, the same actas, in the same
order, every time. Actas arrive by region (the cities first, the Amazon
and the Delta last) and by when each table closed; the tables counted at
the first bulletin (01:07 on 3 December, local time) are given votes that
add up exactly to the CNE's first bulletin; every other table is drawn
freely from the same model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np

from ...domain.model import Area, Centre, Contest, Election, Option, Rule, Table
from ...domain.percent import PercentRule
from ...domain.publication import Policy
from .apportion import apportion, fit_matrix
from .venezuela import (CENTRE_KINDS, CENTRE_PATRONS, ENTITIES, KNOWN_MUNICIPIOS, KNOWN_PARISHES,
                        MUNICIPIO_NAMES, PARROQUIA_NAMES)

CARACAS = ZoneInfo("America/Caracas")
SEED = 2007
# The register is chosen so that the CNE's abstention of 44.39 % (over the
# whole register, truncated) follows from its 9,002,439 ballots.
TOTAL_REGISTERED = 16_189_960
FIRST_CAST = 9_002_439
FIRST_BULLETIN = {  # column order: null, SI, NO
    "A": (118_693, 4_379_392, 4_504_354),
    "B": (144_971, 4_335_136, 4_522_332),
}


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2007, 12, day, hour, minute, tzinfo=CARACAS)


FIRST_CUT_OFF = local(3, 1, 7)
BULLETIN_TIMES = (FIRST_CUT_OFF, local(3, 3, 30), local(3, 6, 0), local(3, 9, 0), local(3, 12, 0))
# Share of tables reported against local time: the arrival curve of the night.
ARRIVAL_CURVE = ((0.0, local(2, 16, 50)), (0.05, local(2, 17, 40)), (0.25, local(2, 19, 0)),
                 (0.50, local(2, 20, 45)), (0.70, local(2, 22, 30)), (0.85, local(3, 0, 20)),
                 (0.8800, local(3, 1, 5)), (0.93, local(3, 2, 45)), (0.97, local(3, 5, 0)),
                 (0.99, local(3, 7, 30)), (1.0, local(3, 10, 0)))


@dataclass(frozen=True)
class Arrival:
    at: dt.datetime
    record: dict
    note: str = ""


@dataclass(frozen=True)
class Resolution:
    at: dt.datetime
    table: str
    contest: str
    pick: str  # "first" or "last" acta received for the slot
    reason: str


@dataclass
class Night:
    election: Election
    arrivals: list[Arrival] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    bulletin_times: tuple[dt.datetime, ...] = BULLETIN_TIMES
    kept_open: int = 0


@dataclass
class _Geo:
    areas: list[Area] = field(default_factory=list)
    centres: list[Centre] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    entity: list[int] = field(default_factory=list)        # per table
    parroquia: list[int] = field(default_factory=list)     # per table
    centre: list[int] = field(default_factory=list)        # per table


def generate(seed: int = SEED) -> Night:
    rng = np.random.default_rng(seed)
    geo = _geography(rng)
    election = _election(geo)
    n = len(geo.tables)
    registered = np.array([t.registered for t in geo.tables], dtype=np.int64)
    entity = np.array(geo.entity)
    speed = np.array([ENTITIES[e].speed for e in entity])
    parroquia_effect = rng.normal(0, 0.45, len(geo.areas))[np.array(geo.parroquia)]
    centre_effect = rng.normal(0, 0.35, len(geo.centres))[np.array(geo.centre)]
    kept_open = rng.random(n) < 0.06
    small = registered < np.percentile(registered, 20)
    score = -speed + parroquia_effect + centre_effect + rng.normal(0, 0.5, n) + 1.2 * kept_open + 0.8 * small
    arrival = _arrival_times(score)
    early = arrival <= FIRST_CUT_OFF.timestamp()
    model = _VoteModel(rng, geo, registered)
    night = Night(election, kept_open=int(kept_open.sum()))
    special = _special_tables(rng, early)
    counted_first = early & ~special["quarantine"] & ~special["over_register"]
    votes = {c: model.free(c) for c in ("A", "B")}
    cast = apportion(FIRST_CAST, (registered * model.turnout)[counted_first], registered[counted_first])
    for c in ("A", "B"):
        fitted = fit_matrix(cast, model.shares(c)[counted_first], list(FIRST_BULLETIN[c]))
        votes[c][counted_first] = fitted
    _arrivals(night, rng, geo, arrival, votes, special, registered)
    night.arrivals.sort(key=lambda a: a.at)
    night.resolutions.sort(key=lambda r: r.at)
    return night


def _arrival_times(score: np.ndarray) -> np.ndarray:
    n = len(score)
    rank = np.empty(n)
    rank[np.argsort(score, kind="stable")] = np.arange(n) / max(n - 1, 1)
    qs = [q for q, _ in ARRIVAL_CURVE]
    ts = [t.timestamp() for _, t in ARRIVAL_CURVE]
    return np.floor(np.interp(rank, qs, ts))


class _VoteModel:
    """Turnout and shares per table: entity lean, local effects and noise."""

    def __init__(self, rng: np.random.Generator, geo: _Geo, registered: np.ndarray):
        self.rng = rng
        n = len(geo.tables)
        entity = np.array(geo.entity)
        lean = np.array([ENTITIES[e].si_lean / 100 for e in entity])
        local_lean = rng.normal(0, 0.05, len(geo.areas))[np.array(geo.parroquia)]
        centre_lean = rng.normal(0, 0.025, len(geo.centres))[np.array(geo.centre)]
        self.si = np.clip(lean + local_lean + centre_lean + rng.normal(0, 0.015, n), 0.08, 0.92)
        self.si_b = np.clip(self.si - 0.004 + rng.normal(0, 0.006, n), 0.05, 0.95)
        self.null = np.clip(rng.normal(0.013, 0.004, n), 0.002, 0.04)
        self.null_b = np.clip(self.null + 0.003 + rng.normal(0, 0.002, n), 0.002, 0.05)
        entity_turnout = rng.normal(0, 0.04, len(ENTITIES))[entity]
        self.turnout = np.clip(0.58 + entity_turnout + rng.normal(0, 0.06, n), 0.3, 0.85)
        self.registered = registered

    def shares(self, contest: str) -> np.ndarray:
        si, null = (self.si, self.null) if contest == "A" else (self.si_b, self.null_b)
        return np.column_stack([null, (1 - null) * si, (1 - null) * (1 - si)])

    def free(self, contest: str) -> np.ndarray:
        """Votes (null, SI, NO) per table drawn from the model, not fitted to any total."""
        cast = np.floor(self.registered * self.turnout).astype(np.int64)
        shares = self.shares(contest)
        out = np.zeros((len(cast), 3), dtype=np.int64)
        out[:, 0] = np.floor(cast * shares[:, 0])
        out[:, 1] = np.floor(cast * shares[:, 1])
        out[:, 2] = cast - out[:, 0] - out[:, 1]
        return out


def _special_tables(rng: np.random.Generator, early: np.ndarray) -> dict[str, np.ndarray]:
    """Pick the tables whose actas go wrong during the night."""
    n = len(early)
    picked = np.zeros(n, dtype=bool)

    def choose(count: int, pool: np.ndarray) -> np.ndarray:
        candidates = np.flatnonzero(pool & ~picked)
        chosen = rng.choice(candidates, size=min(count, len(candidates)), replace=False)
        mask = np.zeros(n, dtype=bool)
        mask[chosen] = True
        picked[chosen] = True
        return mask

    return {"quarantine": choose(36, early), "over_register": choose(6, early),
            "conflict": choose(18, early), "duplicate": choose(40, np.ones(n, dtype=bool))}


def _record(table: str, contest: str, row: np.ndarray) -> dict:
    null, si, no = (int(v) for v in row)
    return {"table": table, "contest": contest, "votes": {"SI": si, "NO": no}, "null": null,
            "ballots_cast": null + si + no}


def _arrivals(night: Night, rng, geo: _Geo, arrival: np.ndarray, votes: dict, special: dict,
              registered: np.ndarray) -> None:
    utc = dt.timezone.utc
    for i, table in enumerate(geo.tables):
        at = dt.datetime.fromtimestamp(arrival[i], utc)
        for contest in ("A", "B"):
            record = _record(table.code, contest, votes[contest][i])
            sent = at
            if special["quarantine"][i] or special["over_register"][i]:
                _quarantined(night, rng, record, sent, int(registered[i]), bool(special["over_register"][i]))
            else:
                night.arrivals.append(Arrival(sent, record))
            if special["conflict"][i]:
                _conflicting(night, rng, record, sent)
            if special["duplicate"][i]:
                again = sent + dt.timedelta(minutes=int(rng.integers(5, 90)))
                night.arrivals.append(Arrival(again, record, "sent again"))


def _quarantined(night: Night, rng, record: dict, sent: dt.datetime, registered: int, over: bool) -> None:
    bad = {**record, "votes": dict(record["votes"])}
    if over:
        extra = registered + int(rng.integers(3, 40)) - record["ballots_cast"]
        bad["votes"]["NO"] += extra
        bad["ballots_cast"] += extra
        note = "ballots cast above the register (votes of another table keyed in)"
    else:
        bad["ballots_cast"] += int(rng.integers(1, 12))
        note = "ballots cast miscounted at the table"
    night.arrivals.append(Arrival(sent, bad, note))
    fixed_at = sent + dt.timedelta(hours=float(rng.uniform(1.5, 4.0)))
    night.arrivals.append(Arrival(fixed_at, record, "corrected acta from the municipal board"))
    resolve_at = max(fixed_at + dt.timedelta(minutes=45), local(3, 1, 30))
    night.resolutions.append(Resolution(resolve_at, record["table"], record["contest"],
                                        "last", "paper acta checked by the municipal board; corrected copy counts"))


def _conflicting(night: Night, rng, record: dict, sent: dt.datetime) -> None:
    other = {**record, "votes": dict(record["votes"])}
    moved = int(rng.integers(2, 12))
    other["votes"]["SI"] += moved
    other["votes"]["NO"] -= moved
    second = sent + dt.timedelta(minutes=int(rng.integers(20, 240)))
    night.arrivals.append(Arrival(second, other, "second transmission with different figures"))
    keep_first = rng.random() < 0.67
    reason = ("paper acta confirms the first transmission; the second was keyed wrongly" if keep_first
              else "paper acta confirms the second transmission; the first was keyed wrongly")
    night.resolutions.append(Resolution(max(second, local(3, 2, 15)) + dt.timedelta(minutes=30), record["table"],
                                        record["contest"], "first" if keep_first else "last", reason))


# What the pages call each level, per language ([levels.<level>] name = {…} in a definition file).
LEVEL_NAMES = {
    "país": {"es": "país", "en": "country", "pt_BR": "país", "de_CH": "Land"},
    "estado": {"es": "estado", "en": "state", "pt_BR": "estado", "de_CH": "Bundesstaat"},
    "municipio": {"es": "municipio", "en": "municipality", "pt_BR": "município", "de_CH": "Gemeinde"},
    "parroquia": {"es": "parroquia", "en": "parish", "pt_BR": "paróquia", "de_CH": "Pfarrbezirk"},
}


def _election(geo: _Geo) -> Election:
    options = (Option("SI", "Sí"), Option("NO", "No"))
    return Election(
        name="Referendo de Reforma Constitucional 2007 (noche de demostración)", date=dt.date(2007, 12, 2),
        time_zone="America/Caracas", polls_open=dt.time(6, 0), polls_close=dt.time(16, 0), locale="es_VE",
        percent_rule=PercentRule("truncate", 2), abstention_basis="whole_register", extra_voters_allowed=0,
        # As in 2007: more than half of the valid votes, no quorum.
        contests=(Contest("A", "Bloque A", options, rule=Rule("referendum")),
                  Contest("B", "Bloque B", options, rule=Rule("referendum"))),
        levels=("país", "estado", "municipio", "parroquia"), areas=tuple(geo.areas), centres=tuple(geo.centres),
        tables=tuple(geo.tables), extra={"map": "ven-admin1", "demo": True, "level_names": LEVEL_NAMES},
        # The CNE's policy: nothing before the polls close, and a first bulletin only once most tables are
        # counted (bulletin 1, at 01:07, had 88 %: it releases the night).
        publication=Policy("last_polls_close", "85 % of tables counted"))


def _geography(rng: np.random.Generator) -> _Geo:
    geo = _Geo()
    geo.areas.append(Area("VE", "Venezuela", 0, None))
    entity_registered = apportion(TOTAL_REGISTERED, np.array([e.registered_k for e in ENTITIES]))
    for e, entity in enumerate(ENTITIES):
        geo.areas.append(Area(entity.code, entity.name, 1, "VE"))
        _entity(rng, geo, e, int(entity_registered[e]))
    return geo


def _entity(rng, geo: _Geo, e: int, registered: int) -> None:
    entity = ENTITIES[e]
    names = KNOWN_MUNICIPIOS.get(entity.code) or tuple(rng.choice(MUNICIPIO_NAMES, entity.municipios, replace=False))
    per_municipio = _split_count(rng, entity.parroquias, entity.municipios)
    weights = rng.gamma(2.0, 1.0, entity.parroquias)
    parroquia_registered = apportion(registered, weights)
    p = 0
    for m in range(entity.municipios):
        m_code = f"{entity.code}-{m + 1:02d}"
        geo.areas.append(Area(m_code, str(names[m]), 2, entity.code))
        known = KNOWN_PARISHES.get((entity.code, m))
        p_names = known or tuple(rng.choice(PARROQUIA_NAMES, per_municipio[m], replace=False))
        for k in range(per_municipio[m]):
            code = f"{m_code}-{k + 1:02d}"
            geo.areas.append(Area(code, str(p_names[k]), 3, m_code))
            _parroquia(rng, geo, e, len(geo.areas) - 1, code, int(parroquia_registered[p]))
            p += 1


def _split_count(rng, total: int, parts: int) -> list[int]:
    """``total`` items into ``parts`` groups of at least one."""
    extra = apportion(total - parts, rng.gamma(1.5, 1.0, parts)) if total > parts else np.zeros(parts, int)
    return [1 + int(x) for x in extra]


def _parroquia(rng, geo: _Geo, e: int, area_index: int, code: str, registered: int) -> None:
    urban = ENTITIES[e].speed > 0.3
    size = rng.uniform(520, 620) if urban else rng.uniform(330, 520)
    n_tables = max(1, round(registered / size))
    table_registered = apportion(registered, rng.uniform(0.75, 1.25, n_tables))
    t = 0
    c = 0
    while t < n_tables:
        width = min(n_tables - t, int(rng.integers(1, 5 if not urban else 7)))
        c += 1
        centre_code = f"{code}-{c:03d}"
        name = f"{rng.choice(CENTRE_KINDS)} {rng.choice(CENTRE_PATRONS)}"
        geo.centres.append(Centre(centre_code, name, code))
        for k in range(width):
            geo.tables.append(Table(f"{centre_code}-{k + 1}", centre_code, int(table_registered[t]), ("A", "B")))
            geo.entity.append(e)
            geo.parroquia.append(area_index)
            geo.centre.append(len(geo.centres) - 1)
            t += 1

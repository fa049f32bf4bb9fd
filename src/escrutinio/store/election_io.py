"""Write an Election into the store's tables and read it back."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain.model import Area, Centre, Contest, Election, Option, Rule, Table
from ..domain.percent import PercentRule
from ..domain.publication import Policy
from . import schema


@dataclass(frozen=True)
class Ids:
    """Database ids by code."""

    contest: dict[str, int]
    area: dict[str, int]
    centre: dict[str, int]
    table: dict[str, int]


def _settings(election: Election) -> str:
    return json.dumps({
        "date": election.date.isoformat(), "time_zone": election.time_zone,
        "polls_open": election.polls_open.isoformat(), "polls_close": election.polls_close.isoformat(),
        "locale": election.locale, "percent_rule": election.percent_rule.method,
        "percent_decimals": election.percent_rule.decimals, "abstention_basis": election.abstention_basis,
        "extra_voters_allowed": election.extra_voters_allowed, "levels": list(election.levels),
        "extra": election.extra, "require_signatures": election.require_signatures,
        **({"id": election.id} if election.id else {}), **({"drill": True} if election.drill else {}),
        # Rules, option extras and cantonal weights live here: one JSON column, no schema change for them.
        "rules": {c.code: c.rule.as_dict() for c in election.contests if c.rule != Rule()},
        "option_extras": {c.code: {o.code: o.extras() for o in c.options if o.extras()}
                          for c in election.contests if any(o.extras() for o in c.options)},
        "weights": {a.code: a.weight for a in election.areas if a.weight is not None},
        "publication": election.publication.as_dict(),
    }, ensure_ascii=False, sort_keys=True)


def save(conn: Connection, election: Election, now: dt.datetime) -> None:
    conn.execute(schema.election.insert().values(id=1, name=election.name, settings=_settings(election),
                                                 created_at=now))
    contest_ids = {}
    for position, contest in enumerate(election.contests):
        cid = conn.execute(schema.contest.insert().values(code=contest.code, name=contest.name,
                                                          blank=contest.blank, position=position)
                           ).inserted_primary_key[0]
        contest_ids[contest.code] = cid
        conn.execute(schema.option.insert(), [{"contest_id": cid, "code": o.code, "name": o.name, "position": i}
                                              for i, o in enumerate(contest.options)])
    area_ids = {a.code: i for i, a in enumerate(sorted(election.areas, key=lambda a: a.level), 1)}
    conn.execute(schema.area.insert(), [
        {"id": area_ids[a.code], "code": a.code, "name": a.name, "level": a.level,
         "parent_id": area_ids[a.parent] if a.parent else None}
        for a in sorted(election.areas, key=lambda a: a.level)])
    centre_ids = {c.code: i for i, c in enumerate(election.centres, 1)}
    conn.execute(schema.centre.insert(), [
        {"id": centre_ids[c.code], "code": c.code, "name": c.name, "area_id": area_ids[c.area]}
        for c in election.centres])
    conn.execute(schema.polling_table.insert(), [
        {"id": i, "code": t.code, "centre_id": centre_ids[t.centre], "registered": t.registered,
         "contests": ";".join(t.contests)} for i, t in enumerate(election.tables, 1)])


def load(conn: Connection) -> tuple[Election, Ids]:
    head = conn.execute(sa.select(schema.election)).one()
    settings = json.loads(head.settings)
    contests, contest_ids = _load_contests(conn, settings)
    area_rows = conn.execute(sa.select(schema.area).order_by(schema.area.c.id)).all()
    area_code = {r.id: r.code for r in area_rows}
    weights = settings.get("weights", {})
    areas = tuple(Area(r.code, r.name, r.level, area_code.get(r.parent_id), weights.get(r.code)) for r in area_rows)
    centre_rows = conn.execute(sa.select(schema.centre).order_by(schema.centre.c.id)).all()
    centre_code = {r.id: r.code for r in centre_rows}
    centres = tuple(Centre(r.code, r.name, area_code[r.area_id]) for r in centre_rows)
    table_rows = conn.execute(sa.select(schema.polling_table).order_by(schema.polling_table.c.id)).all()
    tables = tuple(Table(r.code, centre_code[r.centre_id], r.registered, tuple(r.contests.split(";")))
                   for r in table_rows)
    election = Election(
        name=head.name, date=dt.date.fromisoformat(settings["date"]), time_zone=settings["time_zone"],
        polls_open=dt.time.fromisoformat(settings["polls_open"]),
        polls_close=dt.time.fromisoformat(settings["polls_close"]), locale=settings["locale"],
        percent_rule=PercentRule(settings["percent_rule"], settings["percent_decimals"]),
        abstention_basis=settings["abstention_basis"], extra_voters_allowed=settings["extra_voters_allowed"],
        contests=contests, levels=tuple(settings["levels"]), areas=areas, centres=centres, tables=tables,
        extra=settings.get("extra", {}), require_signatures=settings.get("require_signatures", True),
        id=settings.get("id"), drill=bool(settings.get("drill", False)),
        publication=Policy.from_dict(settings.get("publication")))
    ids = Ids(contest=contest_ids, area={r.code: r.id for r in area_rows},
              centre={r.code: r.id for r in centre_rows}, table={r.code: r.id for r in table_rows})
    return election, ids


def _load_contests(conn: Connection, settings: dict) -> tuple[tuple[Contest, ...], dict[str, int]]:
    rows = conn.execute(sa.select(schema.contest).order_by(schema.contest.c.position)).all()
    code_of = {r.id: r.code for r in rows}
    extras = settings.get("option_extras", {})
    options: dict[int, list[Option]] = {}
    for r in conn.execute(sa.select(schema.option).order_by(schema.option.c.contest_id, schema.option.c.position)):
        more = extras.get(code_of.get(r.contest_id), {}).get(r.code, {})
        options.setdefault(r.contest_id, []).append(Option(r.code, r.name, **more))
    rules = settings.get("rules", {})
    contests = tuple(Contest(r.code, r.name, tuple(options.get(r.id, [])), r.blank, Rule(**rules.get(r.code, {})))
                     for r in rows)
    return contests, {r.code: r.id for r in rows}

"""The publication policy on the night: is the public allowed to see figures yet, and what it sees until then.

The rules are in :mod:`escrutinio.domain.publication`. The night is released once,
for good, by a ``release`` leaf in the public log: written with the first bulletin the
policy allows, or with an administrator's override and its reason. Until then every
public page and API shows transmission progress without a figure; bulletins may be
published *held* (stored for the authority, not public).
"""

from __future__ import annotations

import datetime as dt
import json
import weakref
from zoneinfo import ZoneInfo

from ..domain.bulletin import Bulletin
from ..domain.canonical import canonical_json
from ..domain.model import Election
from ..domain.publication import Policy, Readiness, polls_close_at, publish_after_at, readiness
from ..store import Connection, Store
from .clock import now_utc
from .log import leaf_hash

RELEASE = "release"
# id(election) -> (a weak reference to it, its last polls close): by identity, since hashing an Election
# would hash every table of the night
_closes: dict[int, tuple[weakref.ref, dt.datetime]] = {}


def last_polls_close(election: Election) -> dt.datetime:
    """The latest moment polls close in any area (each in its own time zone)."""
    kept = _closes.get(id(election))
    if kept is None or kept[0]() is not election:
        kept = _closes[id(election)] = (weakref.ref(election), _last_close(election))
    return kept[1]


def _last_close(election: Election) -> dt.datetime:
    policy = election.publication
    lineages = [[a.code for a in election.lineage(area.code)] for area in election.areas
                if not election.children[area.code][0]]  # the areas with no areas below them
    closes = [polls_close_at(election.date, election.polls_close, election.time_zone, policy, lineage)
              for lineage in lineages or [[]]]
    return max(closes)


def publish_after(election: Election) -> dt.datetime | None:
    return publish_after_at(election.publication, election.date, election.time_zone, last_polls_close(election))


def release_record(store: Store, conn: Connection | None = None) -> dict | None:
    """The night's release (bulletin, override, operator, reason, at), or None while figures are held."""
    leaves = store.log_leaves_of(RELEASE, 0, conn)
    return json.loads(leaves[0]["data"]) if leaves else None


def is_public(store: Store, now: dt.datetime | None = None, conn: Connection | None = None) -> bool:
    """May the public see figures now?"""
    policy = store.election().publication
    if not policy.embargoed:
        return True
    # Asked again each time (one indexed read): a drill's reset clears the log, and the release with it.
    if policy.first_bulletin_when is None and (now or now_utc()) >= publish_after(store.election()):
        return True
    return bool(store.log_leaves_of(RELEASE, 0, conn))


def check_release(store: Store, conn: Connection, bulletin: Bulletin, now: dt.datetime) -> Readiness | None:
    """None if the night is already public; else whether this bulletin may be released now."""
    if is_public(store, now, conn):
        return None
    election = store.election()
    results = bulletin.root["results"]
    counted = [(r["tables"]["counted"], r["tables"]["expected"]) for r in results.values()]
    decided = [bool(r["decided"].get("decided")) for r in results.values()]
    return readiness(election.publication, publish_after(election), now, counted, decided)


def release_leaf(number: int, *, override: bool, operator: str, reason: str,
                 at: dt.datetime) -> tuple[str, int, bytes, bytes]:
    """The log leaf that makes the night public: by the policy, or by an administrator's override."""
    data = canonical_json({"kind": RELEASE, "bulletin": number, "override": override, "operator": operator,
                           "reason": reason, "at": at.astimezone(dt.timezone.utc).isoformat()})
    return RELEASE, 0, data, leaf_hash(data)


def state(store: Store, now: dt.datetime | None = None) -> dict:
    """The policy and where the night stands: for the public pages, the API and the CLI."""
    election = store.election()
    policy: Policy = election.publication
    now = now or now_utc()
    after = publish_after(election)
    close = last_polls_close(election)
    release = release_record(store)
    return {"public": is_public(store, now), "publish_after": policy.publish_after,
            "publish_after_at": after.isoformat() if after else None,
            "first_bulletin_when": policy.first_bulletin_when, "last_polls_close": close.isoformat(),
            "since_polls_closed_seconds": max(0, int((now - close).total_seconds())) if now >= close else None,
            "release": release, "time_zone": election.time_zone,
            "now_local": now.astimezone(ZoneInfo(election.time_zone)).isoformat()}


# -- transmission progress: what the public sees while figures are held (and after) -----------------

_progress: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # store -> (acta marks, rows)


def progress(store: Store, now: dt.datetime | None = None) -> dict:
    """Tables transmitted, counted and pending in the whole country and each first-level area, with the
    policy and the time since polls closed: never a vote count.

    A table is *transmitted* once any of its actas has arrived, *counted* once an acta is counted for
    every contest on its ballot, *pending* while none has arrived.
    """
    with store.transaction() as conn:
        marks = store.acta_marks(conn)
        kept = _progress.get(store)
        if kept is None or kept[0] != marks:
            kept = _progress[store] = (marks, _tables_by_area(store.election(), store.slot_statuses(conn)))
    return {**state(store, now), "areas": kept[1]}


def _tables_by_area(election: Election, statuses) -> list[dict]:
    held: dict[str, dict[str, set[str]]] = {}
    for table, contest, status in statuses:
        held.setdefault(table, {}).setdefault(contest, set()).add(status)
    shown = [election.root] + [a for a in election.areas if a.level == 1]
    rows = {a.code: {"code": a.code, "name": a.name, "level": election.levels[a.level], "tables": 0,
                     "transmitted": 0, "counted": 0, "pending": 0} for a in shown}
    lineages: dict[str, list[str]] = {}
    for table in election.tables:
        if table.centre not in lineages:
            lineages[table.centre] = [n.code for n in election.lineage(table.centre) if n.code in rows]
        mine = held.get(table.code, {})
        counted = all("counted" in mine.get(c, ()) for c in table.contests)
        for code in lineages[table.centre]:
            row = rows[code]
            row["tables"] += 1
            row["transmitted" if mine else "pending"] += 1
            row["counted"] += counted
    return list(rows.values())

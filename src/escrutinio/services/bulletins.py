"""Tally the store and publish, read and compare bulletins."""

from __future__ import annotations

import datetime as dt
import json
import weakref
from dataclasses import dataclass

from ..domain.bulletin import Bulletin, build_bulletin, diff_bulletins
from ..domain.errors import PublicationHeld
from ..domain.tally import Tally, slot_state
from ..store import Connection, Store
from . import log, publication, timeline
from .clock import now_utc
from .comparison import projection_previous


def current_tally(store: Store, conn: Connection | None = None) -> Tally:
    """A tally of every acta in the store, as it stands (read whole): the packed counts of every acta, a column
    per contest (Store.acta_count_columns), set into the tally at once."""
    tally = Tally(store.election())
    for code, (tables, flags, counts) in store.acta_count_columns(conn).items():
        tally.contests[code].fill_columns(tables, flags, counts)
    return tally


@dataclass
class _Live:
    election: object
    tally: Tally
    marks: tuple[int, int]


_live: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def live_tally(store: Store, conn: Connection) -> tuple[Tally, tuple[int, int]]:
    """The store's tally, and the marks (last acta id, last event id) it has read up to.

    Kept in memory between calls; a process that has none yet starts from the counters the last
    bulletin was built from (or reads every acta, if there is no bulletin), then reads only the
    slots changed since. Call it inside ``store.log_writing()`` (every acta and every decision is
    written under that lock), so that what it returns is exactly what the log holds at that moment.
    """
    marks = store.acta_marks(conn)
    kept = _live.get(store)
    if kept is None or kept.election is not store.election():
        kept = _live[store] = _start(store, conn, marks)
    slots = store.changed_slots(conn, *kept.marks)
    kept.tally.set_many({slot: slot_state(held) for slot, held in store.slot_actas(conn, sorted(slots)).items()})
    kept.marks = marks
    return kept.tally, marks


def _start(store: Store, conn: Connection, marks: tuple[int, int]) -> _Live:
    saved = store.last_tally(conn)
    if saved is not None:
        header, _, data = saved.partition(b"\n")
        tally = Tally(store.election())
        tally.restore(data)
        return _Live(store.election(), tally, tuple(json.loads(header)["marks"]))
    return _Live(store.election(), current_tally(store, conn), marks)


def bulletin_tally(store: Store, number: int) -> Tally | None:
    """The tally bulletin ``number`` was built from (every table's counters), or None if it was not kept."""
    saved = store.bulletin_tally(number)
    if saved is None:
        return None
    tally = Tally(store.election())
    tally.restore(saved.partition(b"\n")[2])
    return tally


def _saved(tally: Tally, marks: tuple[int, int]) -> bytes:
    return json.dumps({"marks": list(marks)}).encode() + b"\n" + tally.table_bytes()


def publish_bulletin(store: Store, now: dt.datetime | None = None, *, hold: bool = False,
                     override: str | None = None, operator: str = "admin") -> Bulletin:
    """Snapshot the store as the next numbered bulletin, chained to the last one.

    Under a publication policy (docs/formats/election.md), the first bulletin the policy allows
    releases the night: its figures, and every bulletin's, become public. Before that, publishing
    is refused (PublicationHeld) unless ``hold`` (computed and stored for the authority, not public,
    no timeline entry) or ``override`` (an administrator's reason to release now, kept in the log).
    """
    when = now or now_utc()
    earlier = projection_previous(store)  # read before the write lock is taken (kept once per loaded election)
    with store.log_writing() as conn:
        head = store.last_bulletin_head(conn)
        number, previous = (head[0] + 1, head[1]) if head else (1, None)
        tree_head = log.signed_tree_head(store, conn, when)
        tally, marks = live_tally(store, conn)
        tally.check_roll_up()
        bulletin = build_bulletin(store.election(), tally, number, when, previous, log=tree_head,
                                  nodes=store.nodes(), entered=store.entered_tables(conn),
                                  previous=earlier)
        release = _release(store, conn, bulletin, when, hold=hold, override=override, operator=operator)
        store.add_bulletin(conn, bulletin, when, tally=_saved(tally, marks))
        store.append_log(conn, [log.bulletin_leaf(number, bulletin.hash)] + release, when)
        if publication.is_public(store, when, conn) or release:
            timeline.bulletin_entry(store, conn, bulletin, when)
    return bulletin


def _release(store: Store, conn: Connection, bulletin: Bulletin, when: dt.datetime, *, hold: bool,
             override: str | None, operator: str) -> list:
    """The release leaf this bulletin writes, if it releases the night; [] if public already or held."""
    ready = publication.check_release(store, conn, bulletin, when)
    if ready is None:
        return []
    if ready.allowed:
        return [publication.release_leaf(bulletin.number, override=False, operator="policy", reason=ready.reason,
                                          at=when)]
    if override is not None and override.strip():
        return [publication.release_leaf(bulletin.number, override=True, operator=operator,
                                          reason=f"{override.strip()} (the policy said: {ready.reason})", at=when)]
    if hold:
        return []
    raise PublicationHeld(f"bulletin {bulletin.number} not published under the publication policy: {ready.reason}. "
                          "Publish it held for the "
                          "authority (`bulletin publish --hold`), or release it now with an administrator's "
                          "reason (`bulletin publish --override --reason TEXT`, logged in the public log)")


def get_bulletin(store: Store, number: int | None = None) -> Bulletin:
    """Bulletin ``number``, or the latest if None."""
    if number is None:
        head = store.last_bulletin_head()
        if head is None:
            from ..domain.errors import NotFound

            raise NotFound("bulletin", "latest (none published yet)")
        number = head[0]
    return store.bulletin(number)


def list_bulletins(store: Store) -> list[dict]:
    return store.bulletin_heads()


def compare_bulletins(store: Store, old: int, new: int, areas: set[str] | None = None) -> list[dict]:
    return diff_bulletins(store.bulletin(old), store.bulletin(new), areas)

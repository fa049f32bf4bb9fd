"""Tally the store and publish, read and compare bulletins."""

from __future__ import annotations

import datetime as dt

from ..domain.bulletin import Bulletin, build_bulletin, diff_bulletins
from ..domain.model import COUNTED, CONFLICTING, QUARANTINED, ActaRecord
from ..domain.tally import SlotState, Tally
from ..store import Connection, Store
from . import log, timeline
from .clock import now_utc


def slot_states(records: list[ActaRecord]) -> dict[tuple[str, str], SlotState]:
    """What each (table, contest) holds, from all its stored actas."""
    grouped: dict[tuple[str, str], list[ActaRecord]] = {}
    for record in records:
        grouped.setdefault((record.acta.table, record.acta.contest), []).append(record)
    return {slot: slot_state(held) for slot, held in grouped.items()}


def slot_state(held: list[ActaRecord]) -> SlotState:
    counted = next((r.acta for r in held if r.status == COUNTED), None)
    return SlotState(counted=counted, received=bool(held),
                     quarantined=any(r.status == QUARANTINED for r in held),
                     conflict=any(r.status == CONFLICTING for r in held))


def current_tally(store: Store, conn: Connection | None = None) -> Tally:
    """A tally of every acta in the store, as it stands."""
    grouped: dict[tuple[str, str], list] = {}
    for table, contest, status, acta in store.acta_states(conn):
        slot = grouped.setdefault((table, contest), [None, False, False])
        if acta is not None:
            slot[0] = acta
        slot[1] |= status == QUARANTINED
        slot[2] |= status == CONFLICTING
    tally = Tally(store.election())
    tally.load({key: SlotState(counted=counted, received=True, quarantined=quarantined, conflict=conflict)
                for key, (counted, quarantined, conflict) in grouped.items()})
    return tally


def publish_bulletin(store: Store, now: dt.datetime | None = None) -> Bulletin:
    """Snapshot the store as the next numbered bulletin, chained to the last one."""
    when = now or now_utc()
    with store.log_writing() as conn:
        head = store.last_bulletin_head(conn)
        number, previous = (head[0] + 1, head[1]) if head else (1, None)
        tree_head = log.signed_tree_head(store, conn, when)
        bulletin = build_bulletin(store.election(), current_tally(store, conn), number, when, previous,
                                  log=tree_head)
        store.add_bulletin(conn, bulletin, when)
        store.append_log(conn, [log.bulletin_leaf(number, bulletin.hash)], when)
        timeline.bulletin_entry(store, conn, bulletin, when)
    return bulletin


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

"""Keeping a store: resetting a drill, backups and restores.

A drill (``escrutinio init --drill``) is a rehearsal night with the real definition and keys. Its
reset empties the night (actas, decisions, bulletins, the log, the timeline, reports) and keeps the
definition, the table keys, the authority's key, the operators' tokens and the observers; the log
starts afresh, as a new election's would: the election at position 0, then the tables' keys as
registered now. A real night is never reset: its log is the public record.
"""

from __future__ import annotations

import datetime as dt

from ..domain.errors import UpkeepRefused
from ..store import Store, upkeep
from . import keys as table_keys
from . import log, published
from .clock import now_utc


def reset_drill(store: Store, *, confirmed: bool, now: dt.datetime | None = None) -> dict[str, int]:
    """Clear a drill's night (see the module's docstring); rows deleted per table. ``confirmed``: the
    operator said yes (``--yes``); nothing is done otherwise."""
    election = store.election()
    if not election.drill:
        raise UpkeepRefused("this store holds a real night, not a drill: its log is the public record and is "
                            "never cleared (only a store made with `escrutinio init --drill` can be reset)")
    if not confirmed:
        raise UpkeepRefused("a reset deletes every acta, bulletin and log leaf of the drill; say --yes to do it")
    when = now or now_utc()
    codes = [t.code for t in election.tables]
    with store.log_writing() as conn:
        deleted = upkeep.clear_night(conn)
        held = store.held_keys(conn, codes)
        tables = sorted(held)
        step = table_keys.KEYS_PER_LEAF
        store.append_log(conn, [log.election_leaf(published.geography_of(election))]
                         + [log.keys_leaf({t: held[t] for t in tables[i:i + step]}) for i in range(0, len(tables), step)],
                         when)
    _forget(store)
    return deleted


def _forget(store: Store) -> None:
    """Drop what this process holds in memory of the store's night (another process must be restarted)."""
    from . import bulletins, intake
    for cache in (log._logs, bulletins._live, intake._verifiers):
        cache.pop(store, None)
    store.forget_night()

"""Keeping a store: resetting a drill, backups and restores.

A backup is a consistent copy taken while the night goes on: SQLite's online backup API for a SQLite
store, pg_dump (custom format) for PostgreSQL; it restores into a new, empty store, on which
``escrutinio verify`` passes as on the original. The authority's key file is not in it (keep it apart).

A drill (``escrutinio init --drill``) is a rehearsal night with the real definition and keys. Its
reset empties the night (actas, decisions, bulletins, the log, the timeline, reports) and keeps the
definition, the table keys, the authority's key, the operators' tokens and the observers; the log
starts afresh, as a new election's would: the election at position 0, then the tables' keys as
registered now. A real night is never reset: its log is the public record.
"""

from __future__ import annotations

import datetime as dt
import shlex
import shutil
import subprocess
from pathlib import Path

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


def backup(store: Store, out: str | Path) -> str:
    """A consistent copy of the store in ``out``, taken while it runs; says what was done.

    SQLite: SQLite's online backup API (one state of the store, writers not stopped). PostgreSQL: pg_dump
    in its custom format (one snapshot, writers not stopped), if it is installed; UpkeepRefused saying
    the exact command to run otherwise.
    """
    out = Path(out)
    if out.exists():
        raise UpkeepRefused(f"{out} already exists: a backup never writes over a file")
    path = upkeep.sqlite_path(store.engine)
    if path is not None:
        upkeep.backup_sqlite(path, out)
        return f"SQLite online backup of {path}"
    if store.engine.dialect.name != "postgresql":
        raise UpkeepRefused("backups are made of SQLite files and PostgreSQL databases only")
    command = pg_dump_command(store.url, out)
    if shutil.which("pg_dump") is None:
        raise UpkeepRefused("pg_dump is not installed here; on a machine that has it (the same major version as "
                            f"the server), run: {shlex.join(command)}")
    _run(command)
    return "pg_dump (custom format) of the PostgreSQL store"


def pg_dump_command(url: str, out: Path) -> list[str]:
    target, schema = upkeep.postgresql_target(url)
    return ["pg_dump", "--format=custom", "--no-owner", *(["--schema", schema] if schema else []), "--file", str(out),
            target]


def pg_restore_command(url: str, backup_file: Path) -> list[str]:
    target, _ = upkeep.postgresql_target(url)
    return ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", target, str(backup_file)]


def restore(backup_file: str | Path, url: str) -> str:
    """Restore a backup made by :func:`backup` into the new, empty store at ``url``; says what was done.

    A SQLite backup goes into a new SQLite file; a pg_dump into an empty PostgreSQL database (pg_restore,
    which recreates the schema the dump names). Then run ``escrutinio verify --db URL`` on it.
    """
    backup_file = Path(backup_file)
    if not backup_file.is_file():
        raise UpkeepRefused(f"no backup file {backup_file}")
    kind = upkeep.backup_kind(backup_file)
    if kind is None:
        raise UpkeepRefused(f"{backup_file} is neither a SQLite backup nor a pg_dump in custom format")
    backend, database = upkeep.backend_of(url)
    if kind == "sqlite":
        if backend != "sqlite" or not database or database == ":memory:":
            raise UpkeepRefused("a SQLite backup restores into a new SQLite file (--db sqlite:///PATH)")
        target = Path(database)
        if target.exists() and target.stat().st_size:
            raise UpkeepRefused(f"{target} already exists: restore into a new file")
        upkeep.restore_sqlite(backup_file, str(target))
        return f"restored {backup_file} into {target}"
    if backend != "postgresql":
        raise UpkeepRefused("a pg_dump restores into an empty PostgreSQL database (--db postgresql+psycopg://…)")
    command = pg_restore_command(url, backup_file)
    if shutil.which("pg_restore") is None:
        raise UpkeepRefused(f"pg_restore is not installed here; run: {shlex.join(command)}")
    _run(command)
    return f"restored {backup_file} with pg_restore"


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise UpkeepRefused(f"{command[0]} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")

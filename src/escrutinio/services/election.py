"""Open a store and create an election in it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from pathlib import Path

from ..domain.model import Election
from ..intake.definition import load_definition
from ..store import Store, election_io
from . import authority, log, published
from .clock import now_utc
from .keys import read_keys, register_keys

DEFAULT_URL = "sqlite:///escrutinio.db"


def open_store(url: str | None = None, *, migrate: bool = True, writable: bool = False) -> Store:
    """Open (and by default migrate) the store at ``url``; SQLite file ./escrutinio.db if none.

    ``writable``: first make sure the store can be written (StoreUnavailable, saying why, if not),
    as a server taking actas must before it starts.
    """
    store = Store(url or DEFAULT_URL)
    try:
        if writable:
            store.check_writable_files()
        if migrate:
            store.migrate()
        if writable:
            store.check_writable()
    except BaseException:
        store.close()
        raise
    return store


def new_election_id() -> str:
    """A random identifier for a night (a UUID, version 4): no two elections, a drill and its real night
    included, share one, so an acta signed for one is refused by the other."""
    return str(uuid.uuid4())


def init_election(store: Store, definition: str | Path | Election, now: dt.datetime | None = None, *,
                  drill: bool = False, authority_key_file: str | Path | None = None) -> Election:
    """Create the election from a definition file (every problem listed) or an Election.

    It gets a new random identifier (an Election that already has one keeps it), inside every acta its
    tables sign; ``drill`` makes it a rehearsal night, flagged as such everywhere it is shown.
    ``authority_key_file``: the authority's private key is kept in that file (read if it exists, made
    there if not; mode 0600), never in the database (services.authority).
    """
    election = definition if isinstance(definition, Election) else load_definition(definition)
    if authority_key_file and Path(authority_key_file).exists():
        authority.read_key_file(authority_key_file)  # refused before anything is created
    election = dataclasses.replace(election, id=election.id or new_election_id(), drill=drill or election.drill)
    keys_file = election.extra.get("keys_file") if isinstance(election.extra, dict) else None
    keys = read_keys(keys_file, election) if keys_file else {}
    when = now or now_utc()
    with store.log_writing() as conn:
        store.save_election(conn, election, when)
        # Position 0 of the log: the geography exactly as it will be published (read back as stored).
        stored, _ = election_io.load(conn)
        store.append_log(conn, [log.election_leaf(published.geography_of(stored))], when)
    if authority_key_file:
        authority.set_up(store, authority_key_file, when)
    if keys:
        register_keys(store, keys, now)
    return store.election()


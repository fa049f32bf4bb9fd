"""Observers: import the accreditation registry, count it for the public, give observers tokens.

An import checks every row (and phones or accreditations given twice) before
it writes anything: one problem and nothing is imported, and the report lists
them all. Public figures are counts per kind and organisation, never a name or
a phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..domain.errors import NotFound, ObservationRejected, Problem
from ..domain.observation import (ACCREDITED, KINDS, OBSERVER_STATUSES, Observer, check_observer, phones_of,
                                  tables_in_scope)
from ..intake.observers import read_observers
from ..store import Store
from . import tokens
from .clock import now_utc


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int


def import_observers(store: Store, path: str | Path) -> ImportReport:
    """Add or update (by accreditation number) every observer of the CSV file at ``path``."""
    election = store.election()
    observers, keys, problems = [], [], []
    for n, fields, found in read_observers(path):
        if fields is not None:
            observer, found = check_observer(fields, election)
            found = [p.located(str(path), n) for p in found]
            if observer:
                observers.append(observer)
            keys.append((n, fields["accreditation"].strip(), phones_of(fields.get("phones", ""))))
        problems += found
    problems += _clashes(store, keys, str(path))
    if problems:
        raise ObservationRejected(f"{path}: {len(problems)} problem(s); no observer was imported", problems)
    now, created = now_utc(), 0
    with store.transaction() as conn:
        for observer in observers:
            created += store.put_observer(conn, observer, now)
    return ImportReport(created, len(observers) - created)


def _clashes(store: Store, keys: list[tuple[int, str, list[str]]], source: str) -> list[Problem]:
    """Accreditations twice in the file; phones twice, or already another observer's (every row, even
    one with problems of its own, so that one pass lists everything)."""
    problems, rows, phones = [], {}, {}
    owners = store.phone_owners()
    for n, accreditation, row_phones in keys:
        if accreditation in rows:
            problems.append(Problem("accreditation", f"accreditation {accreditation!r} is also on row "
                                    f"{rows[accreditation]}", "keep one row per observer", source, n))
        rows.setdefault(accreditation, n)
        for phone in row_phones:
            if phone in phones and phones[phone][1] != accreditation:
                problems.append(Problem("phones", f"phone +{phone} is also on row {phones[phone][0]}",
                                        "give each phone to one observer", source, n))
            elif owners.get(phone, accreditation) != accreditation:
                problems.append(Problem("phones", f"phone +{phone} already belongs to observer {owners[phone]!r}",
                                        "give each phone to one observer, or change that observer first", source, n))
            phones.setdefault(phone, (n, accreditation))
    return problems


def summary(store: Store) -> dict:
    """Accredited observers per kind and per organisation: counts only, no name, no phone."""
    kinds = dict.fromkeys(KINDS, 0)
    statuses = dict.fromkeys(OBSERVER_STATUSES, 0)
    organisations: dict[tuple[str, str], int] = {}
    for kind, organisation, status, count in store.observer_counts():
        statuses[status] = statuses.get(status, 0) + count
        if status == ACCREDITED:
            kinds[kind] = kinds.get(kind, 0) + count
            organisations[(organisation, kind)] = organisations.get((organisation, kind), 0) + count
    return {
        "accredited": statuses[ACCREDITED],
        "kinds": kinds,
        "organisations": [{"organisation": org, "kind": kind, "observers": n}
                          for (org, kind), n in sorted(organisations.items())],
        "statuses": statuses,
    }


def list_observers(store: Store) -> list[Observer]:
    return [o for _, o in store.observers()]


def create_observer_token(store: Store, accreditation: str) -> tuple[int, str]:
    """A token (role observer) that acts for one observer, within their assignment: (id, the token)."""
    observer_id = store.observer_id(accreditation)
    if observer_id is None:
        raise NotFound("observer", accreditation)
    _, observer = store.observer_by_id(observer_id)
    if observer.status != ACCREDITED:
        raise ObservationRejected(f"observer {accreditation!r} is {observer.status}", [Problem(
            "status", f"only accredited observers get tokens; this one is {observer.status}",
            "accredit the observer (status accredited) and import again")])
    token_id, secret = tokens.create_token(store, f"observer {accreditation}", "observer")
    with store.transaction() as conn:
        store.link_observer_token(conn, token_id, observer_id)
    return token_id, secret


def observer_of(store: Store, operator: dict) -> tuple[int, Observer] | None:
    """The observer a token acts for (from :func:`tokens.authenticate`), or None for other tokens."""
    observer_id = store.observer_of_token(operator["id"])
    return None if observer_id is None else store.observer_by_id(observer_id)


def check_in_scope(store: Store, observer: Observer, table: str) -> None:
    """Refuse a report about a table outside the observer's assignment (or from one not accredited)."""
    if observer.status != ACCREDITED:
        raise tokens.Forbidden(f"observer {observer.accreditation!r} is {observer.status}, not accredited")
    scope = tables_in_scope(store.election(), observer.assignment)
    if scope is not None and table not in scope:
        raise tokens.Forbidden(f"table {table!r} is outside observer {observer.accreditation!r}'s assignment "
                               f"({observer.assignment}); report only on the assigned tables")

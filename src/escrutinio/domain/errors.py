"""The one exception tree of escrutinio.

Every error that crosses a layer is one of these; the edges (``cli`` and
``web``) turn them into messages and status codes in one place each::

    EscrutinioError
     ├── DefinitionError      an election definition has problems (all listed)
     ├── ActaRejected         an acta broke a rule and was not stored
     ├── NotFound             a table, contest, area, acta or bulletin is unknown
     ├── ResolutionError      a conflict cannot be resolved as asked
 ├── ManualEntryRefused   a manual entry or a recount cannot be taken as asked (say, one operator twice)
     ├── NotInitialised       the database holds no election yet
     ├── AlreadyInitialised   the database already holds an election
     ├── WriteConflict        a concurrent writer stored the same row first; retry
     ├── StoreUnavailable     the database cannot be written or reached now; nothing was stored
     ├── EntryRejected        a timeline entry or comment has problems (all listed)
     ├── TimelineConflict     a timeline entry or comment cannot change as asked
     ├── ObservationRejected  an observer file, a report or a quick-count file has problems (all listed)
     │    └── MalformedWebhook  an SMS gateway's webhook body is not what that gateway sends
     ├── QuickCountError      a quick-count sample, size or estimate cannot be made as asked
     ├── PreviousRejected     a previous election's results file or mapping has problems (all listed)
     ├── KeyChangeRefused     a table's key cannot be registered or replaced as asked
     ├── UpkeepRefused        a reset, backup, restore or authority-key operation cannot be done as asked
     ├── PublicationHeld      the publication policy does not allow figures out yet; nothing was published
     └── FiguresHeld          a public page or route asked for figures the publication policy still holds
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and what the operator should do about it.

    ``source`` and ``row`` say where (a file and its 1-based data row, or a
    request); ``field`` names the column or key.
    """

    field: str
    message: str
    action: str
    source: str | None = None
    row: int | None = None

    def located(self, source: str | None, row: int | None) -> Problem:
        return Problem(self.field, self.message, self.action, source, row)

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.row:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        text = f"{self.message} — {self.action}"
        return f"{prefix}: {text}" if prefix else text


class EscrutinioError(Exception):
    """Base of every error escrutinio raises on purpose."""


class ProblemsError(EscrutinioError):
    """An error that carries a list of problems, every one of them."""

    def __init__(self, summary: str, problems: list[Problem]):
        self.problems = list(problems)
        lines = [summary] + [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class DefinitionError(ProblemsError):
    """The election definition has problems; nothing was created."""


class ActaRejected(ProblemsError):
    """An acta broke a rule that makes it unusable; it was not stored."""


class NotFound(EscrutinioError):
    """Something asked for by code or number does not exist."""

    def __init__(self, kind: str, key: object):
        self.kind = kind
        self.key = key
        super().__init__(f"no {kind} {key!r}")


class ResolutionError(EscrutinioError):
    """A conflict or quarantine cannot be resolved as asked."""


class ManualEntryRefused(EscrutinioError):
    """A manual entry or a recount cannot be taken as asked (the message says why; nothing was stored):
    say, the second entry of an acta by the operator who made the first."""


class NotInitialised(EscrutinioError):
    """The database has no election: run `escrutinio init` first."""


class AlreadyInitialised(EscrutinioError):
    """The database already holds an election."""


class WriteConflict(EscrutinioError):
    """A transaction broke a uniqueness rule of the store, usually because another writer
    committed the same row first; running the transaction again sees that row."""


class StoreUnavailable(EscrutinioError):
    """The database cannot be written or reached now (read-only, full, failing over, down).

    The transaction that met it was rolled back: nothing of it was stored or acknowledged.
    Sending the same thing again once the database is back is safe (actas are idempotent).
    """


class EntryRejected(ProblemsError):
    """A timeline entry, an edit or a comment has problems; nothing was stored."""


class TimelineConflict(EscrutinioError):
    """A timeline entry or comment cannot change as asked (say, an edit of a deleted entry)."""


class ObservationRejected(ProblemsError):
    """An observer file, an observer's report or a quick-count file has problems; nothing was stored."""


class MalformedWebhook(ObservationRejected):
    """An SMS gateway's webhook body is not what that gateway sends (HTTP 400); nothing was stored."""


class QuickCountError(EscrutinioError):
    """A quick-count sample, sample size or estimate cannot be made as asked (the message says why)."""


class PreviousRejected(ProblemsError):
    """A previous election's results file or its mapping has problems (all listed); nothing was stored."""


class KeyChangeRefused(EscrutinioError):
    """A table's key cannot be registered or replaced as asked: a registered key changes only by an
    explicit replacement, with its reason and operator on record."""


class UpkeepRefused(EscrutinioError):
    """A reset, backup, restore or authority-key operation cannot be done as asked (the message says why and
    what to do): a real night's log is never cleared, a private key file must be the owner's alone, …"""


class PublicationHeld(EscrutinioError):
    """The publication policy does not allow a bulletin out yet (the message says why and what to do);
    nothing was published."""


class FiguresHeld(EscrutinioError):
    """A public page or route asked for figures that the publication policy still holds (HTTP 404)."""

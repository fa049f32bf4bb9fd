"""The election as plain, immutable data: no I/O, no database types."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from .percent import PercentRule

ABSTENTION_BASES = ("whole_register", "counted_tables")


@dataclass(frozen=True)
class Option:
    code: str
    name: str


@dataclass(frozen=True)
class Contest:
    """One question or race on the ballot, with its options in ballot order."""

    code: str
    name: str
    options: tuple[Option, ...]
    blank: bool = False

    @cached_property
    def option_codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options)


@dataclass(frozen=True)
class Area:
    """A node of the geography tree; ``level`` indexes ``Election.levels``."""

    code: str
    name: str
    level: int
    parent: str | None


@dataclass(frozen=True)
class Centre:
    code: str
    name: str
    area: str


@dataclass(frozen=True)
class Table:
    """The smallest counting unit (a *mesa*)."""

    code: str
    centre: str
    registered: int
    contests: tuple[str, ...]


@dataclass(frozen=True)
class Election:
    name: str
    date: dt.date
    time_zone: str
    polls_open: dt.time
    polls_close: dt.time
    locale: str
    percent_rule: PercentRule
    abstention_basis: str
    extra_voters_allowed: int
    contests: tuple[Contest, ...]
    levels: tuple[str, ...]
    areas: tuple[Area, ...]
    centres: tuple[Centre, ...]
    tables: tuple[Table, ...]
    extra: dict = field(default_factory=dict, compare=False)
    # False only in the unsigned mode for demos and tests, announced on every page.
    require_signatures: bool = True

    @cached_property
    def contest_by_code(self) -> dict[str, Contest]:
        return {c.code: c for c in self.contests}

    @cached_property
    def area_by_code(self) -> dict[str, Area]:
        return {a.code: a for a in self.areas}

    @cached_property
    def centre_by_code(self) -> dict[str, Centre]:
        return {c.code: c for c in self.centres}

    @cached_property
    def table_by_code(self) -> dict[str, Table]:
        return {t.code: t for t in self.tables}

    @cached_property
    def children(self) -> dict[str, tuple[list[Area], list[Centre], list[Table]]]:
        """Per area or centre code: its child areas, centres and tables, in definition order."""
        kids: dict[str, tuple[list[Area], list[Centre], list[Table]]] = {
            code: ([], [], []) for code in [a.code for a in self.areas] + [c.code for c in self.centres]}
        for area in self.areas:
            if area.parent:
                kids[area.parent][0].append(area)
        for centre in self.centres:
            kids[centre.area][1].append(centre)
        for table in self.tables:
            kids[table.centre][2].append(table)
        return kids

    def lineage(self, code: str) -> list[Area | Centre]:
        """The areas from the root down to ``code`` (an area or centre), itself included."""
        node = self.area_by_code.get(code) or self.centre_by_code[code]
        chain: list[Area | Centre] = [node]
        parent = node.area if isinstance(node, Centre) else node.parent
        while parent:
            area = self.area_by_code[parent]
            chain.append(area)
            parent = area.parent
        return chain[::-1]

    @cached_property
    def root(self) -> Area:
        return next(a for a in self.areas if a.parent is None)

    def level_name(self, area: Area) -> str:
        return self.levels[area.level]


@dataclass(frozen=True)
class Acta:
    """One table's result for one contest, as counted at the table."""

    table: str
    contest: str
    votes: tuple[tuple[str, int], ...]
    null: int
    blank: int
    ballots_cast: int

    @property
    def valid(self) -> int:
        return sum(n for _, n in self.votes)

    def as_dict(self) -> dict:
        return {
            "table": self.table,
            "contest": self.contest,
            "votes": dict(self.votes),
            "null": self.null,
            "blank": self.blank,
            "ballots_cast": self.ballots_cast,
        }


# Acta status values: the one place they are spelled.
COUNTED = "counted"          # in the tally
QUARANTINED = "quarantined"  # received, failed a rule, shown with its reasons, not counted
CONFLICTING = "conflicting"  # differs from an acta already held for its table and contest
SET_ASIDE = "set_aside"      # lost a conflict resolution; kept, never counted
ANNULLED = "annulled"        # annulled by an admin with a reason; kept, never counted
STATUSES = (COUNTED, QUARANTINED, CONFLICTING, SET_ASIDE, ANNULLED)


@dataclass(frozen=True)
class ActaRecord:
    """An acta as stored: its content, status and where it came from."""

    id: int
    acta: Acta
    digest: str
    status: str
    reasons: tuple[str, ...]
    source: str
    received_at: dt.datetime
    signature: str | None = None  # base64 Ed25519, as received; None in unsigned mode


@dataclass(frozen=True)
class ActaEvent:
    acta_id: int
    at: dt.datetime
    action: str
    operator: str
    reason: str

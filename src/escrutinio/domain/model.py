"""The election as plain, immutable data: no I/O, no database types."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from .percent import PercentRule
from .publication import Policy

ABSTENTION_BASES = ("whole_register", "counted_tables")


@dataclass(frozen=True)
class Option:
    code: str
    name: str
    party: str | None = None
    colour: str | None = None  # a CSS colour: "#c0392b"
    photo: str | None = None   # a file path, relative to the definition's folder

    def extras(self) -> dict:
        """party, colour and photo, where given."""
        return {k: v for k, v in (("party", self.party), ("colour", self.colour), ("photo", self.photo)) if v}


RULES = ("plurality", "majority", "threshold", "referendum", "dhondt", "sainte_lague", "hare", "droop",
         "tie_breaker")
KINDS = ("initiative", "counter_proposal", "tie_breaker")


@dataclass(frozen=True)
class Rule:
    """How a contest is won. Percentages are exact decimal text ("45", "40.5"), never floats."""

    name: str = "plurality"
    level: str | None = None  # rule_level: the level whose areas each have a verdict; None is the root
    runoff_count: int = 2
    threshold_percent: str | None = None
    lead_percent: str | None = None
    lead_threshold_percent: str | None = None
    approval_percent: str = "50"
    quorum_percent: str | None = None
    approval_quorum_percent: str | None = None
    kind: str | None = None
    group: str | None = None
    double_majority: bool = False
    canton_level: str | None = None
    seats: int = 0
    seat_threshold_percent: str | None = None

    def as_dict(self) -> dict:
        """Every setting that applies (None left out), as the bulletins publish it."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Contest:
    """One question or race on the ballot, with its options in ballot order."""

    code: str
    name: str
    options: tuple[Option, ...]
    blank: bool = False
    rule: Rule = Rule()

    @cached_property
    def option_codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options)

    @cached_property
    def option_set(self) -> frozenset[str]:
        """The option codes as a set (the rules compare an acta's keys with it)."""
        return frozenset(self.option_codes)


@dataclass(frozen=True)
class Area:
    """A node of the geography tree; ``level`` indexes ``Election.levels``."""

    code: str
    name: str
    level: int
    parent: str | None
    weight: int | None = None  # its weight in a majority of cantons (double_majority)


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
    # The random identifier `init` gives the night, inside every signed acta (None: made before there were
    # identifiers; its actas are signed without one), and whether it is a rehearsal (a drill).
    id: str | None = None
    drill: bool = False
    # When the public may see figures (domain/publication.py); the default: at once.
    publication: Policy = field(default_factory=Policy, compare=False)

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
AWAITING = "awaiting_second_entry"  # a manual acta keyed in once: counts only when a second operator agrees
STATUSES = (COUNTED, QUARANTINED, CONFLICTING, SET_ASIDE, ANNULLED, AWAITING)

# How an acta came in (ActaRecord.entry): None from the table's device (signed), or one of these.
MANUAL = "manual"    # keyed in at the centre from the paper acta, twice, by two operators
RECOUNT = "recount"  # a board's recount, entered by an admin decision, replacing the counted acta


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
    entry: str | None = None  # None (the device's), MANUAL or RECOUNT
    confirmed_by: str | None = None  # MANUAL: the operator whose second entry agreed
    image_sha256: str | None = None  # MANUAL: the scanned paper acta, if one was given

    @property
    def placed(self) -> bool:
        """Whether the acta takes its place in its table's slot: every acta but a manual one not yet (or
        never) confirmed by a second entry."""
        return self.entry != MANUAL or self.confirmed_by is not None


@dataclass(frozen=True)
class ActaEvent:
    acta_id: int
    at: dt.datetime
    action: str
    operator: str
    reason: str

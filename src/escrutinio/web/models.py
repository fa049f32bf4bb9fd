"""The JSON shapes of the API: declared once, they are the contract (and the OpenAPI document)."""

from __future__ import annotations

import re

from typing import Annotated, Any, Literal

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ..domain.rules import MAX_COUNT

Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


def _digits(value: object) -> object:
    """Path and query numbers are whole numbers written as digits: not "1.0", "+1" or " 1"."""
    if isinstance(value, str) and not re.fullmatch(r"-?[0-9]+", value):
        raise ValueError("must be a whole number written with digits only")
    return value


# An int in a path or a query string, parsed strictly (pydantic alone would take "1.0" or " 1").
Whole = Annotated[int, BeforeValidator(_digits)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OptionRef(Strict):
    code: str
    name: str
    party: str | None = None
    colour: str | None = Field(None, description="A CSS colour, used by bars and maps")
    photo: str | None = None


class ContestRef(Strict):
    code: str
    name: str
    blank: bool
    options: list[OptionRef]
    rule: dict[str, Any] | None = Field(None, description="How the contest is won (docs/formats/election.md)")


class PercentRuleOut(Strict):
    method: str = Field(description="truncate or half_up")
    decimals: int
    text: str


class ElectionOut(Strict):
    id: str | None = Field(description="The election's random identifier, inside every acta its tables sign "
                                       "(null: an election created before identifiers; its actas are signed "
                                       "without one)")
    drill: bool = Field(description="True on a rehearsal night (a drill), whose actas the real night refuses")
    name: str
    date: str
    time_zone: str
    polls_open: str
    polls_close: str
    locale: str
    percent_rule: PercentRuleOut
    abstention_basis: str = Field(description="whole_register or counted_tables: the headline abstention")
    levels: list[str]
    contests: list[ContestRef]
    root: str = Field(description="Code of the area that is the whole country")


class OptionResult(Strict):
    code: str
    votes: int
    percent: str | None = Field(description="Share of valid votes as printed by the percent rule")


class ByBasis(Strict):
    whole_register: str | None
    counted_tables: str | None


class Abstention(ByBasis):
    voters_whole_register: int
    voters_counted_tables: int


class TablesProgress(Strict):
    expected: int
    received: int
    counted: int
    quarantined: int
    conflict: int


class Decided(Strict):
    decided: bool
    leader: str | None
    lead: int
    remaining_max: int = Field(description="Ballots still possible at tables not counted")
    conflict_swing: int = Field(description="How far open conflicts at counted tables could still move a lead")


class Outcome(Strict):
    """A contest's verdict under its rule at one area (or, above the rule's level, a summary)."""

    rule: str
    status: str | None = Field(None, description="leading, decided, runoff, no_quorum, accepted or rejected")
    decided: bool | None = Field(None, description="The status can no longer change, whatever is still possible")
    winners: list[str] = []
    runoff: list[str] = []
    seats: dict[str, int] = {}
    inputs: dict[str, int] | None = None
    cantons: dict[str, Any] | None = None
    level: str | None = None
    summary: dict[str, Any] | None = Field(None, description="Above the rule's level: areas won per party, …")


class GroupOutcome(Strict):
    group: str
    status: str
    decided: bool
    winners: list[str] = Field(description="The question that comes into force, by contest code")
    both_accepted: bool
    contests: dict[str, str]


class ProjectedShare(Strict):
    estimate: str = Field(description="Projected final share of the valid votes, in per cent")
    low: str
    high: str


class ProjectedMargin(Strict):
    leader: str
    runner_up: str
    estimate: str = Field(description="Projected lead of the leader over the runner-up, in points")
    low: str
    high: str


class Projection(Strict):
    """An estimate of the final result from the tables counted so far (see docs/verdicts.md): never a count."""

    method: str
    level: float = Field(description="Confidence level of the intervals, e.g. 0.95")
    options: dict[str, ProjectedShare]
    margin: ProjectedMargin | None = None
    call: str | None = Field(description="The option called: its interval excludes any other outcome; else null")
    inputs: dict[str, Any] = Field(description="Tables counted and expected, the strata and where each one's "
                                               "prediction comes from, the method's settings")


class ContestResult(Strict):
    options: list[OptionResult]
    valid: int
    null: int
    null_percent: str | None
    blank: int
    blank_percent: str | None
    ballots_cast: int
    registered_counted: int
    registered_all: int
    register_counted_percent: str | None
    turnout: ByBasis
    abstention: Abstention
    tables: TablesProgress
    decided: Decided
    outcome: Outcome | None = None
    projection: Projection | None = None


class AreaResults(Strict):
    code: str
    name: str
    kind: str = Field(description="area or centre")
    level: str
    parent: str | None
    results: dict[str, ContestResult]
    groups: dict[str, GroupOutcome] | None = None


class BulletinHead(Strict):
    number: int
    cut_off: str
    published_at: str
    hash: str
    previous_hash: str | None


class BulletinOut(Strict):
    number: int
    hash: str
    previous_hash: str | None
    cut_off: str
    cut_off_local: str
    percent_rule: PercentRuleOut
    abstention_basis: str
    contests: list[ContestRef]
    area: AreaResults
    children: list[AreaResults]
    full: str = Field(description="URL of the whole canonical bulletin, whose SHA-256 is the hash")


class AreaRef(Strict):
    code: str
    name: str
    kind: str
    level: str


class TableRef(Strict):
    code: str
    registered: int
    contests: list[str]
    status: dict[str, str] = Field(description="Per contest: counted, quarantined, conflict or not_received")


class AreaOut(AreaRef):
    breadcrumbs: list[AreaRef]
    children: list[AreaRef]
    tables: list[TableRef]


class AreaNode(Strict):
    code: str
    name: str
    level: str
    parent: str | None


class VoteCount(Strict):
    code: str
    votes: int


class HistoryEntry(Strict):
    at: str
    action: str
    operator: str
    reason: str


class ActaOut(Strict):
    id: int
    status: str
    reasons: list[str]
    votes: list[VoteCount]
    null: int
    blank: int
    ballots_cast: int
    valid: int
    digest: str
    source: str
    received_at: str
    signature: str | None = Field(description="Base64 Ed25519 signature by the table's key; null in unsigned mode")
    entry: str | None = Field(None, description="null: sent by the table's device; manual: keyed in by hand from the "
                                                "paper acta; recount: a board's recount")
    confirmed_by: str | None = Field(None, description="A manual acta: the operator whose second entry agreed")
    image_sha256: str | None = Field(None, description="SHA-256 of the scanned paper acta, if one was given")
    image_url: str | None = Field(None, description="Where the scanned paper acta is served")
    log_position: int | None = Field(description="Position of this acta's leaf in the public log")
    proof: str = Field(description="URL of the inclusion proof of this acta in the log (add &size=N for a "
                                   "bulletin's tree)")
    history: list[HistoryEntry]


class TableContest(Strict):
    code: str
    name: str
    status: str
    actas: list[ActaOut]


class KeyReplacementOut(Strict):
    """A replacement of the table's key, as the public log records it (escrutinio keys replace)."""

    at: str
    previous_key: str
    key: str
    operator: str
    reason: str
    log_position: int = Field(description="Position of the replacement's leaf in the public log")


class TableOut(Strict):
    code: str
    registered: int
    centre: str
    breadcrumbs: list[AreaRef]
    contests: list[TableContest]
    key_replacements: list[KeyReplacementOut] = Field(description="Every replacement of the table's key, oldest "
                                                                   "first")
    figures_held: bool = Field(False, description="True while the publication policy holds figures: no acta shown")


class ImageIn(Strict):
    """A scanned paper acta sent with a manual entry."""

    media_type: Literal["image/png", "image/jpeg", "image/webp", "application/pdf"]
    data: str = Field(description="The file's bytes, base64")


class ActaIn(Strict):
    """One acta as sent by a table's transmission device (the format of docs/formats/actas.md), or keyed in by
    hand from the paper acta (``"entry": "manual"``, no signature; see docs/manual-entry.md)."""

    table: str = Field(max_length=64)
    contest: str = Field(max_length=64)
    votes: dict[str, Count]
    null: Count
    blank: Count | None = None
    ballots_cast: Count
    signature: str | None = Field(None, max_length=128, description="Base64 Ed25519 signature by the table's key "
                                  "over the acta (docs/security.md); required unless the election is in unsigned mode")
    entry: Literal["manual"] | None = Field(None, description="manual: one of the two entries of a paper acta keyed "
                                                              "in by hand (role clerk or transmission)")
    image: ImageIn | None = Field(None, description="A manual entry's scanned paper acta (optional)")


class ActaBatch(Strict):
    """Up to 10,000 actas, each meant to have the shape of ActaIn. Each is judged on its own, as one line of an
    acta file is: one that breaks a rule or lacks that shape (even one that is not an object) is rejected in its
    own outcome, and the others go in; so an item may be any JSON value."""

    actas: list[ActaIn | Any] = Field(max_length=10_000)


class ProblemItem(BaseModel):
    field: str
    message: str
    action: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details (application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[ProblemItem] | None = Field(None, description="Every problem found, when there are several")


class OutcomeOut(Strict):
    result: str = Field(description="accepted, already_present, conflict, quarantined, rejected or (a manual "
                                    "entry) awaiting_second_entry")
    status: int = Field(description="The HTTP status this acta alone would have had")
    table: str | None
    contest: str | None
    acta_id: int | None
    reasons: list[str]
    errors: list[ProblemItem]


class BatchOut(Strict):
    counts: dict[str, int]
    outcomes: list[OutcomeOut]

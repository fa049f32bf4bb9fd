"""The JSON shapes of the API: declared once, they are the contract (and the OpenAPI document)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OptionRef(Strict):
    code: str
    name: str


class ContestRef(Strict):
    code: str
    name: str
    blank: bool
    options: list[OptionRef]


class PercentRuleOut(Strict):
    method: str = Field(description="truncate or half_up")
    decimals: int
    text: str


class ElectionOut(Strict):
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


class AreaResults(Strict):
    code: str
    name: str
    kind: str = Field(description="area or centre")
    level: str
    parent: str | None
    results: dict[str, ContestResult]


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
    history: list[HistoryEntry]


class TableContest(Strict):
    code: str
    name: str
    status: str
    actas: list[ActaOut]


class TableOut(Strict):
    code: str
    registered: int
    centre: str
    breadcrumbs: list[AreaRef]
    contests: list[TableContest]


class ActaIn(Strict):
    """One acta as sent by a table's transmission device (the format of docs/formats/actas.md)."""

    table: str = Field(max_length=64)
    contest: str = Field(max_length=64)
    votes: dict[str, int]
    null: int
    blank: int | None = None
    ballots_cast: int


class ActaBatch(Strict):
    actas: list[ActaIn] = Field(max_length=10_000)


class ProblemItem(BaseModel):
    field: str
    message: str
    action: str


class OutcomeOut(Strict):
    result: str = Field(description="accepted, already_present, conflict, quarantined or rejected")
    status: int = Field(description="The HTTP status this acta alone would have had")
    table: str | None
    contest: str | None
    acta_id: int | None
    reasons: list[str]
    errors: list[ProblemItem]


class BatchOut(Strict):
    counts: dict[str, int]
    outcomes: list[OutcomeOut]

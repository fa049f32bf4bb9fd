"""The rules every acta goes through, in the order DESIGN.md gives them.

``check_acta`` either raises :class:`ActaRejected` with every problem it found
(nothing is stored) or returns the acta with its quarantine reasons (stored,
shown publicly, not counted). Counts must already be Python ints: channels
turn their text into ints and leave anything else for these rules to refuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .errors import ActaRejected, Problem
from .model import Acta, Contest, Election

MAX_COUNT = 2**31 - 1
RESEND = "correct the acta and send it again"


@dataclass(frozen=True)
class Checked:
    acta: Acta
    quarantine_reasons: tuple[str, ...]

    @property
    def quarantined(self) -> bool:
        return bool(self.quarantine_reasons)


def check_acta(election: Election, record: Mapping) -> Checked:
    problems: list[Problem] = []
    table_code = _text(record, "table", problems)
    contest_code = _text(record, "contest", problems)
    table = election.table_by_code.get(table_code) if table_code else None
    contest = election.contest_by_code.get(contest_code) if contest_code else None
    if table_code and table is None:
        problems.append(Problem("table", f"unknown table {table_code!r}",
                                "check the table code against the election definition"))
    if contest_code and contest is None:
        known = ", ".join(election.contest_by_code)
        problems.append(Problem("contest", f"unknown contest {contest_code!r} (known: {known})",
                                "use one of the contest codes of the election definition"))
    if table is not None and contest is not None and contest.code not in table.contests:
        problems.append(Problem("contest", f"contest {contest.code!r} is not on the ballot of table {table.code!r}",
                                "send this table's actas only for the contests on its ballot"))
    votes = _votes(record, contest, problems)
    null = _count(record, "null", problems)
    blank = _blank(record, contest, problems)
    cast = _count(record, "ballots_cast", problems)
    if problems:
        raise ActaRejected(f"acta for table {table_code!r}, contest {contest_code!r} rejected", problems)
    acta = Acta(table.code, contest.code, votes, null, blank, cast)
    return Checked(acta, _quarantine_reasons(election, acta, table.registered))


def _text(record: Mapping, key: str, problems: list[Problem]) -> str | None:
    value = record.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if value is None or isinstance(value, str):
        problems.append(Problem(key, f"missing {key} code", f"fill in the {key} code"))
    else:
        problems.append(Problem(key, f"{key} code {value!r} is not text",
                                f'write the {key} code as text, e.g. "{value}"'))
    return None


def _count(record: Mapping, key: str, problems: list[Problem]) -> int:
    return _whole(record.get(key), key, problems)


def _whole(value: object, field: str, problems: list[Problem]) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT:
        return value
    if value is None or value == "":
        problems.append(Problem(field, "count is missing", f"write the count ({0} if none); {RESEND}"))
    elif isinstance(value, int) and not isinstance(value, bool) and value < 0:
        problems.append(Problem(field, f"count {value} is negative", f"counts are whole numbers ≥ 0; {RESEND}"))
    else:
        problems.append(Problem(field, f"{value!r} is not a whole number between 0 and {MAX_COUNT}",
                                f"counts are whole numbers ≥ 0; {RESEND}"))
    return 0


def _blank(record: Mapping, contest: Contest | None, problems: list[Problem]) -> int:
    value = record.get("blank")
    if contest is None and value in (None, ""):
        return 0  # unknown contest: whether blank is required cannot be said; the contest problem is enough
    if contest is not None and not contest.blank and (value is None or value == "" or type(value) is int
                                                      and value == 0):
        return 0
    if contest is not None and not contest.blank:
        problems.append(Problem("blank", f"contest {contest.code!r} does not count blank ballots apart",
                                f"leave blank empty and count such ballots as null; {RESEND}"))
        return 0
    return _whole(value, "blank", problems)


def _votes(record: Mapping, contest: Contest | None, problems: list[Problem]) -> tuple[tuple[str, int], ...]:
    given = record.get("votes")
    if not isinstance(given, Mapping):
        problems.append(Problem("votes", "no votes per option", f"give one count per option; {RESEND}"))
        return ()
    if contest is None:
        return ()
    for code in given:
        if code not in contest.option_codes:
            known = ", ".join(contest.option_codes)
            problems.append(Problem(str(code), f"unknown option {code!r} for contest {contest.code!r} (known: {known})",
                                    f"use the option codes of the election definition; {RESEND}"))
    return tuple((code, _whole(given.get(code), code, problems)) for code in contest.option_codes)


def _quarantine_reasons(election: Election, acta: Acta, registered: int) -> tuple[str, ...]:
    reasons = []
    parts = acta.valid + acta.null + acta.blank
    if parts != acta.ballots_cast:
        what = "options + null + blank" if acta.blank or _has_blank(election, acta) else "options + null"
        reasons.append(f"{what} = {parts:,} but ballots cast = {acta.ballots_cast:,} "
                       f"(difference {parts - acta.ballots_cast:+,})")
    allowed = registered + election.extra_voters_allowed
    if acta.ballots_cast > allowed:
        extra = f" + {election.extra_voters_allowed} allowed extra" if election.extra_voters_allowed else ""
        reasons.append(f"ballots cast {acta.ballots_cast:,} exceed the {registered:,} registered voters"
                       f"{extra} of table {acta.table}")
    return tuple(reasons)


def _has_blank(election: Election, acta: Acta) -> bool:
    return election.contest_by_code[acta.contest].blank

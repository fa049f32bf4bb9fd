"""The rules every acta goes through, in the order DESIGN.md gives them.

``check_acta`` either raises :class:`ActaRejected` with every problem it found
(nothing is stored) or returns the acta with its quarantine reasons (stored,
shown publicly, not counted). Counts must already be Python ints: channels
turn their text into ints and leave anything else for these rules to refuse.
"""

from __future__ import annotations

import reprlib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import ActaRejected, Problem
from .model import Acta, Contest, Election
from .reasons import OVER_REGISTER, OVER_REGISTER_EXTRA, SUM_MISMATCH, SUM_MISMATCH_BLANK, sentence

MAX_COUNT = 2**31 - 1
MAX_CODE = 64  # characters of a table or contest code (the store's columns hold 64)
LIST_AT_MOST = 10  # unknown options of one acta listed one by one; the rest are counted
RESEND = "correct the acta and send it again"
SHOW_AT_MOST = 80  # characters of an input value quoted in a message
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = _SHORT.maxlong = 40
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxtuple = _SHORT.maxset = 4
_SHORT.maxlevel = 2


def show(value: object) -> str:
    """``value`` as a message may quote it: repr, cut short, control characters escaped; never raises
    (a huge int or a deep structure from hostile input would make plain repr too long, or fail)."""
    try:
        text = _SHORT.repr(value)
    except (ValueError, RecursionError):  # an int of more than 4,300 digits
        return "a number too long to show" if isinstance(value, int) else "a value too long to show"
    return text if len(text) <= SHOW_AT_MOST else text[:SHOW_AT_MOST - 1] + "…"


def field_name(key: object) -> str:
    """A key of the input as a problem's field: itself, unless too long or unprintable to name it so."""
    text = str(key) if isinstance(key, str) else show(key)
    return text if len(text) <= MAX_CODE and not _has_control(text) else show(text)


def _has_control(text: str) -> bool:
    """Control characters (C0, DEL, C1) and lone surrogates, which no UTF-8 text may hold."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


@dataclass(frozen=True)
class Checked:
    acta: Acta
    quarantine_reasons: tuple[str, ...]

    @property
    def quarantined(self) -> bool:
        return bool(self.quarantine_reasons)


def check_acta(election: Election, record: Mapping) -> Checked:
    if not isinstance(record, Mapping) and callable(getattr(record, "as_dict", None)):
        record = record.as_dict()  # an acta decoded into typed fields (intake.actas.WireActa): the dict it was
    checked = _well_formed(election, record)
    if checked is not None:
        return checked
    if not isinstance(record, Mapping):
        raise ActaRejected("acta rejected", [Problem(
            "", f"an acta must be an object of named fields, not {show(record)}",
            'write {"table": …, "contest": …, "votes": {…}, …}')])
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


def _well_formed(election: Election, record: object) -> Checked | None:
    """The common acta, checked quickly: what the rules below would return for it, or None when any
    field is not plainly right (then every rule runs, to name every problem)."""
    if type(record) is not dict:
        return None
    return well_formed(election, record.get("table"), record.get("contest"), record.get("votes"),
                       record.get("null"), record.get("blank"), record.get("ballots_cast"))


def well_formed(election: Election, table_code: object, contest_code: object, given: object, null: object,
                blank: object, cast: object) -> Checked | None:
    """The rules' fast path over an acta's fields (None where absent): what ``check_acta`` returns for it, or
    None when any field is not plainly right (then ``check_acta`` of the whole record names every problem).
    Channels that decode an acta into typed fields (intake.actas.WireActa) call it directly."""
    if type(table_code) is not str or type(contest_code) is not str:
        return None
    table = election.table_by_code.get(table_code)
    contest = election.contest_by_code.get(contest_code)
    if table is None or contest is None or contest_code not in table.contests \
            or not (_clean(table_code) and _clean(contest_code)):
        return None
    codes = contest.option_codes
    if type(given) is not dict or given.keys() != contest.option_set:
        return None
    if not contest.blank:
        if not (blank is None or type(blank) is int and blank == 0):
            return None
        blank = 0
    counts = [given[code] for code in codes]
    for count in (null, cast, blank, *counts):
        if type(count) is not int or not 0 <= count <= MAX_COUNT:
            return None
    acta = Acta(table_code, contest_code, tuple(zip(codes, counts)), null, blank, cast)
    if sum(counts) + null + blank == cast and cast <= table.registered + election.extra_voters_allowed:
        return Checked(acta, ())
    return Checked(acta, _quarantine_reasons(election, acta, table.registered))


def _clean(code: str) -> bool:
    """A code ``_text`` takes as it is: printable (so no control characters), not padded, not too long."""
    return 0 < len(code) <= MAX_CODE and code.isprintable() and code.strip() == code


def _text(record: Mapping, key: str, problems: list[Problem]) -> str | None:
    value = record.get(key)
    if isinstance(value, str) and value.strip():
        code = value.strip()
        if len(code) > MAX_CODE:
            problems.append(Problem(key, f"{key} code {show(code)} is {len(code):,} characters long; "
                                         f"codes have at most {MAX_CODE}",
                                    f"write the {key} code exactly as in the election definition; {RESEND}"))
        elif _has_control(code):
            problems.append(Problem(key, f"{key} code {show(code)} holds control characters",
                                    f"write the {key} code exactly as in the election definition, without "
                                    f"control characters; {RESEND}"))
        else:
            return code
    elif value is None or isinstance(value, str):
        problems.append(Problem(key, f"missing {key} code", f"fill in the {key} code"))
    else:
        problems.append(Problem(key, f"{key} code {show(value)} is not text",
                                f'write the {key} code as text, e.g. "{show(value)}"'))
    return None


def _count(record: Mapping, key: str, problems: list[Problem]) -> int:
    return _whole(record.get(key), key, problems)


def _whole(value: object, field: str, problems: list[Problem]) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT:
        return value
    if value is None or value == "":
        problems.append(Problem(field, "count is missing", f"write the count ({0} if none); {RESEND}"))
    elif isinstance(value, int) and not isinstance(value, bool) and value < 0:
        problems.append(Problem(field, f"count {show(value)} is negative", f"counts are whole numbers ≥ 0; {RESEND}"))
    else:
        problems.append(Problem(field, f"{show(value)} is not a whole number between 0 and {MAX_COUNT}",
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
    unknown = [code for code in given if code not in contest.option_codes]
    known = ", ".join(contest.option_codes)
    for code in unknown[:LIST_AT_MOST]:
        problems.append(Problem(field_name(code), f"unknown option {show(code)} for contest {contest.code!r} "
                                f"(known: {known})", f"use the option codes of the election definition; {RESEND}"))
    if len(unknown) > LIST_AT_MOST:
        problems.append(Problem("votes", f"{len(unknown) - LIST_AT_MOST:,} more unknown options",
                                f"use the option codes of the election definition; {RESEND}"))
    return tuple((code, _whole(given.get(code), code, problems)) for code in contest.option_codes)


def _quarantine_reasons(election: Election, acta: Acta, registered: int) -> tuple[str, ...]:
    reasons = []
    parts = acta.valid + acta.null + acta.blank
    if parts != acta.ballots_cast:
        code = SUM_MISMATCH_BLANK if acta.blank or _has_blank(election, acta) else SUM_MISMATCH
        reasons.append(sentence(code, parts=parts, cast=acta.ballots_cast, difference=parts - acta.ballots_cast))
    allowed = registered + election.extra_voters_allowed
    if acta.ballots_cast > allowed:
        if election.extra_voters_allowed:
            reasons.append(sentence(OVER_REGISTER_EXTRA, cast=acta.ballots_cast, registered=registered,
                                    extra=election.extra_voters_allowed, table=acta.table))
        else:
            reasons.append(sentence(OVER_REGISTER, cast=acta.ballots_cast, registered=registered, table=acta.table))
    return tuple(reasons)


def _has_blank(election: Election, acta: Acta) -> bool:
    return election.contest_by_code[acta.contest].blank

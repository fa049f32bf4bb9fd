"""The grammar of observers' messages (SMS or the web form): incident reports and result reports.

Two kinds of message, with a keyword first (any case)::

    INC <place> <category> <free text>
    RES <table> <contest> <option>=<count> ... [; <contest> <option>=<count> ...]

``INC 010101001 HAR students blocking the door`` reports harassment at centre
010101001; ``RES 010101001-1 A SI=120 NO=95; B SI=110 NO=101`` reports a
table's votes per option for two contests. Codes are forgiving, as Apollo's
are: case is ignored and the letters O, I and l are read as the digits 0, 1
and 1 when the code as typed is unknown (phones' keypads make those slips).
Numbers are strict: digits only, so a letter O in a count is an error, never
a zero. docs/observers.md has the grammar with examples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import Problem
from .model import Election

CATEGORIES = {  # code: (name, default severity)
    "HAR": ("harassment", "medium"),
    "VIO": ("violence", "high"),
    "ARR": ("arrest", "high"),
    "PRO": ("illegal_propaganda", "low"),
    "LATE": ("opened_late", "medium"),
    "QUEUE": ("kept_open_for_queue", "low"),
    "MACH": ("machine_failure", "medium"),
    "AWAY": ("voter_turned_away", "medium"),
    "OTH": ("other", "low"),
}
CATEGORY_NAMES = tuple(name for name, _ in CATEGORIES.values())
SEVERITIES = ("low", "medium", "high")
MAX_TEXT = 1000
_FORGIVE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_PAIR = re.compile(r"^([^=\s]+)\s*=\s*(\S+)$")


@dataclass(frozen=True)
class IncidentMessage:
    place: str  # a table, centre or area code, as the election spells it
    category: str  # one of CATEGORY_NAMES
    severity: str
    text: str


@dataclass(frozen=True)
class ResultMessage:
    table: str
    results: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]  # (contest, ((option, votes), …)), …


def forgiving(code: str) -> str:
    """The form two codes are compared in when the one typed is unknown: upper case, O→0, I→1, L→1."""
    return code.upper().translate(_FORGIVE)


class CodeBook:
    """Looks codes up as typed, then forgivingly (when exactly one known code has that form)."""

    def __init__(self, codes):
        self.exact = {c.upper(): c for c in codes}
        forms: dict[str, list[str]] = {}
        for code in codes:
            forms.setdefault(forgiving(code), []).append(code)
        self.forms = {form: found[0] for form, found in forms.items() if len(found) == 1}

    def find(self, typed: str) -> str | None:
        return self.exact.get(typed.upper()) or self.forms.get(forgiving(typed))


def category_of(word: str) -> str | None:
    word = word.upper()
    if word in CATEGORIES:
        return CATEGORIES[word][0]
    return next((name for name in CATEGORY_NAMES if name.upper() == word), None)


def parse_message(text: str, election: Election,
                  books: dict[str, CodeBook] | None = None) -> IncidentMessage | ResultMessage | list[Problem]:
    """The message, or every problem with it (each names the part of the message and what to send)."""
    books = books or code_books(election)
    words = text.strip().split(None, 1)
    keyword = words[0].upper() if words else ""
    rest = words[1] if len(words) > 1 else ""
    if keyword == "INC":
        return _incident(rest, books)
    if keyword == "RES":
        return _result(rest, election, books)
    return [Problem("keyword", f"a message starts with INC or RES, not {keyword[:20]!r}",
                    "send INC <place> <category> <text> or RES <table> <contest> <option>=<votes> …")]


_LAST_BOOKS: list = [None, None]  # (election, its books): a night reads one election, many messages


def code_books(election: Election) -> dict[str, CodeBook]:
    if _LAST_BOOKS[0] is election:
        return _LAST_BOOKS[1]
    books = _books(election)
    _LAST_BOOKS[:] = [election, books]
    return books


def _books(election: Election) -> dict[str, CodeBook]:
    return {"table": CodeBook([t.code for t in election.tables]),
            "place": CodeBook([t.code for t in election.tables] + [c.code for c in election.centres]
                              + [a.code for a in election.areas]),
            "contest": CodeBook([c.code for c in election.contests])}


def _incident(rest: str, books: dict[str, CodeBook]) -> IncidentMessage | list[Problem]:
    parts = rest.split(None, 2)
    if len(parts) < 2:
        return [Problem("place", "an incident needs a place and a category",
                        "send INC <table or centre code> <category> <what happened>, e.g. INC 010101001 HAR …")]
    problems = []
    place = books["place"].find(parts[0])
    if place is None:
        problems.append(Problem("place", f"unknown table, centre or area {parts[0][:40]!r}",
                                "check the code on your accreditation"))
    category = category_of(parts[1])
    if category is None:
        problems.append(Problem("category", f"unknown category {parts[1][:20]!r}",
                                f"use one of {', '.join(CATEGORIES)}"))
    text = parts[2].strip() if len(parts) > 2 else ""
    if len(text) > MAX_TEXT:
        problems.append(Problem("text", f"the text has {len(text)} characters", f"keep it under {MAX_TEXT}"))
    if problems:
        return problems
    severity = next(s for name, s in CATEGORIES.values() if name == category)
    return IncidentMessage(place, category, severity, text)


def _result(rest: str, election: Election, books: dict[str, CodeBook]) -> ResultMessage | list[Problem]:
    head = rest.split(None, 1)
    if not head:
        return [Problem("table", "a result report needs a table code",
                        "send RES <table> <contest> <option>=<votes> …, e.g. RES 010101001-1 A SI=120 NO=95")]
    table = books["table"].find(head[0])
    if table is None:
        return [Problem("table", f"unknown table {head[0][:40]!r}", "check the table code on the acta")]
    results, problems = [], []
    for part in (p for p in (head[1] if len(head) > 1 else "").split(";") if p.strip()):
        found = _contest_result(part.strip(), table, election, books)
        if isinstance(found, list):
            problems += found
        else:
            results.append(found)
    if not results and not problems:
        problems.append(Problem("contest", "no contest in the report", "add <contest> <option>=<votes> …"))
    if len({c for c, _ in results}) < len(results):
        problems.append(Problem("contest", "a contest is given twice", "give each contest once"))
    return problems or ResultMessage(table, tuple(results))


def _contest_result(part: str, table: str, election: Election, books: dict[str, CodeBook]):
    words = part.split(None, 1)
    contest = books["contest"].find(words[0])
    if contest is None or contest not in election.table_by_code[table].contests:
        return [Problem("contest", f"contest {words[0][:20]!r} is not on table {table}'s ballot",
                        f"use one of {', '.join(election.table_by_code[table].contests)}")]
    options = {o.upper(): o for o in election.contest_by_code[contest].option_codes}
    votes, problems = {}, []
    for pair in re.split(r"\s+(?=[^=\s]+\s*=)", words[1].strip()) if len(words) > 1 else []:
        match = _PAIR.match(pair.strip())
        option = options.get(match.group(1).upper()) if match else None
        if option is None:
            problems.append(Problem(contest, f"{pair[:30]!r} is not <option>=<votes>",
                                    f"write each as OPTION=VOTES with options {', '.join(options.values())}"))
        elif not (match.group(2).isascii() and match.group(2).isdigit()) or len(match.group(2)) > 9:
            problems.append(Problem(f"{contest}.{option}", f"{match.group(2)[:20]!r} is not a number of votes",
                                    "write the votes in digits only (0-9)"))
        else:
            votes[option] = int(match.group(2))
    missing = [o for o in options.values() if o not in votes]
    if missing and not problems:
        problems.append(Problem(contest, f"no votes for {', '.join(missing)}", "give every option's votes, 0 included"))
    return problems or (contest, tuple((o, votes[o]) for o in options.values()))

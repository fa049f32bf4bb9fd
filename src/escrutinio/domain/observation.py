"""Observers and what they report: the vocabulary and the checks, as pure functions.

An observer is an accredited person (international, national, media or a
party's witness) of an organisation, with one or more phone numbers (how an
SMS is recognised as theirs) and, where they have one, an assignment: a centre
or a table, the only place their reports may be about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import Problem
from .model import Election

KINDS = ("international", "national", "media", "party_witness")
ACCREDITED, PENDING, REVOKED = "accredited", "pending", "revoked"
OBSERVER_STATUSES = (ACCREDITED, PENDING, REVOKED)
_PHONE_PUNCTUATION = re.compile(r"[ \t().\-/]")
_CODE = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")


@dataclass(frozen=True)
class Observer:
    accreditation: str
    kind: str
    organisation: str
    name: str
    phones: tuple[str, ...]
    assignment: str | None = None
    status: str = ACCREDITED


def normalise_phone(text: str) -> str | None:
    """A phone number as its digits in international form (``+58 414-555 0101`` → ``584145550101``).

    A leading ``+`` or ``00`` is the international prefix; None when what is left is not 7 to 15 digits.
    Gateways send numbers as ``+…``, ``tel:+…`` or bare digits; all of them meet here.
    """
    text = _PHONE_PUNCTUATION.sub("", text.strip())
    text = text.removeprefix("tel:")
    if text.startswith("+"):
        text = text[1:]
    elif text.startswith("00"):
        text = text[2:]
    return text if text.isascii() and text.isdigit() and 7 <= len(text) <= 15 else None


def check_observer(fields: dict[str, str], election: Election) -> tuple[Observer | None, list[Problem]]:
    """An observer from the text fields of one record, or every problem with them."""
    problems = []
    accreditation = fields.get("accreditation", "").strip()
    if not _CODE.fullmatch(accreditation):
        problems.append(Problem("accreditation", f"{accreditation!r} is not an accreditation number",
                                "give 1 to 64 letters, digits, '-', '_', '.' or ':'"))
    kind = fields.get("kind", "").strip().lower().replace(" ", "_")
    if kind not in KINDS:
        problems.append(Problem("kind", f"unknown kind {fields.get('kind', '')!r}", f"use one of {', '.join(KINDS)}"))
    for key in ("organisation", "name"):
        value = fields.get(key, "").strip()
        if not value or len(value) > 200 or any(ord(ch) < 32 for ch in value):
            problems.append(Problem(key, f"the {key} is empty or not 1 to 200 printable characters",
                                    f"write the observer's {key}"))
    phones, phone_problems = _phones(fields.get("phones", ""))
    problems += phone_problems
    assignment = fields.get("assignment", "").strip() or None
    if assignment and assignment not in election.table_by_code and assignment not in election.centre_by_code:
        problems.append(Problem("assignment", f"unknown centre or table {assignment!r}",
                                "use a centre or table code of the election, or leave it empty"))
    status = fields.get("status", "").strip().lower() or ACCREDITED
    if status not in OBSERVER_STATUSES:
        problems.append(Problem("status", f"unknown status {status!r}", f"use one of {', '.join(OBSERVER_STATUSES)}"))
    if problems:
        return None, problems
    return Observer(accreditation, kind, fields["organisation"].strip(), fields["name"].strip(), phones,
                    assignment, status), []


def _phones(text: str) -> tuple[tuple[str, ...], list[Problem]]:
    found, problems = [], []
    for part in (p for p in text.split(";") if p.strip()):
        phone = normalise_phone(part)
        if phone is None:
            problems.append(Problem("phones", f"{part.strip()!r} is not a phone number",
                                    "write it in international form, e.g. +58 414 555 0101; separate several with ';'"))
        elif phone not in found:
            found.append(phone)
    return tuple(found), problems


def phones_of(text: str) -> list[str]:
    """The well-formed phones of a ``;``-separated list, normalised (the others are left out)."""
    return [p for p in (normalise_phone(part) for part in text.split(";") if part.strip()) if p]


def tables_in_scope(election: Election, assignment: str | None) -> set[str] | None:
    """The tables an observer may report on: their table, their centre's tables, or None for any."""
    if assignment is None:
        return None
    if assignment in election.table_by_code:
        return {assignment}
    return {t.code for t in election.children[assignment][2]}


# -- incidents ----------------------------------------------------------------

UNVERIFIED, VERIFIED, REJECTED, ESCALATED, CLOSED = "unverified", "verified", "rejected", "escalated", "closed"
INCIDENT_STATUSES = (UNVERIFIED, VERIFIED, REJECTED, ESCALATED, CLOSED)
# The verification workflow: editors move an incident along these arrows only.
TRANSITIONS = {
    UNVERIFIED: (VERIFIED, REJECTED),
    VERIFIED: (ESCALATED, CLOSED),
    REJECTED: (CLOSED,),
    ESCALATED: (CLOSED,),
    CLOSED: (),
}
DUPLICATE_WINDOW_SECONDS = 2 * 3600


def may_move(status: str, to: str) -> bool:
    return to in TRANSITIONS.get(status, ())


def duplicate_of(place: str, category: str, at, earlier: list[dict]) -> int | None:
    """The first earlier incident (not rejected, not itself a duplicate) of the same place and category
    reported within two hours before ``at``: the one a new report repeats, whatever its channel."""
    for other in sorted(earlier, key=lambda o: (o["reported_at"], o["id"])):
        if (other["place"] == place and other["category"] == category and other["duplicate_of"] is None
                and other["status"] != REJECTED
                and 0 <= (at - other["reported_at"]).total_seconds() <= DUPLICATE_WINDOW_SECONDS):
            return other["id"]
    return None

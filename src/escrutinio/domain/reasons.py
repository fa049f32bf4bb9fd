"""Why an acta is quarantined, as a code with its parameters (for every language) and as the English sentence
that is stored with the acta and in the public log (those bytes never change: the verifier checks them).

``sentence(code, **params)`` writes the stored English; ``parse(sentence)`` reads a stored sentence back into
``(code, params)`` so that pages can say it in their own language (catalogue id ``reason_<code>``).
"""

from __future__ import annotations

import re

SUM_MISMATCH = "sum_mismatch"            # options + null (+ blank) differ from the ballots cast
SUM_MISMATCH_BLANK = "sum_mismatch_blank"
OVER_REGISTER = "over_register"          # more ballots cast than the table's register allows
OVER_REGISTER_EXTRA = "over_register_extra"
CODES = (SUM_MISMATCH, SUM_MISMATCH_BLANK, OVER_REGISTER, OVER_REGISTER_EXTRA)

_N = r"(-?[\d,]+)"
_SIGNED = r"([+-][\d,]+|0)"
_PATTERNS = {
    SUM_MISMATCH: re.compile(rf"options \+ null = {_N} but ballots cast = {_N} \(difference {_SIGNED}\)"),
    SUM_MISMATCH_BLANK: re.compile(rf"options \+ null \+ blank = {_N} but ballots cast = {_N} "
                                   rf"\(difference {_SIGNED}\)"),
    OVER_REGISTER: re.compile(rf"ballots cast {_N} exceed the {_N} registered voters of table (.+)"),
    OVER_REGISTER_EXTRA: re.compile(rf"ballots cast {_N} exceed the {_N} registered voters \+ (\d+) allowed extra "
                                    rf"of table (.+)"),
}
_NAMES = {
    SUM_MISMATCH: ("parts", "cast", "difference"), SUM_MISMATCH_BLANK: ("parts", "cast", "difference"),
    OVER_REGISTER: ("cast", "registered", "table"), OVER_REGISTER_EXTRA: ("cast", "registered", "extra", "table"),
}


def sentence(code: str, **p) -> str:
    """The stored English sentence for a reason (the words the log has always held)."""
    if code in (SUM_MISMATCH, SUM_MISMATCH_BLANK):
        what = "options + null + blank" if code == SUM_MISMATCH_BLANK else "options + null"
        return f"{what} = {p['parts']:,} but ballots cast = {p['cast']:,} (difference {p['difference']:+,})"
    if code == OVER_REGISTER:
        return f"ballots cast {p['cast']:,} exceed the {p['registered']:,} registered voters of table {p['table']}"
    if code == OVER_REGISTER_EXTRA:
        return (f"ballots cast {p['cast']:,} exceed the {p['registered']:,} registered voters + {p['extra']} allowed "
                f"extra of table {p['table']}")
    raise ValueError(f"unknown reason {code!r}")


def parse(text: str) -> tuple[str, dict] | None:
    """``(code, params)`` for a stored reason sentence (numbers as int, the table as text); None if it is not one
    (a reason typed by an operator, say)."""
    for code in (OVER_REGISTER_EXTRA, *CODES):
        found = _PATTERNS[code].fullmatch(text.strip())
        if found:
            values = [int(v.replace(",", "")) if name != "table" else v
                      for name, v in zip(_NAMES[code], found.groups())]
            return code, dict(zip(_NAMES[code], values))
    return None

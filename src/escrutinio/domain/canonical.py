"""Canonical JSON: the one byte encoding that hashes are taken over."""

from __future__ import annotations

import hashlib
import json
from json.encoder import encode_basestring, encode_basestring_ascii

from .model import Acta, Contest


def canonical_json(value: object) -> bytes:
    """UTF-8 JSON with sorted keys and no insignificant white space."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest(value: object) -> str:
    return sha256_hex(canonical_json(value))


class ActaJson:
    """``json.dumps(acta.as_dict(), sort_keys=True, ...)`` for the actas of one contest, from a format made once.

    Encoding every acta afresh was a large part of an ingest's Python time. ``fields`` are fixed text
    fields added to every acta (as the signed bytes add the election); ``ascii`` and ``separators`` are
    json.dumps's ``ensure_ascii`` and ``separators``. Counts are ints, as the rules leave them.
    """

    def __init__(self, contest: Contest, fields: dict[str, str] | None = None, *, ascii: bool = False,
                 separators: tuple[str, str] = (",", ":")):
        self._string = encode_basestring_ascii if ascii else encode_basestring
        self._style = {"sort_keys": True, "ensure_ascii": ascii, "separators": separators}
        self._fields = dict(fields or {})
        self._codes = sorted(dict.fromkeys(contest.option_codes))
        self._known = frozenset(self._codes)
        comma, colon = separators
        votes = "{" + comma.join(f"{self._literal(code)}{colon}%d" for code in self._codes) + "}"
        parts = {**{key: self._literal(value) for key, value in self._fields.items()},
                 "ballots_cast": "%d", "blank": "%d", "contest": self._literal(contest.code), "null": "%d",
                 "table": "%s", "votes": votes}
        # The holes, in sorted key order, are ballots_cast, blank, null, table, then each option's count.
        self._format = "{" + comma.join(f"{self._literal(key)}{colon}{part}"
                                        for key, part in sorted(parts.items())) + "}"

    def _literal(self, text: str) -> str:
        return self._string(text).replace("%", "%%")

    def text(self, acta: Acta) -> str:
        counts = dict(acta.votes)
        if counts.keys() != self._known:  # not an acta of this contest as the rules make it
            return json.dumps({**self._fields, **acta.as_dict()}, **self._style)
        return self._format % (acta.ballots_cast, acta.blank, acta.null, self._string(acta.table),
                               *[counts[code] for code in self._codes])

"""Canonical JSON: the one byte encoding that hashes are taken over.

On the ingest path the canonical forms are written by msgspec (a compiled JSON codec: sorted keys,
no white space, raw UTF-8, the same escapes as ``json.dumps(..., ensure_ascii=False)``), chosen over
orjson and the standard library by ``bench/ingest_floor.py --codecs``; property tests prove its bytes
equal ``canonical_json``'s (tests/test_ingest_fast.py, tests/test_codec.py).
"""

from __future__ import annotations

import hashlib
import json
from json.encoder import encode_basestring, encode_basestring_ascii

import msgspec

from .model import Acta, Contest

encode_sorted = msgspec.json.Encoder(order="sorted").encode
"""``canonical_json`` of dicts with text keys, structs, lists, text, ints and None (not floats), compiled."""


class _Canonical(msgspec.Struct, kw_only=True, gc=False):
    """An acta's canonical form (its fields are written in sorted order); ``election_id``, ``election``
    and ``date`` are there in the signed form only."""

    table: str
    contest: str
    votes: dict
    null: int
    blank: int
    ballots_cast: int
    election_id: str | msgspec.UnsetType = msgspec.UNSET
    election: str | msgspec.UnsetType = msgspec.UNSET
    date: str | msgspec.UnsetType = msgspec.UNSET


_SIGNED_FIELDS = frozenset(("election_id", "election", "date"))


def canonical_json(value: object) -> bytes:
    """UTF-8 JSON with sorted keys and no insignificant white space."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest(value: object) -> str:
    return sha256_hex(canonical_json(value))


class ActaJson:
    """``json.dumps(acta.as_dict(), sort_keys=True, ...)`` for the actas of one contest.

    ``fields`` are fixed text fields added to every acta (as the signed bytes add the election);
    ``ascii`` and ``separators`` are json.dumps's ``ensure_ascii`` and ``separators``. Counts are ints,
    as the rules leave them. The canonical forms (raw UTF-8, no white space) are written by msgspec;
    the stored content's older form (json.dumps's defaults: ASCII escapes, ", " and ": "), which no
    compiled codec writes, from a format made once per contest, its one free text (the table's code)
    escaped by the standard library's C escaper.
    """

    def __init__(self, contest: Contest, fields: dict[str, str] | None = None, *, ascii: bool = False,
                 separators: tuple[str, str] = (",", ":")):
        self._style = {"sort_keys": True, "ensure_ascii": ascii, "separators": separators}
        self._fields = dict(fields or {})
        self._compiled = not ascii and separators == (",", ":") and self._fields.keys() <= _SIGNED_FIELDS
        if self._compiled:
            return
        self._string = encode_basestring_ascii if ascii else encode_basestring
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

    def encode(self, acta: Acta) -> bytes:
        """The acta's text, UTF-8."""
        if self._compiled:
            return encode_sorted(_Canonical(table=acta.table, contest=acta.contest, votes=dict(acta.votes),
                                            null=acta.null, blank=acta.blank, ballots_cast=acta.ballots_cast,
                                            **self._fields))
        return self.text(acta).encode()

    def text(self, acta: Acta) -> str:
        if self._compiled:
            return self.encode(acta).decode()
        counts = dict(acta.votes)
        if counts.keys() != self._known:  # not an acta of this contest as the rules make it
            return json.dumps({**self._fields, **acta.as_dict()}, **self._style)
        return self._format % (acta.ballots_cast, acta.blank, acta.null, self._string(acta.table),
                               *[counts[code] for code in self._codes])

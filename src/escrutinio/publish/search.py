"""Search over the election's areas, centres and tables by name or code.

An index is built once per election (the geography never changes once an election is loaded) and then
answers each query with a few binary searches, however many tables the night has:

- every name and code is *folded*: accents removed (NFKD, combining marks dropped), case folded, and
  everything that is not a letter or a digit dropped, so "Mérida", "merida" and "MERIDA" are one key,
  and "ZU-07", "zu 07" and "zu07" another;
- each area and centre is keyed by its code, its whole name, and its name from each word on (so
  "francisco" finds "San Francisco"); each table by its code alone;
- keys are kept sorted (one list per kind), so the entries whose key starts with the folded query are
  one slice found by bisection.

Ranking, best first: a code or whole name before a later word of a name; then a key equal to the query
before one that only starts with it; areas before centres before tables; higher levels (an estado before a
municipio) before lower ones; shorter names first; then definition order. Only the first ``scan`` keys
of a slice are looked at per kind, so a query of one letter costs no more than a precise one.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

KINDS = ("area", "centre", "table")
SCAN = 400  # keys looked at per kind and tier: ample for a page of results, bounded at any size of night


_NOT_ASCII_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """``text`` as the index compares it: no accents, no case, letters and digits only."""
    if text.isascii():  # most codes and many names: the same result, without decomposing each character
        return _NOT_ASCII_ALNUM.sub("", text.lower())
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch)).casefold()


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\W_]+", text) if w]


@dataclass(frozen=True)
class Hit:
    code: str
    name: str
    kind: str  # area, centre or table
    level: str  # the area's level name; "centre" or "table" otherwise
    url: str
    context: str  # where it is: the parent's name (a table: its centre's)

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "kind": self.kind, "level": self.level, "url": self.url,
                "context": self.context}


class _Keys:
    """Sorted folded keys of one kind, each pointing to an entry number and carrying a tier (0: code or
    whole name, 1: a later word of the name)."""

    def __init__(self, items: list[tuple[str, int, int]]):
        items.sort()
        self.keys = [k for k, _, _ in items]
        self.refs = [(entry, tier) for _, entry, tier in items]

    def find(self, query: str, scan: int) -> list[tuple[int, int, int]]:
        """(exact?, tier, entry) of the keys starting with ``query`` (at most ``scan`` of them)."""
        start = bisect.bisect_left(self.keys, query)
        found = []
        for i in range(start, min(start + scan, len(self.keys))):
            key = self.keys[i]
            if not key.startswith(query):
                break
            entry, tier = self.refs[i]
            found.append((0 if key == query else 1, tier, entry))
        return found


class SearchIndex:
    """Areas, centres and tables of one election, searchable by name or code."""

    def __init__(self, election, *, area_url=lambda code: f"/areas/{quote(code, safe='')}",
                 table_url=lambda code: f"/tables/{quote(code, safe='')}"):
        self.area_url, self.table_url = area_url, table_url
        levels = election.levels
        area_names = {a.code: a.name for a in election.areas}
        centre_names = {c.code: c.name for c in election.centres}
        # entries: (code, name, kind index, level rank, context)
        self.entries: list[tuple[str, str, int, int, str]] = []
        self.levels = list(levels)
        per_kind: list[list[tuple[str, int, int]]] = [[], [], []]

        def add(code: str, name: str, kind: int, rank: int, context: str, words: bool) -> None:
            entry = len(self.entries)
            self.entries.append((code, name, kind, rank, context))
            keys = per_kind[kind]
            keys.append((fold(code), entry, 0))
            if words:
                parts = _words(name)
                whole = fold(name)
                if whole:
                    keys.append((whole, entry, 0))
                for i in range(1, len(parts)):
                    key = fold("".join(parts[i:]))
                    if key:
                        keys.append((key, entry, 1))

        for area in election.areas:
            add(area.code, area.name, 0, area.level, area_names.get(area.parent or "", ""), True)
        for centre in election.centres:
            add(centre.code, centre.name, 1, len(levels), area_names.get(centre.area, ""), True)
        for table in election.tables:
            add(table.code, table.code, 2, len(levels) + 1, centre_names.get(table.centre, ""), False)
        self.kinds = [_Keys(items) for items in per_kind]

    def __len__(self) -> int:
        return len(self.entries)

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """The best ``limit`` matches of ``query``, best first (see the module's docstring)."""
        folded = fold(query or "")
        if not folded or limit <= 0:
            return []
        scored = {}
        for keys in self.kinds:
            for exact, tier, entry in keys.find(folded, max(SCAN, limit)):
                code, name, kind, rank, _ = self.entries[entry]
                score = (tier, exact, kind, rank, len(name), entry)
                if entry not in scored or score < scored[entry]:
                    scored[entry] = score
        best = sorted(scored.values())[:limit]
        return [self._hit(score[-1]) for score in best]

    def _hit(self, entry: int) -> Hit:
        code, name, kind, rank, context = self.entries[entry]
        if kind == 2:
            return Hit(code, name, "table", "table", self.table_url(code), context)
        level = self.levels[rank] if kind == 0 else "centre"
        return Hit(code, name, KINDS[kind], level, self.area_url(code), context)

"""What the log fixes before any acta: the geography (election leaf) and the table keys (keys leaves).

Position 0 of the log is {"kind": "election", "geography_sha256": …}: the SHA-256 of the canonical JSON
of the published geography. Every registration of table keys is a leaf {"kind": "keys", "tables":
{table: base64 public key, …}}; an acta's signature is checked with the key its table had in the log
before the acta's own leaf, so a key registered or replaced later cannot vouch for it.

Once a table has sent an acta, its key may change only by an explicit replacement: a leaf
{"kind": "key_replacement", "table", "previous_key", "key", "operator", "reason", "at"}. A keys leaf
that changes the key of a table after its first acta is a problem; every replacement is listed.
"""

from __future__ import annotations

import bisect

import nacl.signing

from .common import SlimActa, b64, canonical, sha256_hex, verify_key
from .geography import Tree
from .report import Report


def geography_digest(geography: dict) -> str:
    """The SHA-256 of the canonical JSON of the published geography (what the election leaf names)."""
    return sha256_hex(canonical(geography))


def check_election_leaf(report: Report, records: list[dict | None], mine: str) -> None:
    """The first leaf is the election leaf, the only one, and it names the published geography's hash
    (``mine``: geography_digest of the published geography)."""
    first = records[0] if records else None
    if not records:
        report.add("log", "the log is empty: it has no election leaf at position 0")
    elif first is None or first.get("kind") != "election":
        what = "unreadable" if first is None else f"of kind {first.get('kind')!r}"
        report.add("log", f"log leaf 0 is {what}, not the election leaf that fixes the geography")
    else:
        if set(first) != {"kind", "geography_sha256"}:
            report.add("log", f"log leaf 0: the election leaf has fields {', '.join(sorted(first))}, not just "
                              "kind and geography_sha256")
        logged = first.get("geography_sha256")
        if logged != mine:
            report.add("geography", f"the published geography does not match the one logged at position 0: its "
                                    f"SHA-256 is {mine}, the election leaf says {logged}")
    for position, record in enumerate(records):
        if position and type(record) is dict and record.get("kind") == "election":
            report.add("log", f"log leaf {position:,} is a second election leaf (only position 0 may be one)")


class KeyLog:
    """Each table's public keys in the order the log registered them."""

    def __init__(self, report: Report, tree: Tree, records: list[dict | None]):
        self.report = report
        self.replacements: list[str] = report.replacements
        # table -> positions of its keys leaves, and the key (None if unusable) at each
        self.positions: dict[str, list[int]] = {}
        self.keys: dict[str, list[tuple[str, nacl.signing.VerifyKey | None]]] = {}
        self.tree = tree
        self.plain: dict[str, list[bool]] = {}  # per registration of a table's key: by a plain keys leaf?
        leaves = 0
        for position, record in enumerate(records):
            if type(record) is not dict:
                continue  # acta leaves (SlimActa, ActaLeaf) or unreadable
            if record.get("kind") == "keys":
                leaves += 1
                self._leaf(tree, position, record)
            elif record and record.get("kind") == "key_replacement":
                self._replacement(position, record)
        report.count("keys leaves", leaves)
        self._changes(records)

    def _leaf(self, tree: Tree, position: int, record: dict) -> None:
        tables = record.get("tables")
        if set(record) != {"kind", "tables"} or not isinstance(tables, dict) or not tables:
            self.report.add("log", f"log leaf {position:,}: a keys leaf must be {{\"kind\": \"keys\", \"tables\": "
                                   "{table: key, …}} with at least one table")
        for table, text in (tables.items() if isinstance(tables, dict) else ()):
            if table not in tree.tables:
                self.report.add("keys", f"table {table}: log leaf {position:,} registers a key for it, but it is not "
                                        "a table of the geography")
            key = verify_key(text)
            if key is None:
                self.report.add("keys", f"table {table}: the key log leaf {position:,} registers for it is not 32 "
                                        "bytes of base64")
            self._register(table, position, text, key, plain=True)

    def _register(self, table: str, position: int, text: object, key, plain: bool) -> None:
        self.positions.setdefault(table, []).append(position)
        self.keys.setdefault(table, []).append((text, key))
        self.plain.setdefault(table, []).append(plain)

    def _replacement(self, position: int, record: dict) -> None:
        """A key replaced by an explicit act: well formed, naming the key it replaces; listed in the report."""
        fields = ("at", "key", "kind", "operator", "previous_key", "reason", "table")
        table, text = record.get("table"), record.get("key")
        where = f"table {table}: the key replacement at log leaf {position:,}"
        if sorted(record) != list(fields) or not all(isinstance(record.get(f), str) for f in fields):
            self.report.add("log", f"log leaf {position:,}: a key_replacement leaf must have exactly the text fields "
                                   f"{', '.join(fields)}")
        for what in ("operator", "reason"):
            if not str(record.get(what) or "").strip():
                self.report.add("keys", f"{where} gives no {what}")
        if not isinstance(table, str):
            return
        if table not in self.tree.tables:
            self.report.add("keys", f"{where}: not a table of the geography")
        key = verify_key(text)
        if key is None:
            self.report.add("keys", f"{where}: the new key is not 32 bytes of base64")
        before = self.keys.get(table)
        if not before:
            self.report.add("keys", f"{where} replaces no key: the log registers none for it before")
        elif _raw(before[-1][0]) != _raw(record.get("previous_key")):
            self.report.add("keys", f"{where} says it replaces key {record.get('previous_key')}, but the key the log "
                                    f"holds for it before is {before[-1][0]}")
        self.replacements.append(f"table {table}: at log leaf {position:,} ({record.get('at')}), key "
                                 f"{record.get('previous_key')} replaced by {text}, by {record.get('operator')}: "
                                 f"{record.get('reason')}")
        self._register(table, position, text, key, plain=False)

    def _changes(self, records: list[dict | None]) -> None:
        """A key changed by a plain keys leaf after the table's first acta: no replacement is on record."""
        first: dict[str, int] = {}
        for position, record in enumerate(records):
            if type(record) is SlimActa:
                if record.table not in first:
                    first[record.table] = position
            elif record and record.get("kind") == "acta" and isinstance(record.get("acta"), dict):
                table = record["acta"].get("table")
                if isinstance(table, str):
                    first.setdefault(table, position)
        for table, positions in self.positions.items():
            acta = first.get(table)
            for i in range(1, len(positions)):
                changed = _raw(self.keys[table][i][0]) != _raw(self.keys[table][i - 1][0])
                if changed and self.plain[table][i] and acta is not None and positions[i] > acta:
                    self.report.add("keys", f"table {table}: its key was changed at log leaf {positions[i]:,} (from "
                                            f"{self.keys[table][i - 1][0]} to {self.keys[table][i][0]}), after its "
                                            f"first acta (leaf {acta:,}), without a logged replacement with its "
                                            "reason (escrutinio keys replace)")

    def at(self, table: object, position: int) -> tuple[int, nacl.signing.VerifyKey | None] | None:
        """(leaf, key) of the last key the log registered for ``table`` before ``position``; None if none."""
        positions = self.positions.get(table) if isinstance(table, str) else None
        if not positions:
            return None
        index = bisect.bisect_left(positions, position) - 1
        if index < 0:
            return None
        return positions[index], self.keys[table][index][1]

    def latest(self) -> dict[str, tuple[int, str]]:
        """Table -> (leaf, key text) of the last key the log registered for it."""
        return {table: (positions[-1], self.keys[table][-1][0]) for table, positions in self.positions.items()}

    def compare_published(self, published: dict[str, str]) -> None:
        """The published keys are exactly the last ones the log registered, table by table."""
        logged = self.latest()
        for table in sorted(set(published) | set(logged), key=str):
            theirs = published.get(table)
            if table not in logged:
                self.report.add("keys", f"table {table}: key {theirs} is published, but no keys leaf of the log "
                                        "registers it")
                continue
            position, text = logged[table]
            if table not in published:
                self.report.add("keys", f"table {table}: the log registers key {text} for it (leaf {position:,}), "
                                        "but no key is published")
            elif (b64(theirs, 32) or theirs) != (b64(text, 32) or text):
                self.report.add("keys", f"table {table}: the published key is {theirs}, but the last key the log "
                                        f"registers for it (leaf {position:,}) is {text}")



def _raw(text: object) -> object:
    """A key's 32 bytes if it is base64 of them (so that padding or spaces do not count as a change)."""
    return b64(text, 32) or text

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

import base64
import bisect
import sys
from array import array

from .common import SlimActa, b64, canonical, sha256_hex
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
    """Each table's public keys in the order the log registered them.

    A national night registers a million tables' keys: each registration is a slot in flat arrays (its leaf,
    the key's 32 bytes, whether a plain keys leaf made it), a table's entry its one slot (or its slots, if it
    has several); a key's text is kept only when it is not the standard base64 of its bytes."""

    def __init__(self, report: Report, tree: Tree, records: list[dict | None]):
        self.report = report
        self.replacements: list[str] = report.replacements
        self.tree = tree
        self._slots: dict[str, int | list[int]] = {}  # table -> its slot, or its slots in log order
        self._position = array("q")  # per slot: the leaf that registered it
        self._raw = bytearray()  # per slot: the key's 32 bytes (zeros if unusable)
        self._plain = bytearray()  # per slot: 1 if registered by a plain keys leaf, 0 by a replacement
        self._text: dict[int, object] = {}  # slot -> the key as logged, where it is not base64 of _raw's bytes
        self._unusable: set[int] = set()  # slots whose key is not 32 bytes of base64
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
            key = b64(text, 32)
            if key is None:
                self.report.add("keys", f"table {table}: the key log leaf {position:,} registers for it is not 32 "
                                        "bytes of base64")
            self._register(table, position, text, key, plain=True)

    def _register(self, table: str, position: int, text: object, key: bytes | None, plain: bool) -> None:
        slot = len(self._position)
        self._position.append(position)
        self._raw += key if key is not None else bytes(32)
        self._plain.append(1 if plain else 0)
        if key is None:
            self._unusable.add(slot)
            self._text[slot] = text
        elif text != base64.b64encode(key).decode():
            self._text[slot] = text
        table = sys.intern(table) if type(table) is str else table
        found = self._slots.get(table)
        if found is None:
            self._slots[table] = slot
        elif type(found) is int:
            self._slots[table] = [found, slot]
        else:
            found.append(slot)

    def _of(self, table: object) -> list[int]:
        found = self._slots.get(table) if isinstance(table, str) else None
        return [] if found is None else [found] if type(found) is int else found

    def _key_text(self, slot: int) -> object:
        """The key of ``slot`` as the log wrote it."""
        if slot in self._text:
            return self._text[slot]
        return base64.b64encode(self._raw[32 * slot:32 * slot + 32]).decode()

    def _key(self, slot: int) -> bytes | None:
        return None if slot in self._unusable else bytes(self._raw[32 * slot:32 * slot + 32])

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
        key = b64(text, 32)
        if key is None:
            self.report.add("keys", f"{where}: the new key is not 32 bytes of base64")
        before = self._of(table)
        if not before:
            self.report.add("keys", f"{where} replaces no key: the log registers none for it before")
        elif _raw(self._key_text(before[-1])) != _raw(record.get("previous_key")):
            self.report.add("keys", f"{where} says it replaces key {record.get('previous_key')}, but the key the log "
                                    f"holds for it before is {self._key_text(before[-1])}")
        self.replacements.append(f"table {table}: at log leaf {position:,} ({record.get('at')}), key "
                                 f"{record.get('previous_key')} replaced by {text}, by {record.get('operator')}: "
                                 f"{record.get('reason')}")
        self._register(table, position, text, key, plain=False)

    def _changes(self, records: list[dict | None]) -> None:
        """A key changed by a plain keys leaf after the table's first acta: no replacement is on record."""
        several = {table: slots for table, slots in self._slots.items() if type(slots) is list}
        if not several:
            return
        first: dict[str, int] = {}
        for position, record in enumerate(records):
            if type(record) is SlimActa:
                table = record.table
            elif record and record.get("kind") == "acta" and isinstance(record.get("acta"), dict):
                table = record["acta"].get("table")
            else:
                continue
            if isinstance(table, str) and table in several and table not in first:
                first[table] = position
        for table, slots in several.items():
            acta = first.get(table)
            for before, slot in zip(slots, slots[1:]):
                changed = _raw(self._key_text(slot)) != _raw(self._key_text(before))
                if changed and self._plain[slot] and acta is not None and self._position[slot] > acta:
                    self.report.add("keys", f"table {table}: its key was changed at log leaf {self._position[slot]:,} "
                                            f"(from {self._key_text(before)} to {self._key_text(slot)}), after its "
                                            f"first acta (leaf {acta:,}), without a logged replacement with its "
                                            "reason (escrutinio keys replace)")

    def at(self, table: object, position: int) -> tuple[int, bytes | None] | None:
        """(leaf, key's 32 bytes or None if unusable) of the last key the log registered for ``table`` before
        ``position``; None if none."""
        found = self._slots.get(table) if isinstance(table, str) else None
        if found is None:
            return None
        if type(found) is int:
            at = self._position[found]
            return (at, self._key(found)) if at < position else None
        positions = [self._position[slot] for slot in found]
        index = bisect.bisect_left(positions, position) - 1
        if index < 0:
            return None
        return positions[index], self._key(found[index])

    def latest(self) -> dict[str, tuple[int, str]]:
        """Table -> (leaf, key text) of the last key the log registered for it."""
        out = {}
        for table in self._slots:
            slot = self._of(table)[-1]
            out[table] = (self._position[slot], self._key_text(slot))
        return out

    def compare_published(self, published: dict[str, str]) -> None:
        """The published keys are exactly the last ones the log registered, table by table."""
        found: list[tuple[str, str]] = []
        for table, theirs in published.items():
            slots = self._of(table)
            if not slots:
                found.append((table, f"table {table}: key {theirs} is published, but no keys leaf of the log "
                                     "registers it"))
                continue
            slot = slots[-1]
            if slot not in self._text and slot not in self._unusable and b64(theirs, 32) == self._key(slot):
                continue
            text = self._key_text(slot)
            if (b64(theirs, 32) or theirs) != (b64(text, 32) or text):
                found.append((table, f"table {table}: the published key is {theirs}, but the last key the log "
                                     f"registers for it (leaf {self._position[slot]:,}) is {text}"))
        for table in self._slots:
            if table not in published:
                slot = self._of(table)[-1]
                found.append((table, f"table {table}: the log registers key {self._key_text(slot)} for it (leaf "
                                     f"{self._position[slot]:,}), but no key is published"))
        for _, text in sorted(found, key=lambda pair: str(pair[0])):
            self.report.add("keys", text)


def _raw(text: object) -> object:
    """A key's 32 bytes if it is base64 of them (so that padding or spaces do not count as a change)."""
    return b64(text, 32) or text

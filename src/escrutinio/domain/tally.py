"""In-memory counters per table, rolled up to every area.

The tree is compiled once into arrays: every area and every centre is a
*node*; each table knows its ancestors (its centre, then areas up to the
root). Each contest keeps one row of counters per table and one per node;
changing a table's row adds the difference to each ancestor, so one acta
updates every level in a handful of vector additions.
"""

from __future__ import annotations

import weakref

from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

import numpy as np

from .model import CONFLICTING, COUNTED, QUARANTINED, Acta, Contest, Election

T = TypeVar("T")
# Counter columns after the option columns, in this order.
TAIL = ("null", "blank", "ballots_cast", "registered_counted",
        "counted", "received", "quarantined", "conflict", "capacity_in_conflict")


@dataclass(frozen=True)
class SlotState:
    """What one (table, contest) holds: its counted acta, if any, and flags."""

    counted: Acta | None = None
    received: bool = False
    quarantined: bool = False
    conflict: bool = False


def slot_state(held: list) -> SlotState:
    """What a (table, contest) slot holds, from its actas (anything with ``.status`` and ``.acta``)."""
    statuses = [r.status for r in held]
    counted = held[statuses.index(COUNTED)].acta if COUNTED in statuses else None
    return SlotState(counted, bool(held), QUARANTINED in statuses, CONFLICTING in statuses)


def breadth_first(election: Election) -> list[str]:
    """Every area and centre code, breadth first from the root; each node's children in definition order."""
    children = election.children
    order = [election.root.code]
    for code in order:  # the list grows while it is walked
        areas, centres, _ = children[code]
        order += [a.code for a in areas] + [c.code for c in centres]
    return order


class _Chains:
    """``ancestors[t]``: table t's centre and the areas above it up to the root (node indices), read from one
    array per node depth instead of an array per table (made when first asked for)."""

    def __init__(self, geography: "Geography"):
        self._geo = geography
        self._rows: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self._geo.centre_of_table)

    def __getitem__(self, table: int) -> np.ndarray:
        if self._rows is None:
            self._rows = np.ascontiguousarray(self._geo._up.T)
        centre = int(self._geo.centre_of_table[table])
        return self._rows[centre, : int(self._geo.depth[centre]) + 1]


class Geography:
    """The tree of areas and centres as index arrays.

    Nodes are numbered breadth-first from the root, each node's children
    (areas, then centres) in definition order: the children of a node are
    consecutive, and so are the nodes of one depth, which lets the roll-up
    sum one level into the next with ``np.add.reduceat`` over slices.

    Made with numpy, one vector step per depth: at a million tables the only
    Python loops are one pass over the tables (their centre, registered voters
    and contests) and one over the areas and centres.
    """

    def __init__(self, election: Election):
        areas, centres, tables = election.areas, election.centres, election.tables
        n_areas = len(areas)
        # Definition numbering: the areas, then the centres, each in definition order.
        defined = [a.code for a in areas] + [c.code for c in centres]
        number = {code: i for i, code in enumerate(defined)}
        up_defined = np.array([number[a.parent] if a.parent else -1 for a in areas]
                              + [number[c.area] for c in centres], dtype=np.int64)
        root = number[election.root.code]
        # Breadth first, one depth at a time: a node's place is its parent's place, then its definition
        # number (areas before centres, each in definition order).
        place = np.full(len(defined) + 1, -1, dtype=np.int64)  # the last: the place of "no parent"
        place[root] = 0
        levels = [np.array([root], dtype=np.int64)]
        has_parent = up_defined >= 0
        parent_slot = np.where(has_parent, up_defined, len(defined))
        placed = 1
        while True:
            above = place[parent_slot]
            below = np.flatnonzero(has_parent & (above >= placed - len(levels[-1])) & (above >= 0))
            if not len(below):
                break
            below = below[np.argsort(above[below], kind="stable")]
            place[below] = np.arange(placed, placed + len(below))
            placed += len(below)
            levels.append(below)
        order = np.concatenate(levels)
        order_list = order.tolist()
        self.codes: list[str] = [defined[i] for i in order_list]
        self.kinds: list[str] = ["area" if i < n_areas else "centre" for i in order_list]
        self.size = len(self.codes)
        self.parent = np.where(has_parent[order], place[parent_slot[order]], -1).astype(np.int64)
        self.depth = np.repeat(np.arange(len(levels), dtype=np.int64), [len(level) for level in levels])
        self._tables = tables
        centre_of_table = place[np.fromiter((number[t.centre] for t in tables), dtype=np.int64, count=len(tables))]
        self.centre_of_table = centre_of_table
        self.registered = np.fromiter((t.registered for t in tables), dtype=np.int64, count=len(tables))
        ballots: dict[tuple[str, ...], int] = {}
        self._ballot_of_table = np.fromiter((ballots.setdefault(t.contests, len(ballots)) for t in tables),
                                            dtype=np.int64, count=len(tables))
        self._ballots = list(ballots)
        self._up = self._ancestor_rows()
        self.ancestors = _Chains(self)
        # ancestor_matrix[k, t]: the k-th ancestor of table t, or `size` (a scratch row) past its root.
        self.ancestor_matrix = np.ascontiguousarray(self._up[:, centre_of_table])
        self._plan_roll_up(centre_of_table)

    @cached_property
    def index(self) -> dict[str, int]:
        """Node index by area or centre code."""
        return {code: i for i, code in enumerate(self.codes)}

    @cached_property
    def table_index(self) -> dict[str, int]:
        """Table index (definition order) by table code."""
        return {t.code: i for i, t in enumerate(self._tables)}

    def on_ballot(self, contest: str) -> np.ndarray:
        """Per table: whether ``contest`` is on its ballot."""
        member = np.array([contest in ballot for ballot in self._ballots], dtype=bool)
        return member[self._ballot_of_table]

    def _ancestor_rows(self) -> np.ndarray:
        """up[k, node]: the k-th ancestor of every node (0: itself), or `size` past the root; one vector step
        per depth."""
        depth = int(self.depth.max()) + 1 if self.size else 0
        up = np.full((depth, self.size), self.size, dtype=np.int64)
        if depth:
            parent = np.append(np.where(self.parent < 0, self.size, self.parent), self.size)
            up[0] = np.arange(self.size)
            for k in range(1, depth):
                up[k] = parent[up[k - 1]]
        return up

    def _plan_roll_up(self, centre_of_table: np.ndarray) -> None:
        # Tables grouped by centre (a permutation only if the definition does not list them so).
        self._table_order = np.argsort(centre_of_table, kind="stable")
        if np.array_equal(self._table_order, np.arange(len(centre_of_table))):
            self._table_order = None
        grouped = centre_of_table if self._table_order is None else centre_of_table[self._table_order]
        self._table_groups, self._table_starts = np.unique(grouped, return_index=True)
        # Per depth, deepest first: the slice of its nodes, their distinct parents and where each begins.
        self._levels = []
        for d in range(int(self.depth.max()) if self.size else 0, 0, -1):
            at = np.flatnonzero(self.depth == d)
            lo, hi = int(at[0]), int(at[-1]) + 1
            groups, starts = np.unique(self.parent[lo:hi], return_index=True)
            self._levels.append((lo, hi, groups, starts))

    def roll_up(self, values: np.ndarray) -> np.ndarray:
        """Sum per-table values (1-D or rows, in table order) into every node."""
        totals = np.zeros((self.size,) + values.shape[1:], dtype=np.int64)
        if len(values):
            rows = values if self._table_order is None else values[self._table_order]
            totals[self._table_groups] = np.add.reduceat(rows, self._table_starts, axis=0)
        for lo, hi, groups, starts in self._levels:
            totals[groups] += np.add.reduceat(totals[lo:hi], starts, axis=0)
        return totals

    def children(self) -> dict[int, list[int]]:
        kids: dict[int, list[int]] = {}
        for node, parent in enumerate(self.parent.tolist()):
            if parent >= 0:
                kids.setdefault(parent, []).append(node)
        return kids


class ContestTally:
    """Counters of one contest for every table and every node."""

    def __init__(self, contest: Contest, election: Election, geography: Geography):
        self.contest = contest
        self.columns: tuple[str, ...] = contest.option_codes + TAIL
        self.col = {name: i for i, name in enumerate(self.columns)}
        n_tables = len(election.tables)
        self.on_ballot = geography.on_ballot(contest.code)
        self.registered = geography.registered
        extra = election.extra_voters_allowed
        self._extra = extra
        # np.full writes every page now: np.zeros would leave them to be mapped on first write, one page
        # fault per table during the night (about 10 µs each in a virtual machine: 65 µs an acta at 1M tables).
        self.table_rows = np.full((n_tables, len(self.columns)), 0, dtype=np.int64)
        self.node_rows = np.full((geography.size, len(self.columns)), 0, dtype=np.int64)
        self.expected = geography.roll_up(self.on_ballot.astype(np.int64))
        self.registered_all = geography.roll_up(np.where(self.on_ballot, self.registered, 0))
        self.capacity_all = geography.roll_up(np.where(self.on_ballot, self.registered + extra, 0))
        self._geo = geography

    def row_for(self, table: int, state: SlotState) -> np.ndarray:
        return self._rows(np.array([table], dtype=np.int64), [state])[0]

    def set(self, table: int, state: SlotState) -> None:
        row = self.row_for(table, state)
        delta = row - self.table_rows[table]
        if delta.any():
            self.node_rows[self._geo.ancestors[table]] += delta
            self.table_rows[table] = row

    def set_many(self, items: list[tuple[int, SlotState]]) -> None:
        """``set`` of many tables (each once) in a few vector operations: every ancestor gets its tables' changes."""
        if not items:
            return
        tables = np.array([t for t, _ in items], dtype=np.int64)
        rows = self._rows(tables, [s for _, s in items])
        delta = rows - self.table_rows[tables]
        self.table_rows[tables] = rows
        chains = [self._geo.ancestors[t] for t, _ in items]
        np.add.at(self.node_rows, np.concatenate(chains), np.repeat(delta, [len(c) for c in chains], axis=0))

    def fill(self, items: list[tuple[int, list[int] | None, bool, bool, bool]]) -> None:
        """Set many tables' rows at once, then roll up every node again. Items are (table, counts if
        counted, received, quarantined, conflict): counts are the votes in ballot order, then null,
        blank and ballots cast (as the store packs them, store.pack_counts)."""
        if items:
            tables, counts, received, quarantined, conflict = (list(column) for column in zip(*items))
            tables = np.array(tables, dtype=np.int64)
            self.table_rows[tables] = self._rows_of(tables, counts, received, quarantined, conflict)
        self.recompute()

    def fill_columns(self, tables: np.ndarray, flags: np.ndarray, counts: np.ndarray) -> None:
        """``fill`` from every acta of this contest as columns, in the order they were stored: each one's table
        index, whether it is counted / quarantined / conflicting (``flags``, three boolean rows), and the counts
        of the counted ones (a row each, in their order; any integer type). A slot's counts are its last counted
        acta's; every table named has received an acta. Then every node is rolled up again.

        When every table is named (a whole night) the rows are written in place: no temporary the size of the
        counters (each fresh page of memory costs a page fault, ~10 µs in a virtual machine)."""
        counted, quarantined, conflict = (np.asarray(f, dtype=bool) for f in flags)
        n = len(self.table_rows)
        seen = np.zeros(n, dtype=bool)
        seen[tables] = True
        in_quarantine, in_conflict, has = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        in_quarantine[tables[quarantined]] = True
        in_conflict[tables[conflict]] = True
        width = len(self.contest.option_codes) + 3
        touched = np.flatnonzero(seen)
        whole = len(touched) == n
        rows = self.table_rows if whole else np.zeros((len(touched), len(self.columns)), dtype=np.int64)
        if whole:
            rows[:, :width] = 0
        counted_tables = tables[counted]
        if len(counted_tables):
            has[counted_tables] = True
            if np.count_nonzero(has) == len(counted_tables):  # one counted acta per table, as the store keeps it
                last, figures = counted_tables, counts
            else:  # the last counted acta of each
                last, where = np.unique(counted_tables[::-1], return_index=True)
                figures = counts[len(counted_tables) - 1 - where]
            rows[last if whole else np.searchsorted(touched, last), :width] = figures
        ok = has if whole else has[touched]
        registered = self.registered if whole else self.registered[touched]
        quarantine = in_quarantine if whole else in_quarantine[touched]
        conflicted = in_conflict if whole else in_conflict[touched]
        c = self.col
        rows[:, c["registered_counted"]] = np.where(ok, registered, 0)
        rows[:, c["counted"]] = ok
        rows[:, c["received"]] = True
        rows[:, c["quarantined"]] = quarantine & ~ok
        rows[:, c["conflict"]] = conflicted
        rows[:, c["capacity_in_conflict"]] = np.where(ok & conflicted, registered + self._extra, 0)
        if not whole:
            self.table_rows[touched] = rows
        self.recompute()

    def _rows(self, tables: np.ndarray, states: list[SlotState]) -> np.ndarray:
        """Counter rows for the given tables; votes are placed by option code."""
        codes = self.contest.option_codes
        return self._rows_of(tables, [_counts(s.counted, codes) if s.counted is not None else None for s in states],
                             [s.received for s in states], [s.quarantined for s in states],
                             [s.conflict for s in states])

    def _rows_of(self, tables: np.ndarray, counts: list[list[int] | None], received: list[bool],
                 quarantined: list[bool], conflict: list[bool]) -> np.ndarray:
        c = self.col
        rows = np.zeros((len(counts), len(self.columns)), dtype=np.int64)
        counted = np.array([n is not None for n in counts], dtype=bool)
        if counted.any():
            rows[counted, : len(self.contest.option_codes) + 3] = [n for n in counts if n is not None]
        in_conflict = np.array(conflict, dtype=bool)
        rows[:, c["registered_counted"]] = np.where(counted, self.registered[tables], 0)
        rows[:, c["counted"]] = counted
        rows[:, c["received"]] = np.array(received, dtype=bool) | counted
        rows[:, c["quarantined"]] = np.array(quarantined, dtype=bool) & ~counted
        rows[:, c["conflict"]] = in_conflict
        rows[:, c["capacity_in_conflict"]] = np.where(counted & in_conflict, self.registered[tables] + self._extra, 0)
        return rows

    def recompute(self) -> None:
        """Roll every table row up again from scratch (after bulk loading)."""
        self.node_rows = self._geo.roll_up(self.table_rows)

    def remaining_capacity(self) -> np.ndarray:
        """Per node: ballots still possible at tables not counted (registered + allowed extra)."""
        counted_capacity = self.node_rows[:, self.col["registered_counted"]] + \
            self._extra * self.node_rows[:, self.col["counted"]]
        return self.capacity_all - counted_capacity

    def conflict_swing(self) -> np.ndarray:
        """Per node: how far open conflicts at counted tables could still move a lead.

        Replacing a counted acta could take every vote there from the leader
        and give the table's whole capacity to a challenger: at most twice the
        capacity of each such table.
        """
        return 2 * self.node_rows[:, self.col["capacity_in_conflict"]]


_geographies: dict[int, tuple[weakref.ref, Geography]] = {}


def geography_of(election: Election) -> Geography:
    """The election's Geography, made once per election object (a second of work at 1M tables, and never
    changed once made: every Tally of the same election shares it)."""
    found = _geographies.get(id(election))
    if found is not None and found[0]() is election:
        return found[1]
    made = Geography(election)
    key = id(election)
    _geographies[key] = (weakref.ref(election, lambda _, key=key: _geographies.pop(key, None)), made)
    return made


def _counts(acta: Acta, codes: tuple[str, ...]) -> list[int]:
    """An acta's counts in counter-row order: votes by option code, then null, blank, ballots cast."""
    votes = dict(acta.votes)
    return [votes.get(code, 0) for code in codes] + [acta.null, acta.blank, acta.ballots_cast]


class Tally:
    """Counters for every contest of an election."""

    def __init__(self, election: Election):
        self.election = election
        self.geography = geography_of(election)
        self.contests = {c.code: ContestTally(c, election, self.geography) for c in election.contests}

    def set(self, table: str, contest: str, state: SlotState) -> None:
        self.contests[contest].set(self.geography.table_index[table], state)

    def set_many(self, states: dict[tuple[str, str], SlotState]) -> None:
        """``set`` of many slots, one vector update per contest."""
        for code, items in self._by_contest(states).items():
            self.contests[code].set_many(items)

    def load(self, states: dict[tuple[str, str], SlotState]) -> None:
        """Set many slots at once (on a fresh tally, or replacing those slots), then roll up once."""
        self.load_counts({(table, contest): (_counts(s.counted, self.contests[contest].contest.option_codes)
                                             if s.counted is not None else None, s.received, s.quarantined,
                                             s.conflict)
                          for (table, contest), s in states.items()})

    def load_counts(self, slots: dict[tuple[str, str], tuple[list[int] | None, bool, bool, bool]]) -> None:
        """``load`` from (counts if counted, received, quarantined, conflict) per slot (see ContestTally.fill)."""
        for code, items in self._by_contest(slots).items():
            if items:
                self.contests[code].fill([(table, *state) for table, state in items])

    def _by_contest(self, slots: dict[tuple[str, str], T]) -> dict[str, list[tuple[int, T]]]:
        """Per contest code, (table index, what the slot gets) of the given slots."""
        index = self.geography.table_index
        grouped: dict[str, list[tuple[int, T]]] = {code: [] for code in self.contests}
        for (table, contest), value in slots.items():
            grouped[contest].append((index[table], value))
        return grouped

    def table_bytes(self) -> bytes:
        """Every contest's per-table counters (int64 little-endian, in contest order): enough to rebuild it."""
        return b"".join(ct.table_rows.astype("<i8", copy=False).tobytes() for ct in self.contests.values())

    def restore(self, data: bytes) -> None:
        """Take the per-table counters of ``table_bytes`` back, and roll every node up from them."""
        rows = [ct.table_rows.shape for ct in self.contests.values()]
        if len(data) != 8 * sum(r * c for r, c in rows):
            raise ValueError("these counters are not of this election's tables and contests")
        offset = 0
        for ct, (r, c) in zip(self.contests.values(), rows):
            ct.table_rows = np.frombuffer(data, dtype="<i8", count=r * c, offset=offset).reshape(r, c).astype(np.int64)
            offset += 8 * r * c
            ct.recompute()

    def check_roll_up(self) -> None:
        """Raise if any node's counters differ from the sum of the tables beneath it (a fresh roll-up)."""
        for code, ct in self.contests.items():
            fresh = self.geography.roll_up(ct.table_rows)
            if not np.array_equal(fresh, ct.node_rows):
                node = int(np.flatnonzero((fresh != ct.node_rows).any(axis=1))[0])
                raise RuntimeError(f"contest {code}: the counters kept for {self.geography.codes[node]} differ "
                                   "from the sum of its tables")

"""In-memory counters per table, rolled up to every area.

The tree is compiled once into arrays: every area and every centre is a
*node*; each table knows its ancestors (its centre, then areas up to the
root). Each contest keeps one row of counters per table and one per node;
changing a table's row adds the difference to each ancestor, so one acta
updates every level in a handful of vector additions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import Acta, Contest, Election

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


class Geography:
    """The tree of areas and centres as index arrays."""

    def __init__(self, election: Election):
        areas = sorted(election.areas, key=lambda a: a.level)
        self.codes: list[str] = [a.code for a in areas] + [c.code for c in election.centres]
        self.kinds: list[str] = ["area"] * len(areas) + ["centre"] * len(election.centres)
        self.index: dict[str, int] = {code: i for i, code in enumerate(self.codes)}
        parent = [self.index[a.parent] if a.parent else -1 for a in areas]
        parent += [self.index[c.area] for c in election.centres]
        self.parent = np.array(parent, dtype=np.int64)
        self.size = len(self.codes)
        self.table_index: dict[str, int] = {t.code: i for i, t in enumerate(election.tables)}
        chains = self._chains()
        self.ancestors: list[np.ndarray] = [chains[self.index[t.centre]] for t in election.tables]
        depth = max((len(c) for c in self.ancestors), default=0)
        # ancestor_matrix[k, t]: the k-th ancestor of table t, or `size` (a scratch row) past its root.
        self.ancestor_matrix = np.full((depth, len(self.ancestors)), self.size, dtype=np.int64)
        for t, chain in enumerate(self.ancestors):
            self.ancestor_matrix[: len(chain), t] = chain

    def _chains(self) -> list[np.ndarray]:
        """For every node, itself and its ancestors up to the root (in any node order)."""
        parents = self.parent.tolist()
        chains: dict[int, list[int]] = {}
        for start in range(self.size):
            path, node = [], start
            while node >= 0 and node not in chains:
                path.append(node)
                node = parents[node]
            above = chains[node] if node >= 0 else []
            for i, member in enumerate(path):
                chains[member] = path[i:] + above
        return [np.array(chains[n], dtype=np.int64) for n in range(self.size)]

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
        self.on_ballot = np.array([contest.code in t.contests for t in election.tables], dtype=bool)
        self.registered = np.array([t.registered for t in election.tables], dtype=np.int64)
        extra = election.extra_voters_allowed
        self._extra = extra
        self.table_rows = np.zeros((n_tables, len(self.columns)), dtype=np.int64)
        self.node_rows = np.zeros((geography.size, len(self.columns)), dtype=np.int64)
        self.expected = _roll_up(geography, self.on_ballot.astype(np.int64))
        self.registered_all = _roll_up(geography, np.where(self.on_ballot, self.registered, 0))
        self.capacity_all = _roll_up(geography, np.where(self.on_ballot, self.registered + extra, 0))
        self._geo = geography

    def row_for(self, table: int, state: SlotState) -> np.ndarray:
        return self._rows(np.array([table], dtype=np.int64), [state])[0]

    def set(self, table: int, state: SlotState) -> None:
        row = self.row_for(table, state)
        delta = row - self.table_rows[table]
        if delta.any():
            self.node_rows[self._geo.ancestors[table]] += delta
            self.table_rows[table] = row

    def fill(self, items: list[tuple[int, SlotState]]) -> None:
        """Set many tables' rows at once, then roll up every node again."""
        if items:
            tables = np.array([t for t, _ in items], dtype=np.int64)
            self.table_rows[tables] = self._rows(tables, [s for _, s in items])
        self.recompute()

    def _rows(self, tables: np.ndarray, states: list[SlotState]) -> np.ndarray:
        """Counter rows for the given tables; votes are placed by option code."""
        c, codes = self.col, self.contest.option_codes
        rows = np.zeros((len(states), len(self.columns)), dtype=np.int64)
        counted = np.array([s.counted is not None for s in states], dtype=bool)
        if counted.any():
            rows[counted, : len(codes) + 3] = [
                [dict(s.counted.votes).get(code, 0) for code in codes]
                + [s.counted.null, s.counted.blank, s.counted.ballots_cast]
                for s in states if s.counted is not None]
        conflict = np.array([s.conflict for s in states], dtype=bool)
        rows[:, c["registered_counted"]] = np.where(counted, self.registered[tables], 0)
        rows[:, c["counted"]] = counted
        rows[:, c["received"]] = [s.received or s.counted is not None for s in states]
        rows[:, c["quarantined"]] = [s.quarantined and s.counted is None for s in states]
        rows[:, c["conflict"]] = conflict
        rows[:, c["capacity_in_conflict"]] = np.where(counted & conflict, self.registered[tables] + self._extra, 0)
        return rows

    def recompute(self) -> None:
        """Roll every table row up again from scratch (after bulk loading)."""
        self.node_rows = _roll_up(self._geo, self.table_rows)

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


class Tally:
    """Counters for every contest of an election."""

    def __init__(self, election: Election):
        self.election = election
        self.geography = Geography(election)
        self.contests = {c.code: ContestTally(c, election, self.geography) for c in election.contests}

    def set(self, table: str, contest: str, state: SlotState) -> None:
        self.contests[contest].set(self.geography.table_index[table], state)

    def load(self, states: dict[tuple[str, str], SlotState]) -> None:
        """Set many slots at once (on a fresh tally, or replacing those slots), then roll up once."""
        index = self.geography.table_index
        by_contest: dict[str, list[tuple[int, SlotState]]] = {code: [] for code in self.contests}
        for (table, contest), state in states.items():
            by_contest[contest].append((index[table], state))
        for code, items in by_contest.items():
            self.contests[code].fill(items)


def _roll_up(geography: Geography, values: np.ndarray) -> np.ndarray:
    """Sum per-table values (1-D or rows) into every ancestor node."""
    totals = np.zeros((geography.size + 1,) + values.shape[1:], dtype=np.int64)
    for level in geography.ancestor_matrix:
        np.add.at(totals, level, values)
    return totals[:-1]

"""A previous election beside this night: its figures on this night's geography, and the swing.

A previous election is loaded as *units*: this night's tables (when its
results came per table) or this night's areas (when they came per area),
each with the earlier election's registered voters, ballots cast, null
votes and votes per earlier option. ``PreviousElection.roll_up`` adds them
up to every node of the bulletin (areas and centres), the way the tally
does; ``compare`` sets one node's figures of a bulletin beside them.

Options are matched through the mapping (this night's option code ->
earlier option code); an option without a counterpart is compared with
nothing. Vote changes are exact integers; changes in points are exact
differences of two shares, printed by the election's percent rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .percent import PercentRule

# Per unit, before the earlier options' votes.
HEAD = ("registered", "ballots_cast", "null")
TABLE = "table"
AREA = "area"


@dataclass(frozen=True)
class PreviousElection:
    """An earlier election mapped onto this night's geography and options."""

    name: str
    date: str | None
    options: tuple[tuple[str, str], ...]          # earlier options: (code, name)
    mapping: dict[str, str]                        # this night's option code -> earlier option code
    unit: str                                      # TABLE or AREA: what the units are
    units: dict[str, tuple[int, ...]]              # node or table code -> (registered, cast, null, *votes)
    unmatched: tuple[dict, ...] = ()               # {"code", "reason"}: what could not be placed
    split: tuple[str, ...] = ()                    # this night's codes with only part of an earlier unit
    source: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    @cached_property
    def option_codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.options)

    @cached_property
    def option_names(self) -> dict[str, str]:
        return dict(self.options)

    def totals(self) -> tuple[int, ...]:
        """The earlier election's whole figures: every unit, placed or not."""
        return tuple(int(x) for x in np.array(list(self.units.values()), dtype=np.int64).sum(axis=0))

    def roll_up(self, codes: list[str], parents: list[str | None], table_centre: dict[str, str]) -> np.ndarray:
        """Figures per node (rows in the order of ``codes``), each node holding every unit beneath it."""
        index = {code: i for i, code in enumerate(codes)}
        out = np.zeros((len(codes), len(HEAD) + len(self.options)), dtype=np.int64)
        for code, row in self.units.items():
            node = index.get(table_centre.get(code, code))
            if node is not None:
                out[node] += row
        parent_index = [index[p] if p is not None else -1 for p in parents]
        for node in range(len(codes) - 1, 0, -1):  # breadth-first order: children after their parents
            if parent_index[node] >= 0:
                out[parent_index[node]] += out[node]
        return out

    def comparable(self, codes: list[str], parents: list[str | None]) -> np.ndarray:
        """Per node: False where the node (or a node above it) holds only part of a split earlier unit."""
        index = {code: i for i, code in enumerate(codes)}
        partial = np.zeros(len(codes), dtype=bool)
        for code in self.split:
            if code in index:
                partial[index[code]] = True
        for node in range(1, len(codes)):
            parent = parents[node]
            if parent is not None and partial[index[parent]]:
                partial[node] = True
        return ~partial


def leader(votes: dict[str, int]) -> str | None:
    """The option with the most votes; None on a tie for first or with no votes."""
    ranked = sorted(votes.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] == 0 or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def points_change(now: int, now_whole: int, then: int, then_whole: int, rule: PercentRule) -> str | None:
    """now/now_whole − then/then_whole in percentage points, exact, printed by ``rule``."""
    if now_whole <= 0 or then_whole <= 0:
        return None
    return rule.format(now * then_whole - then * now_whole, now_whole * then_whole)


def compare(option_codes: list[str], figures: dict, previous: PreviousElection, row: np.ndarray,
            rule: PercentRule, basis: str) -> dict:
    """One node of a bulletin (its published ``figures`` for one contest) beside the earlier ``row``.

    Compares what the bulletin has counted with the earlier election's whole
    figures at the same node, as a newsroom does on the night; the share of the
    register counted is given beside it, so a partial count is read as one.
    """
    then = dict(zip(previous.option_codes, (int(v) for v in row[len(HEAD):])))
    registered, cast = int(row[0]), int(row[1])
    then_valid = sum(then.values())
    now = {o["code"]: o["votes"] for o in figures["options"]}
    now_valid = figures["valid"]
    options = {}
    for code in option_codes:
        earlier = previous.mapping.get(code)
        entry: dict = {"previous_option": earlier, "previous_name": previous.option_names.get(earlier)}
        if earlier is not None:
            entry.update(votes=now[code], previous_votes=then[earlier], votes_change=now[code] - then[earlier],
                         points_change=points_change(now[code], now_valid, then[earlier], then_valid, rule))
        options[code] = entry
    now_registered = figures["registered_all"] if basis == "whole_register" else figures["registered_counted"]
    mapped_now = {c: now[c] for c in option_codes if previous.mapping.get(c)}
    mapped_then = {c: then[previous.mapping[c]] for c in mapped_now}
    leader_now, leader_then = leader(mapped_now), leader(mapped_then)
    return {
        "previous": previous.name,
        "previous_date": previous.date,
        "options": options,
        "turnout_change_points": points_change(figures["ballots_cast"], now_registered, cast, registered, rule),
        "turnout_basis": basis,
        "turnout": figures["turnout"][basis],
        "previous_turnout": rule.format(cast, registered),
        "ballots_cast_change": figures["ballots_cast"] - cast,
        "leader": leader_now,
        "previous_leader": leader_then,
        "leader_changed": leader_now is not None and leader_then is not None and leader_now != leader_then,
        "register_counted_percent": figures["register_counted_percent"],
    }

"""The previous election: load it, hand its figures to other use cases, compare bulletins with it.

The comparison is worked out from a published bulletin and the loaded
previous election whenever it is asked for; it is not part of the
bulletin's hash (the previous election can be loaded or corrected after a
bulletin is out). Its inputs are both public: the bulletin's counters and
the previous election's figures, which the API publishes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..domain import transfer as ei
from ..domain.bulletin import Bulletin, counter_columns, figures
from ..domain.comparison import HEAD, TABLE, PreviousElection, compare
from ..domain.errors import NotFound, PreviousRejected, Problem
from ..domain.model import COUNTED, Election
from ..intake import previous as reader
from ..store import Store
from .clock import now_utc

OTHER = "other"


def load_previous(store: Store, results: str | Path, mapping: str | Path,
                  now: dt.datetime | None = None) -> PreviousElection:
    """Read, place and store a previous election (replacing any loaded before); PreviousRejected lists
    every problem of both files, and then nothing is stored."""
    previous = reader.load(store.election(), results, mapping)
    save_previous(store, previous, now)
    return previous


def load_previous_store(store: Store, other_url: str, mapping: str | Path,
                        now: dt.datetime | None = None) -> PreviousElection:
    """Load the previous election from another escrutinio store (read only, never migrated): its counted
    actas of one contest (the mapping's ``contest``, default its first), per table; name and date default
    to that election's."""
    from .election import open_store

    problems: list[Problem] = []
    found = reader.read_mapping(mapping, problems, name_required=False)
    other = open_store(other_url, migrate=False)
    try:
        earlier = other.election()
        contest = earlier.contest_by_code.get(found.contest or earlier.contests[0].code)
        if contest is None:
            problems.append(Problem("contest", f"no contest {found.contest!r} in {earlier.name}",
                                    f"use one of {', '.join(earlier.contest_by_code)}", str(mapping)))
            raise PreviousRejected("the previous election was not loaded", problems)
        rows = [(record.id, record.acta.table, _acta_figures(earlier, contest.option_codes, record.acta))
                for record in other.actas() if record.status == COUNTED and record.acta.contest == contest.code]
    finally:
        other.close()
    found.name = found.name or earlier.name
    found.date = found.date or earlier.date.isoformat()
    previous = reader.checked(store.election(), found, reader.Rows(TABLE, list(contest.option_codes), rows),
                              str(mapping), f"{earlier.name}, contest {contest.code}", problems)
    save_previous(store, previous, now)
    return previous


def _acta_figures(election: Election, options: tuple[str, ...], acta) -> tuple[int, ...]:
    votes = dict(acta.votes)
    return (election.table_by_code[acta.table].registered, acta.ballots_cast, acta.null + acta.blank,
            *(votes.get(o, 0) for o in options))


def save_previous(store: Store, previous: PreviousElection, now: dt.datetime | None = None) -> None:
    with store.transaction() as conn:
        store.save_previous(conn, previous, now or now_utc())


def get_previous(store: Store) -> PreviousElection | None:
    return store.previous()


@dataclass(frozen=True)
class PreviousFigures:
    """The previous election per node and per table, its votes under tonight's option codes.

    Each value is ``{"registered", "ballots_cast", "null", "votes": {tonight's option: n}, "other": n}``
    ("other": earlier votes for options mapped to none of tonight's). ``by_table`` is empty when the
    previous election came per area. ``comparable[code]`` is False for nodes holding only part of a
    split earlier unit.
    """

    name: str
    by_area: dict[str, dict]
    by_table: dict[str, dict]
    comparable: dict[str, bool]


def projection_previous(store: Store) -> tuple[dict, np.ndarray] | None:
    """The loaded previous election as a bulletin publishes it for the projection: (its name, date, columns
    and option mapping; its figures per node in bulletin order, zero at nodes holding only part of a split
    earlier unit), or None if none is loaded. Worked out once per loaded previous election."""
    previous = store.previous()
    if previous is None:
        return None
    if "published" not in previous.extra:
        nodes = store.nodes()
        rows = _rolled(store, previous).copy()
        rows[~previous.comparable(nodes.codes, nodes.parents)] = 0
        about = {"name": previous.name, "date": previous.date, "columns": [*HEAD, *previous.option_codes],
                 "mapping": dict(sorted(previous.mapping.items()))}
        previous.extra["published"] = (about, rows)
    return previous.extra["published"]


def previous_figures(store: Store) -> PreviousFigures | None:
    """The loaded previous election on tonight's areas, centres and tables, or None if none is loaded."""
    previous = store.previous()
    if previous is None:
        return None
    nodes = store.nodes()
    rows = _rolled(store, previous)
    comparable = previous.comparable(nodes.codes, nodes.parents)
    by_area = {code: _as_figures(previous, rows[i]) for i, code in enumerate(nodes.codes)}
    by_table = ({code: _as_figures(previous, row) for code, row in previous.units.items()
                 if code in store.election().table_by_code} if previous.unit == TABLE else {})
    return PreviousFigures(previous.name, by_area, by_table,
                           {code: bool(comparable[i]) for i, code in enumerate(nodes.codes)})


def _as_figures(previous: PreviousElection, row) -> dict:
    row = [int(v) for v in row]
    then = dict(zip(previous.option_codes, row[len(HEAD):]))
    votes = {now: then[earlier] for now, earlier in previous.mapping.items()}
    return {"registered": row[0], "ballots_cast": row[1], "null": row[2], "votes": votes,
            "other": sum(then.values()) - sum(then[e] for e in set(previous.mapping.values()))}


def _rolled(store: Store, previous: PreviousElection) -> np.ndarray:
    """The previous election's figures per node, worked out once per loaded previous election (kept on it)."""
    if "rolled" not in previous.extra:
        nodes = store.nodes()
        previous.extra["rolled"] = previous.roll_up(nodes.codes, nodes.parents,
                                                    {t.code: t.centre for t in store.election().tables})
    return previous.extra["rolled"]


def comparison(store: Store, bulletin: Bulletin, code: str | None = None) -> dict[str, dict] | None:
    """Per contest, one node of ``bulletin`` (default: the root) beside the previous election; None if
    none is loaded. A node holding only part of a split earlier unit has no comparison."""
    previous = store.previous()
    if previous is None:
        return None
    nodes = bulletin.nodes
    node = nodes.index.get(code or nodes.codes[0])
    if node is None:
        raise NotFound("area", code)
    if not previous.comparable(nodes.codes, nodes.parents)[node]:
        return {}
    return _compare_node(store.election(), bulletin, previous, _rolled(store, previous), node)


def _compare_node(election: Election, bulletin: Bulletin, previous: PreviousElection, rows: np.ndarray,
                  node: int) -> dict[str, dict]:
    out = {}
    if rows[node][0] <= 0:
        return out
    for contest in bulletin.body["contests"]:
        codes = [o["code"] for o in contest["options"]]
        if not any(previous.mapping.get(c) for c in codes):
            continue
        row = bulletin.counters[contest["code"]][node].tolist()
        if not row[-3]:  # no table of this contest beneath the node
            continue
        out[contest["code"]] = compare(codes, figures(codes, row, bulletin.rule), previous, rows[node],
                                       bulletin.rule, bulletin.body["abstention_basis"])
    return out


def comparison_level(store: Store, bulletin: Bulletin, level: str) -> list[dict]:
    """Every area of one level: its code, name, parent and, per contest, its comparison."""
    previous = store.previous()
    if previous is None:
        return []
    nodes = bulletin.nodes
    rows = _rolled(store, previous)
    comparable = previous.comparable(nodes.codes, nodes.parents)
    out = []
    for node in nodes.at_level(level):
        compared = _compare_node(store.election(), bulletin, previous, rows, node) if comparable[node] else {}
        out.append({"code": nodes.codes[node], "name": nodes.names[node], "parent": nodes.parents[node],
                    "comparison": compared})
    return out


def transfer(store: Store, bulletin: Bulletin, contest: str) -> dict | None:
    """Where the previous election's voters went in ``contest`` (see ``_transfer``); kept on the loaded
    previous election for the last few bulletins asked, as neither ever changes."""
    previous = store.previous()
    if previous is None:
        return None
    kept = previous.extra.setdefault("transfers", {})
    key = (bulletin.hash, contest)
    if key not in kept:
        if len(kept) > 16:
            kept.clear()
        kept[key] = _transfer(store, bulletin, contest)
    return kept[key]


def _transfer(store: Store, bulletin: Bulletin, contest: str) -> dict | None:
    """Where the previous election's voters went in ``contest``: Duncan–Davis bounds and Goodman's estimate
    over the smallest units both elections share (centres, or the previous election's areas), counting only
    units whose every table is counted in ``bulletin``. None if no previous election is loaded."""
    previous = store.previous()
    if previous is None:
        return None
    columns_now = next((c for c in bulletin.body["contests"] if c["code"] == contest), None)
    if columns_now is None:
        raise NotFound("contest", contest)
    codes = [o["code"] for o in columns_now["options"]]
    units = _transfer_units(store, bulletin, previous, contest)
    matrix = bulletin.counters[contest]
    col = {name: i for i, name in enumerate(counter_columns(codes))}
    rows = _rolled(store, previous)
    later = matrix[units][:, [col[c] for c in codes] + [col["null"], col["blank"]]]
    later = np.column_stack([later[:, :len(codes)], later[:, -2] + later[:, -1]])
    earlier = rows[units][:, len(HEAD):]
    earlier = np.column_stack([earlier, rows[units][:, 2]])
    before, after = ei.common_base(earlier, rows[units][:, 0], later, matrix[units][:, col["registered_all"]])
    result = ei.estimate((*previous.option_codes, ei.NULL, ei.DID_NOT_VOTE), (*codes, ei.NULL, ei.DID_NOT_VOTE),
                         before, after)
    return {"previous": previous.name, "contest": contest, "bulletin": bulletin.number,
            "units": result.units, "unit_kind": "centre" if previous.unit == TABLE else "area",
            "rows": list(result.rows), "columns": list(result.columns),
            "row_names": {**previous.option_names, ei.NULL: "null or blank", ei.DID_NOT_VOTE: "did not vote"},
            "method": {"bounds": "Duncan–Davis method of bounds (exact, no assumption)",
                       "estimate": f"Goodman's ecological regression, 95 % bootstrap interval over units "
                                   f"({ei.BOOTSTRAP} resamples)"},
            "transfers": result.as_dict(), "caveats": CAVEATS}


CAVEATS = [
    "Nobody knows how any one person voted: these figures are inferred from totals per area.",
    "The bounds hold without any assumption; the truth lies between them.",
    "The estimate assumes each earlier group behaved alike in every area; where it lies outside the bounds, "
    "that assumption is wrong there and the bounds are what holds.",
    "Only areas whose every table is counted are used; 'did not vote' also holds people on only one of the "
    "two registers (new voters, those who moved or died).",
]


def _transfer_units(store: Store, bulletin: Bulletin, previous: PreviousElection, contest: str) -> list[int]:
    nodes = bulletin.nodes
    matrix = bulletin.counters[contest]
    codes = [o["code"] for o in next(c for c in bulletin.body["contests"] if c["code"] == contest)["options"]]
    col = {name: i for i, name in enumerate(counter_columns(codes))}
    comparable = previous.comparable(nodes.codes, nodes.parents)
    rows = _rolled(store, previous)
    if previous.unit == TABLE:
        candidates = [i for i, kind in enumerate(nodes.kinds) if kind == "centre"]
    else:
        candidates = [nodes.index[c] for c in previous.units if c in nodes.index and c != nodes.codes[0]]
    return [i for i in candidates if comparable[i] and rows[i][0] > 0 and matrix[i, col["expected"]] > 0
            and matrix[i, col["counted"]] == matrix[i, col["expected"]]]

"""Elections and actas built through the public model, for tests."""

from __future__ import annotations

import datetime as dt

from escrutinio.domain.model import Area, Centre, Contest, Election, Option, Table
from escrutinio.domain.percent import PercentRule


def small_election(*, rule: PercentRule = PercentRule("truncate", 2), basis: str = "whole_register",
                   extra: int = 0, signed: bool = False) -> Election:
    """Two regions, three districts, four centres, six tables; contest Q (yes/no) and R (three
    candidates, blank counted apart) — R is not on the ballot of table T6."""
    yes_no = (Option("YES", "Yes"), Option("NO", "No"))
    race = (Option("C1", "Candidate 1"), Option("C2", "Candidate 2"), Option("C3", "Candidate 3"))
    areas = (
        Area("X", "Country", 0, None),
        Area("N", "North", 1, "X"), Area("S", "South", 1, "X"),
        Area("N1", "North One", 2, "N"), Area("N2", "North Two", 2, "N"), Area("S1", "South One", 2, "S"),
    )
    centres = (Centre("C-N1a", "School A", "N1"), Centre("C-N1b", "School B", "N1"),
               Centre("C-N2", "Hall", "N2"), Centre("C-S1", "Library", "S1"))
    tables = (
        Table("T1", "C-N1a", 300, ("Q", "R")), Table("T2", "C-N1a", 250, ("Q", "R")),
        Table("T3", "C-N1b", 400, ("Q", "R")), Table("T4", "C-N2", 120, ("Q", "R")),
        Table("T5", "C-S1", 500, ("Q", "R")), Table("T6", "C-S1", 80, ("Q",)),
    )
    return Election(
        name="Small test election", date=dt.date(2024, 5, 5), time_zone="America/Caracas",
        polls_open=dt.time(6), polls_close=dt.time(18), locale="es_VE", percent_rule=rule,
        abstention_basis=basis, extra_voters_allowed=extra,
        contests=(Contest("Q", "Question", yes_no), Contest("R", "Race", race, blank=True)),
        levels=("country", "region", "district"), areas=areas, centres=centres, tables=tables,
        require_signatures=signed)


def acta(table: str, contest: str = "Q", votes: dict | None = None, null: int = 0, blank: int | None = None,
         cast: int | None = None) -> dict:
    """A raw acta record as a channel would hand it to the rules."""
    votes = dict(votes if votes is not None else ({"YES": 60, "NO": 40} if contest == "Q"
                                                   else {"C1": 30, "C2": 20, "C3": 10}))
    record = {"table": table, "contest": contest, "votes": votes, "null": null}
    if blank is not None:
        record["blank"] = blank
    numbers = [v for v in votes.values() if isinstance(v, int)]
    record["ballots_cast"] = cast if cast is not None else sum(numbers) + null + (blank or 0)
    return record

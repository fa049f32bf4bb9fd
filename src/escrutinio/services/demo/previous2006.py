"""The demo night's past: a synthetic presidential election of 3 December 2006 on the same tables.

Its national totals are exactly the figures published for 2006 (the CNE's
final counts as Wikipedia's infobox gives them: Chávez 7,309,080, Rosales
4,292,466; the other twelve candidates' 28,577 and the 160,081 invalid
ballots as IFES's electionguide.org gives them). With those, Chávez has
62.84 % and Rosales 36.90 % of the valid votes, truncated as the CNE prints,
as published; the register is chosen so that the published turnout of
74.69 % follows from the ballots cast. Everything per table is synthetic and
seeded: each table's 2006 figures follow from its 2007 acta through a
made-up movement of voters (``CAME_FROM``: most of Chávez's 2006 voters
voted Sí or stayed home in 2007, Rosales's voted No), with noise per table,
then fitted so the totals hold exactly.
"""

from __future__ import annotations

import numpy as np

from ...domain.comparison import TABLE, PreviousElection
from ...intake import previous as reader
from .apportion import apportion, fit_matrix
from .generate import Night

SEED = 2006
NAME = "Elección presidencial 2006"
DATE = "2006-12-03"
CHAVEZ, ROSALES, OTHERS = 7_309_080, 4_292_466, 28_577
INVALID = 160_081
CAST = CHAVEZ + ROSALES + OTHERS + INVALID          # 11,790,204
REGISTERED = 15_785_518                             # 11,790,204 / 15,785,518 = 74.690 %
OPTIONS = (("CHAVEZ", "Hugo Chávez (presidente, candidato a la reelección)"),
           ("ROSALES", "Manuel Rosales (oposición)"), ("OTROS", "Otros doce candidatos"))
MAPPING = {"SI": "CHAVEZ", "NO": "ROSALES"}


def tables_2007(night: Night) -> dict[str, dict]:
    """Each table's acta of Bloque A as it finally counts (a corrected copy over a quarantined one)."""
    kept: dict[str, dict] = {}
    for arrival in night.arrivals:
        record = arrival.record
        if record["contest"] != "A":
            continue
        if arrival.note == "" and record["table"] not in kept:
            kept[record["table"]] = record
        elif arrival.note.startswith("corrected"):
            kept[record["table"]] = record
    return kept


# Where each 2007 group had stood in 2006 (columns: Chávez, Rosales, others, null, did not vote), per
# table around these means: the story the press told that night (Chávez's 2006 voters stayed home in 2007,
# the opposition's came out again), made up for the demo; the bounds and the estimate must find it.
CAME_FROM = {"SI": (0.93, 0.03, 0.002, 0.008, 0.03), "NO": (0.12, 0.80, 0.003, 0.007, 0.07),
             "null": (0.45, 0.35, 0.01, 0.10, 0.09), "did_not_vote": (0.35, 0.03, 0.002, 0.008, 0.61)}
SPREAD = (0.03, 0.03, 0.001, 0.004, 0.03)


def generate_2006(night: Night, seed: int = SEED) -> np.ndarray:
    """Per table of ``night`` (in definition order): registered, ballots cast, null, Chávez, Rosales, others."""
    rng = np.random.default_rng(seed)
    tables = night.election.tables
    actas = tables_2007(night)
    n = len(tables)
    registered_2007 = np.array([t.registered for t in tables], dtype=np.int64)
    groups = np.array([[actas[t.code]["votes"]["SI"], actas[t.code]["votes"]["NO"], actas[t.code]["null"]]
                       for t in tables], dtype=float)
    groups = np.column_stack([groups, registered_2007 - groups.sum(axis=1)])
    then = np.zeros((n, 5))
    for g, key in enumerate(("SI", "NO", "null", "did_not_vote")):
        fractions = np.clip(np.array(CAME_FROM[key]) + rng.normal(0, 1, (n, 5)) * SPREAD, 0.0005, None)
        then += groups[:, g:g + 1] * fractions / fractions.sum(axis=1, keepdims=True)
    # The 2006 register: a little smaller than 2007's at each table, exactly the chosen total.
    registered = apportion(REGISTERED, registered_2007 * rng.uniform(0.94, 1.0, n), caps=registered_2007)
    voted = then[:, :4].sum(axis=1)
    cast = apportion(CAST, voted, caps=registered)
    shares = then[:, [3, 2, 1, 0]] / voted[:, None]  # null, others, Rosales, Chávez
    fitted = fit_matrix(cast, shares, [INVALID, OTHERS, ROSALES, CHAVEZ])
    return np.column_stack([registered, cast, fitted[:, 0], fitted[:, 3], fitted[:, 2], fitted[:, 1]])


def previous_2006(night: Night) -> PreviousElection:
    """The 2006 election placed on the demo's tables, as `escrutinio previous load` would place its CSV."""
    figures = generate_2006(night)
    rows = reader.Rows(TABLE, [code for code, _ in OPTIONS],
                       [(n, t.code, tuple(int(v) for v in row))
                        for n, (t, row) in enumerate(zip(night.election.tables, figures), start=2)])
    mapping = reader.Mapping(name=NAME, date=DATE, options=dict(OPTIONS), map=dict(MAPPING))
    problems: list = []
    placed = reader.place(night.election, mapping, rows, "demo: presidencial 2006 (sintética)", problems)
    if problems:
        raise ValueError(problems)
    return placed

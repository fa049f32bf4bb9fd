"""Brazil: one state's results of one office and round per section (*seção*), as aggregated from the TSE.

Reads the CSV of ``doccaz/urnas-br`` (``csv/resumo-<uf>.csv`` for the first
round of 2022, ``resumo-<uf>-407.csv`` for the second): one row per
(section, candidate) with the columns of :data:`COLUMNS`; ``candidato`` is
the ballot number, or ``BRANCO`` (blank) or ``NULO`` (null). The file says
neither its office, round nor date, nor the candidates' names: they are
given (``office``, ``round``, ``date``, ``name`` and a candidates file).

Mapping (``docs/formats/adapters.md``): the state is the root area (level
``estado``), each município an area under it (code ``cod_municipio``); each
(município, zona) pair is a centre; each section a table with code
``zona-secao`` and ``eleitores_aptos`` registered voters. One contest (the
office's code, ``PR`` for Presidente), with the candidate numbers as option
codes in numeric order; blank ballots are counted apart. A section's ballots
cast are the sum of all its rows. A section with any bad row gets no acta.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from ...domain.errors import Problem
from ...domain.model import Acta, Area, Centre, Contest, Election, Option, Table
from ...domain.percent import PercentRule
from .bundle import Bundle
from ..sniff import TSE_BR, mismatch
from .reading import digits, read_rows, whole

COLUMNS = ("UF", "cod_municipio", "municipio", "zona", "secao", "eleitores_aptos", "candidato", "quantidade_votos")
CANDIDATE_COLUMNS = ("numero", "nome", "partido")
CONTEST = "PR"
BLANK, NULL = "BRANCO", "NULO"
FIRST_ROUND_2022 = dt.date(2022, 10, 2)
# The 2022 general election's rounds: the dates a file of that year gets unless --date says otherwise.
ROUNDS_2022 = {1: FIRST_ROUND_2022, 2: dt.date(2022, 10, 30)}
# Offices (cargos) of the TSE's section bulletins: contest code and name.
OFFICES = {"presidente": ("PR", "Presidente"), "governador": ("GV", "Governador"), "senador": ("SE", "Senador"),
           "deputado-federal": ("DF", "Deputado Federal"), "deputado-estadual": ("DE", "Deputado Estadual"),
           "deputado-distrital": ("DD", "Deputado Distrital"), "prefeito": ("PF", "Prefeito"),
           "vereador": ("VR", "Vereador")}
OFFICE_WORDS = {"presidente": "presidencial", "governador": "para governador", "senador": "para senador",
                "deputado-federal": "para deputado federal", "deputado-estadual": "para deputado estadual",
                "deputado-distrital": "para deputado distrital", "prefeito": "para prefeito",
                "vereador": "para vereador"}


@dataclass(frozen=True)
class Candidate:
    number: str
    name: str
    party: str | None = None
# Since 2022 every section opens and closes at the same instant: 08:00-17:00 Brasília time
# (TSE Resolution 23.669/2021), so 07:00-16:00 local in Roraima.
BRASILIA = "America/Sao_Paulo"
POLLS_BRASILIA = (dt.time(8), dt.time(17))

STATES = {
    "AC": ("Acre", "America/Rio_Branco"), "AL": ("Alagoas", "America/Maceio"),
    "AM": ("Amazonas", "America/Manaus"), "AP": ("Amapá", "America/Belem"),
    "BA": ("Bahia", "America/Bahia"), "CE": ("Ceará", "America/Fortaleza"),
    "DF": ("Distrito Federal", "America/Sao_Paulo"), "ES": ("Espírito Santo", "America/Sao_Paulo"),
    "GO": ("Goiás", "America/Sao_Paulo"), "MA": ("Maranhão", "America/Fortaleza"),
    "MG": ("Minas Gerais", "America/Sao_Paulo"), "MS": ("Mato Grosso do Sul", "America/Campo_Grande"),
    "MT": ("Mato Grosso", "America/Cuiaba"), "PA": ("Pará", "America/Belem"),
    "PB": ("Paraíba", "America/Fortaleza"), "PE": ("Pernambuco", "America/Recife"),
    "PI": ("Piauí", "America/Fortaleza"), "PR": ("Paraná", "America/Sao_Paulo"),
    "RJ": ("Rio de Janeiro", "America/Sao_Paulo"), "RN": ("Rio Grande do Norte", "America/Fortaleza"),
    "RO": ("Rondônia", "America/Porto_Velho"), "RR": ("Roraima", "America/Boa_Vista"),
    "RS": ("Rio Grande do Sul", "America/Sao_Paulo"), "SC": ("Santa Catarina", "America/Sao_Paulo"),
    "SE": ("Sergipe", "America/Maceio"), "SP": ("São Paulo", "America/Sao_Paulo"),
    "TO": ("Tocantins", "America/Araguaina"),
}


@dataclass
class _Section:
    """One section as read so far: where it is, its counts, and whether every row of it was sound."""

    zona: str
    secao: str
    place: tuple[str, int] | None = None  # (cod_municipio, eleitores_aptos)
    counts: dict[str, int] = field(default_factory=dict)
    sound: bool = True


@dataclass
class _Reading:
    source: str
    state: str
    problems: list[Problem]
    sections: dict[tuple[str, str], _Section] = field(default_factory=dict)
    municipios: dict[str, str] = field(default_factory=dict)
    candidates: set[str] = field(default_factory=set)


def adapt_tse_br(path: str | Path, *, date: dt.date | None = None, name: str | None = None, round: int = 1,
                 office: str = "presidente", candidates: str | Path | None = None) -> Bundle:
    """Map one state's per-section file of one office and round.

    The file says neither: ``round`` (1 or 2) and ``office`` (a key of
    :data:`OFFICES`) name the contest; ``date`` defaults to the round's date
    in 2022; ``candidates`` is a CSV file ``numero,nome,partido`` that names
    the ballot numbers (without it they are "Candidato 22" and so on).
    """
    path = Path(path)
    problems: list[Problem] = []
    notes: list[str] = []
    if round not in (1, 2):
        problems.append(Problem("round", f"round {round} is not 1 or 2", "give --round 1 or --round 2"))
    if office not in OFFICES:
        problems.append(Problem("office", f"unknown office {office!r}", f"use one of: {', '.join(OFFICES)}"))
    names = read_candidates(Path(candidates), problems) if candidates is not None else {}
    wrong = mismatch(path, "a TSE per-section CSV file", TSE_BR)
    if wrong is not None:
        return Bundle(None, {}, problems + [wrong], notes)
    rows = read_rows(path, COLUMNS, problems)
    state = _state(rows, str(path), problems)
    if state is None or problems and (round not in (1, 2) or office not in OFFICES):
        return Bundle(None, {}, problems, notes)
    reading = _Reading(str(path), state, problems)
    for line, cells in rows:
        _take(reading, line, cells)
    if not reading.candidates or not any(s.place for s in reading.sections.values()):
        return Bundle(None, {}, problems, notes)  # every row was bad: nothing to define
    if date is None:
        date = ROUNDS_2022.get(round, FIRST_ROUND_2022)
        notes.append(f"the file does not say its date: {date.isoformat()} (round {round} of 2022) is assumed; "
                     "give --date for another election")
    _check_named(reading.candidates, names, candidates, problems)
    election = _election(reading, date, name, round, office, names)
    actas = [_acta(s, election.contests[0]) for s in _ordered(reading.sections) if s.sound and s.place]
    return Bundle(election, {f"actas-{path.stem}.csv": actas}, problems, notes)


def read_candidates(path: Path, problems: list[Problem]) -> dict[str, Candidate]:
    """The candidates file: ballot number → name and party; every bad row is a problem."""
    found: dict[str, Candidate] = {}
    for line, cells in read_rows(path, CANDIDATE_COLUMNS, problems):
        where = (str(path), line)
        number = digits(cells, "numero", where, problems)
        if not cells["nome"]:
            problems.append(Problem("nome", "empty cell", "write the name as it appears on the ballot", *where))
        elif number is not None and number in found:
            problems.append(Problem("numero", f"number {number} appears twice", "keep one row per candidate",
                                    *where))
        elif number is not None:
            found[number] = Candidate(number, cells["nome"], cells["partido"] or None)
    return found


def _check_named(numbers: set[str], names: dict[str, Candidate], source: str | Path | None,
                 problems: list[Problem]) -> None:
    if source is None:
        return
    for number in sorted(numbers - set(names), key=int):
        problems.append(Problem("numero", f"ballot number {number} has votes in the results but no row here",
                                f"add a row {number},NAME,PARTY", str(source)))


def _state(rows: list[tuple[int, dict]], source: str, problems: list[Problem]) -> str | None:
    if not rows:
        if not problems:
            problems.append(Problem("", "no data rows", "give the file with one row per section and candidate",
                                    source))
        return None
    state = next((cells["UF"].upper() for _, cells in rows if cells["UF"].upper() in STATES), None)
    if state is None:
        problems.append(Problem("UF", f"no row names a known state (first row: {rows[0][1]['UF']!r})",
                                f"use one of: {', '.join(sorted(STATES))}", source, rows[0][0]))
    return state


def _take(reading: _Reading, line: int, cells: dict[str, str]) -> None:
    """Check one row and add it to its section; any problem makes the section unsound."""
    where, problems = (reading.source, line), reading.problems
    before = len(problems)
    if cells["UF"].upper() != reading.state:
        problems.append(Problem("UF", f"state {cells['UF']!r} in a file of state {reading.state!r}",
                                "give one file per state", *where))
    zona, secao = digits(cells, "zona", where, problems), digits(cells, "secao", where, problems)
    place = _place(reading, cells, where)
    candidate = _candidate(cells, where, problems)
    if candidate not in (None, BLANK, NULL):
        reading.candidates.add(candidate)
    votes = whole(cells, "quantidade_votos", where, problems)
    if zona is None or secao is None:
        return
    section = reading.sections.setdefault((zona, secao), _Section(zona, secao))
    if place is not None:
        _locate(section, place, where, problems)
    if candidate is not None and candidate in section.counts:
        problems.append(Problem("candidato", f"a second row for {candidate} in section {zona}-{secao}",
                                "keep one row per section and candidate", *where))
    if len(problems) > before:
        section.sound = False
    else:
        section.counts[candidate] = votes


def _place(reading: _Reading, cells: dict[str, str], where: tuple[str, int]) -> tuple[str, int] | None:
    problems = reading.problems
    code = digits(cells, "cod_municipio", where, problems)
    registered = whole(cells, "eleitores_aptos", where, problems)
    name = cells["municipio"]
    if not name:
        problems.append(Problem("municipio", "empty cell", "write the município's name", *where))
    elif code is not None:
        known = reading.municipios.setdefault(code, name)
        if known != name:
            problems.append(Problem("municipio", f"município {code} is called {name!r} here but {known!r} before",
                                    "write one name per município code", *where))
    if code is None or registered is None or not name:
        return None
    return code, registered


def _locate(section: _Section, place: tuple[str, int], where: tuple[str, int], problems: list[Problem]) -> None:
    if section.place is None:
        section.place = place
        return
    for field_name, old, new in zip(("cod_municipio", "eleitores_aptos"), section.place, place):
        if old != new:
            problems.append(Problem(field_name, f"{new!r} here but {old!r} in an earlier row of section "
                                    f"{section.zona}-{section.secao}", "give every row of a section the same "
                                    "município and register", *where))


def _candidate(cells: dict[str, str], where: tuple[str, int], problems: list[Problem]) -> str | None:
    text = cells["candidato"].upper()
    if text in (BLANK, NULL) or (text.isascii() and text.isdigit()):
        return text
    problems.append(Problem("candidato", f"{cells['candidato']!r} is neither a ballot number nor BRANCO or NULO",
                            "write the candidate's ballot number, BRANCO or NULO", *where))
    return None


def _ordered(sections: dict[tuple[str, str], _Section]) -> list[_Section]:
    return sorted(sections.values(), key=lambda s: (int(s.zona), int(s.secao), s.zona, s.secao))


def _election(reading: _Reading, date: dt.date, name: str | None, round: int, office: str,
              names: dict[str, Candidate]) -> Election:
    state_name, zone = STATES[reading.state]
    placed = [s for s in _ordered(reading.sections) if s.place is not None]
    centres = {_centre(s): Centre(_centre(s), f"{reading.municipios[s.place[0]]} — zona {int(s.zona)}", s.place[0])
               for s in sorted(placed, key=lambda s: (int(s.place[0]), int(s.zona)))}
    areas = [Area(reading.state, state_name, 0, None)]
    areas += [Area(code, reading.municipios[code], 1, reading.state)
              for code in sorted({s.place[0] for s in placed}, key=int)]
    code, office_name = OFFICES[office]
    tables = [Table(f"{s.zona}-{s.secao}", _centre(s), s.place[1], (code,)) for s in placed]
    options = tuple(_option(n, names) for n in sorted(reading.candidates | set(names), key=int))
    opens, closes = (_local(date, clock, zone) for clock in POLLS_BRASILIA)
    return Election(
        name=name or f"Eleição {OFFICE_WORDS[office]} {date.year} — {state_name} — {round}º turno", date=date,
        time_zone=zone, polls_open=opens, polls_close=closes, locale="pt_BR", percent_rule=PercentRule("half_up", 2),
        abstention_basis="counted_tables", extra_voters_allowed=0,
        contests=(Contest(code, office_name, options, blank=True),), levels=("estado", "município"),
        areas=tuple(areas), centres=tuple(centres.values()), tables=tuple(tables), require_signatures=False)


def _option(number: str, names: dict[str, Candidate]) -> Option:
    known = names.get(number)
    if known is None:
        return Option(number, f"Candidato {number}")
    return Option(number, known.name, party=known.party)


def _centre(section: _Section) -> str:
    """A centre per (município, zona): a zona may span municípios, and a município zonas."""
    return f"{section.place[0]}-{section.zona}"


def _local(date: dt.date, clock: dt.time, zone: str) -> dt.time:
    """The local time of ``zone`` at ``clock`` Brasília time on ``date``."""
    return dt.datetime.combine(date, clock, ZoneInfo(BRASILIA)).astimezone(ZoneInfo(zone)).time()


def _acta(section: _Section, contest: Contest) -> Acta:
    counts = section.counts
    votes = tuple((code, counts.get(code, 0)) for code in contest.option_codes)
    return Acta(f"{section.zona}-{section.secao}", contest.code, votes, counts.get(NULL, 0), counts.get(BLANK, 0),
                sum(counts.values()))

"""Election definitions (TOML + three CSV files) read from disk.

A good definition becomes exactly the Election it describes; a bad one lists
every problem with file, row and field, and init_election creates nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import textwrap
import uuid

import pytest

from escrutinio.domain.errors import DefinitionError
from escrutinio.domain.model import Area, Centre, Contest, Election, Option, Table
from escrutinio.domain.percent import PercentRule
from escrutinio.intake.definition import load_definition
from escrutinio.services import init_election

HEAD = """
[election]
name = "Referendo de Reforma Constitucional"
date = 2007-12-02
time_zone = "America/Caracas"
polls_open = "06:00"
polls_close = 16:00:00
locale = "es_VE"
percent_rule = "truncate"
percent_decimals = 2
abstention_basis = "whole_register"
extra_voters_allowed = 1
"""

CONTESTS = """
[[contest]]
code = "A"
name = "Bloque A"
options = [{ code = "SI", name = "Sí" }, { code = "NO", name = "No" }]

[[contest]]
code = "B"
name = "Bloque B"
blank = true
options = [{ code = "SI", name = "Sí" }, { code = "NO", name = "No" }]
"""

GEOGRAPHY = """
[geography]
levels = ["país", "estado", "municipio"]
areas = "areas.csv"
centres = "centres.csv"
tables = "tables.csv"
"""

AREAS = """\
code,name,level,parent
VE,Venezuela,país,
DC,Distrito Capital,estado,VE
MI,Miranda,estado,VE
LIB,Libertador,municipio,DC
SUC,Sucre,municipio,MI
"""

CENTRES = """\
code,name,area
C1,Escuela Bolívar,LIB
C2,Liceo Andrés Bello,SUC
"""

TABLES = """\
code,centre,registered,contests
M1,C1,500,
M2,C1,450,A;B
M3,C2,300,A
"""


def write(tmp_path, head=HEAD, contests=CONTESTS, geography=GEOGRAPHY, **csvs):
    """Write a definition into tmp_path; csvs maps file name to its text (None: leave the file out)."""
    files = {"areas.csv": AREAS, "centres.csv": CENTRES, "tables.csv": TABLES}
    files.update({name.replace("_", "."): text for name, text in csvs.items()})
    for name, text in files.items():
        if text is not None:
            (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    path = tmp_path / "election.toml"
    path.write_text(head + contests + geography, encoding="utf-8")
    return path


def problems_of(path):
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    return caught.value.problems


def places(problems, tmp_path):
    """(file name, row, field) of each problem."""
    return {(p.source.removeprefix(f"{tmp_path}/"), p.row, p.field) for p in problems}


SI_NO = (Option("SI", "Sí"), Option("NO", "No"))
EXPECTED = Election(
    name="Referendo de Reforma Constitucional", date=dt.date(2007, 12, 2), time_zone="America/Caracas",
    polls_open=dt.time(6, 0), polls_close=dt.time(16, 0), locale="es_VE",
    percent_rule=PercentRule("truncate", 2), abstention_basis="whole_register", extra_voters_allowed=1,
    contests=(Contest("A", "Bloque A", SI_NO, False), Contest("B", "Bloque B", SI_NO, True)),
    levels=("país", "estado", "municipio"),
    areas=(Area("VE", "Venezuela", 0, None), Area("DC", "Distrito Capital", 1, "VE"),
           Area("MI", "Miranda", 1, "VE"), Area("LIB", "Libertador", 2, "DC"), Area("SUC", "Sucre", 2, "MI")),
    centres=(Centre("C1", "Escuela Bolívar", "LIB"), Centre("C2", "Liceo Andrés Bello", "SUC")),
    tables=(Table("M1", "C1", 500, ("A", "B")), Table("M2", "C1", 450, ("A", "B")), Table("M3", "C2", 300, ("A",))),
)


# -- a good definition ----------------------------------------------------------

def test_good_definition_loads_as_written(tmp_path):
    assert load_definition(write(tmp_path)) == EXPECTED


def test_good_definition_is_stored_and_read_back(store, tmp_path):
    created = init_election(store, write(tmp_path))
    assert uuid.UUID(created.id).version == 4  # init gives the night a random identifier
    assert created == dataclasses.replace(EXPECTED, id=created.id)
    assert store.election() == created


def test_defaults_apply_to_optional_settings(tmp_path):
    head = "\n".join(line for line in HEAD.splitlines()
                     if not line.startswith(("locale", "percent_", "abstention", "extra")))
    election = load_definition(write(tmp_path, head=head))
    assert election.extra_voters_allowed == 0
    assert election.abstention_basis == "counted_tables"
    assert election.locale == "en"


def test_byte_order_mark_in_csv_files_is_accepted(tmp_path):
    path = write(tmp_path)
    for name in ("areas.csv", "centres.csv", "tables.csv"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text, encoding="utf-8-sig")
    assert load_definition(path) == EXPECTED


# -- a bad definition: every problem, with its place ---------------------------

BAD_HEAD = HEAD.replace("America/Caracas", "Mars/Olympus_Mons").replace("16:00:00", '"25:00"') \
    .replace('"truncate"', '"round"').replace("extra_voters_allowed = 1", "extra_voters_allowed = -1")

BAD_CONTESTS = CONTESTS.replace('code = "B"', 'code = "A"').replace('{ code = "NO", name = "No" }]\n\n',
                                                                    '{ code = "null", name = "Nulo" }]\n\n', 1)

BAD_AREAS = """\
code,name,level,parent
VE,Venezuela,país,
DC,Distrito Capital,estado,VE
DC,Otro Distrito,estado,VE
MI,Miranda,estado,ZZ
LIB,Libertador,municipio,VE
SUC,Sucre,provincia,MI
CHA,Chacao,municipio,DC
"""

BAD_CENTRES = """\
code,name,area
C1,Escuela Bolívar,CHA
C2,Liceo Andrés Bello,NOPE
C1,Otra Escuela,CHA
"""

BAD_TABLES = """\
code,centre,registered,contests
M1,C1,500,
M2,C9,450,A
M3,C1,many,A
M4,C1,300,A;Z
M1,C1,100,
"""

EVERY_PROBLEM = {
    ("election.toml", None, "election.time_zone"),
    ("election.toml", None, "election.polls_close"),
    ("election.toml", None, "election.percent_rule"),
    ("election.toml", None, "election.extra_voters_allowed"),
    ("election.toml", None, "contest[1].options"),
    ("election.toml", None, "contest[2].code"),
    ("areas.csv", 4, "code"),       # DC twice
    ("areas.csv", 5, "parent"),     # ZZ unknown
    ("areas.csv", 6, "level"),      # a municipio under the country
    ("areas.csv", 7, "level"),      # no such level
    ("centres.csv", 3, "area"),     # NOPE unknown
    ("centres.csv", 4, "code"),     # C1 twice
    ("tables.csv", 3, "centre"),    # C9 unknown
    ("tables.csv", 4, "registered"),
    ("tables.csv", 5, "contests"),  # Z unknown
    ("tables.csv", 6, "code"),      # M1 twice
}


@pytest.fixture
def bad(tmp_path):
    return write(tmp_path, head=BAD_HEAD, contests=BAD_CONTESTS, areas_csv=BAD_AREAS, centres_csv=BAD_CENTRES,
                 tables_csv=BAD_TABLES)


def test_every_problem_is_reported_with_file_row_and_field(bad, tmp_path):
    problems = problems_of(bad)
    assert places(problems, tmp_path) == EVERY_PROBLEM
    assert len(problems) == len(EVERY_PROBLEM)
    assert all(p.message and p.action for p in problems)


def test_problem_messages_name_the_offending_value(bad, tmp_path):
    by_place = {(p.source.removeprefix(f"{tmp_path}/"), p.row, p.field): p for p in problems_of(bad)}
    expected_words = {
        ("election.toml", None, "election.time_zone"): ("'Mars/Olympus_Mons'", "America/Caracas"),
        ("areas.csv", 4, "code"): ("'DC'", "own code"),
        ("areas.csv", 5, "parent"): ("'ZZ'", "area"),
        ("areas.csv", 6, "level"): ("'VE'", "one level above"),
        ("tables.csv", 3, "centre"): ("'C9'", "centres file"),
        ("tables.csv", 4, "registered"): ("'many'", "registered voters"),
        ("tables.csv", 5, "contests"): ("Z", "separated by ';'"),
    }
    for place, (in_message, in_action) in expected_words.items():
        problem = by_place[place]
        assert in_message in problem.message, place
        assert in_action in problem.action, place


def test_error_text_lists_every_problem_and_says_nothing_was_created(bad, tmp_path):
    with pytest.raises(DefinitionError) as caught:
        load_definition(bad)
    text = str(caught.value)
    assert "nothing was created" in text
    assert f"{len(EVERY_PROBLEM)} problem(s)" in text
    assert f"{tmp_path / 'tables.csv'}, row 4, field 'registered': 'many'" in text


def test_init_election_with_a_bad_definition_creates_nothing(store, bad, tmp_path):
    with pytest.raises(DefinitionError):
        init_election(store, bad)
    assert not store.has_election()
    good = tmp_path / "good"
    good.mkdir()
    created = init_election(store, write(good))  # the store is still empty, so this works
    assert created == dataclasses.replace(EXPECTED, id=created.id)


def test_missing_file_is_reported_beside_the_other_problems(tmp_path):
    path = write(tmp_path, head=BAD_HEAD.replace("extra_voters_allowed = -1", ""), centres_csv=None,
                 areas_csv=AREAS + "XX,Somewhere,municipio,NOWHERE\n")
    found = places(problems_of(path), tmp_path)
    assert {("centres.csv", None, "geography.centres"), ("areas.csv", 7, "parent"),
            ("election.toml", None, "election.time_zone")} <= found


def test_missing_file_problem_says_cannot_read(tmp_path):
    path = write(tmp_path, tables_csv=None)
    [problem] = problems_of(path)
    assert problem.source == str(tmp_path / "tables.csv")
    assert "cannot read" in problem.message


def test_time_zone_that_names_a_region_is_a_problem_not_a_crash(tmp_path):
    path = write(tmp_path, head=HEAD.replace("America/Caracas", "America"))
    [problem] = problems_of(path)
    assert problem.field == "election.time_zone" and "'America'" in problem.message


def test_missing_header_column_is_reported(tmp_path):
    path = write(tmp_path, centres_csv="code,name\nC1,Escuela\nC2,Liceo\n")
    problems = problems_of(path)
    assert ("centres.csv", 1, "area") in places(problems, tmp_path)


def test_short_rows_read_missing_cells_as_empty(tmp_path):
    areas = AREAS.replace("VE,Venezuela,país,\n", "VE,Venezuela,país\n")  # the root, no trailing comma
    tables = TABLES.replace("M1,C1,500,\n", "M1,C1,500\n")
    assert load_definition(write(tmp_path, areas_csv=areas, tables_csv=tables)) == EXPECTED


def test_short_row_missing_a_required_cell_is_a_problem_not_a_crash(tmp_path):
    tables = TABLES.replace("M3,C2,300,A", "M3,C2")
    found = places(problems_of(write(tmp_path, tables_csv=tables)), tmp_path)
    assert found == {("tables.csv", 4, "registered")}


def test_rows_keep_their_line_numbers_after_empty_lines(tmp_path):
    areas = AREAS.replace("DC,Distrito Capital,estado,VE\n", "\nDC,Distrito Capital,estado,VE\n\n") \
        + "MI,Miranda Otra,estado,VE\n"
    found = places(problems_of(write(tmp_path, areas_csv=areas)), tmp_path)
    assert found == {("areas.csv", 9, "code")}


def test_empty_toml_names_every_missing_part(tmp_path):
    path = write(tmp_path, head="", contests="", geography="")
    fields = {p.field for p in problems_of(path)}
    assert {"election", "election.name", "election.date", "election.time_zone", "contest", "geography"} <= fields


def test_invalid_toml_is_reported_with_its_file(tmp_path):
    path = write(tmp_path, head=HEAD.replace("date = 2007-12-02", "date = 2007-12-02 ="))
    [problem] = problems_of(path)
    assert problem.source == str(path)
    assert "TOML" in problem.action


def test_missing_definition_file_is_reported(tmp_path):
    [problem] = problems_of(tmp_path / "absent.toml")
    assert problem.source == str(tmp_path / "absent.toml") and "not found" in problem.message


def test_extra_cells_in_a_row_are_a_problem_not_dropped(tmp_path):
    tables = TABLES.replace("M3,C2,300,A", "M3,C2,300,A,oops")
    found = places(problems_of(write(tmp_path, tables_csv=tables)), tmp_path)
    assert found == {("tables.csv", 4, "")}


def test_an_unreadable_file_is_one_problem_not_one_per_dependent_row(tmp_path):
    # Without centres.csv every table would name an "unknown centre": only the missing file is reported.
    found = places(problems_of(write(tmp_path, centres_csv=None)), tmp_path)
    assert found == {("centres.csv", None, "geography.centres")}
    found = places(problems_of(write(tmp_path, areas_csv="code,name\n")), tmp_path)
    assert ("areas.csv", 1, "level,parent") in found
    assert not any(name == "centres.csv" and field == "area" for name, _, field in found)


# -- unknown keys and columns ---------------------------------------------------

def test_a_mistyped_contest_key_is_a_problem_naming_the_nearest_known_key(tmp_path):
    contests = CONTESTS.replace('name = "Bloque A"', 'name = "Bloque A"\nseat = 8')
    [problem] = problems_of(write(tmp_path, contests=contests))
    assert problem.field == "contest[1].seat"
    assert problem.message == "`seat`: unknown key — did you mean `seats`?"


def test_unknown_keys_everywhere_are_listed_with_the_other_problems(tmp_path):
    head = HEAD.replace('locale = "es_VE"', 'locale = "es_VE"\ntimezone = "America/Caracas"')
    contests = CONTESTS.replace('{ code = "NO", name = "No" }]\n\n', '{ code = "NO", name = "No", color = "red" }]\n\n', 1)
    geography = GEOGRAPHY + 'centers = "centres.csv"\n'
    found = problems_of(write(tmp_path, head=head + "\n[extra]\nx = 1\n", contests=contests, geography=geography,
                              tables_csv=TABLES.replace("M3,C2,300,A", "M3,C9,300,A")))
    by_field = {p.field: p.message for p in found}
    assert by_field["election.timezone"] == "`timezone`: unknown key — did you mean `time_zone`?"
    assert by_field["contest[1].options.color"] == "`color`: unknown key — did you mean `colour`?"
    assert by_field["geography.centers"] == "`centers`: unknown key — did you mean `centres`?"
    assert by_field["extra"].startswith("`extra`: unknown key")
    assert "centre" in by_field  # the unknown centre C9 is still reported beside them


def test_an_unknown_csv_column_is_a_problem_with_its_file(tmp_path):
    centres = CENTRES.replace("code,name,area", "code,name,area,phone")
    tables = TABLES.replace("code,centre,registered,contests", "code,centre,registred,contests,registered")
    found = problems_of(write(tmp_path, centres_csv=centres.replace("LIB\n", "LIB,x\n"),
                              tables_csv=tables.replace("M1,C1,500,", "M1,C1,0,,500")
                              .replace("M2,C1,450,A;B", "M2,C1,0,A;B,450").replace("M3,C2,300,A", "M3,C2,0,A,300")))
    messages = {(p.source.removeprefix(f"{tmp_path}/"), p.row, p.field): p.message for p in found}
    assert messages == {("centres.csv", 1, "phone"): "`phone`: unknown column",
                        ("tables.csv", 1, "registred"): "`registred`: unknown column — did you mean `registered`?"}


def test_an_area_weight_column_is_known(tmp_path):
    areas = AREAS.replace("code,name,level,parent", "code,name,level,parent,weight").replace("\n", ",\n")
    areas = areas.replace("parent,weight,", "parent,weight")
    assert load_definition(write(tmp_path, areas_csv=areas)).areas == EXPECTED.areas


# -- winner rules ----------------------------------------------------------------

def test_rule_keys_become_the_contests_rule(tmp_path):
    from escrutinio.domain.model import Rule
    contests = CONTESTS.replace('name = "Bloque A"', 'name = "Bloque A"\nrule = "referendum"\nquorum_percent = 50')
    contests = contests.replace('name = "Bloque B"', 'name = "Bloque B"\nrule = "dhondt"\nseats = 8\n'
                                'seat_threshold_percent = 4.5\nrule_level = "estado"')
    election = load_definition(write(tmp_path, contests=contests))
    assert election.contests[0].rule == Rule("referendum", quorum_percent="50")
    assert election.contests[1].rule == Rule("dhondt", level="estado", seats=8, seat_threshold_percent="4.5")


def test_rule_problems_are_listed(tmp_path):
    contests = CONTESTS.replace('name = "Bloque A"', 'name = "Bloque A"\nrule = "majority"\nseats = 3\n'
                                'rule_level = "barrio"')
    contests = contests.replace('name = "Bloque B"', 'name = "Bloque B"\nrule = "dhondt"\nrunoff_count = 2')
    fields = {p.field: p.message for p in problems_of(write(tmp_path, contests=contests))}
    assert fields["contest[1].seats"] == "`seats` does not apply to rule 'majority'"
    assert fields["contest[1].rule_level"] == "unknown level 'barrio'"
    assert fields["contest[2].runoff_count"] == "`runoff_count` does not apply to rule 'dhondt'"
    assert fields["contest[2].seats"] == "rule 'dhondt' needs the number of seats"


def test_a_swiss_tie_breaker_names_the_two_questions(tmp_path):
    contests = """
[[contest]]
code = "INI"
name = "Initiative"
kind = "initiative"
group = "G"
options = [{ code = "JA", name = "Ja" }, { code = "NEIN", name = "Nein" }]

[[contest]]
code = "GEG"
name = "Gegenentwurf"
kind = "counter_proposal"
group = "G"
options = [{ code = "JA", name = "Ja" }, { code = "NEIN", name = "Nein" }]

[[contest]]
code = "STICH"
name = "Stichfrage"
kind = "tie_breaker"
group = "G"
options = [{ code = "INI", name = "Initiative" }, { code = "XX", name = "Gegenentwurf" }]
"""
    fields = {p.field for p in problems_of(write(tmp_path, contests=contests, tables_csv=TABLES.replace("A;B", "")
                                                 .replace(",A\n", ",\n")))}
    assert fields == {"contest[3].options"}


def test_options_carry_party_colour_and_photo(tmp_path):
    contests = CONTESTS.replace('{ code = "SI", name = "Sí" }, { code = "NO", name = "No" }]\n\n',
                                '{ code = "SI", name = "Sí", party = "P1", colour = "#c0392b", photo = "si.jpg" },'
                                ' { code = "NO", name = "No" }]\n\n', 1)
    [missing] = problems_of(write(tmp_path, contests=contests))
    assert missing.field == "contest[1].options.photo" and "'si.jpg'" in missing.message
    (tmp_path / "si.jpg").write_bytes(b"\xff\xd8")
    option = load_definition(write(tmp_path, contests=contests)).contests[0].options[0]
    assert (option.party, option.colour, option.photo) == ("P1", "#c0392b", "si.jpg")


def test_rules_option_extras_and_weights_are_stored_and_read_back(store, tmp_path):
    contests = CONTESTS.replace('name = "Bloque A"', 'name = "Bloque A"\nrule = "referendum"\nquorum_percent = 50\n'
                                'double_majority = true\ncanton_level = "estado"')
    contests = contests.replace('{ code = "SI", name = "Sí" }, { code = "NO", name = "No" }]\n\n',
                                '{ code = "SI", name = "Sí", party = "P1", colour = "#c0392b" },'
                                ' { code = "NO", name = "No" }]\n\n', 1)
    areas = AREAS.replace("code,name,level,parent", "code,name,level,parent,weight").replace(
        "DC,Distrito Capital,estado,VE", "DC,Distrito Capital,estado,VE,2").replace("MI,Miranda,estado,VE",
                                                                                    "MI,Miranda,estado,VE,1")
    created = init_election(store, write(tmp_path, contests=contests, areas_csv=areas))
    assert created.contests[0].rule.double_majority is True
    assert created.contests[0].options[0].colour == "#c0392b"
    assert [a.weight for a in created.areas] == [None, 2, 1, None, None]
    assert store.election() == created
    assert store.election().contests[0].options == created.contests[0].options
    assert store.election().areas == created.areas


def test_a_colour_that_could_carry_more_css_is_refused(tmp_path):
    contests = CONTESTS.replace('{ code = "SI", name = "Sí" }, { code = "NO", name = "No" }]\n\n',
                                '{ code = "SI", name = "Sí", colour = "red;background:url(x)" },'
                                ' { code = "NO", name = "No", colour = "teal" }]\n\n', 1)
    [problem] = problems_of(write(tmp_path, contests=contests))
    assert problem.field == "contest[1].options.colour" and "red;background" in problem.message

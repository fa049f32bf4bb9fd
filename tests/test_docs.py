"""The docs stay true: templates load, examples behave as written, commands exist.

- the election template initialises and both acta templates go in clean;
- every example acta in docs/formats/actas.md gets the outcome and message
  the doc gives it, and the error example of docs/formats/election.md is
  what init reports;
- docs/cli.md is the CLI's own help text;
- every `escrutinio …` command shown in a code block of the README or docs/
  names a real command.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import click
import pytest

from escrutinio.cli import main, reference_markdown
from escrutinio.domain.errors import DefinitionError
from escrutinio.services import ingest_files, init_election, open_store, publish_bulletin

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TEMPLATES = DOCS / "formats" / "templates"
DEFINITION = TEMPLATES / "election" / "election.toml"
ACTAS_CSV = TEMPLATES / "actas.csv"
ACTAS_JSONL = TEMPLATES / "actas.jsonl"
EXAMPLE_HEADER = "table,contest,ballots_cast,null,blank,SI,NO"
NO_OUTCOME = {"accepted": 0, "already_present": 0, "conflict": 0, "quarantined": 0, "rejected": 0}


def _open(path: Path):
    return open_store(f"sqlite:///{path}")


@pytest.fixture
def template_store(tmp_path):
    store = _open(tmp_path / "template.db")
    init_election(store, DEFINITION)
    yield store
    store.close()


def _slots(store) -> int:
    """(table, contest) pairs on the ballot: how many actas a complete night has."""
    return sum(len(t.contests) for t in store.election().tables)


# -- templates ---------------------------------------------------------------


def test_election_template_is_the_election_the_docs_describe(template_store):
    election = template_store.election()
    levels = [a.level for a in election.areas]
    assert (levels.count(1), levels.count(2)) == (2, 3), "2 states and 3 municipalities"
    assert (len(election.centres), len(election.tables)) == (4, 8)
    assert [c.code for c in election.contests] == ["A", "B"]
    assert [t.code for t in election.tables if t.contests != ("A", "B")] == ["020101001-2"]
    assert election.table_by_code["020101001-2"].contests == ("A",)


@pytest.mark.parametrize("path", [ACTAS_CSV, ACTAS_JSONL], ids=lambda p: p.name)
def test_acta_template_goes_in_clean(template_store, path):
    report = ingest_files(template_store, [path])
    assert report.problems == []
    assert report.counts == {**NO_OUTCOME, "accepted": 15} == {**NO_OUTCOME, "accepted": _slots(template_store)}


def test_both_acta_templates_hold_the_same_actas(template_store):
    ingest_files(template_store, [ACTAS_CSV])
    again = ingest_files(template_store, [ACTAS_JSONL])
    assert again.counts == {**NO_OUTCOME, "already_present": 15}


def _csv_totals() -> dict[str, dict[str, int]]:
    """Per contest, every count of actas.csv summed, read here without escrutinio."""
    totals: dict[str, dict[str, int]] = {}
    with ACTAS_CSV.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            sums = totals.setdefault(row["contest"], {})
            for key in ("SI", "NO", "null", "blank", "ballots_cast"):
                sums[key] = sums.get(key, 0) + int(row[key])
            sums["tables"] = sums.get("tables", 0) + 1
    return totals


def test_template_night_publishes_a_bulletin(template_store):
    ingest_files(template_store, [ACTAS_CSV])
    country = publish_bulletin(template_store).area("00")["results"]
    for contest, sums in _csv_totals().items():
        figures = country[contest]
        assert [(o["code"], o["votes"]) for o in figures["options"]] == [("SI", sums["SI"]), ("NO", sums["NO"])]
        assert (figures["null"], figures["blank"], figures["ballots_cast"]) == \
            (sums["null"], sums["blank"], sums["ballots_cast"])
        assert figures["tables"]["counted"] == figures["tables"]["expected"] == sums["tables"]
    assert (country["A"]["tables"]["expected"], country["B"]["tables"]["expected"]) == (8, 7)


# -- the examples of actas.md ------------------------------------------------


def _acta_examples() -> list[tuple[str, bool, str, str | None]]:
    """(acta, after actas.csv?, outcome, message) for each row of the Examples table."""
    section = (DOCS / "formats" / "actas.md").read_text(encoding="utf-8").split("\n## Examples\n", 1)[1]
    examples = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            acta, before, outcome, says = cells
            message = None if says == "—" else says.strip("`")
            examples.append((acta.strip("`"), "actas.csv" in before, outcome.replace(" ", "_"), message))
    return examples


EXAMPLES = _acta_examples()


def test_actas_doc_has_examples_of_every_outcome():
    assert {outcome for _, _, outcome, _ in EXAMPLES} == set(NO_OUTCOME)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """Two databases to copy: the template election, and the same after actas.csv."""
    base = tmp_path_factory.mktemp("prepared")
    paths = {}
    for after in (False, True):
        paths[after] = base / f"after-{after}.db"
        store = _open(paths[after])
        init_election(store, DEFINITION)
        if after:
            ingest_files(store, [ACTAS_CSV])
        store.close()
    return paths


@pytest.mark.parametrize("acta,after,outcome,message", EXAMPLES, ids=[f"{e[2]}-{n}" for n, e in enumerate(EXAMPLES)])
def test_acta_example_gets_the_outcome_the_doc_gives(prepared, tmp_path, acta, after, outcome, message):
    shutil.copy(prepared[after], tmp_path / "night.db")
    store = _open(tmp_path / "night.db")
    if acta.startswith("{"):
        example = tmp_path / "example.jsonl"
        example.write_text(acta + "\n", encoding="utf-8")
    else:
        example = tmp_path / "example.csv"
        example.write_text(f"{EXAMPLE_HEADER}\n{acta}\n", encoding="utf-8")
    [result] = ingest_files(store, [example]).outcomes
    store.close()
    assert result.result == outcome
    said = "\n".join([str(p) for p in result.problems] + list(result.reasons))
    assert (message or "") in said


# -- the error example of election.md ----------------------------------------

MISTAKES = {  # file: (text of the template, text with the mistake)
    "election.toml": [("date = 2025-12-07", 'date = "2025-12-07"'),
                      ('percent_rule = "truncate"', 'percent_rule = "round"')],
    "areas.csv": [("0201,Municipio Sabana,municipio,02", "0201,Municipio Sabana,municipio,00")],
    "centres.csv": [("Cecilio Acosta,0102", "Cecilio Acosta,0103")],
    "tables.csv": [("010101002-1,010101002,530,", '010101002-1,010101002,"1.530",'),
                   ("020101001-2,020101001,212,A", "020101001-2,020101001,212,A;C")],
}


def _doc_error_example() -> str:
    text = (DOCS / "formats" / "election.md").read_text(encoding="utf-8")
    [block] = re.findall(r"```text\n(error: election definition .*?)```", text, re.S)
    return block.rstrip("\n")


def test_election_doc_error_example_is_what_init_reports(tmp_path, monkeypatch):
    folder = tmp_path / "bad"
    shutil.copytree(DEFINITION.parent, folder)
    for name, changes in MISTAKES.items():
        text = (folder / name).read_text(encoding="utf-8")
        for right, wrong in changes:
            assert text.count(right) == 1, f"the template's {name} no longer holds {right!r}"
            text = text.replace(right, wrong)
        (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(folder)  # the doc shows paths as given from the definition's folder
    store = _open(tmp_path / "bad.db")
    with pytest.raises(DefinitionError) as raised:
        init_election(store, "election.toml")
    store.close()
    assert f"error: {raised.value}" == _doc_error_example()


# -- docs/cli.md ---------------------------------------------------------------


def test_cli_reference_is_the_help_text():
    written = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert written == reference_markdown(), (
        "docs/cli.md differs from the CLI's help text; regenerate it with "
        "`.venv/bin/escrutinio cli-reference > docs/cli.md`")


# -- commands shown in the docs ------------------------------------------------

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
COMMAND_NAME = re.compile(r"[a-z][a-z0-9-]*")


def _doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def _shown_commands(text: str) -> list[tuple[str, list[str]]]:
    """(line, words after `escrutinio`) for each command in a code block, also after `$`, `&&` or `|`,
    and when called by a path such as `.venv/bin/escrutinio`."""
    found = []
    for block in FENCE.findall(text):
        for line in block.splitlines():
            for segment in re.split(r"&&|\|\||\||;", line):
                words = segment.strip().removeprefix("$ ").split()
                if words and (words[0] == "escrutinio" or words[0].endswith("/escrutinio")):
                    found.append((line.strip(), words[1:]))
    return found


def unknown_command(words: list[str]) -> str | None:
    """The first word naming no command of the click tree, or None.

    Options, arguments and placeholders (FILE, <file>, …) end the command path.
    """
    command: click.Command = main
    for word in words:
        if not isinstance(command, click.Group) or not COMMAND_NAME.fullmatch(word):
            return None
        if word not in command.commands:
            return word
        command = command.commands[word]
    return None


def test_the_command_check_can_fail():
    assert unknown_command(["bulletin", "show", "1"]) is None
    assert unknown_command(["ingest", "FILE", "--db", "sqlite:///x.db"]) is None
    assert unknown_command(["bulletin", "COMMAND"]) is None
    assert unknown_command(["bulletins", "show"]) == "bulletins"
    assert unknown_command(["bulletin", "publsh"]) == "publsh"


def test_every_command_shown_in_the_docs_exists():
    shown = [(path, line, words) for path in _doc_files() if path.exists()
             for line, words in _shown_commands(path.read_text(encoding="utf-8"))]
    assert len(shown) >= 5, "the docs show escrutinio commands; the parser found too few"
    wrong = [f"{path.relative_to(ROOT)}: {line!r}: no command {unknown_command(words)!r}"
             for path, line, words in shown if unknown_command(words)]
    assert not wrong, "\n".join(wrong)


# -- the municipal template ------------------------------------------------------

MUNICIPAL = TEMPLATES / "municipal" / "election.toml"


def test_municipal_template_counts_mayors_and_seats_per_party(tmp_path):
    from escrutinio.intake.actas import Record
    from escrutinio.services import ingest_records, publish_bulletin

    store = _open(tmp_path / "municipal.db")
    try:
        election = init_election(store, MUNICIPAL)
        assert [(c.code, c.rule.name, c.rule.level) for c in election.contests] == [
            ("ALC", "majority", "municipio"), ("CON", "dhondt", "municipio")]
        mayors = {"0101-1": {"N1": 230, "N2": 150, "N3": 20},        # Norte: Ana 57.5 %: elected
                  "0201-1": {"S1": 200, "S2": 250},                  # Sur: Elena 55.6 %: elected
                  "0301-1": {"E1": 180, "E2": 150, "E3": 110}}       # Este: Félix 40.9 %: runoff with Gabriela
        council = {"0101-1": {"AZUL": 200, "VERDE": 150, "ROJO": 30, "AMARILLO": 20}}
        records = []
        for contest, given in (("ALC", mayors), ("CON", council)):
            codes = [o.code for o in election.contest_by_code[contest].options]
            for table, votes in given.items():
                records.append(Record("test", len(records) + 1, {
                    "table": table, "contest": contest, "votes": {code: votes.get(code, 0) for code in codes},
                    "null": 0, "blank": 0, "ballots_cast": sum(votes.values())}))
        assert {o.result for o in ingest_records(store, records)} == {"accepted"}
        bulletin = publish_bulletin(store)
        country = bulletin.root["results"]
        assert country["ALC"]["outcome"]["summary"]["winners"] == {"Partido Azul": 1, "Partido Verde": 1}
        assert country["ALC"]["outcome"]["summary"]["statuses"] == {"leading": 2, "runoff": 1}
        assert bulletin.area("03")["results"]["ALC"]["outcome"]["runoff"] == ["E1", "E2"]
        # Norte's council, 9 seats among 400 votes: AMARILLO has 5 % exactly and stays in.
        # D'Hondt: 200 (A), 150 (V), 100 (A÷2), 75 (V÷2), 66.7 (A÷3), 50 (A÷4), 50 (V÷3), 40 (A÷5),
        # 37.5 (V÷4); ROJO's 30 and AMARILLO's 20 come after: AZUL 5, VERDE 4.
        assert bulletin.area("01")["results"]["CON"]["outcome"]["seats"] == {"AZUL": 5, "VERDE": 4, "ROJO": 0,
                                                                             "AMARILLO": 0}
        assert country["CON"]["outcome"]["summary"]["seats"] == {"Partido Azul": 5, "Partido Verde": 4}
    finally:
        store.close()

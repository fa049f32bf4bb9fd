"""More real files through the adapters: a Swiss vote with three questions, an older OneGov export with the
Swiss abroad, districts, Brazil's runoff with a candidates file; and adapters that write nothing on a problem.

Expected figures are the ones the sources published (the page is named beside each), or sums of the file
computed here with the csv module, never the program's own output.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from escrutinio.cli import main
from escrutinio.intake.adapters import adapt_onegov_vote, adapt_tse_br, write_bundle
from escrutinio.services import ingest_files, init_election, publish_bulletin

from .conftest import escrutinio

DATA = Path(__file__).parent / "data"
MUNDART = DATA / "ch-zg-2016-09-25-mundart.csv"
ENERGIE = DATA / "ch-sg-2017-05-21-energiegesetz.csv"
SCHULE = DATA / "ch-bl-2012-11-25-gute-schule.csv"
RUNOFF = DATA / "br-2022-rr-presidente-turno2-secoes.csv"
RUNOFF_CANDIDATES = DATA / "br-2022-presidente-turno2-candidatos.csv"

# Zug, 25 Sep 2016, «Ja zur Mundart» and counter-proposal, as SRF published them
# (srf.ch/news/schweiz/abstimmungen-zg-kanton-zug-mundart-nur-im-kindergarten); 62.48 % for the
# counter-proposal as zentralplus.ch reported it.
MUNDART_INITIATIVE = {"YES": 13_338, "NO": 20_335}
MUNDART_COUNTER = {"YES": 20_582, "NO": 12_359}
MUNDART_COUNTER_SHARE = "62.48"
# St. Gallen, 21 May 2017, Energiegesetz: 52.22 % yes in the canton (fm1today.ch, evp-sg.ch, 21 May 2017).
ENERGIE_SHARE = "52.22"
# Roraima, 30 Oct 2022, president, 2nd round (TSE-RR as cited by legal-amazonia.org; folhabv.com.br).
RR2_REGISTERED = 366_641
RR2_CAST = 286_269
RR2_VALID = 280_646
RR2_BLANK, RR2_NULL = 2_173, 3_450
RR2_VOTES = {"22": 213_518, "13": 67_128}
RR2_SHARES = {"22": "76.08", "13": "23.92"}
RR2_ABSTENTION, RR2_ABSTENTION_RATE = 80_372, "21.92"


def votes(figures: dict) -> dict[str, int]:
    return {o["code"]: o["votes"] for o in figures["options"]}


def night(store, bundle, tmp_path: Path):
    assert bundle.problems == []
    write_bundle(bundle, tmp_path)
    election = init_election(store, tmp_path / "definition.toml")
    report = ingest_files(store, sorted(tmp_path.glob("actas-*.csv")))
    assert report.problems == []
    return election, report, publish_bulletin(store)


def test_a_vote_with_counter_proposal_and_tie_breaker(store, tmp_path):
    election, report, bulletin = night(store, adapt_onegov_vote([MUNDART]), tmp_path)
    assert [c.code for c in election.contests] == ["K1", "K1-GV", "K1-SF"]
    assert [(c.rule.kind, c.rule.group) for c in election.contests] == [
        ("initiative", "K1"), ("counter_proposal", "K1"), ("tie_breaker", "K1")]
    assert election.contest_by_code["K1-SF"].option_codes == ("K1", "K1-GV")
    assert report.counts["accepted"] == 3 * 11  # the same municipality once per question: no "appears twice"
    canton = bulletin.area("ZG")["results"]
    assert votes(canton["K1"]) == MUNDART_INITIATIVE
    assert votes(canton["K1-GV"]) == MUNDART_COUNTER
    assert canton["K1-GV"]["options"][0]["percent"] == MUNDART_COUNTER_SHARE
    assert canton["K1-SF"]["tables"]["counted"] == 11


def test_an_older_export_with_the_swiss_abroad(store, tmp_path):
    bundle = adapt_onegov_vote([ENERGIE])
    assert any("'elegible_voters' read as 'eligible_voters'" in note for note in bundle.notes)
    election, _, bulletin = night(store, bundle, tmp_path)
    abroad = election.area_by_code["0"]
    assert abroad.name == "Auslandschweizerinnen und Auslandschweizer" and abroad.parent == "SG"
    canton = bulletin.area("SG")["results"]["E-V1"]
    rows = list(csv.DictReader(ENERGIE.open(encoding="utf-8")))
    assert canton["tables"]["counted"] == len(rows) == 78
    assert canton["registered_all"] == sum(int(r["elegible_voters"]) for r in rows)
    # The published share holds only with the voters abroad: without them it would be 51.88 %.
    assert canton["options"][0]["percent"] == ENERGIE_SHARE
    assert votes(bulletin.area("0")["results"]["E-V1"]) == {"YES": 1_571, "NO": 597}


def test_districts_when_the_export_has_them(store, tmp_path):
    election, _, bulletin = night(store, adapt_onegov_vote([SCHULE]), tmp_path)
    assert election.levels == ("Kanton", "Bezirk", "Gemeinde")
    rows = [r for r in csv.DictReader(SCHULE.open(encoding="utf-8")) if r["type"] == "proposal"]
    districts = {r["district"] for r in rows}
    assert districts == {a.code for a in election.areas if a.level == 1}
    for district in districts:
        mine = [r for r in rows if r["district"] == district]
        figures = bulletin.area(district)["results"]["K2"]
        assert votes(figures) == {"YES": sum(int(r["yeas"]) for r in mine), "NO": sum(int(r["nays"]) for r in mine)}
        assert figures["tables"]["expected"] == len(mine)


def test_brazil_runoff_with_round_date_name_and_candidates(store, tmp_path):
    bundle = adapt_tse_br(RUNOFF, round=2, date=__import__("datetime").date(2022, 10, 30),
                          name="Eleição presidencial 2022 — Roraima — 2º turno", candidates=RUNOFF_CANDIDATES)
    election, report, bulletin = night(store, bundle, tmp_path)
    assert election.date.isoformat() == "2022-10-30" and election.name.endswith("2º turno")
    assert [(o.code, o.name, o.party) for o in election.contests[0].options] == [
        ("13", "LULA", "PT"), ("22", "JAIR BOLSONARO", "PL")]
    state = bulletin.area("RR")["results"]["PR"]
    assert state["registered_all"] == RR2_REGISTERED
    assert (state["ballots_cast"], state["valid"], state["blank"], state["null"]) == (
        RR2_CAST, RR2_VALID, RR2_BLANK, RR2_NULL)
    assert votes(state) == RR2_VOTES
    assert {o["code"]: o["percent"] for o in state["options"]} == RR2_SHARES
    assert state["abstention"]["voters_counted_tables"] == RR2_ABSTENTION
    assert state["abstention"]["counted_tables"] == RR2_ABSTENTION_RATE


def test_runoff_through_the_cli(tmp_path):
    out = tmp_path / "rr2"
    done = CliRunner().invoke(main, ["adapt", "tse-br", str(RUNOFF), "--round", "2", "--date", "2022-10-30",
                                     "--name", "Segundo turno", "--candidates", str(RUNOFF_CANDIDATES),
                                     "--out", str(out)])
    assert done.exit_code == 0, done.output
    text = (out / "definition.toml").read_text(encoding="utf-8")
    assert 'name = "Segundo turno"' in text and "date = 2022-10-30" in text
    assert '{ code = "22", name = "JAIR BOLSONARO", party = "PL" }' in text


def test_a_number_missing_from_the_candidates_file_is_a_problem(tmp_path):
    short = tmp_path / "candidatos.csv"
    short.write_text("numero,nome,partido\n13,LULA,PT\n", encoding="utf-8")
    bundle = adapt_tse_br(RUNOFF, round=2, candidates=short)
    assert [(p.source, p.field) for p in bundle.problems] == [(str(short), "numero")]
    assert "22" in bundle.problems[0].message
    assert write_bundle(bundle, tmp_path / "out") == [] and not (tmp_path / "out").exists()


def test_without_a_date_the_assumed_one_is_said(tmp_path):
    bundle = adapt_tse_br(RUNOFF, round=2)
    assert bundle.election.date.isoformat() == "2022-10-30"
    assert any("2022-10-30" in note and "--date" in note for note in bundle.notes)


def test_one_bad_row_and_nothing_is_written(tmp_path):
    lines = MUNDART.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].replace(",True,", ",vielleicht,")
    broken = tmp_path / "mundart.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["adapt", "onegov-vote", str(broken), "--out", str(out)])
    assert done.exit_code == 1
    assert f"{broken}, row 6, field 'counted'" in done.output
    assert "nothing written" in done.output
    assert not out.exists()


def test_an_adapter_given_another_format_names_it(tmp_path):
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["adapt", "tse-br", str(MUNDART), "--out", str(out)])
    assert done.exit_code == 1
    assert "this is a OneGov vote CSV export, not a TSE per-section CSV file" in done.output
    assert "escrutinio adapt onegov-vote" in done.output
    assert not out.exists()
    done = CliRunner().invoke(main, ["adapt", "onegov-vote", str(RUNOFF), "--out", str(out)])
    assert done.exit_code == 1 and "this is a TSE per-section CSV file" in done.output
    assert not out.exists()


def test_ingest_of_a_nist_report_says_so_in_one_line(tmp_path):
    nist = tmp_path / "results.json"
    nist.write_text(json.dumps({"@type": "ElectionResults.ElectionReport", "Format": "precinct-level",
                                "GpUnit": [{"@type": "ElectionResults.ReportingUnit"}] * 3}, indent=1))
    assert escrutinio(tmp_path, "init", str(write_small_definition(tmp_path))).returncode == 0
    done = escrutinio(tmp_path, "ingest", str(nist))
    assert done.returncode == 1
    rejected = [line for line in done.stdout.splitlines() if line.startswith("rejected:")]
    assert rejected == [f"rejected: {nist}: this is a NIST SP 1500-100 results report (JSON), not an acta file "
                        "— read it with `escrutinio adapt nist FILE --out DIR`"]


def write_small_definition(where: Path) -> Path:
    out = where / "zg"
    write_bundle(adapt_onegov_vote([DATA / "ch-zg-2016-09-25-ndg-final.csv"]), out)
    return out / "definition.toml"

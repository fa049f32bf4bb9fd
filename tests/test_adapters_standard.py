"""Standard formats in: Clarity detail XML and NIST SP 1500-100 results reports, real files and a round trip.

Expected figures are the sources' own: a Clarity choice's ``totalVotes``,
the NIST report's ``BallotCounts`` and its per-precinct counts added here
with ElementTree (not through escrutinio), or hand arithmetic on the actas
of a small election.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from escrutinio.cli import main
from escrutinio.intake.actas import Record
from escrutinio.intake.adapters import adapt_clarity, adapt_nist, write_bundle
from escrutinio.services import export_nist, ingest_files, ingest_records, init_election, publish_bulletin

from .factory import acta

DATA = Path(__file__).parent / "data"
GREENUP = DATA / "us-ky-greenup-2014-05-20-clarity-precinct.xml"
ARKANSAS_CUT = DATA / "us-ar-2014-11-04-clarity-county-cut.xml"
CAMBRIDGE_XML = DATA / "us-ma-cambridge-2022-11-08-nist.xml"
CAMBRIDGE_JSON = DATA / "us-ma-cambridge-2022-11-08-nist.json"
N = "{http://itl.nist.gov/ns/voting/1500-100/v2}"
UTC = dt.timezone.utc

# Greenup County, Kentucky, Republican primary for US Senator, 20 May 2014: each choice's totalVotes in the file.
GREENUP_TOTALS = {"1": 820, "2": 11, "3": 1_135, "4": 48, "5": 46}  # Bevin, Copas, McConnell, Payne, Sterling
GREENUP_PRECINCTS = 33
# Cambridge, Massachusetts, 8 November 2022, as the certified report gives it (sums of its 42 precincts).
GOVERNOR = "cc-governor-and-lieutenant-governor-statewide"
CAMBRIDGE_GOVERNOR = {"cs-h-and-driscoll": 33_312, "cs-d-and-allen": 2_768, "cs-r-and-everett": 423,
                      "cs-governor-and-lieutenant-governor-statewide-wi": 57}
CAMBRIDGE_GOVERNOR_BLANK = 337
CAMBRIDGE_QUESTION_1 = {"bmc-question-1-yes": 27_606, "bmc-question-1-no": 8_355}


def votes(figures: dict) -> dict[str, int]:
    return {o["code"]: o["votes"] for o in figures["options"]}


def night(store, bundle, out: Path):
    assert bundle.problems == []
    write_bundle(bundle, out)
    election = init_election(store, out / "definition.toml")
    report = ingest_files(store, sorted(out.glob("actas-*.csv")))
    assert report.problems == [] and report.counts["quarantined"] == 0
    return election, publish_bulletin(store)


def test_clarity_precinct_file(store, tmp_path):
    election, bulletin = night(store, adapt_clarity(GREENUP), tmp_path)
    assert election.name == "2014 Primary Election — Greenup" and election.date == dt.date(2014, 5, 20)
    assert election.time_zone == "America/New_York"  # the timestamp says EDT
    county = bulletin.area("Greenup")["results"]["C4"]
    assert votes(county) == GREENUP_TOTALS
    assert county["tables"]["counted"] == county["tables"]["expected"] == GREENUP_PRECINCTS
    assert [o.name for o in election.contests[0].options][2] == "Mitch McCONNELL"


def test_clarity_file_whose_totals_disagree_writes_nothing(tmp_path):
    out = tmp_path / "ar"
    done = CliRunner().invoke(main, ["adapt", "clarity", str(ARKANSAS_CUT), "--out", str(out)])
    assert done.exit_code == 1
    # The file (cut short for a test suite) keeps four of Tom Cotton's vote types; his total counts them all.
    assert "totalVotes 477,734 but its vote types add up to 462,123" in done.output
    assert not out.exists()


def ballots_cast_given(path: Path) -> int:
    election = ET.parse(path).getroot().find(N + "Election")
    return sum(int(b.findtext(N + "BallotsCast")) for b in election.findall(N + "BallotCounts"))


def test_nist_report_of_cambridge(store, tmp_path):
    bundle = adapt_nist(CAMBRIDGE_XML)
    election, bulletin = night(store, bundle, tmp_path)
    assert len(election.tables) == 42 and election.date == dt.date(2022, 11, 8)
    city = bulletin.area("loc-cambridge")["results"]
    governor = city[GOVERNOR]
    assert votes(governor) == CAMBRIDGE_GOVERNOR
    assert governor["blank"] == CAMBRIDGE_GOVERNOR_BLANK and governor["null"] == 0
    # Everyone voted in the governor's race or left it blank: its ballots are the report's BallotCounts.
    assert governor["ballots_cast"] == ballots_cast_given(CAMBRIDGE_XML) == 36_897
    assert {o.name for o in election.contest_by_code[GOVERNOR].options} >= {"HEALEY AND DRISCOLL", "Write-ins"}
    assert votes(city["bmc-question-1"]) == CAMBRIDGE_QUESTION_1
    # A districted contest is on the ballots of its district's precincts only (ed-6 lists 17).
    assert city["cc-representative-in-congress-fifth"]["tables"]["expected"] == 17
    assert any("write-in votes at 20 units outside its district ed-6 are left out" in n for n in bundle.notes)


def test_nist_json_gives_the_same_actas_as_its_xml():
    from_xml, from_json = adapt_nist(CAMBRIDGE_XML), adapt_nist(CAMBRIDGE_JSON)
    assert from_json.problems == []
    (xml_actas,), (json_actas,) = from_xml.actas.values(), from_json.actas.values()

    def counts(actas):  # the two files name the ballot measures' selections apart (bmc-… and bms-…)
        return {(a.table, a.contest, tuple(n for _, n in a.votes), a.null, a.blank, a.ballots_cast) for a in actas}

    assert len(xml_actas) == 660 and counts(xml_actas) == counts(json_actas)


def test_round_trip_through_our_own_export(small_store, tmp_path, db_url):
    ingest_records(small_store, [
        Record("t", 1, acta("T1", "Q", {"YES": 60, "NO": 40}, null=3)),
        Record("t", 2, acta("T5", "R", {"C1": 7, "C2": 5, "C3": 1}, blank=2)),
    ])
    publish_bulletin(small_store, dt.datetime(2024, 5, 5, 23, tzinfo=UTC))
    for form in ("nist-xml", "nist-json"):
        report = tmp_path / f"report.{form[5:]}"
        export_nist(small_store, report, format=form)
        bundle = adapt_nist(report)
        assert bundle.problems == []
        (actas,) = bundle.actas.values()
        got = {(a.table, a.contest): (dict(a.votes), a.null, a.blank, a.ballots_cast) for a in actas}
        assert got == {("T1", "Q"): ({"YES": 60, "NO": 40}, 3, 0, 103),
                       ("T5", "R"): ({"C1": 7, "C2": 5, "C3": 1}, 0, 2, 15)}
        election = bundle.election
        assert {t.code: t.registered for t in election.tables} == {"T1": 300, "T2": 250, "T3": 400, "T4": 120,
                                                                   "T5": 500, "T6": 80}
        assert election.centre_by_code["C-N1a"].area == "N1" and election.area_by_code["N1"].parent == "N"


def test_nist_adapter_given_another_format_names_it(tmp_path):
    done = CliRunner().invoke(main, ["adapt", "nist", str(GREENUP), "--out", str(tmp_path / "x")])
    assert done.exit_code == 1
    assert "this is a Clarity detail XML results file, not a NIST SP 1500-100 results report" in done.output
    assert not (tmp_path / "x").exists()


def test_brazils_runoff_through_nist_and_back(store, tmp_path):
    from escrutinio.intake.adapters import adapt_tse_br

    runoff = DATA / "br-2022-rr-presidente-turno2-secoes.csv"
    bundle = adapt_tse_br(runoff, round=2, date=dt.date(2022, 10, 30),
                          candidates=DATA / "br-2022-presidente-turno2-candidatos.csv")
    night(store, bundle, tmp_path / "rr2")
    export_nist(store, tmp_path / "rr2.json", format="nist-json")
    back = adapt_nist(tmp_path / "rr2.json")
    assert back.problems == []
    (contest,) = back.election.contests
    assert [(o.code, o.name, o.party) for o in contest.options] == [("13", "LULA", "PT"),
                                                                    ("22", "JAIR BOLSONARO", "PL")]
    (actas,) = back.actas.values()
    assert len(actas) == 1_268
    # Roraima's 2nd round as published (TSE-RR): 22 213,518 and 13 67,128; blank 2,173, null 3,450.
    assert sum(dict(a.votes)["22"] for a in actas) == 213_518 and sum(dict(a.votes)["13"] for a in actas) == 67_128
    assert (sum(a.blank for a in actas), sum(a.null for a in actas)) == (2_173, 3_450)
    # The same night as XML, with its parties, is valid against the NIST schema.
    from importlib import resources

    from lxml import etree

    export_nist(store, tmp_path / "rr2.xml", format="nist-xml")
    xsd = resources.files("escrutinio.publish") / "nist_schema" / "NIST_V2_election_results_reporting.xsd"
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    assert schema.validate(etree.parse(str(tmp_path / "rr2.xml"))), schema.error_log

"""Claims checked against the count: the forms, the verdicts (figures from the 2007 night's bulletin 1,
worked by hand), and the claims re-judged when a bulletin is published."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from escrutinio import services
from escrutinio.cli import main
from escrutinio.domain.claims import CONTRADICTED, NOT_YET, SUPPORTED, Claim, judge, parse_claim
from escrutinio.domain.errors import EntryRejected
from escrutinio.intake.actas import Record
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app

from .factory import acta

CONTESTS = {"A": ("SI", "NO"), "B": ("SI", "NO")}
# Bulletin 1 of 3 December 2007, Bloque A, whole country (docs/api.md)
BULLETIN_1 = {"options": [{"code": "SI", "votes": 4379392}, {"code": "NO", "votes": 4504354}], "valid": 8883746,
              "ballots_cast": 9002439, "registered_all": 16189960,
              "decided": {"decided": True, "leader": "NO", "lead": 124962, "remaining_max": 1576676}}


@pytest.mark.parametrize("text, claim", [
    ("in contest A, SI leads NO by 6 to 8 points", Claim("lead", "A", "SI", "NO", 6.0, 8.0)),
    ("In contest a SI leads NO by 6 to 8 pts.", Claim("lead", "A", "SI", "NO", 6.0, 8.0)),
    ("in contest B, no leads si", Claim("lead", "B", "NO", "SI")),
    ("SI wins", Claim("wins", "A", "SI")),
    ("turnout above 60 %", Claim("turnout", "A", low=60.0, above=True)),
    ("in contest B, turnout below 55.5%", Claim("turnout", "B", low=55.5, above=False)),
    ("in contest A, NO gained less than 100,000 votes over the previous election",
     Claim("gain", "A", "NO", low=100000.0, above=False)),
])
def test_the_documented_forms(text, claim):
    assert parse_claim(text, CONTESTS) == claim


@pytest.mark.parametrize("text, message", [("Sí will win big", "not a checkable claim"),
                                           ("in contest C, SI wins", "unknown contest 'C'"),
                                           ("in contest A, MAYBE leads NO", "unknown option(s) MAYBE"),
                                           ("SI leads NO by 8 to 6 points", "empty range")])
def test_what_is_not_a_claim_says_why(text, message):
    problems = parse_claim(text, CONTESTS)
    assert isinstance(problems, list) and message in problems[0].message


def test_the_2020_agency_claim_is_contradicted_by_bulletin_1():
    # NO - SI = 4,504,354 - 4,379,392 = 124,962 of 8,883,746 valid = 1.4066 points for NO
    verdict = judge(parse_claim("in contest A, SI leads NO by 6 to 8 points", CONTESTS), BULLETIN_1, 1)
    assert verdict.verdict == CONTRADICTED
    assert verdict.reason == "NO leads SI by 1.41 points in bulletin 1"
    assert judge(parse_claim("SI wins", CONTESTS), BULLETIN_1, 1).verdict == CONTRADICTED
    assert judge(parse_claim("NO wins", CONTESTS), BULLETIN_1, 1).verdict == SUPPORTED
    assert judge(parse_claim("NO leads SI by 1 to 2 points", CONTESTS), BULLETIN_1, 1).verdict == SUPPORTED


def test_a_win_waits_until_the_contest_is_decided_and_a_lead_is_judged_on_the_count_so_far():
    # bulletin 1 as the CNE gave it: 88 % of tables, NO's lead (124,962) below the ballots still possible
    open_race = {**BULLETIN_1, "decided": {**BULLETIN_1["decided"], "decided": False},
                 "tables": {"counted": 29100, "expected": 33079}}
    verdict = judge(parse_claim("SI wins", CONTESTS), open_race, 1)
    assert verdict == (verdict.__class__(NOT_YET, "contest A is not decided in bulletin 1"))
    assert judge(parse_claim("SI wins", CONTESTS), None, None).verdict == NOT_YET
    lead = judge(parse_claim("SI leads NO by 6 to 8 points", CONTESTS), open_race, 1)
    assert lead == lead.__class__(CONTRADICTED, "NO leads SI by 1.41 points in bulletin 1, 29,100 of 33,079 "
                                                "tables counted")
    assert judge(parse_claim("NO leads SI", CONTESTS), open_race, 1).verdict == SUPPORTED
    nothing = {**open_race, "valid": 0, "options": [{"code": "SI", "votes": 0}, {"code": "NO", "votes": 0}]}
    assert judge(parse_claim("SI leads NO", CONTESTS), nothing, 1).verdict == NOT_YET


def test_turnout_is_judged_on_its_bounds():
    # cast 9,002,439 of 16,189,960 = 55.61 %; at most 9,002,439 + 1,576,676 = 10,579,115 = 65.34 %
    above_60 = judge(parse_claim("turnout above 60 %", CONTESTS), BULLETIN_1, 1)
    assert above_60.verdict == NOT_YET
    assert above_60.reason == "turnout between 55.61 % and 65.34 % as of bulletin 1"
    assert judge(parse_claim("turnout above 50 %", CONTESTS), BULLETIN_1, 1).verdict == SUPPORTED
    assert judge(parse_claim("turnout below 50 %", CONTESTS), BULLETIN_1, 1).verdict == CONTRADICTED
    assert judge(parse_claim("turnout above 70 %", CONTESTS), BULLETIN_1, 1).verdict == CONTRADICTED


def test_a_comparison_with_the_previous_election_waits_for_it():
    claim = parse_claim("NO gained less than 100,000 votes over the previous election", CONTESTS)
    assert judge(claim, BULLETIN_1, 1).verdict == NOT_YET


# Bloque A's comparison with the 2006 presidential election (SOURCES.md: No 4,504,354 − Rosales 4,292,466).
COMPARED_1 = {"previous": "2006", "options": {
    "NO": {"previous_option": "ROSALES", "votes": 4504354, "previous_votes": 4292466, "votes_change": 211888},
    "SI": {"previous_option": "CHAVEZ", "votes": 4379392, "previous_votes": 7309080, "votes_change": -2929688}}}


def test_a_gain_over_the_previous_election_is_judged_on_bounds():
    def verdict(text):
        return judge(parse_claim(text, CONTESTS), BULLETIN_1, 1, COMPARED_1)

    # counted so far +211,888; at most +211,888 + 1,576,676 = +1,788,564 once every table is in
    less = verdict("in contest A, NO gained less than 100,000 votes over the previous election")
    assert less.verdict == CONTRADICTED
    assert less.reason == ("gain between +211,888 (NO 4,504,354 − ROSALES 4,292,466) and +1,788,564 as of "
                           "bulletin 1")
    assert verdict("NO gained more than 200,000 votes over the previous election").verdict == SUPPORTED
    assert verdict("NO gained more than 300,000 votes over the previous election").verdict == NOT_YET
    assert verdict("NO gained less than 2,000,000 votes over the previous election").verdict == SUPPORTED
    # Sí lost 2,929,688 so far; even every ballot still possible cannot bring a gain
    assert verdict("SI gained more than 0 votes over the previous election").verdict == CONTRADICTED


def test_claims_are_judged_again_when_a_bulletin_is_published(small_store):
    said = dt.datetime(2024, 5, 5, 20, 20, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    services.claims.add_claim(small_store, "in contest Q, YES leads NO by 6 to 8 points", author="An agency",
                              said_at=said)
    assert services.claims.list_claims(small_store)[0]["verdict"] == NOT_YET
    # every table: YES 27, NO 33 (60 ballots fit T6's register of 80) -> NO leads by 6/60 = 10 points,
    # and nothing is left to count
    records = [acta(t, votes={"YES": 27, "NO": 33}) for t in ("T1", "T2", "T3", "T4", "T5", "T6")]
    services.ingest_records(small_store, [Record("test", n, r) for n, r in enumerate(records, 1)])
    services.publish_bulletin(small_store)
    with TestClient(create_app(load_settings(database_url=small_store.url), small_store)) as client:
        [found] = client.get("/api/v1/claims").json()
        page = client.get("/claims")
    assert (found["verdict"], found["reason"], found["bulletin"]) == (
        CONTRADICTED, "NO leads YES by 10.00 points in bulletin 1", 1)
    assert found["author"] == "An agency" and found["said_at"] == "2024-05-06T00:20:00+00:00"
    assert page.status_code == 200 and "NO leads YES by 10.00 points" in page.text


def test_a_claim_with_problems_is_not_recorded(small_store, db_url):
    with pytest.raises(EntryRejected) as caught:
        services.claims.add_claim(small_store, "YES will sweep", author=" ", said_at=dt.datetime(2024, 5, 5),
                                  entry_id=99)
    assert {p.field for p in caught.value.problems} == {"statement", "author", "said_at", "entry"}
    done = CliRunner().invoke(main, ["claims", "add", "in contest Q, YES wins", "--by", "A blog",
                                     "--at", "2024-05-06T02:41-04:00", "--db", db_url])
    assert done.exit_code == 0 and "not_yet_checkable — no bulletin yet" in done.output
    assert "YES wins" in CliRunner().invoke(main, ["claims", "list", "--db", db_url]).output

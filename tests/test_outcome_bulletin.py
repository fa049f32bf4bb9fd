"""Outcomes through the whole chain: a definition and actas written here, init, ingest, publish, show, verify."""

from __future__ import annotations

import json
import textwrap

from click.testing import CliRunner

from escrutinio.cli import main

ELECTION = """
[election]
name = "Elección de prueba"
date = 2026-05-03
time_zone = "America/Caracas"
polls_open = "06:00"
polls_close = "18:00"
require_signatures = false

[[contest]]
code = "DH"
name = "Concejo (D'Hondt)"
rule = "dhondt"
seats = 8
options = [{ code = "A", name = "Lista A", party = "PA", colour = "#c0392b" }, { code = "B", name = "Lista B" },
           { code = "C", name = "Lista C" }, { code = "D", name = "Lista D" }]

[[contest]]
code = "SL"
name = "Concejo (Sainte-Laguë)"
rule = "sainte_lague"
seats = 8
options = [{ code = "A", name = "Lista A" }, { code = "B", name = "Lista B" },
           { code = "C", name = "Lista C" }, { code = "D", name = "Lista D" }]

[[contest]]
code = "MAY"
name = "Alcaldía"
rule = "majority"
options = [{ code = "C1", name = "Ana" }, { code = "C2", name = "Bea" }, { code = "C3", name = "Ciro" },
           { code = "C4", name = "Dora" }, { code = "C5", name = "Eli" }]

[[contest]]
code = "REF"
name = "Consulta"
rule = "referendum"
quorum_percent = 50
options = [{ code = "SI", name = "Sí" }, { code = "NO", name = "No" }]

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
options = [{ code = "INI", name = "Initiative" }, { code = "GEG", name = "Gegenentwurf" }]

[geography]
levels = ["país", "municipio"]
areas = "areas.csv"
centres = "centres.csv"
tables = "tables.csv"
"""
AREAS = "code,name,level,parent\nP,País,país,\nM1,Uno,municipio,P\nM2,Dos,municipio,P\n"
CENTRES = "code,name,area\nK1,Escuela 1,M1\nK2,Escuela 2,M2\n"
TABLES = "code,centre,registered,contests\nT1,K1,200000,\nT2,K2,200000,\n"
# Per table and contest: votes in ballot order (no null or blank ballots).
ACTAS = {
    "DH": {"T1": [60_000, 40_000, 20_000, 10_000], "T2": [40_000, 40_000, 10_000, 10_000]},
    "SL": {"T1": [60_000, 40_000, 20_000, 10_000], "T2": [40_000, 40_000, 10_000, 10_000]},
    "MAY": {"T1": [2_000, 1_159, 1_000, 812, 500], "T2": [1_329, 1_000, 900, 800, 500]},
    "REF": {"T1": [50_000, 30_000], "T2": [40_000, 30_000]},
    "INI": {"T1": [30, 20], "T2": [30, 20]},
    "GEG": {"T1": [40, 10], "T2": [30, 20]},
    "STICH": {"T1": [25, 25], "T2": [20, 30]},
}
OPTIONS = {"DH": "A B C D", "SL": "A B C D", "MAY": "C1 C2 C3 C4 C5", "REF": "SI NO", "INI": "JA NEIN",
           "GEG": "JA NEIN", "STICH": "INI GEG"}


def run(*args: str) -> str:
    done = CliRunner().invoke(main, list(args))
    assert done.exit_code == 0, done.output
    return done.output


def night(tmp_path, db_url, election=ELECTION, tables=TABLES, actas=None, areas=None):
    for name, text in {"election.toml": election, "areas.csv": areas or AREAS, "centres.csv": CENTRES,
                       "tables.csv": tables}.items():
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    lines = []
    for contest, per_table in (actas or ACTAS).items():
        for table, votes in per_table.items():
            lines.append(json.dumps({"table": table, "contest": contest, "null": 0, "blank": 0,
                                     "ballots_cast": sum(votes),
                                     "votes": dict(zip(OPTIONS[contest].split(), votes))}))
    (tmp_path / "actas.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    run("init", str(tmp_path / "election.toml"), "--db", db_url)
    run("ingest", str(tmp_path / "actas.jsonl"), "--db", db_url)
    run("bulletin", "publish", "--db", db_url)
    return json.loads(run("bulletin", "show", "1", "--json", "--db", db_url))


def test_every_rule_gives_its_outcome_in_the_bulletin(tmp_path, db_url):
    shown = night(tmp_path, db_url)
    results = shown["area"]["results"]
    # 100,000 / 80,000 / 30,000 / 20,000 votes for 8 seats.
    assert results["DH"]["outcome"]["seats"] == {"A": 4, "B": 3, "C": 1, "D": 0}
    assert results["SL"]["outcome"]["seats"] == {"A": 3, "B": 3, "C": 1, "D": 1}
    assert results["DH"]["outcome"]["status"] == "decided"
    # Ana leads with 3,329 of 10,000 (33.29 %): a runoff with Bea, second with 2,159.
    may = results["MAY"]["outcome"]
    assert (may["rule"], may["status"], may["runoff"], may["winners"], may["decided"]) == \
        ("majority", "runoff", ["C1", "C2"], [], True)
    # 150,000 of 400,000 registered voted (37.5 %), under the 50 % quorum.
    ref = results["REF"]["outcome"]
    assert (ref["status"], ref["winners"]) == ("no_quorum", [])
    # Both questions accepted (60 % and 70 %); the tie-breaker prefers the counter-proposal, 55 to 45.
    assert shown["area"]["groups"]["G"]["winners"] == ["GEG"]
    assert shown["area"]["groups"]["G"]["both_accepted"] is True
    # The rule and the option's party and colour are published with the contest.
    dh = next(c for c in shown["contests"] if c["code"] == "DH")
    assert dh["rule"] == {"name": "dhondt", "seats": 8, "runoff_count": 2, "approval_percent": "50",
                          "double_majority": False}
    assert dh["options"][0] == {"code": "A", "name": "Lista A", "party": "PA", "colour": "#c0392b"}


def test_the_hash_covers_the_outcomes_and_verify_recomputes_them(tmp_path, db_url):
    night(tmp_path, db_url)
    head = json.loads(run("bulletin", "show", "1", "--full", "--db", db_url))
    assert head["format"] == "escrutinio-bulletin/5"
    assert head["outcomes"]["DH"]["seats"] == {"A": 4, "B": 3, "C": 1, "D": 0}
    assert head["groups"]["G"]["winners"] == ["GEG"]
    report = run("verify", "--db", db_url)
    assert "result: OK — every check holds" in report, report


def test_verify_names_an_outcome_that_its_counters_do_not_give(tmp_path, db_url):
    import zlib

    import sqlalchemy as sa

    from escrutinio.services import open_store
    from escrutinio.store import schema
    from escrutinio.verify import verify_source

    night(tmp_path, db_url)
    store = open_store(db_url)
    try:
        with store.engine.begin() as conn:
            body = conn.execute(sa.select(schema.bulletin.c.body)).scalar_one()
            head = json.loads(zlib.decompress(body))
            head["outcomes"]["DH"]["seats"] = {"A": 3, "B": 3, "C": 1, "D": 1}
            conn.execute(schema.bulletin.update().values(body=zlib.compress(json.dumps(head).encode())))
        report = verify_source(db=db_url)
    finally:
        store.close()
    assert "bulletin 1, contest DH, outcome seats.A: published 3, recomputed 4" in report.of("outcome")
    assert "bulletin 1, contest DH, outcome seats.D: published 1, recomputed 0" in report.of("outcome")


def test_below_the_rule_level_no_verdict_above_it_a_summary(tmp_path, db_url):
    election = ELECTION.replace('rule = "majority"', 'rule = "majority"\nrule_level = "municipio"')
    election = election.replace('{ code = "C1", name = "Ana" }', '{ code = "C1", name = "Ana", party = "PA" }')
    night(tmp_path, db_url, election)
    country = json.loads(run("bulletin", "show", "1", "--json", "--db", db_url))["area"]["results"]["MAY"]
    # M1: Ana 2,000 of 5,471 (36.6 %) → runoff; M2: Ana 1,329 of 4,529 (29.3 %) → runoff.
    assert country["outcome"]["summary"] == {"areas": 2, "decided": 2, "statuses": {"runoff": 2}, "winners": {}}
    m1 = json.loads(run("bulletin", "show", "1", "--area", "M1", "--json", "--db", db_url))["area"]
    assert m1["results"]["MAY"]["outcome"]["runoff"] == ["C1", "C2"]
    centre = json.loads(run("bulletin", "show", "1", "--area", "K1", "--json", "--db", db_url))["area"]
    assert centre["results"]["MAY"]["outcome"] is None


def test_pages_show_outcomes_colours_and_tables_per_contest(tmp_path, db_url):
    from escrutinio.services import open_store

    from .test_api import make_client

    election = ELECTION.replace('rule = "majority"', 'rule = "majority"\nrule_level = "municipio"')
    election = election.replace('{ code = "C1", name = "Ana" }', '{ code = "C1", name = "Ana", party = "PA" }')
    # Table T2 votes only on the council: the municipios' table counts differ per contest.
    actas = {contest: per_table if contest in ("DH", "SL") else {"T1": per_table["T1"]}
             for contest, per_table in ACTAS.items()}
    night(tmp_path, db_url, election, TABLES.replace("T2,K2,200000,", "T2,K2,200000,DH;SL"), actas)
    store = open_store(db_url)
    try:
        with make_client(store) as client:
            country = client.get("/").text
            m1 = client.get("/areas/M1").text
            k1 = client.get("/areas/K1").text
    finally:
        store.close()
    # The council's bars take the list's own colour.
    assert "background: #c0392b" in country
    # Seats by D'Hondt at the country: 4, 3, 1 (the list without a seat is left out).
    assert "Lista A 4, Lista B 3, Lista C 1" in country
    # Above the mayors' level, a summary; at it, the verdict (Ana 2,000 of 5,471: a runoff with Bea).
    assert "0 of 1 decided" not in country and "1 of 1 decided" in country
    assert "Ana — Bea" in m1
    # Below it, figures only.
    assert "Figures only: the verdict is given per municipio" in k1
    mayor = k1[k1.index('id="c-MAY"'):k1.index('id="c-REF"')]
    assert "decided-row" not in mayor  # no "Decided" of its own on a page below the race's level
    # The country's list of municipios gives each contest's own tables: M2 has 1 council table, 0 mayor tables.
    assert 'class="num tables-DH">1 / 1<' in country
    assert 'class="num tables-MAY">—<' in country


def test_a_bulletin_of_the_earlier_format_is_still_read_without_outcomes(tmp_path, db_url):
    import zlib

    import sqlalchemy as sa

    from escrutinio.services import open_store
    from escrutinio.store import schema

    night(tmp_path, db_url)
    store = open_store(db_url)
    try:
        with store.engine.begin() as conn:
            head = json.loads(zlib.decompress(conn.execute(sa.select(schema.bulletin.c.body)).scalar_one()))
            head["format"] = "escrutinio-bulletin/2"
            for key in ("outcomes", "groups", "levels", "weights"):
                head.pop(key)
            for contest in head["contests"]:
                contest.pop("rule")
            conn.execute(schema.bulletin.update().values(body=zlib.compress(json.dumps(head).encode())))
    finally:
        store.close()
    shown = json.loads(run("bulletin", "show", "1", "--json", "--db", db_url))
    assert shown["area"]["results"]["DH"]["options"][0]["votes"] == 100_000
    assert "outcome" not in shown["area"]["results"]["DH"] and "groups" not in shown["area"]


def test_double_majority_with_cantonal_weights_through_the_bulletin_and_verify(tmp_path, db_url):
    # Two cantons of weight 2 and 1: the people accept INI (120 of 180) but only canton M2 (weight 1 of 3)
    # accepts it: rejected. GEG is accepted by the people and by both cantons.
    election = ELECTION.replace('kind = "initiative"', 'kind = "initiative"\ndouble_majority = true')
    election = election.replace('kind = "counter_proposal"', 'kind = "counter_proposal"\ndouble_majority = true')
    areas = AREAS.replace("code,name,level,parent", "code,name,level,parent,weight").replace(
        "P,País,país,", "P,País,país,,").replace("M1,Uno,municipio,P", "M1,Uno,municipio,P,2").replace(
        "M2,Dos,municipio,P", "M2,Dos,municipio,P,1")
    actas = {**ACTAS, "INI": {"T1": [49, 51], "T2": [71, 9]}}
    shown = night(tmp_path, db_url, election, TABLES, actas, areas)
    ini = shown["area"]["results"]["INI"]["outcome"]
    assert (ini["status"], ini["cantons"]["accepted_weight"], ini["cantons"]["total_weight"]) == ("rejected", 1, 3)
    assert shown["area"]["groups"]["G"]["winners"] == ["GEG"]
    assert "result: OK — every check holds" in run("verify", "--db", db_url)



def test_init_refuses_a_mistyped_seats_key_and_names_it(tmp_path, db_url):
    election = ELECTION.replace("seats = 8\n", "seat = 8\n", 1)
    for name, text in {"election.toml": election, "areas.csv": AREAS, "centres.csv": CENTRES,
                       "tables.csv": TABLES}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = CliRunner().invoke(main, ["init", str(tmp_path / "election.toml"), "--db", db_url])
    assert done.exit_code == 1
    assert "field 'contest[1].seat': `seat`: unknown key — did you mean `seats`?" in done.output
    # The contest without its seats is a second problem, listed beside the first; nothing was created.
    assert "field 'contest[1].seats': rule 'dhondt' needs the number of seats" in done.output
    assert "nothing was created" in done.output

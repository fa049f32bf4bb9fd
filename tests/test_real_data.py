"""Real result files through the adapters, init, ingest and a bulletin, on both backends.

The expected figures are the published ones listed in shared/data/SOURCES.md
("Published figures to check against"), not the program's own output.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from escrutinio.cli import main
from escrutinio.intake.adapters import adapt_onegov_vote, adapt_tse_br, write_bundle
from escrutinio.services import ingest_files, init_election, publish_bulletin

DATA = Path(__file__).parent / "data"
BRAZIL = DATA / "br-2022-rr-presidente-turno1-secoes.csv"
ZUG_INTERMEDIATE = DATA / "ch-zg-2016-09-25-ndg-intermediate.csv"
ZUG_FINAL = DATA / "ch-zg-2016-09-25-ndg-final.csv"

# Brazil 2022, Roraima, 1st round, president: SOURCES.md.
BR_SECTIONS = 1_268
BR_REGISTERED = 366_632
BR_BALLOTS_CAST = 305_404
BR_CANDIDATES = {"22": 207_587, "13": 68_760, "15": 12_956, "12": 6_709, "44": 1_138, "30": 794, "14": 190,
                 "16": 75, "21": 64, "80": 59, "27": 37}
BR_BLANK = 2_255
BR_NULL = 4_780
BR_VALID = 298_369
BR_SHARE_22 = "69.57"                 # published, of valid votes
BR_ABSTENTION = 61_228                # published
BR_ABSTENTION_RATE_PUBLISHED = "16.72"
BR_ABSTENTION_RATE_COMPUTED = "16.70"  # 61,228 / 366,632 = 16.6999…%: SOURCES.md's noted discrepancy

# Zug, 25 September 2016, Intelligence Service Act: SOURCES.md.
ZG_BAAR = {"YES": 4_447, "NO": 2_072}   # the intermediate file's only municipality
ZG_FINAL = {"YES": 25_122, "NO": 11_148}
ZG_EMPTY = 609                          # blank
ZG_INVALID = 5                          # null
ZG_ELIGIBLE = 75_452
ZG_MUNICIPALITIES = 11


def votes(figures: dict) -> dict[str, int]:
    return {o["code"]: o["votes"] for o in figures["options"]}


def test_brazil_roraima_first_round(store, tmp_path):
    bundle = adapt_tse_br(BRAZIL)
    assert bundle.problems == []
    write_bundle(bundle, tmp_path)
    init_election(store, tmp_path / "definition.toml")
    report = ingest_files(store, [tmp_path / f"actas-{BRAZIL.stem}.csv"])
    assert report.counts["accepted"] == BR_SECTIONS
    assert report.problems == []

    bulletin = publish_bulletin(store)
    assert bulletin.body["abstention_basis"] == "counted_tables"
    state = bulletin.area("RR")["results"]["PR"]
    assert state["tables"]["expected"] == state["tables"]["counted"] == BR_SECTIONS
    assert state["registered_all"] == state["registered_counted"] == BR_REGISTERED
    assert state["ballots_cast"] == BR_BALLOTS_CAST
    assert votes(state) == BR_CANDIDATES
    assert [o["code"] for o in state["options"]] == sorted(BR_CANDIDATES, key=int)
    assert (state["blank"], state["null"], state["valid"]) == (BR_BLANK, BR_NULL, BR_VALID)
    assert next(o["percent"] for o in state["options"] if o["code"] == "22") == BR_SHARE_22
    assert state["abstention"]["voters_counted_tables"] == BR_ABSTENTION
    assert state["abstention"]["counted_tables"] == BR_ABSTENTION_RATE_COMPUTED != BR_ABSTENTION_RATE_PUBLISHED


def test_brazil_municipios_add_up_to_the_state(store, tmp_path):
    write_bundle(adapt_tse_br(BRAZIL), tmp_path)
    election = init_election(store, tmp_path / "definition.toml")
    ingest_files(store, [tmp_path / f"actas-{BRAZIL.stem}.csv"])
    bulletin = publish_bulletin(store)
    municipios = [bulletin.area(a.code)["results"]["PR"] for a in election.areas if a.level == 1]
    assert sum(m["ballots_cast"] for m in municipios) == BR_BALLOTS_CAST
    assert sum(m["tables"]["counted"] for m in municipios) == BR_SECTIONS
    assert sum(votes(m)["22"] for m in municipios) == BR_CANDIDATES["22"]


def test_zug_intermediate_then_final(store, tmp_path):
    bundle = adapt_onegov_vote([ZUG_INTERMEDIATE, ZUG_FINAL])
    assert bundle.problems == []
    write_bundle(bundle, tmp_path)
    init_election(store, tmp_path / "definition.toml")

    first = ingest_files(store, [tmp_path / f"actas-{ZUG_INTERMEDIATE.stem}.csv"])
    assert first.counts["accepted"] == 1
    early = publish_bulletin(store).area("ZG")["results"]["E3"]
    assert (early["tables"]["counted"], early["tables"]["expected"]) == (1, ZG_MUNICIPALITIES)
    assert votes(early) == ZG_BAAR
    assert early["registered_all"] == ZG_ELIGIBLE  # the definition already holds every municipality

    final = ingest_files(store, [tmp_path / f"actas-{ZUG_FINAL.stem}.csv"])
    assert final.counts["accepted"] == ZG_MUNICIPALITIES - 1
    assert [o.table for o in final.outcomes if o.result == "already_present"] == ["1701"]  # Baar
    late = publish_bulletin(store)
    canton = late.area("ZG")["results"]["E3"]
    assert votes(canton) == ZG_FINAL
    assert (canton["blank"], canton["null"]) == (ZG_EMPTY, ZG_INVALID)
    assert canton["registered_all"] == canton["registered_counted"] == ZG_ELIGIBLE
    assert canton["tables"]["counted"] == canton["tables"]["expected"] == ZG_MUNICIPALITIES
    assert votes(late.area("1701")["results"]["E3"]) == ZG_BAAR


def test_bad_rows_are_all_reported_and_left_out(tmp_path):
    lines = BRAZIL.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0] + ",7x"          # row 3: a vote count that is not a number
    lines[3] = lines[3].replace(",15,", ",QUINZE,")        # row 4: an unknown candidate
    broken = tmp_path / "rr.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")

    bundle = adapt_tse_br(broken)
    assert [(p.source, p.row, p.field) for p in bundle.problems] == [
        (str(broken), 3, "quantidade_votos"), (str(broken), 4, "candidato")]
    assert len(bundle.election.tables) == BR_SECTIONS       # the section is still defined…
    (actas,) = bundle.actas.values()
    assert len(actas) == BR_SECTIONS - 1                     # …but gets no acta
    assert "00008-0001" not in {a.table for a in actas}


def test_missing_column_and_bad_cells_in_several_files(tmp_path):
    header = ZUG_FINAL.read_text(encoding="utf-8").splitlines()[0]
    rows = ZUG_FINAL.read_text(encoding="utf-8").splitlines()[1:]
    no_column = tmp_path / "a.csv"
    no_column.write_text(header.replace(",eligible_voters", "") + "\n", encoding="utf-8")
    bad_cells = tmp_path / "b.csv"
    bad_cells.write_text("\n".join([header, rows[0].replace(",4447,", ",viele,"),
                                    rows[1].replace(",True,", ",ja,")] + rows[2:]) + "\n", encoding="utf-8")

    bundle = adapt_onegov_vote([no_column, bad_cells])
    assert [(p.source, p.row, p.field) for p in bundle.problems] == [
        (str(no_column), 1, "eligible_voters"), (str(bad_cells), 2, "yeas"), (str(bad_cells), 3, "counted")]
    assert len(bundle.election.tables) == ZG_MUNICIPALITIES
    assert len(bundle.actas["actas-b.csv"]) == ZG_MUNICIPALITIES - 2
    assert bundle.actas["actas-a.csv"] == []


def test_rows_that_disagree_with_each_other_are_reported(tmp_path):
    lines = BRAZIL.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",293,", ",294,")            # row 3: another register for section 00008-0001
    brazil = tmp_path / "rr.csv"
    brazil.write_text("\n".join(lines) + "\n", encoding="utf-8")
    intermediate = tmp_path / "intermediate.csv"
    intermediate.write_text(ZUG_INTERMEDIATE.read_text(encoding="utf-8").replace(",14317", ",14318"),
                            encoding="utf-8")                   # Baar: another register than the final file's

    br = adapt_tse_br(brazil)
    assert [(p.row, p.field) for p in br.problems] == [(3, "eleitores_aptos")]
    assert "00008-0001" not in {a.table for a in br.actas[f"actas-{brazil.stem}.csv"]}
    zg = adapt_onegov_vote([intermediate, ZUG_FINAL])
    assert [(p.source, p.row, p.field) for p in zg.problems] == [(str(ZUG_FINAL), 2, "eligible_voters")]


def test_cli_writes_files_or_lists_problems(tmp_path):
    runner = CliRunner()
    good = runner.invoke(main, ["adapt", "onegov-vote", str(ZUG_INTERMEDIATE), str(ZUG_FINAL),
                                "--out", str(tmp_path / "zg")])
    assert good.exit_code == 0, good.output
    assert f"wrote {tmp_path / 'zg' / 'definition.toml'}" in good.output
    assert (tmp_path / "zg" / f"actas-{ZUG_FINAL.stem}.csv").exists()

    broken = tmp_path / "rr.csv"
    broken.write_text('"UF","zona"\nrr,00008\n', encoding="utf-8")
    bad = runner.invoke(main, ["adapt", "tse-br", str(broken), "--out", str(tmp_path / "br")])
    assert bad.exit_code == 1
    assert "problem:" in bad.output and "missing column(s) cod_municipio" in bad.output
    assert not (tmp_path / "br").exists()

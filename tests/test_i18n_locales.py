"""Numbers in the election's locale, whatever the page's language: the shared Brazilian first round (Roraima,
2022) through `escrutinio adapt tse-br` prints Lula's 68.760; the shared Zug vote on the intelligence service
act (2016) through `escrutinio adapt onegov-vote` prints its 25’122 yes votes.

The expected figures are summed here from the source files with the csv module; the printed form is the
country's convention written out by hand (Brazil groups with ".", Switzerland with "’").
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from escrutinio.cli import main
from escrutinio.services import ingest_files, init_election, publish_bulletin
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app
from escrutinio.web.i18n import LANGUAGES

DATA = Path(__file__).parent / "data"
ROUND_1 = DATA / "br-2022-rr-presidente-turno1-secoes.csv"  # the same file as /work/shared/data's
NDG = DATA / "ch-zg-2016-09-25-ndg-final.csv"
LULA = "13"


def _by_hand(total: int, group: str) -> str:
    digits = str(total)
    parts = [digits[max(0, i - 3):i] for i in range(len(digits), 0, -3)][::-1]
    return group.join(parts)


def _night(store, tmp_path: Path, args: list[str]) -> Path:
    out = tmp_path / "night"
    done = CliRunner().invoke(main, ["adapt", *args, "--out", str(out)])
    assert done.exit_code == 0, done.output
    init_election(store, out / "definition.toml")
    report = ingest_files(store, sorted(out.glob("actas-*.csv")))
    assert report.problems == []
    publish_bulletin(store)
    return out


def _pages(store, language: str | None) -> str:
    with TestClient(create_app(load_settings(database_url=store.url), store)) as client:
        response = client.get("/", params={"lang": language} if language else {})
        assert response.status_code == 200
        return response.text


def test_a_brazilian_first_round_prints_lulas_votes_the_brazilian_way(store, tmp_path):
    with ROUND_1.open(encoding="utf-8") as f:
        lula = sum(int(r["quantidade_votos"]) for r in csv.DictReader(f) if r["candidato"] == LULA)
    shown = _by_hand(lula, ".")
    assert shown == "68.760"  # the figure, found in the file
    _night(store, tmp_path, ["tse-br", str(ROUND_1), "--round", "1"])
    page = _pages(store, None)
    assert '<html lang="pt-BR">' in page  # the election's language by default
    assert "Votos válidos" in page
    for language in (None, *LANGUAGES):
        page = _pages(store, language)
        assert shown in page, language
        assert _by_hand(lula, ",") not in page, language


def test_a_swiss_vote_prints_its_yes_votes_the_swiss_way(store, tmp_path):
    with NDG.open(encoding="utf-8") as f:
        yes = sum(int(r["yeas"]) for r in csv.DictReader(f))
    shown = _by_hand(yes, "’")
    assert shown == "25’122"
    _night(store, tmp_path, ["onegov-vote", str(NDG)])
    page = _pages(store, None)
    assert '<html lang="de-CH">' in page and "Gültige Stimmen" in page
    for language in (None, *LANGUAGES):
        page = _pages(store, language)
        assert shown in page, language
        assert not re.search(r"25[,.']122", page), language


@pytest.mark.parametrize("language, day_first", [
    ("pt_BR", r"^\d\d/\d\d/\d{4}"), ("de_CH", r"^\d\d\.\d\d\.\d{4}"), ("en", r"^\d{1,2} [A-Z][a-z]{2,3} \d{4}")])
def test_dates_put_the_day_first_and_carry_the_zone(store, tmp_path, language, day_first):
    """Never US month-first dates, on English pages either (the site's English is international English)."""
    _night(store, tmp_path, ["onegov-vote", str(NDG)])
    page = _pages(store, language)
    cut_off = re.findall(r'<time datetime="[^"]+">([^<]+)</time>', page)[0]
    assert re.search(day_first, cut_off), cut_off
    assert re.search(r"(CEST|CET|UTC[+-]\d\d:\d\d)$", cut_off), cut_off

"""Level names per language in the definition ([levels.<level>] name = {…}) and on the pages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from escrutinio.domain.errors import DefinitionError
from escrutinio.intake.definition import load_definition
from escrutinio.web.i18n import Language

TEMPLATE = Path(__file__).resolve().parents[1] / "docs" / "formats" / "templates" / "election"


@pytest.fixture
def folder(tmp_path):
    shutil.copytree(TEMPLATE, tmp_path / "election")
    return tmp_path / "election"


def test_the_template_names_its_levels_per_language(folder):
    election = load_definition(folder / "election.toml")
    assert election.extra["level_names"]["estado"] == {"es": "estado", "en": "state", "pt_BR": "estado",
                                                       "de_CH": "Bundesstaat"}
    assert Language("en", election.locale).level(election, "estado") == "state"
    assert Language("de_CH", election.locale).level(election, "municipio") == "Gemeinde"
    assert Language("es", election.locale).level(election, "estado") == "estado"


def test_a_language_without_a_name_shows_the_level_marked_in_the_elections_language(folder):
    text = (folder / "election.toml").read_text(encoding="utf-8")
    (folder / "election.toml").write_text(text.replace(', de_CH = "Bundesstaat"', ""), encoding="utf-8")
    election = load_definition(folder / "election.toml")
    assert str(Language("de_CH", election.locale).level(election, "estado")) == '<span lang="es">estado</span>'


def test_a_plain_text_name_serves_every_language(folder):
    text = (folder / "election.toml").read_text(encoding="utf-8")
    text = text.replace('name = { es = "país", en = "country", pt_BR = "país", de_CH = "Land" }', 'name = "nación"')
    (folder / "election.toml").write_text(text, encoding="utf-8")
    election = load_definition(folder / "election.toml")
    assert str(Language("en", election.locale).level(election, "país")) == '<span lang="es">nación</span>'


@pytest.mark.parametrize("mistake, field", [
    ("[levels.estados]", "levels.estados"),
    ('name = { es = "estado", en = 3 }', "levels.estado.name"),
    ('nombre = "estado"', "levels.estado.nombre"),
])
def test_a_wrong_level_entry_is_a_problem(folder, mistake, field):
    text = (folder / "election.toml").read_text(encoding="utf-8")
    if mistake.startswith("[levels."):
        text = text.replace("[levels.estado]", mistake)
    elif mistake.startswith("nombre"):
        text = text.replace("[levels.estado]\n", f"[levels.estado]\n{mistake}\n")
    else:
        text = text.replace('name = { es = "estado", en = "state", pt_BR = "estado", de_CH = "Bundesstaat" }', mistake)
    (folder / "election.toml").write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as raised:
        load_definition(folder / "election.toml")
    assert field in [p.field for p in raised.value.problems]

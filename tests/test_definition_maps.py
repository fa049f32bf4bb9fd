"""A definition's maps, one per level: read at init, kept with the election, drawn on the pages of the areas whose
children are at that level, for every contest, once per bulletin."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from escrutinio.domain.errors import DefinitionError
from escrutinio.intake.definition import load_definition
from escrutinio.services import ingest_files, init_election, publish_bulletin

from .test_api import make_client

TEMPLATE = Path(__file__).resolve().parents[1] / "docs" / "formats" / "templates"


@pytest.fixture
def night(store):
    init_election(store, TEMPLATE / "election" / "election.toml")
    ingest_files(store, [TEMPLATE / "actas.csv"])
    publish_bulletin(store)
    return store


def test_the_templates_maps_are_kept_with_the_election(night):
    maps = night.election().extra["maps"]
    assert set(maps) == {"estado", "municipio"}
    codes = {f["properties"]["code"] for f in maps["estado"]["data"]["features"]}
    assert codes == {a.code for a in night.election().areas if a.level == 1}


def test_every_contest_has_a_map_at_every_level_with_geometry(night):
    with make_client(night) as client:
        home = client.get("/?lang=en").text
        assert home.count('<svg xmlns="http://www.w3.org/2000/svg"') == 1
        assert set(re.findall(r'<a href="(/areas/\d+)"><path', home)) == {"/areas/01", "/areas/02"}
        other = client.get("/?lang=en&map=B").text
        heading = re.search(r'<h2 id="map-h">([^<]+)</h2>', other).group(1)
        contest_b = client.get("/api/v1/election").json()["contests"][1]["name"]
        assert heading.endswith(contest_b)
        state = client.get("/areas/01?lang=en").text  # its municipios have a map too
        assert set(re.findall(r'<a href="(/areas/\d+)"><path', state)) == {"/areas/0101", "/areas/0102"}
        municipio = client.get("/areas/0101?lang=en").text  # its children are centres: no geometry
        assert "<svg" not in municipio


def test_the_map_comes_after_a_link_to_its_table_and_has_one_name(night):
    with make_client(night) as client:
        home = client.get("/?lang=en").text
    skip, first_area = home.index('href="#children"'), home.index('<a href="/areas/01"><path')
    assert skip < first_area and 'id="children"' in home
    ident = re.search(r'<svg [^>]*id="(map-[0-9a-f]+)"', home).group(1)
    title = re.search(rf'<title id="{ident}-title">([^<]*)</title>', home).group(1)
    desc = re.search(rf'<desc id="{ident}-desc">([^<]*)</desc>', home).group(1)
    assert title and desc and title != desc  # the name is not said twice


def test_maps_are_drawn_once_per_bulletin(night, monkeypatch):
    from escrutinio.web import maps

    drawn = []
    real = maps.render_shapes
    monkeypatch.setattr(maps, "render_shapes", lambda *a, **k: drawn.append(1) or real(*a, **k))
    with make_client(night) as client:
        for _ in range(3):
            assert client.get("/?lang=en").status_code == 200
        assert len(drawn) == 1
        publish_bulletin(night)
        client.get("/?lang=en")
        assert len(drawn) == 2


def copy_template(tmp_path: Path) -> Path:
    folder = tmp_path / "election"
    shutil.copytree(TEMPLATE / "election", folder)
    return folder


def problems_of(folder: Path) -> list:
    with pytest.raises(DefinitionError) as raised:
        load_definition(folder / "election.toml")
    return [p for p in raised.value.problems if p.field.startswith("geography.map")]


def test_a_map_for_an_unknown_level_or_with_no_area_code_is_a_problem(tmp_path):
    folder = copy_template(tmp_path)
    toml = folder / "election.toml"
    toml.write_text(toml.read_text().replace('map = { estado = "estados.geojson", municipio = "municipios.geojson" }',
                                             'map = { provincia = "estados.geojson", estado = "wrong.geojson", '
                                             'municipio = "missing.geojson" }'))
    (folder / "wrong.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "99"}, "geometry": None}]}))
    fields = sorted(p.field for p in problems_of(folder))
    assert fields == ["geography.map.estado", "geography.map.municipio", "geography.map.provincia"]

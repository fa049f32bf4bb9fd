"""Choropleth maps of first-level areas as inline SVG, drawn from TopoJSON.

The caller decides what each area shows (its colour from the leading option and
the margin, its label already in the election's locale); this module decodes the
shapes, projects them and writes the SVG. The output holds no script and no
external reference, so the same text can be inlined in a page, served as a
static file beside a bulletin or opened on its own.

Maps ship in ``publish/maps`` as ``<name>.topo.json`` with their licence beside
them; geometries join to areas by HASC suffix (``VE.ZU`` -> ``ZU``), falling back
to the name, because some files carry broken ids (Vargas is ``VE.``).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from importlib import resources
from urllib.parse import urlsplit

from ..domain.errors import NotFound

Point = tuple[float, float]
Ring = list[Point]
Polygon = list[Ring]
Projection = Callable[[Point], Point]

WIDTH = 800
PADDING = 8
NO_DATA_FILL = "#636363"  # darker than every tint, so "no results" is never taken for a narrow lead
BORDER = "#ffffff"
MAP_SUFFIX = ".topo.json"
# The default palette, in ballot order, chosen for colour-blind readers: a blue and an orange first (the two
# options of a referendum or a runoff stay apart under deuteranopia and protanopia, unlike red and green), then
# a yellow and a light purple. tests/test_map_colours.py checks every pair a map can show, under simulated
# deuteranopia and protanopia (Machado et al. 2009), against CIEDE2000 >= 15. Past the fourth option a map
# shows "another option" (OTHER_FILL); bars keep a hue per option from the rest of the list.
PALETTE = ("#08519c", "#a63603", "#e6ab02", "#b2abd2", "#1b7837", "#762a83", "#c51b7d", "#01665e")
MAP_HUES = 4
OTHER_FILL = "#f0f0f0"
# A map of a two-option contest grades each option's colour by the lead in points of the valid votes:
# (lower bound in points, strength mixed with white). With more options, one class per option.
MARGIN_CLASSES = ((0, 0.3), (5, 0.65), (15, 1.0))
_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
_SAFE_SCHEMES = frozenset({"", "http", "https"})


@dataclass(frozen=True)
class MapRegion:
    """What to draw for one area: ``code`` is the HASC suffix (``ZU``), ``label`` the localised tooltip."""

    code: str
    name: str
    fill: str
    href: str | None
    label: str


@dataclass(frozen=True)
class Shape:
    """One decoded geometry: its join key (HASC suffix), its name in the file, its polygons in lon/lat."""

    key: str
    name: str
    polygons: list[Polygon]


# -- TopoJSON -------------------------------------------------------------------------------------

def decode_arcs(topology: dict) -> list[Ring]:
    """Every arc as absolute lon/lat points."""
    transform = topology.get("transform")
    if transform is None:
        return [[(float(x), float(y)) for x, y, *_ in arc] for arc in topology["arcs"]]
    return [_dequantized(arc, transform) for arc in topology["arcs"]]


def _dequantized(arc: list[list[int]], transform: dict) -> Ring:
    """A quantized arc stores its first position and then differences to the previous one."""
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    x = y = 0
    points = []
    for dx, dy, *_ in arc:
        x, y = x + dx, y + dy
        points.append((x * sx + tx, y * sy + ty))
    return points


def _ring(arcs: list[Ring], indices: list[int]) -> Ring:
    """Chain the arcs of one ring; ``~i`` is arc ``i`` backwards. Each arc starts where the previous
    one ended, so its first point would repeat the last one."""
    points: Ring = []
    for index in indices:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc[1:] if points else arc)
    return points


def _polygons(geometry: dict, arcs: list[Ring]) -> list[Polygon]:
    kind = geometry.get("type")
    if kind == "Polygon":
        groups = [geometry["arcs"]]
    elif kind == "MultiPolygon":
        groups = geometry["arcs"]
    else:
        groups = []  # points, lines and null geometries have no area to fill
    return [[_ring(arcs, ring) for ring in polygon] for polygon in groups]


def _object(topology: dict, name: str | None) -> dict:
    objects = topology["objects"]
    if name is None:
        if len(objects) != 1:
            raise ValueError(f"the topology holds objects {sorted(objects)}: pass object_name")
        return next(iter(objects.values()))
    if name not in objects:
        raise NotFound("map object", name)
    return objects[name]


def decode_shapes(topology: dict, object_name: str | None = None) -> list[Shape]:
    """The geometries of one object (the only one when ``object_name`` is None), in file order."""
    arcs = decode_arcs(topology)
    collection = _object(topology, object_name)
    return [_shape(g, arcs) for g in collection.get("geometries", [collection])]


def _shape(geometry: dict, arcs: list[Ring]) -> Shape:
    hasc = str(geometry.get("id", ""))
    name = (geometry.get("properties") or {}).get("name") or ""
    return Shape(hasc.rpartition(".")[2], name, _polygons(geometry, arcs))


# -- GeoJSON and the maps a definition names -----------------------------------------------------

def geojson_shapes(collection: dict, key: str = "code") -> list[Shape]:
    """The polygons of a GeoJSON FeatureCollection (RFC 7946: lon/lat), each keyed by its feature's
    ``properties[key]`` (else the feature's ``id``) and named by ``properties.name``."""
    if collection.get("type") != "FeatureCollection":
        raise ValueError("a GeoJSON map must be a FeatureCollection")
    shapes = []
    for feature in collection.get("features", []):
        properties = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        coordinates = geometry.get("coordinates") or []
        polygons = [coordinates] if geometry.get("type") == "Polygon" else \
            coordinates if geometry.get("type") == "MultiPolygon" else []
        shapes.append(Shape(str(properties.get(key, feature.get("id", ""))), str(properties.get("name") or ""),
                            [[[(float(x), float(y)) for x, y, *_ in ring] for ring in polygon]
                             for polygon in polygons]))
    return shapes


def definition_shapes(data: dict, key: str = "code") -> list[Shape]:
    """The shapes of a map file named by an election definition: GeoJSON, or TopoJSON (its one object),
    each keyed by the area code its feature carries in ``properties[key]`` or as its id."""
    if data.get("type") == "Topology":
        collection = _object(data, None)
        arcs = decode_arcs(data)
        return [Shape(str((g.get("properties") or {}).get(key, g.get("id", ""))),
                      str((g.get("properties") or {}).get("name") or ""), _polygons(g, arcs))
                for g in collection.get("geometries", [collection])]
    return geojson_shapes(data, key)


# -- joining shapes to areas ----------------------------------------------------------------------

def normalise(name: str) -> str:
    """Casefolded, accents stripped: "Mérida", "MERIDA" and "merida" are one name."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def join_regions(shapes: list[Shape], regions: list[MapRegion]) -> list[MapRegion | None]:
    """The region drawn in each shape, by code and else by name; None where no region matches."""
    by_code = {r.code: r for r in regions}
    by_name = {normalise(r.name): r for r in regions}
    return [(s.key and by_code.get(s.key)) or (s.name and by_name.get(normalise(s.name))) or None
            for s in shapes]


# -- projection -----------------------------------------------------------------------------------

def fit(shapes: list[Shape], width: int = WIDTH) -> tuple[Projection, int]:
    """Equirectangular, x shrunk by cos(mid-latitude) so shapes keep their proportions near it,
    fitted to ``width``; returns the projection and the height it needs. North is up."""
    points = [p for s in shapes for polygon in s.polygons for ring in polygon for p in ring]
    if not points:
        raise ValueError("the map has no polygon to draw")
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    west, north = min(lons), max(lats)
    kx = math.cos(math.radians((min(lats) + north) / 2))
    scale = (width - 2 * PADDING) / max((max(lons) - west) * kx, 1e-9)
    height = math.ceil((north - min(lats)) * scale) + 2 * PADDING

    def project(point: Point) -> Point:
        lon, lat = point
        return round(PADDING + (lon - west) * kx * scale, 1), round(PADDING + (north - lat) * scale, 1)

    return project, height


# -- SVG ------------------------------------------------------------------------------------------

def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _ring_data(ring: Ring, project: Projection) -> str:
    """One subpath. Points that round onto the previous one and the closing point (``Z`` closes)
    add nothing to the drawing at this precision, so they are left out."""
    points: list[Point] = []
    for point in map(project, ring):
        if not points or point != points[-1]:
            points.append(point)
    if len(points) > 1 and points[-1] == points[0]:
        points.pop()
    if not points:
        return ""
    first, *rest = (f"{_num(x)},{_num(y)}" for x, y in points)
    return f"M{first}" + (f"L{' '.join(rest)}" if rest else "") + "Z"


def path_data(polygons: list[Polygon], project: Projection) -> str:
    return "".join(_ring_data(ring, project) for polygon in polygons for ring in polygon)


def _checked_fill(fill: str) -> str:
    # A fill such as url(http://…) would be an external reference; only plain colours pass.
    if not _HEX.fullmatch(fill):
        raise ValueError(f"fill {fill!r} is not a #rgb or #rrggbb colour")
    return fill.lower()


def _checked_href(href: str) -> str:
    if urlsplit(href).scheme.lower() not in _SAFE_SCHEMES:
        raise ValueError(f"href {href!r}: only relative, http and https links are allowed")
    return href


def _css_class(key: str) -> str:
    return "area-" + re.sub(r"[^A-Za-z0-9_-]", "_", key)


def _region_svg(shape: Shape, region: MapRegion | None, project: Projection) -> str:
    d = path_data(shape.polygons, project)
    if region is None:
        tip = f"<title>{escape(shape.name)}</title>" if shape.name else ""
        return f'<path class="region no-data {_css_class(shape.key)}" fill="{NO_DATA_FILL}" d="{d}">{tip}</path>'
    path = (f'<path class="region {_css_class(region.code)}" fill="{_checked_fill(region.fill)}" d="{d}">'
            f"<title>{escape(region.label)}</title></path>")
    return f'<a href="{escape(_checked_href(region.href))}">{path}</a>' if region.href else path


def _svg_id(title: str, description: str) -> str:
    """Stable and distinct per map, so two maps inlined in one page keep their own title and style."""
    return "map-" + hashlib.sha256(f"{title}\n{description}".encode()).hexdigest()[:10]


def _svg_open(ident: str, height: int, linked: bool) -> str:
    # role="img" makes its content presentational; with links inside, a group keeps them reachable.
    role = "group" if linked else "img"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" id="{ident}" viewBox="0 0 {WIDTH} {height}" '
            f'width="{WIDTH}" height="{height}" role="{role}" aria-labelledby="{ident}-title {ident}-desc">')


def _style(ident: str) -> str:
    # Scoped by id: a <style> in inline SVG applies to the whole page.
    return (f"<style>#{ident} a:focus path,#{ident} a:hover path"
            "{stroke:#000000;stroke-width:2}</style>")


def render_map(topojson: dict, regions: list[MapRegion], *, title: str, description: str,
               object_name: str | None = None, fit_to_regions: bool = False) -> str:
    """An accessible choropleth SVG: one <path> per geometry, coloured and labelled by its region;
    geometries without a region are grey (class ``no-data``). ``fit_to_regions`` frames the
    regions only, so a far-off islet without data does not shrink the map (it is clipped)."""
    return render_shapes(decode_shapes(topojson, object_name), regions, title=title, description=description,
                         fit_to_regions=fit_to_regions)


def render_shapes(shapes: list[Shape], regions: list[MapRegion], *, title: str, description: str,
                  fit_to_regions: bool = False) -> str:
    """render_map for shapes already decoded (from TopoJSON or GeoJSON)."""
    joined = join_regions(shapes, regions)
    framed = [shape for shape, region in zip(shapes, joined) if region] if fit_to_regions else shapes
    project, height = fit(framed or shapes)
    ident = _svg_id(title, description)
    lines = [
        _svg_open(ident, height, any(r and r.href for r in joined)),
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
        _style(ident),
        f'<g stroke="{BORDER}" stroke-width="0.5" stroke-linejoin="round" fill-rule="evenodd">',
        *(_region_svg(shape, region, project) for shape, region in zip(shapes, joined)),
        "</g>",
        "</svg>",
    ]
    return "\n".join(lines) + "\n"


# -- colours --------------------------------------------------------------------------------------

def _rgb(hex_colour: str) -> tuple[int, int, int]:
    digits = _checked_fill(hex_colour)[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def shade(base_hex: str, strength: float) -> str:
    """``base_hex`` mixed with white: 0 gives white, 1 the base colour. Strength is clamped to [0, 1]
    so that a margin beyond the top of the caller's scale shows the full colour."""
    if math.isnan(strength):
        raise ValueError("strength is NaN")
    t = min(max(strength, 0.0), 1.0)
    return "#" + "".join(f"{round(255 - (255 - c) * t):02x}" for c in _rgb(base_hex))


@dataclass(frozen=True)
class ScaleClass:
    fill: str
    option: str | None  # None: another option (past MAP_HUES)
    low: float  # points of lead, inclusive
    high: float | None  # exclusive; None: no upper bound


class MarginScale:
    """The colours a map of one contest can show: graded classes of lead per option (two options), a class per
    option (more), "another option" past MAP_HUES, and no results. ``fill`` picks one; ``classes`` is the legend."""

    def __init__(self, option_codes: list[str], own: dict[str, str] | None = None):
        colours = option_palette(option_codes)
        colours.update({c: v for c, v in (own or {}).items() if c in colours and _HEX.fullmatch(v or "")})
        self.codes = list(dict.fromkeys(option_codes))
        graded = len(self.codes) <= 2
        self.classes: list[ScaleClass] = []
        for code in self.codes[:MAP_HUES]:
            if graded:
                bounds = [low for low, _ in MARGIN_CLASSES[1:]] + [None]
                self.classes += [ScaleClass(shade(colours[code], strength), code, low, high)
                                 for (low, strength), high in zip(MARGIN_CLASSES, bounds)]
            else:
                self.classes.append(ScaleClass(_checked_fill(colours[code]), code, 0, None))
        if len(self.codes) > MAP_HUES:
            self.classes.append(ScaleClass(OTHER_FILL, None, 0, None))

    def fill(self, leader: str, lead_points: float) -> str:
        option = leader if leader in self.codes[:MAP_HUES] else None
        for scale_class in self.classes:
            if scale_class.option == option and scale_class.low <= lead_points and \
                    (scale_class.high is None or lead_points < scale_class.high):
                return scale_class.fill
        return NO_DATA_FILL

    def fills(self) -> list[str]:
        """Every colour the map can show, no results included."""
        return [c.fill for c in self.classes] + [NO_DATA_FILL]


def option_palette(option_codes: list[str]) -> dict[str, str]:
    """A colour per option, in ballot order. Past len(PALETTE) options the colours repeat: a map
    cannot tell more hues apart anyway, so group minor options before colouring."""
    unique = dict.fromkeys(option_codes)
    return {code: PALETTE[i % len(PALETTE)] for i, code in enumerate(unique)}


# -- maps shipped with escrutinio -----------------------------------------------------------------

def _maps_folder():
    return resources.files(__package__) / "maps"


def available_maps() -> list[str]:
    """Names of the maps in publish/maps, e.g. ``["ven-admin1"]``."""
    return sorted(f.name.removesuffix(MAP_SUFFIX) for f in _maps_folder().iterdir() if f.name.endswith(MAP_SUFFIX))


def load_map(name: str) -> dict:
    """A shipped map's TopoJSON; NotFound for a name that is not in available_maps()."""
    if name not in available_maps():
        raise NotFound("map", name)
    return json.loads((_maps_folder() / f"{name}{MAP_SUFFIX}").read_text(encoding="utf-8"))

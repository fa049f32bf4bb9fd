"""The maps an election definition names, one per level: ``[geography] map = { estado = "estados.geojson" }``.

A map is a GeoJSON FeatureCollection or a TopoJSON topology (its one object) whose features carry the codes of
that level's areas, in ``properties.code`` or as their ``id``. The file is read at `init` and kept with the
election (so the server needs no file beside it); problems are reported like every other of the definition."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

Add = Callable[[str, str, str], None]  # field, message, action


def read_maps(table: object, levels: list[str], codes_at: dict[str, set[str]], base: Path, add: Add) -> dict:
    """{level: {"file": name, "data": the map's JSON}} for every level named in ``table``."""
    if table is None:
        return {}
    if not isinstance(table, dict):
        add("geography.map", "map must be a table of level = file",
            'write map = { estado = "maps/estados.geojson" } under [geography]')
        return {}
    maps = {}
    for level, name in table.items():
        field = f"geography.map.{level}"
        if level not in levels:
            add(field, f"{level!r} is not one of the levels {levels}", "name a level of geography.levels")
            continue
        data = _read(base / str(name), field, add)
        if data is None:
            continue
        carried = feature_codes(data)
        if carried is None:
            add(field, f"{name} is neither a GeoJSON FeatureCollection nor a TopoJSON topology with one object",
                "export the map as GeoJSON (a FeatureCollection) or TopoJSON")
            continue
        if not carried & codes_at.get(level, set()):
            add(field, f"no feature of {name} carries the code of an area at level {level!r}",
                "give each feature its area's code in properties.code (or as its id), as in areas.csv")
            continue
        maps[level] = {"file": str(name), "data": data}
    return maps


def _read(path: Path, field: str, add: Add) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        add(field, f"map file {path} not found", "name a GeoJSON or TopoJSON file, relative to election.toml")
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        add(field, f"map file {path} is not JSON: {exc}", "export the map as GeoJSON or TopoJSON")
        return None
    return data if isinstance(data, dict) else None


def feature_codes(data: dict) -> set[str] | None:
    """The codes a map's features carry, or None when it is not a map this format reads."""
    if data.get("type") == "FeatureCollection":
        features = data.get("features") or []
    elif data.get("type") == "Topology" and isinstance(data.get("objects"), dict) and len(data["objects"]) == 1:
        collection = next(iter(data["objects"].values()))
        features = collection.get("geometries", [collection]) if isinstance(collection, dict) else []
    else:
        return None
    codes = set()
    for feature in features:
        if isinstance(feature, dict):
            properties = feature.get("properties") or {}
            code = properties.get("code", feature.get("id")) if isinstance(properties, dict) else feature.get("id")
            if code is not None:
                codes.add(str(code))
    return codes

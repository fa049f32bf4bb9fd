"""Maps on the pages: one per contest for every level that has geometry (a definition's ``[geography] map``, or
a map shipped with escrutinio), each drawn once per bulletin, area, contest and language, never per request."""

from __future__ import annotations

import threading
from collections import OrderedDict

from ..publish.svgmap import (NO_DATA_FILL, OTHER_FILL, MapRegion, MarginScale, ScaleClass, available_maps,
                              decode_shapes, definition_shapes, load_map, render_shapes)
from .i18n import Language

KEPT = 256  # drawn maps kept (a few KB to ~130 KB each); the oldest go first


class Maps:
    def __init__(self, store):
        self.store = store
        self._drawn: OrderedDict[tuple, dict | None] = OrderedDict()
        self._shapes: dict[str, list | None] = {}
        self._lock = threading.Lock()

    def shapes(self, level: str) -> list | None:
        """The geometry of one level's areas, decoded once per server."""
        if level not in self._shapes:
            election = self.store.election()
            extra = election.extra if isinstance(election.extra, dict) else {}
            named = (extra.get("maps") or {}).get(level)
            if named:
                self._shapes[level] = definition_shapes(named["data"])
            elif extra.get("map") in available_maps() and len(election.levels) > 1 and level == election.levels[1]:
                self._shapes[level] = decode_shapes(load_map(extra["map"]))  # shipped: joined by HASC suffix
            else:
                self._shapes[level] = None
        return self._shapes[level]

    def draw(self, bulletin, area: str, children: list[dict], contest: dict, lang: Language) -> dict | None:
        """The map of ``contest`` over ``children`` (the areas under ``area`` in ``bulletin``) and its legend,
        or None when their level has no geometry."""
        if not bulletin or not children:
            return None
        key = (bulletin.hash, area, contest["code"], lang.code)
        with self._lock:
            if key in self._drawn:
                self._drawn.move_to_end(key)
                return self._drawn[key]
        drawn = self._draw(children, contest, lang)
        with self._lock:
            self._drawn[key] = drawn
            while len(self._drawn) > KEPT:
                self._drawn.popitem(last=False)
        return drawn

    def _draw(self, children: list[dict], contest: dict, lang: Language) -> dict | None:
        level = children[0]["level"]
        shapes = self.shapes(level)
        if not shapes:
            return None
        scale = MarginScale([o["code"] for o in contest["options"]],
                            {o["code"]: o["colour"] for o in contest["options"] if o.get("colour")})
        names = {o["code"]: o["name"] for o in contest["options"]}
        regions = [_region(child, contest["code"], scale, names, lang) for child in children
                   if contest["code"] in child["results"]]
        level_name = lang.level_text(self.store.election(), level)[0]
        title = f"{lang.t('Map')}: {contest['name']} — {lang.t('Leading option')} {lang.t('by')} {level_name}"
        description = lang.t("map_description")
        svg = render_shapes(shapes, regions, title=title, description=description, fit_to_regions=True)
        return {"svg": svg, "level": level, "legend": _legend(scale, names, lang)}


def _region(area: dict, contest: str, scale: MarginScale, names: dict, lang: Language) -> MapRegion:
    figures = area["results"][contest]
    ranked = sorted(figures["options"], key=lambda o: -o["votes"])
    href = f"/areas/{area['code']}"
    if not figures["valid"] or len(ranked) < 2 or ranked[0]["votes"] == ranked[1]["votes"]:
        return MapRegion(area["code"], area["name"], NO_DATA_FILL, href, f"{area['name']}: {lang.t('no results')}")
    top, second = ranked[0], ranked[1]
    lead = top["votes"] - second["votes"]
    fill = scale.fill(top["code"], 100 * lead / figures["valid"])
    label = (f"{area['name']}: {names[top['code']]} {lang.percent(top['percent'])} "
             f"({lang.t('margin')} {lang.number(lead)} {lang.t('Votes').lower()})")
    return MapRegion(area["code"], area["name"], fill, href, label)


def _legend(scale: MarginScale, names: dict, lang: Language) -> list[dict]:
    """Per option (or "another option"), its colour classes with what each means; no results last."""
    rows: dict[str | None, dict] = {}
    for scale_class in scale.classes:
        row = rows.setdefault(scale_class.option, {
            "label": f"{names[scale_class.option]} {lang.t('leading')}" if scale_class.option
            else lang.t("another option leading"), "classes": []})
        row["classes"].append({"fill": scale_class.fill, "text": _range(scale_class, lang)})
    return [*rows.values(), {"label": lang.t("no results"), "classes": [{"fill": NO_DATA_FILL, "text": ""}]}]


def _range(scale_class: ScaleClass, lang: Language) -> str:
    if scale_class.fill == OTHER_FILL or (scale_class.low == 0 and scale_class.high is None):
        return ""
    points = lang.t("points")
    if scale_class.low == 0:
        return f"< {scale_class.high:g} {points}"
    if scale_class.high is None:
        return f"≥ {scale_class.low:g} {points}"
    return f"{scale_class.low:g}–{scale_class.high:g} {points}"

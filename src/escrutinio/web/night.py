"""The night for readers: each bulletin's headline figures, the chart of shares against progress, and the areas
whose leader changed from one bulletin to the next. A published bulletin never changes, so what is read from it
is kept (one small dict per bulletin), and the chart is drawn once per latest bulletin."""

from __future__ import annotations

import threading

import numpy as np

from ..domain.timeline import bulletin_headline
from ..publish.svgchart import Series, render_chart
from ..publish.svgmap import PALETTE
from .headline import threshold_of
from .i18n import Language

MAX_LISTED_CHANGES = 200


class Night:
    def __init__(self, store):
        self.store = store
        self._headlines: dict[int, dict] = {}
        self._charts: dict[tuple, list] = {}
        self._lock = threading.Lock()

    def headlines(self) -> list[dict]:
        """Every published bulletin, oldest first: number, cut-off, hash and per contest the country's figures."""
        heads = self.store.bulletin_heads()
        out = []
        for head in heads:
            number = head["number"]
            if number not in self._headlines:
                bulletin = self.store.bulletin(number)
                self._headlines[number] = {**bulletin_headline(bulletin.body, bulletin.root), "hash": bulletin.hash}
            out.append({**self._headlines[number], "cut_off_at": head["cut_off"]})
        return out

    def charts(self, lang: Language, contests: list[dict]) -> list[dict]:
        """Per contest: its name and the SVG of the night (drawn once per latest bulletin and language)."""
        night = self.headlines()
        key = (len(night), night[-1]["hash"] if night else None, lang.code)
        with self._lock:
            if key not in self._charts:
                self._charts = {key: [chart for c in contests if (chart := _chart(c, night, lang))]}
            return self._charts[key]


def _chart(contest: dict, night: list[dict], lang: Language) -> dict | None:
    t = lang.t
    series: dict[str, Series] = {}
    colours = {o["code"]: (o.get("colour") if _is_hex(o.get("colour")) else PALETTE[i % len(PALETTE)])
               for i, o in enumerate(contest["options"])}
    for head in night:
        figures = next((c for c in head["contests"] if c["code"] == contest["code"]), None)
        if not figures or not figures["tables_expected"]:
            continue
        valid = sum(o["votes"] for o in figures["options"])
        if not valid:
            continue
        counted = 100 * figures["tables_counted"] / figures["tables_expected"]
        for option in figures["options"]:
            share = 100 * option["votes"] / valid
            tip = (f"{t('Bulletin')} {head['number']}: {option['name']} {lang.percent(option['percent'])}, "
                   f"{lang.percent(f'{counted:.1f}')} {t('of tables counted')}")
            series.setdefault(option["code"], Series(option["name"], colours.get(option["code"], PALETTE[0]), []))
            series[option["code"]].points.append((counted, share, tip))
    if not series:
        return None
    title = f"{contest['name']}: {t('share of valid votes as the count went on')}"
    line = float(threshold_of(contest.get("rule")))
    svg = render_chart(list(series.values()), title=title, description=t("chart_description"),
                       x_label=t("% of tables counted"), y_label=t("% of valid votes"), line=line,
                       number=lambda v: lang.percent(f"{v:g}") if v == int(v) else lang.percent(f"{v:.1f}"))
    return {"code": contest["code"], "name": contest["name"], "svg": svg}


def _is_hex(value) -> bool:
    return isinstance(value, str) and len(value) in (4, 7) and value.startswith("#") and \
        all(c in "0123456789abcdefABCDEF" for c in value[1:])


def leader_changes(old, new, contest: dict) -> tuple[int, list[dict]]:
    """Areas (not centres) whose leading option in ``contest`` differs between bulletins ``old`` and ``new``:
    how many, and the first MAX_LISTED_CHANGES of them, the whole country first and then level by level."""
    code = contest["code"]
    if code not in old.counters or code not in new.counters:
        return 0, []
    width = len(contest["options"])
    before, after = _leaders(old.counters[code][:, :width]), _leaders(new.counters[code][:, :width])
    areas = np.array([kind == "area" for kind in new.nodes.kinds])
    changed = np.flatnonzero(areas & (before != after) & (after >= 0))
    options = [o["code"] for o in contest["options"]]
    names = {o["code"]: o["name"] for o in contest["options"]}
    listed = []
    for node in changed[:MAX_LISTED_CHANGES]:
        listed.append({"code": new.nodes.codes[node], "name": new.nodes.names[node], "level": new.nodes.levels[node],
                       "before": names[options[before[node]]] if before[node] >= 0 else None,
                       "after": names[options[after[node]]]})
    return len(changed), listed


def _leaders(votes: np.ndarray) -> np.ndarray:
    """Per row, the column of the most votes; -1 where no vote is counted or the top two tie."""
    if votes.shape[1] == 0:
        return np.full(votes.shape[0], -1)
    top = votes.argmax(axis=1)
    if votes.shape[1] > 1:
        two = np.sort(votes, axis=1)[:, -2:]
        top = np.where((two[:, 1] > 0) & (two[:, 1] != two[:, 0]), top, -1)
    else:
        top = np.where(votes[:, 0] > 0, top, -1)
    return top

"""The night as a chart: each option's share of the valid votes against the share of tables counted, one point
per bulletin, as a static SVG (no script, no external reference: it works without JavaScript and can be saved).

The caller gives the series already in numbers and the labels already in the reader's language."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 12, 40


@dataclass(frozen=True)
class Series:
    name: str
    colour: str  # #rrggbb
    points: list[tuple[float, float, str]]  # (% counted, % share, tooltip)


def y_range(series: list[Series], line: float) -> tuple[float, float]:
    """Whole points around the shares (and the rule's line, when it is near them), at least 4 points tall, so
    a 49/51 race is not drawn flat at the middle of a 0–100 axis."""
    values = [y for s in series for _, y, _ in s.points]
    if not values:
        return 0.0, 100.0
    low, high = min(values), max(values)
    if low - 5 <= line <= high + 5:
        low, high = min(low, line), max(high, line)
    low, high = max(0.0, math.floor(low - 1)), min(100.0, math.ceil(high + 1))
    while high - low < 4:
        low, high = max(0.0, low - 1), min(100.0, high + 1)
    return low, high


def _ticks(low: float, high: float) -> list[float]:
    step = next(s for s in (1, 2, 5, 10, 20, 25) if (high - low) / s <= 6)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) // step) + 1)]


def render_chart(series: list[Series], *, title: str, description: str, x_label: str, y_label: str,
                 line: float = 50.0, number=lambda v: f"{v:g}") -> str:
    """An accessible line chart (role="img", its title and description named); ``number`` prints axis values."""
    ident = "chart-" + hashlib.sha256(f"{title}\n{description}".encode()).hexdigest()[:10]
    low, high = y_range(series, line)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(v: float) -> float:
        return round(LEFT + inner_w * min(max(v, 0.0), 100.0) / 100, 1)

    def y(v: float) -> float:
        return round(TOP + inner_h * (high - min(max(v, low), high)) / (high - low), 1)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{ident}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
           f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{ident}-t {ident}-d">',
           f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(description)}</desc>',
           '<g font-size="12" fill="#333">']
    for tick in _ticks(low, high):
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick)}" y2="{y(tick)}" stroke="#e0e0e0"/>'
                   f'<text x="{LEFT - 6}" y="{y(tick) + 4}" text-anchor="end">{escape(number(tick))}</text>')
    for tick in (0, 25, 50, 75, 100):
        out.append(f'<text x="{x(tick)}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{escape(number(tick))}</text>')
    if low <= line <= high:
        out.append(f'<line class="rule-line" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(line)}" y2="{y(line)}" '
                   'stroke="#1a1a1a" stroke-dasharray="4 3"/>')
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + inner_h}" y2="{TOP + inner_h}" stroke="#555"/>')
    out.append(f'<text x="{LEFT + inner_w / 2}" y="{HEIGHT - 6}" text-anchor="middle">{escape(x_label)}</text>')
    out.append(f'<text x="12" y="{TOP + inner_h / 2}" text-anchor="middle" '
               f'transform="rotate(-90 12 {TOP + inner_h / 2})">{escape(y_label)}</text></g>')
    for s in series:
        points = sorted(s.points)
        path = " ".join(f"{x(px)},{y(py)}" for px, py, _ in points)
        out.append(f'<g class="series" data-name="{escape(s.name)}" fill="{escape(s.colour)}" stroke="{escape(s.colour)}">'
                   f'<polyline fill="none" stroke-width="2.5" points="{path}"/>')
        out.extend(f'<circle cx="{x(px)}" cy="{y(py)}" r="4"><title>{escape(tip)}</title></circle>'
                   for px, py, tip in points)
        if points:
            px, py, _ = points[-1]
            out.append(f'<text x="{min(x(px) + 6, WIDTH - RIGHT - 30)}" y="{y(py) - 6}" stroke="none" '
                       f'font-size="13" font-weight="700">{escape(s.name)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"

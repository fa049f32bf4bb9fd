"""A line chart as inline SVG: the quick count's estimate converging as reports arrive.

Each option is a line (its estimated share at each time) inside a band (its 95 %
interval), with the official share, when there is one, as a dashed line of the
same colour. The caller gives the labels already in the reader's locale; the
output holds no script and no external reference, and a page always puts a
table of the same figures beside it (the chart is for the eye, the table for
everyone).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 12, 30
TICK_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25)
MAX_X_LABELS = 6


@dataclass(frozen=True)
class Line:
    """One option: its colour, its (share, low, high) at each time (low/high None: no interval yet)."""

    name: str
    colour: str
    points: Sequence[tuple[float, float | None, float | None]]
    official: float | None = None


def y_range(lines: Sequence[Line]) -> tuple[float, float, float]:
    """(bottom, top, tick step) in shares: every value shown, on round ticks, about five of them."""
    values = [v for line in lines for point in line.points for v in point if v is not None]
    values += [line.official for line in lines if line.official is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    span = max(high - low, 0.002)
    step = next((s for s in TICK_STEPS if span / s <= 6), 0.25)
    bottom = max(0.0, math.floor(low / step - 1e-9) * step)
    top = min(1.0, math.ceil(high / step + 1e-9) * step)
    if top <= bottom:
        top = bottom + step
    return bottom, top, step


def convergence_svg(lines: Sequence[Line], x_labels: Sequence[str], *, title: str, description: str,
                    percent: Callable[[float, int], str], ident: str) -> str:
    """The chart for points at evenly spaced times (``x_labels``, one per point, in the reader's words);
    ``percent(share, decimals)`` writes an axis label."""
    count = len(x_labels)
    bottom, top, step = y_range(lines)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y(share: float) -> float:
        return TOP + plot_h * (top - share) / (top - bottom)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-labelledby="{ident}-t {ident}-d"><title id="{ident}-t">{escape(title)}</title>'
             f'<desc id="{ident}-d">{escape(description)}</desc>']
    parts += _grid(bottom, top, step, y, percent)
    parts += _x_axis(x_labels, x)
    for line in lines:
        parts += _line(line, x, y)
    parts.append("</svg>")
    return "".join(parts)


def _grid(bottom: float, top: float, step: float, y: Callable[[float], float],
          percent: Callable[[float, int], str]) -> list[str]:
    out = []
    decimals = max(0, -math.floor(math.log10(100 * step) + 1e-9))  # a step of 0.5 points needs one
    ticks = round((top - bottom) / step)
    for k in range(ticks + 1):
        value = bottom + k * step
        at = _n(y(value))
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at}" y2="{at}" stroke="#ddd" stroke-width="1"/>')
        out.append(f'<text x="{LEFT - 4}" y="{at}" text-anchor="end" dominant-baseline="middle" font-size="11" '
                   f'fill="#444">{escape(percent(value, decimals))}</text>')
    return out


def _x_axis(labels: Sequence[str], x: Callable[[int], float]) -> list[str]:
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    shown = sorted({*range(0, len(labels), every), len(labels) - 1})
    if len(shown) > 1 and shown[-1] - shown[-2] < every:  # the last label would crowd the one before it
        shown.pop(-2)
    return [f'<text x="{_n(x(i))}" y="{HEIGHT - 10}" text-anchor="middle" font-size="11" fill="#444">'
            f'{escape(labels[i])}</text>' for i in shown]


def _line(line: Line, x: Callable[[int], float], y: Callable[[float], float]) -> list[str]:
    colour = escape(line.colour)
    out = []
    band = [(i, lo, hi) for i, (_, lo, hi) in enumerate(line.points) if lo is not None and hi is not None]
    if len(band) > 1:
        upper = " ".join(f"{_n(x(i))},{_n(y(hi))}" for i, _, hi in band)
        lower = " ".join(f"{_n(x(i))},{_n(y(lo))}" for i, lo, _ in reversed(band))
        out.append(f'<polygon points="{upper} {lower}" fill="{colour}" fill-opacity="0.18" stroke="none"/>')
    if line.official is not None:
        at = _n(y(line.official))
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at}" y2="{at}" stroke="{colour}" '
                   f'stroke-width="1.5" stroke-dasharray="6 4"/>')
    path = " ".join(f"{_n(x(i))},{_n(y(share))}" for i, (share, _, _) in enumerate(line.points))
    if len(line.points) == 1:
        out.append(f'<circle cx="{_n(x(0))}" cy="{_n(y(line.points[0][0]))}" r="3" fill="{colour}"/>')
    else:
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
    return out


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")

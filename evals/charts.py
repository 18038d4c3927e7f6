"""Small inline SVG charts for the HTML report: histograms and line charts, no scripts or external assets."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 560, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 46, 46
BLUE, ORANGE, GREEN, RED, GREY = "#2f6fb3", "#e07b24", "#2e8b57", "#c0392b", "#888888"


@dataclass(frozen=True)
class Series:
    """Values to plot: for a histogram only `ys` is used; for a line chart, points (xs[i], ys[i])."""

    label: str
    ys: Sequence[float]
    color: str
    xs: Sequence[float] = ()


@dataclass(frozen=True)
class Marker:
    """A vertical line at x (or a dot at (x, y) on a line chart) with a label."""

    label: str
    x: float
    color: str
    y: float | None = None


def bin_counts(values: Sequence[float], bins: int, lo: float, hi: float) -> list[int]:
    """Counts of values in `bins` equal bins over [lo, hi]; values outside are clamped to the end bins.

    >>> bin_counts([0.0, 0.1, 0.5, 0.99, 1.0], 2, 0.0, 1.0)
    [2, 3]
    """
    counts = [0] * bins
    span = (hi - lo) or 1.0
    for v in values:
        counts[min(bins - 1, max(0, int((v - lo) / span * bins)))] += 1
    return counts


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten that is at least `value`, so five ticks are round.

    >>> nice_ceiling(136.0), nice_ceiling(0.7), nice_ceiling(1531.0)
    (200.0, 1.0, 2000.0)
    """
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1.0, 2.0, 2.5, 5.0, 10.0) if step * power >= value)


def histogram(title: str, series: Sequence[Series], lo: float, hi: float, bins: int = 20, x_label: str = "",
              markers: Sequence[Marker] = (), as_share: bool = False) -> str:
    """Side-by-side bars per bin for each series; with `as_share`, each series is scaled to its own total."""
    counts = [bin_counts(s.ys, bins, lo, hi) for s in series]
    heights = [[c / max(1, len(s.ys)) for c in cs] if as_share else [float(c) for c in cs] for s, cs in zip(series, counts, strict=True)]
    top = max((h for hs in heights for h in hs), default=0.0) or 1.0
    # counts get a top divisible by the 5 tick steps, so every tick is a whole number
    plot = _Plot(lo, hi, 0.0, top * 1.1 if as_share else float(5 * math.ceil(top * 1.1 / 5)))
    parts = [plot.frame(title, x_label, "share of questions" if as_share else "questions", percent_y=as_share)]
    bin_w = (plot.px(hi) - plot.px(lo)) / bins
    bar_w = max(1.0, (bin_w - 2) / max(1, len(series)))
    for j, (s, hs, cs) in enumerate(zip(series, heights, counts, strict=True)):
        for i, (h, c) in enumerate(zip(hs, cs, strict=True)):
            if c == 0:
                continue
            x0 = plot.px(lo) + i * bin_w + 1 + j * bar_w
            y0 = plot.py(h)
            b_lo, b_hi = lo + (hi - lo) * i / bins, lo + (hi - lo) * (i + 1) / bins
            parts.append(f'<rect class="bar" x="{x0:.1f}" y="{y0:.1f}" width="{bar_w:.1f}" height="{plot.py(0) - y0:.1f}" '
                         f'fill="{s.color}" fill-opacity="0.8"><title>{escape(s.label)}: {c} in [{b_lo:.3g}, {b_hi:.3g})</title></rect>')
    parts.extend(plot.vline(mk) for mk in markers)
    parts.append(_legend([(s.label, s.color) for s in series] + [(mk.label, mk.color) for mk in markers]))
    return _svg(title, parts)


def line_chart(title: str, series: Sequence[Series], x_range: tuple[float, float], y_range: tuple[float, float], x_label: str,
               y_label: str, markers: Sequence[Marker] = (), percent: bool = True) -> str:
    """Lines through each series' points, with optional dots or vertical lines as markers."""
    plot = _Plot(*x_range, *y_range)
    parts = [plot.frame(title, x_label, y_label, percent_x=percent, percent_y=percent)]
    for s in series:
        points = " ".join(f"{plot.px(x):.1f},{plot.py(y):.1f}" for x, y in zip(s.xs, s.ys, strict=True))
        parts.append(f'<polyline class="line" points="{points}" fill="none" stroke="{s.color}" stroke-width="2"/>')
    for mk in markers:
        if mk.y is None:
            parts.append(plot.vline(mk))
        else:
            parts.append(f'<circle cx="{plot.px(mk.x):.1f}" cy="{plot.py(mk.y):.1f}" r="5" fill="{mk.color}">'
                         f"<title>{escape(mk.label)}</title></circle>")
    parts.append(_legend([(s.label, s.color) for s in series] + [(mk.label, mk.color) for mk in markers]))
    return _svg(title, parts)


class _Plot:
    """Maps data coordinates to the SVG's pixels and draws the axes."""

    def __init__(self, x0: float, x1: float, y0: float, y1: float) -> None:
        self.x0, self.x1 = x0, (x1 if x1 > x0 else x0 + 1.0)
        self.y0, self.y1 = y0, (y1 if y1 > y0 else y0 + 1.0)

    def px(self, x: float) -> float:
        return LEFT + (x - self.x0) / (self.x1 - self.x0) * (WIDTH - LEFT - RIGHT)

    def py(self, y: float) -> float:
        return HEIGHT - BOTTOM - (y - self.y0) / (self.y1 - self.y0) * (HEIGHT - TOP - BOTTOM)

    def frame(self, title: str, x_label: str, y_label: str, percent_x: bool = False, percent_y: bool = False) -> str:
        out = [f'<text x="{WIDTH / 2}" y="18" text-anchor="middle" font-weight="bold">{escape(title)}</text>',
               f'<line x1="{LEFT}" y1="{self.py(self.y0)}" x2="{WIDTH - RIGHT}" y2="{self.py(self.y0)}" stroke="#333"/>',
               f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>']
        for i in range(6):
            x = self.x0 + (self.x1 - self.x0) * i / 5
            y = self.y0 + (self.y1 - self.y0) * i / 5
            out.append(f'<text x="{self.px(x):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{_tick(x, percent_x)}</text>')
            out.append(f'<text x="{LEFT - 6}" y="{self.py(y) + 4:.1f}" text-anchor="end">{_tick(y, percent_y)}</text>')
            out.append(f'<line x1="{LEFT}" y1="{self.py(y):.1f}" x2="{WIDTH - RIGHT}" y2="{self.py(y):.1f}" stroke="#eee"/>')
        out.append(f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 8}" text-anchor="middle">{escape(x_label)}</text>')
        mid = (TOP + HEIGHT - BOTTOM) / 2
        out.append(f'<text transform="translate(13 {mid}) rotate(-90)" text-anchor="middle">{escape(y_label)}</text>')
        return "".join(out)

    def vline(self, mk: Marker) -> str:
        x = self.px(min(max(mk.x, self.x0), self.x1))
        return (f'<line class="marker" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}" stroke="{mk.color}" '
                f'stroke-width="2" stroke-dasharray="5 3"><title>{escape(mk.label)}</title></line>')


def _tick(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.2g}"


def _legend(items: Sequence[tuple[str, str]]) -> str:
    out, x = [], LEFT + 8
    for label, color in items:
        out.append(f'<rect x="{x}" y="{TOP - 20}" width="10" height="10" fill="{color}"/>'
                   f'<text x="{x + 14}" y="{TOP - 11}">{escape(label)}</text>')
        x += 24 + 7 * len(label)
    return "".join(out)


def _svg(title: str, parts: Sequence[str]) -> str:
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="11">'
            + "".join(parts) + "</svg>")

"""Small server-side SVG charts: lines over time and horizontal bars. No JavaScript, no service.

Each chart is one ``<svg>`` string with a ``<title>`` and ``aria-label`` (screen readers), sizes in
a viewBox so it scales on a phone, Chinese labels in the page's font, every text escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

PALETTE = ("#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#b58840", "#28a197", "#912b88",
           "#505a5f", "#85994b", "#f499be", "#003078")
FONT = "'Noto Sans CJK SC','WenQuanYi Zen Hei','Microsoft YaHei',sans-serif"
Point = tuple[str, float]


def nice_max(value: float) -> float:
    """The top of the value axis: 1, 2 or 5 times a power of ten, at least ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def _fmt(value: float, percent: bool = False) -> str:
    if percent:
        return f"{value * 100:.1f}%"
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.2f}"


def _svg(title: str, width: int, height: int, body: list[str]) -> str:
    label = quoteattr(title)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label={label} class="chart" font-family="{FONT}" font-size="12">'
            f"<title>{escape(title)}</title>"
            f'<text x="8" y="18" font-size="14" font-weight="bold">{escape(title)}</text>'
            + "".join(body) + "</svg>")


def _axis(left: int, top: int, plot_w: int, plot_h: int, top_value: float, percent: bool) -> list[str]:
    out = []
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e0e0e0"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#505a5f">'
                   f"{escape(_fmt(top_value * i / 4, percent))}</text>")
    return out


def line_chart(title: str, series: Mapping[str, Sequence[Point]], *, width: int = 640, height: int = 300,
               percent: bool = False) -> str:
    """Several series over the same labels (months, dates), with a legend."""
    labels = sorted({label for points in series.values() for label, _ in points})
    if not labels:
        return _svg(title, width, 60, ['<text x="8" y="44" fill="#505a5f">暂无数据 / no data yet</text>'])
    left, top, legend_rows = 56, 40, math.ceil(len(series) / 3)
    plot_w, plot_h = width - left - 40, height - top - 40 - 18 * legend_rows
    top_value = nice_max(max((v for points in series.values() for _, v in points), default=0))
    x = {label: left + (plot_w * i / max(1, len(labels) - 1) if len(labels) > 1 else plot_w / 2)
         for i, label in enumerate(labels)}
    body = _axis(left, top, plot_w, plot_h, top_value, percent)
    step = max(1, math.ceil(len(labels) / 8))
    for i, label in enumerate(labels):
        if i % step == 0 or i == len(labels) - 1:
            anchor = "end" if i == len(labels) - 1 and len(labels) > 1 else "middle"
            body.append(f'<text x="{x[label]:.1f}" y="{top + plot_h + 16}" text-anchor="{anchor}" fill="#505a5f">'
                        f"{escape(label)}</text>")
    for n, (name, points) in enumerate(sorted(series.items())):
        color = PALETTE[n % len(PALETTE)]
        coords = [(x[label], top + plot_h - plot_h * value / top_value) for label, value in sorted(points)]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in coords)
        body.append(f'<polyline class="series" points="{path}" fill="none" stroke="{color}" stroke-width="2">'
                    f"<title>{escape(name)}</title></polyline>")
        body += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{color}"/>' for px, py in coords]
        lx, ly = 8 + (n % 3) * (width // 3), height - 18 * (legend_rows - n // 3) + 4
        body.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{color}"/>'
                    f'<text x="{lx + 14}" y="{ly}">{escape(name)}</text>')
    return _svg(title, width, height, body)


def _text_width(text: str) -> int:
    """About how wide a 12 px label is drawn: a Chinese character 12 px, a Latin one 7."""
    return sum(12 if ord(ch) > 0x2E80 else 7 for ch in text)


def bar_chart(title: str, bars: Sequence[Point], *, width: int = 640, percent: bool = False,
              bar_height: int = 22) -> str:
    """One horizontal bar per label, its value written at its end."""
    if not bars:
        return _svg(title, width, 60, ['<text x="8" y="44" fill="#505a5f">暂无数据 / no data yet</text>'])
    left, top = min(max(150, max(_text_width(label) for label, _ in bars) + 14), width // 2), 32
    height = top + len(bars) * (bar_height + 8) + 12
    plot_w = width - left - 80
    top_value = max(nice_max(max(v for _, v in bars)), 1e-9)
    body = []
    for i, (label, value) in enumerate(bars):
        y = top + i * (bar_height + 8)
        w = plot_w * value / top_value
        body.append(f'<text x="{left - 6}" y="{y + bar_height * 0.7:.1f}" text-anchor="end">{escape(label)}</text>'
                    f'<rect class="bar" x="{left}" y="{y}" width="{w:.1f}" height="{bar_height}" '
                    f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(f"{label}: {_fmt(value, percent)}")}</title></rect>'
                    f'<text x="{left + w + 6:.1f}" y="{y + bar_height * 0.7:.1f}">{escape(_fmt(value, percent))}</text>')
    return _svg(title, width, height, body)

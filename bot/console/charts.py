"""Server-rendered SVG charts: no JavaScript (the console's CSP allows none), no libraries.

    >>> svg = bar_chart("每日退保意向", ["03-01", "03-02"], [3, 1], y_label="会话")
    >>> svg.startswith("<svg") and 'role="img"' in svg and "<title>每日退保意向</title>" in svg
    True

Every chart is a :class:`markupsafe.Markup` string, ready for ``{{ chart }}`` in a Jinja2
template. It scales to its container (``viewBox`` and ``width="100%"``; limit the width with
CSS on ``svg.pg-chart``) and stays legible at 375 px. All text placed in the SVG (titles,
labels, legend names, text written by staff) is XML-escaped here. Colours
are the Okabe-Ito palette, each at least 3:1 against white; stacked segments are separated
by white lines and every bar or point carries a tooltip (``<title>``) with its value.
Without data a chart still renders, with the note "暂无数据".
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Mapping, Sequence

from markupsafe import Markup

Number = int | float
Format = Callable[[float], str]

#: Okabe-Ito colours, each with a contrast of 3:1 or more against white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#555555", "#8F4C00")
#: Line styles that tell series apart without colour.
DASHES = ("", "6 3", "2 3", "8 3 2 3")
TEXT = "#1a1a1a"
MUTED = "#4d4d4d"
GRID = "#d9d9d9"
EMPTY_NOTE = "暂无数据"

WIDTH = 400
FONT = 12
TITLE_FONT = 14
PLOT_HEIGHT = 170
ROW_HEIGHT = 24
FONT_FAMILY = (
    "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"
)

#: Characters XML 1.0 forbids even when escaped (control characters, lone surrogates).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# --- text ------------------------------------------------------------------------------


def xml_text(value: object) -> str:
    """``value`` as text safe inside an SVG element or attribute.

    >>> xml_text('<script>alert("x")</script>\\x00')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
    """
    text = " ".join(_NOT_XML.sub("", str(value)).split())
    return html.escape(text, quote=True)


def text_width(text: str, size: float = FONT) -> float:
    """Roughly how wide ``text`` is: CJK characters are square, others about 0.6 em.

    >>> text_width("退保ab", 10)
    32.0
    """
    return sum(size if ord(ch) >= 0x2E80 else 0.6 * size for ch in text)


def shorten(text: str, width: float, size: float = FONT) -> str:
    """``text`` cut to fit ``width``, ending in "…" when cut.

    >>> shorten("保单贷款：不退保也能用钱", 60)
    '保单贷款…'
    """
    text = " ".join(str(text).split())
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def wrap(text: str, width: float, size: float = FONT) -> list[str]:
    """``text`` in lines that fit ``width``, cut anywhere (Chinese has no spaces to wait for).

    >>> wrap("保单贷款：不退保也能用钱", 60)
    ['保单贷款：', '不退保也能', '用钱']
    """
    lines = [""]
    for ch in " ".join(str(text).split()):
        if lines[-1] and text_width(lines[-1] + ch, size) > width:
            lines.append("" if ch == " " else ch)
        else:
            lines[-1] += ch
    return lines


def count(value: float) -> str:
    """A count or other number, without a pointless ``.0``.

    >>> count(3.0), count(2.5), count(1234)
    ('3', '2.5', '1234')
    """
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def percent(value: float) -> str:
    """A 0-1 share as a percentage.

    >>> percent(0.25), percent(0.125), percent(0.0)
    ('25%', '12.5%', '0%')
    """
    return f"{value * 100:.1f}".rstrip("0").rstrip(".") + "%"


def _px(value: float) -> str:
    """A coordinate or length (viewBox units) for an attribute, without trailing zeros."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


# --- scales ----------------------------------------------------------------------------


def nice_ticks(top: float, *, integer: bool = True, steps: int = 4) -> list[float]:
    """Evenly spaced round axis values from 0 to at least ``top``.

    >>> nice_ticks(7), nice_ticks(0), nice_ticks(0.18, integer=False)
    ([0, 2, 4, 6, 8], [0, 1], [0.0, 0.05, 0.1, 0.15, 0.2])
    """
    if top <= 0:
        return [0, 1]
    raw = top / steps
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if integer:
        step = max(1, math.ceil(step))
    count_ = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(count_ + 1)]


def _check_values(values: Sequence[Number | None], n: int, name: str) -> None:
    if len(values) != n:
        raise ValueError(f"{name!r} has {len(values)} values for {n} labels")
    for v in values:
        if v is not None and (not math.isfinite(v) or v < 0):
            raise ValueError(f"{name!r} has a value that is not a finite number >= 0: {v!r}")


# --- the frame -------------------------------------------------------------------------


def _svg(title: str, summary: str, height: float, body: list[str]) -> Markup:
    label = xml_text(f"{title}：{summary}")
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pg-chart" viewBox="0 0 {WIDTH} '
        f'{_px(height)}" width="100%" preserveAspectRatio="xMidYMid meet" role="img" '
        f'aria-label="{label}" font-family="{xml_text(FONT_FAMILY)}" font-size="{FONT}" '
        f'fill="{TEXT}">'
    )
    parts = [
        head,
        f"<title>{xml_text(title)}</title>",
        f"<desc>{xml_text(summary)}</desc>",
        f'<text x="0" y="{TITLE_FONT + 2}" font-size="{TITLE_FONT}" font-weight="bold">'
        f"{xml_text(shorten(title, WIDTH, TITLE_FONT))}</text>",
        *body,
        "</svg>",
    ]
    return Markup("".join(parts))


def empty_chart(title: str) -> Markup:
    """A chart with only its title and the note "暂无数据".

    >>> "暂无数据" in empty_chart("每周诈骗举报")
    True
    """
    note = f'<text x="{WIDTH / 2}" y="70" text-anchor="middle" fill="{MUTED}">{EMPTY_NOTE}</text>'
    return _svg(title, EMPTY_NOTE, 100, [note])


def _legend(
    names: Sequence[str], top: float, colors: Sequence[str], lines: bool
) -> tuple[list[str], float]:
    """Swatches and names from the left, wrapping: the SVG parts and the last baseline."""
    parts: list[str] = []
    x, y = 0.0, top
    for i, name in enumerate(names):
        label = shorten(name, WIDTH - 22)
        width = 18 + text_width(label) + 14
        if x and x + width > WIDTH:
            x, y = 0.0, y + 18
        color = colors[i % len(colors)]
        if lines:
            dash = DASHES[i % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<line x1="{_px(x)}" y1="{_px(y - 4)}" x2="{_px(x + 14)}" y2="{_px(y - 4)}" '
                f'stroke="{color}" stroke-width="2.5"{dash_attr}/>'
            )
        else:
            parts.append(
                f'<rect x="{_px(x)}" y="{_px(y - 10)}" width="12" height="12" fill="{color}"/>'
            )
        parts.append(f'<text x="{_px(x + 18)}" y="{_px(y)}">{xml_text(label)}</text>')
        x += width
    return parts, y


class _Frame:
    """The plot area of a vertical chart: legend, y axis with grid, x labels."""

    def __init__(
        self,
        labels: Sequence[str],
        top_value: float,
        *,
        legend: Sequence[str] = (),
        colors: Sequence[str] = PALETTE,
        lines: bool = False,
        x_label: str = "",
        y_label: str = "",
        value_format: Format = count,
        integer: bool = True,
    ) -> None:
        self.parts: list[str] = []
        y = TITLE_FONT + 6
        if legend:
            legend_parts, y = _legend(legend, y + 16, colors, lines)
            self.parts += legend_parts
        self.ticks = nice_ticks(top_value, integer=integer)
        tick_text = [value_format(t) for t in self.ticks]
        self.left = max(28.0, max(text_width(t) for t in tick_text) * 1.2 + 8)
        self.top = y + 30
        self.bottom = self.top + PLOT_HEIGHT
        self.right = WIDTH - 8
        self.height = self.bottom + (42 if x_label else 26)
        self.n = len(labels)
        self.slot = (self.right - self.left) / max(self.n, 1)
        self._y_axis(tick_text, y_label)
        self._x_axis(labels, x_label)

    def _y_axis(self, tick_text: list[str], y_label: str) -> None:
        """Grid lines with their values, and the unit above them."""
        if y_label:
            self.parts.append(
                f'<text x="0" y="{_px(self.top - 12)}" fill="{MUTED}">{xml_text(y_label)}</text>'
            )
        for tick, text in zip(self.ticks, tick_text, strict=True):
            ty = self.y(tick)
            self.parts.append(
                f'<line x1="{_px(self.left)}" y1="{_px(ty)}" x2="{_px(self.right)}" y2="{_px(ty)}" '
                f'stroke="{GRID}"/>'
                f'<text x="{_px(self.left - 6)}" y="{_px(ty + 4)}" text-anchor="end" '
                f'fill="{MUTED}">{xml_text(text)}</text>'
            )
        self.parts.append(
            f'<line x1="{_px(self.left)}" y1="{_px(self.bottom)}" x2="{_px(self.right)}" '
            f'y2="{_px(self.bottom)}" stroke="{MUTED}"/>'
        )

    def _x_axis(self, labels: Sequence[str], x_label: str) -> None:
        """Every k-th label, so that none overlap, and the axis name below."""
        widest = max((text_width(shorten(lb, 80)) for lb in labels), default=0) + 8
        step = max(1, math.ceil(widest / self.slot))
        for i in range(0, self.n, step):
            self.parts.append(
                f'<text x="{_px(self.x(i))}" y="{_px(self.bottom + 16)}" text-anchor="middle">'
                f"{xml_text(shorten(labels[i], 80))}</text>"
            )
        if x_label:
            self.parts.append(
                f'<text x="{_px((self.left + self.right) / 2)}" y="{_px(self.bottom + 36)}" '
                f'text-anchor="middle" fill="{MUTED}">{xml_text(x_label)}</text>'
            )

    def y(self, value: float) -> float:
        return self.bottom - value / self.ticks[-1] * PLOT_HEIGHT

    def x(self, i: int) -> float:
        """The centre of slot ``i``."""
        return self.left + (i + 0.5) * self.slot


def _summary(names: Sequence[str], series: Sequence[Sequence[Number | None]], fmt: Format) -> str:
    """Totals per series for the accessible description."""
    totals = [sum(v for v in values if v is not None) for values in series]
    if len(names) == 1:
        return f"合计 {fmt(totals[0])}"
    return "，".join(f"{name} {fmt(t)}" for name, t in zip(names, totals, strict=True))


# --- charts ----------------------------------------------------------------------------


def stacked_bar_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[Number]],
    *,
    x_label: str = "",
    y_label: str = "",
    colors: Sequence[str] = PALETTE,
    value_format: Format = count,
) -> Markup:
    """Bars of ``labels`` stacked from ``series`` (name -> one value per label, bottom
    first), with a legend.

    >>> svg = stacked_bar_chart("结果", ["周一", "周二"], {"转人工": [1, 0], "离开": [2, 1]})
    >>> svg.count("<rect"), "转人工" in svg
    (5, True)
    """
    for name, values in series.items():
        _check_values(values, len(labels), name)
    totals = [sum(column) for column in zip(*series.values(), strict=True)] if series else []
    if not labels or not any(totals):
        return empty_chart(title)
    names = list(series)
    frame = _Frame(
        labels,
        max(totals),
        legend=names if len(names) > 1 else (),
        colors=colors,
        x_label=x_label,
        y_label=y_label,
        value_format=value_format,
        integer=all(float(v).is_integer() for v in totals),
    )
    width = max(frame.slot * 0.7, 1.0)
    bars = []
    for i, label in enumerate(labels):
        base = 0.0
        for number, name in enumerate(names):
            value = series[name][i]
            if not value:
                continue
            y0, y1 = frame.y(base), frame.y(base + value)
            tip = f"{label} {name}" if len(names) > 1 else label
            tip += f"：{value_format(value)}"
            bars.append(
                f'<rect x="{_px(frame.x(i) - width / 2)}" y="{_px(y1)}" width="{_px(width)}" '
                f'height="{_px(y0 - y1)}" fill="{colors[number % len(colors)]}" stroke="#ffffff" '
                f'stroke-width="{1 if width > 4 else 0}"><title>{xml_text(tip)}</title></rect>'
            )
            base += value
    summary = _summary(names, list(series.values()), value_format)
    return _svg(title, summary, frame.height, frame.parts + bars)


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[Number],
    *,
    x_label: str = "",
    y_label: str = "",
    color: str = PALETTE[0],
    value_format: Format = count,
) -> Markup:
    """One bar per label.

    >>> "暂无数据" in bar_chart("每日", ["a", "b"], [0, 0])
    True
    """
    return stacked_bar_chart(
        title,
        labels,
        {title: values},
        x_label=x_label,
        y_label=y_label,
        colors=(color,),
        value_format=value_format,
    )


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[Number | None]],
    *,
    x_label: str = "",
    y_label: str = "",
    colors: Sequence[str] = PALETTE,
    value_format: Format = count,
    y_max: float | None = None,
) -> Markup:
    """Lines over ``labels``; ``None`` values leave a gap. A legend when there are several.

    >>> svg = line_chart("比例", ["1", "2", "3"], {"未识别率": [0.1, None, 0.3]},
    ...                  value_format=percent)
    >>> svg.count("<polyline"), "30%" in svg
    (0, True)
    """
    for name, values in series.items():
        _check_values(values, len(labels), name)
    present = [v for values in series.values() for v in values if v is not None]
    if not labels or not present:
        return empty_chart(title)
    names = list(series)
    top = max(y_max or 0, max(present))
    frame = _Frame(
        labels,
        top,
        legend=names if len(names) > 1 else (),
        colors=colors,
        lines=True,
        x_label=x_label,
        y_label=y_label,
        value_format=value_format,
        integer=all(float(v).is_integer() for v in present) and top >= 1,
    )
    body = []
    for number, name in enumerate(names):
        body += _line(
            frame,
            labels,
            series[name],
            name if len(names) > 1 else "",
            number,
            colors,
            value_format,
        )
    summary = _line_summary(names, series, value_format)
    return _svg(title, summary, frame.height, frame.parts + body)


def _line(
    frame: _Frame,
    labels: Sequence[str],
    values: Sequence[Number | None],
    name: str,
    index: int,
    colors: Sequence[str],
    value_format: Format,
) -> list[str]:
    """A polyline per unbroken run of values, and a marked point per value."""
    color, dash = colors[index % len(colors)], DASHES[index % len(DASHES)]
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    parts, run = [], []
    for i, value in enumerate([*values, None]):
        if value is not None:
            run.append(f"{_px(frame.x(i))},{_px(frame.y(value))}")
            continue
        if len(run) > 1:
            parts.append(
                f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" '
                f'stroke-width="2.5"{dash_attr}/>'
            )
        run = []
    radius = 3 if frame.n <= 62 else 1.5
    for i, value in enumerate(values):
        if value is None:
            continue
        tip = f"{labels[i]} {name}" if name else labels[i]
        tip += f"：{value_format(value)}"
        parts.append(
            f'<circle cx="{_px(frame.x(i))}" cy="{_px(frame.y(value))}" r="{radius}" '
            f'fill="{color}"><title>{xml_text(tip)}</title></circle>'
        )
    return parts


def _line_summary(
    names: Sequence[str], series: Mapping[str, Sequence[Number | None]], fmt: Format
) -> str:
    """Range of each series for the accessible description."""
    out = []
    for name in names:
        values = [v for v in series[name] if v is not None]
        if values:
            span = f"{fmt(min(values))}–{fmt(max(values))}"
            out.append(f"{name} {span}" if len(names) > 1 else f"范围 {span}")
    return "，".join(out)


def horizontal_bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[Number],
    *,
    x_label: str = "",
    color: str = PALETTE[0],
    value_format: Format = count,
    label_width: float = 150,
    wrapped: bool = False,
) -> Markup:
    """One labelled row per item, top to bottom, value at the end of each bar; long labels
    are shortened with "…" (the tooltip has them whole), or ``wrapped`` over as many lines
    as they need.

    >>> long = "保单贷款：不退保也能用钱，利息怎么算"
    >>> svg = horizontal_bar_chart("最常用", [long, "犹豫期"], [5, 2])
    >>> f"<title>{long}：5</title>" in svg, ">保单贷款：不退保也能用…<" in svg
    (True, True)
    >>> svg = horizontal_bar_chart("最常用", [long], [5], wrapped=True, label_width=100)
    >>> ">保单贷款：不退保<" in svg and ">也能用钱，利息怎<" in svg and ">么算<" in svg
    True
    """
    _check_values(values, len(labels), title)
    if not labels or not any(values):
        return empty_chart(title)
    top = TITLE_FONT + 6 + (24 if x_label else 10)
    bar_left, bar_right = label_width + 8, WIDTH - 40
    scale = (bar_right - bar_left) / max(values)
    parts = []
    if x_label:
        parts.append(
            f'<text x="{_px(bar_left)}" y="{_px(top - 6)}" fill="{MUTED}">'
            f"{xml_text(x_label)}</text>"
        )
    line_height = FONT + 3
    y = top
    for label, value in zip(labels, values, strict=True):
        lines = wrap(label, label_width) if wrapped else [shorten(label, label_width)]
        height = max(ROW_HEIGHT, len(lines) * line_height + 9)
        length = max(value * scale, 1 if value else 0)
        middle = y + height / 2
        first = middle + 4 - (len(lines) - 1) * line_height / 2
        spans = "".join(
            f'<tspan x="{_px(label_width)}" y="{_px(first + n * line_height)}">'
            f"{xml_text(line)}</tspan>"
            for n, line in enumerate(lines)
        )
        parts.append(
            f"<g><title>{xml_text(f'{label}：{value_format(value)}')}</title>"
            f'<text text-anchor="end">{spans}</text>'
            f'<rect x="{_px(bar_left)}" y="{_px(middle - 8)}" width="{_px(length)}" '
            f'height="16" fill="{color}"/>'
            f'<text x="{_px(bar_left + length + 4)}" y="{_px(middle + 4)}">'
            f"{xml_text(value_format(value))}</text></g>"
        )
        y += height
    parts.append(
        f'<line x1="{_px(bar_left)}" y1="{_px(top)}" x2="{_px(bar_left)}" '
        f'y2="{_px(y)}" stroke="{MUTED}"/>'
    )
    summary = "，".join(
        f"{label} {value_format(v)}" for label, v in zip(labels, values, strict=True)
    )
    return _svg(title, summary, y + 8, parts)

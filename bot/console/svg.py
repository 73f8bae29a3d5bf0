"""The SVG drawing primitives of the console's charts (:mod:`bot.console.charts`): text
that is safe and fits, numbers, axis scales, the document with its accessible title, and
the frame of a vertical chart (legend, axes, grid). No JavaScript, no libraries.

    >>> svg = document("每日退保意向", "合计 4", 100, [])
    >>> svg.startswith("<svg") and 'role="img"' in svg and "<title>每日退保意向</title>" in svg
    True

All text placed in the SVG (titles, labels, legend names, text written by staff) is
XML-escaped here. Colours are the Okabe-Ito palette, each at least 3:1 against white.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence

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


def px(value: float) -> str:
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


def check_values(values: Sequence[Number | None], n: int, name: str) -> None:
    """Raise ``ValueError`` unless ``values`` has ``n`` finite numbers >= 0 (or ``None``)."""
    if len(values) != n:
        raise ValueError(f"{name!r} has {len(values)} values for {n} labels")
    for v in values:
        if v is not None and (not math.isfinite(v) or v < 0):
            raise ValueError(f"{name!r} has a value that is not a finite number >= 0: {v!r}")


# --- the frame -------------------------------------------------------------------------


def document(title: str, summary: str, height: float, body: list[str]) -> Markup:
    """The ``<svg>`` of a chart ``height`` high: its title, shown and for screen readers
    (with ``summary``), then the ``body`` parts."""
    label = xml_text(f"{title}：{summary}")
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pg-chart" viewBox="0 0 {WIDTH} '
        f'{px(height)}" width="100%" preserveAspectRatio="xMidYMid meet" role="img" '
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
    return document(title, EMPTY_NOTE, 100, [note])


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
                f'<line x1="{px(x)}" y1="{px(y - 4)}" x2="{px(x + 14)}" y2="{px(y - 4)}" '
                f'stroke="{color}" stroke-width="2.5"{dash_attr}/>'
            )
        else:
            parts.append(
                f'<rect x="{px(x)}" y="{px(y - 10)}" width="12" height="12" fill="{color}"/>'
            )
        parts.append(f'<text x="{px(x + 18)}" y="{px(y)}">{xml_text(label)}</text>')
        x += width
    return parts, y


class Frame:
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
                f'<text x="0" y="{px(self.top - 12)}" fill="{MUTED}">{xml_text(y_label)}</text>'
            )
        for tick, text in zip(self.ticks, tick_text, strict=True):
            ty = self.y(tick)
            self.parts.append(
                f'<line x1="{px(self.left)}" y1="{px(ty)}" x2="{px(self.right)}" y2="{px(ty)}" '
                f'stroke="{GRID}"/>'
                f'<text x="{px(self.left - 6)}" y="{px(ty + 4)}" text-anchor="end" '
                f'fill="{MUTED}">{xml_text(text)}</text>'
            )
        self.parts.append(
            f'<line x1="{px(self.left)}" y1="{px(self.bottom)}" x2="{px(self.right)}" '
            f'y2="{px(self.bottom)}" stroke="{MUTED}"/>'
        )

    def _x_axis(self, labels: Sequence[str], x_label: str) -> None:
        """Every k-th label, so that none overlap, and the axis name below."""
        widest = max((text_width(shorten(lb, 80)) for lb in labels), default=0) + 8
        step = max(1, math.ceil(widest / self.slot))
        for i in range(0, self.n, step):
            self.parts.append(
                f'<text x="{px(self.x(i))}" y="{px(self.bottom + 16)}" text-anchor="middle">'
                f"{xml_text(shorten(labels[i], 80))}</text>"
            )
        if x_label:
            self.parts.append(
                f'<text x="{px((self.left + self.right) / 2)}" y="{px(self.bottom + 36)}" '
                f'text-anchor="middle" fill="{MUTED}">{xml_text(x_label)}</text>'
            )

    def y(self, value: float) -> float:
        return self.bottom - value / self.ticks[-1] * PLOT_HEIGHT

    def x(self, i: int) -> float:
        """The centre of slot ``i``."""
        return self.left + (i + 0.5) * self.slot

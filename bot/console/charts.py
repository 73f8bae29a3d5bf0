"""Server-rendered SVG charts: no JavaScript (the console's CSP allows none), no libraries;
drawn with the primitives of :mod:`bot.console.svg`.

    >>> svg = bar_chart("每日退保意向", ["03-01", "03-02"], [3, 1], y_label="会话")
    >>> svg.startswith("<svg") and 'role="img"' in svg and "<title>每日退保意向</title>" in svg
    True

Every chart is a :class:`markupsafe.Markup` string, ready for ``{{ chart }}`` in a Jinja2
template. It scales to its container (``viewBox`` and ``width="100%"``; limit the width with
CSS on ``svg.pg-chart``) and stays legible at 375 px. All text placed in the SVG (titles,
labels, legend names, text written by staff) is XML-escaped. Colours are the Okabe-Ito
palette, each at least 3:1 against white; stacked segments are separated by white lines
and every bar or point carries a tooltip (``<title>``) with its value.
Without data a chart still renders, with the note "暂无数据".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup

from bot.console.svg import (
    DASHES,
    FONT,
    MUTED,
    PALETTE,
    ROW_HEIGHT,
    TITLE_FONT,
    WIDTH,
    Format,
    Frame,
    Number,
    check_values,
    count,
    document,
    empty_chart,
    px,
    shorten,
    wrap,
    xml_text,
)


def _summary(names: Sequence[str], series: Sequence[Sequence[Number | None]], fmt: Format) -> str:
    """Totals per series for the accessible description."""
    totals = [sum(v for v in values if v is not None) for values in series]
    if len(names) == 1:
        return f"合计 {fmt(totals[0])}"
    return "，".join(f"{name} {fmt(t)}" for name, t in zip(names, totals, strict=True))


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
        check_values(values, len(labels), name)
    totals = [sum(column) for column in zip(*series.values(), strict=True)] if series else []
    if not labels or not any(totals):
        return empty_chart(title)
    names = list(series)
    frame = Frame(
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
                f'<rect x="{px(frame.x(i) - width / 2)}" y="{px(y1)}" width="{px(width)}" '
                f'height="{px(y0 - y1)}" fill="{colors[number % len(colors)]}" stroke="#ffffff" '
                f'stroke-width="{1 if width > 4 else 0}"><title>{xml_text(tip)}</title></rect>'
            )
            base += value
    summary = _summary(names, list(series.values()), value_format)
    return document(title, summary, frame.height, frame.parts + bars)


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

    >>> from bot.console.svg import percent
    >>> svg = line_chart("比例", ["1", "2", "3"], {"未识别率": [0.1, None, 0.3]},
    ...                  value_format=percent)
    >>> svg.count("<polyline"), "30%" in svg
    (0, True)
    """
    for name, values in series.items():
        check_values(values, len(labels), name)
    present = [v for values in series.values() for v in values if v is not None]
    if not labels or not present:
        return empty_chart(title)
    names = list(series)
    top = max(y_max or 0, max(present))
    frame = Frame(
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
    return document(title, summary, frame.height, frame.parts + body)


def _line(
    frame: Frame,
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
            run.append(f"{px(frame.x(i))},{px(frame.y(value))}")
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
            f'<circle cx="{px(frame.x(i))}" cy="{px(frame.y(value))}" r="{radius}" '
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
    check_values(values, len(labels), title)
    if not labels or not any(values):
        return empty_chart(title)
    top = TITLE_FONT + 6 + (24 if x_label else 10)
    bar_left, bar_right = label_width + 8, WIDTH - 40
    scale = (bar_right - bar_left) / max(values)
    parts = []
    if x_label:
        parts.append(
            f'<text x="{px(bar_left)}" y="{px(top - 6)}" fill="{MUTED}">{xml_text(x_label)}</text>'
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
            f'<tspan x="{px(label_width)}" y="{px(first + n * line_height)}">'
            f"{xml_text(line)}</tspan>"
            for n, line in enumerate(lines)
        )
        parts.append(
            f"<g><title>{xml_text(f'{label}：{value_format(value)}')}</title>"
            f'<text text-anchor="end">{spans}</text>'
            f'<rect x="{px(bar_left)}" y="{px(middle - 8)}" width="{px(length)}" '
            f'height="16" fill="{color}"/>'
            f'<text x="{px(bar_left + length + 4)}" y="{px(middle + 4)}">'
            f"{xml_text(value_format(value))}</text></g>"
        )
        y += height
    parts.append(
        f'<line x1="{px(bar_left)}" y1="{px(top)}" x2="{px(bar_left)}" '
        f'y2="{px(y)}" stroke="{MUTED}"/>'
    )
    summary = "，".join(
        f"{label} {value_format(v)}" for label, v in zip(labels, values, strict=True)
    )
    return document(title, summary, y + 8, parts)

"""SVG charts: well-formed, accessible, escaped, and sensible without data."""

from __future__ import annotations

import datetime as dt
import itertools
import xml.etree.ElementTree as ET

import jinja2
import pytest
from markupsafe import Markup
from sqlite_utils import Database

from bot.console.charts import bar_chart, horizontal_bar_chart, line_chart, stacked_bar_chart
from bot.console.dashboard import dashboard_charts
from bot.console.stats import dashboard
from bot.console.svg import PALETTE, nice_ticks, percent

NS = "{http://www.w3.org/2000/svg}"
EVIL = "<script>alert('x')</script> & \"q\""


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(str(svg))
    assert root.tag == f"{NS}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{NS}text")]


def bars(root: ET.Element) -> list[ET.Element]:
    """Data bars: rects with a tooltip (legend swatches have none)."""
    return [r for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]


def every_chart(labels, values):
    return [
        bar_chart("柱状", labels, values),
        stacked_bar_chart("堆叠", labels, {"甲": values, "乙": values}),
        line_chart("折线", labels, {"甲": values}),
        horizontal_bar_chart("横向", labels, values),
    ]


@pytest.mark.parametrize("svg", every_chart(["03-01", "03-02", "03-03"], [1, 4, 2]))
def test_charts_are_accessible_scalable_markup(svg):
    assert isinstance(svg, Markup)
    root = parse(svg)
    assert root.get("role") == "img"
    title = root.find(f"{NS}title").text
    assert root[0].tag == f"{NS}title" and root.get("aria-label").startswith(title)
    assert root.get("width") == "100%" and root.get("viewBox").startswith("0 0 400 ")
    assert root.find(f"{NS}desc").text


def test_a_bar_chart_draws_proportional_bars_with_value_tooltips():
    root = parse(bar_chart("每日", ["a", "b", "c"], [2, 0, 4], y_label="会话数", x_label="日期"))
    drawn = bars(root)
    assert [b.find(f"{NS}title").text for b in drawn] == ["a：2", "c：4"]
    heights = [float(b.get("height")) for b in drawn]
    assert heights[1] == pytest.approx(2 * heights[0])
    assert {"会话数", "日期", "a", "b", "c"} <= set(texts(root))
    assert "合计 6" in root.get("aria-label")


def test_stacked_bars_stack_in_order_with_a_legend():
    series = {"选择了替代方案": [1, 0], "转人工": [2, 3], "离开": [0, 1]}
    root = parse(stacked_bar_chart("结果", ["周一", "周二"], series))
    assert [b.find(f"{NS}title").text for b in bars(root)] == [
        "周一 选择了替代方案：1",
        "周一 转人工：2",
        "周二 转人工：3",
        "周二 离开：1",
    ]
    first, second = bars(root)[:2]  # the second segment sits on top of the first
    assert float(second.get("y")) + float(second.get("height")) == pytest.approx(
        float(first.get("y"))
    )
    assert {"选择了替代方案", "转人工", "离开"} <= set(texts(root))
    fills = {b.get("fill") for b in root.iter(f"{NS}rect")}
    assert fills == set(PALETTE[:3])


def test_line_chart_leaves_gaps_for_missing_values_and_formats_percentages():
    root = parse(
        line_chart(
            "未识别率",
            ["1", "2", "3", "4", "5"],
            {"率": [0.1, 0.2, None, 0.25, 0.3]},
            value_format=percent,
        )
    )
    assert len(list(root.iter(f"{NS}polyline"))) == 2
    assert len(list(root.iter(f"{NS}circle"))) == 4
    assert "30%" in [t.text for t in root.iter(f"{NS}title")][-1]
    assert "20%" in texts(root)  # an axis tick


def test_labels_are_escaped(tmp_path):
    charts = [
        *every_chart([EVIL, "b"], [1, 2]),
        stacked_bar_chart(EVIL, ["a"], {EVIL: [1], "x": [1]}, x_label=EVIL, y_label=EVIL),
        line_chart("t", ["a", "b"], {EVIL: [1, 2], "y": [2, 1]}),
        horizontal_bar_chart("t", [EVIL], [3], x_label=EVIL),
    ]
    for svg in charts:
        root = parse(svg)
        assert not [el for el in root.iter() if el.tag.endswith("script")]
        assert "<script>" not in svg
        everything = " ".join(texts(root) + [t.text for t in root.iter(f"{NS}title")])
        assert "<script>" in everything  # shown as text, shortened or whole


def test_control_characters_do_not_break_the_xml():
    svg = horizontal_bar_chart("条目\x00\x1b", ["坏\x01标题\ud800"], [1])
    assert "坏标题" in texts(parse(svg))


@pytest.mark.parametrize(
    "svg",
    [
        bar_chart("空", [], []),
        bar_chart("全是零", ["a", "b"], [0, 0]),
        stacked_bar_chart("空", [], {}),
        stacked_bar_chart("全是零", ["a"], {"x": [0], "y": [0]}),
        line_chart("空", ["a", "b"], {"x": [None, None]}),
        line_chart("空", [], {}),
        horizontal_bar_chart("空", [], []),
    ],
)
def test_no_data_is_a_chart_with_a_note(svg):
    root = parse(svg)
    assert "暂无数据" in texts(root)
    assert root.get("role") == "img" and "暂无数据" in root.get("aria-label")
    assert not bars(root)


def test_a_zero_rate_is_data_not_an_empty_chart():
    root = parse(line_chart("率", ["a", "b"], {"x": [0.0, 0.0]}, value_format=percent))
    assert "暂无数据" not in texts(root) and len(list(root.iter(f"{NS}circle"))) == 2


def test_many_days_get_thinned_labels_that_do_not_overlap():
    labels = [f"{m:02}-{d:02}" for m in (1, 2, 3) for d in range(1, 31)]
    root = parse(bar_chart("九十天", labels, [1] * 90))
    ticks = [t for t in root.iter(f"{NS}text") if t.text in labels]
    assert 4 <= len(ticks) <= 10
    xs = [float(t.get("x")) for t in ticks]
    assert min(b - a for a, b in itertools.pairwise(xs)) > 5 * 12 * 0.6


def test_long_entry_titles_are_shortened_but_kept_whole_in_the_tooltip():
    title = "保单贷款：不退保也能用钱，利息和还款方式详解"
    root = parse(horizontal_bar_chart("最常用", [title], [5]))
    assert any(t.endswith("…") and title.startswith(t[:-1]) for t in texts(root))
    assert f"{title}：5" in [t.text for t in root.iter(f"{NS}title")]


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        bar_chart("t", ["a", "b", "c"], [1, 2])
    with pytest.raises(ValueError, match="finite"):
        stacked_bar_chart("t", ["a"], {"x": [-1]})
    with pytest.raises(ValueError, match="finite"):
        line_chart("t", ["a"], {"x": [float("nan")]})


def test_axis_ticks_are_round():
    assert nice_ticks(1) == [0, 1]
    assert nice_ticks(9) == [0, 3, 6, 9]
    assert nice_ticks(17) == [0, 5, 10, 15, 20]
    assert nice_ticks(0.5, integer=False) == [0.0, 0.2, 0.4, 0.6]


def test_palette_contrasts_at_least_three_to_one_with_white():
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    assert len(set(PALETTE)) == len(PALETTE)
    for colour in PALETTE:
        assert 1.05 / (luminance(colour) + 0.05) >= 3, colour


def test_jinja_includes_a_chart_without_escaping_it():
    env = jinja2.Environment(autoescape=True)
    html = env.from_string("<div>{{ chart }}</div>").render(chart=bar_chart("t", ["a"], [1]))
    assert html.startswith("<div><svg ")


def test_dashboard_charts_render_an_empty_dashboard():
    d = dashboard(Database(memory=True), None, dt.date(2025, 3, 1), dt.date(2025, 3, 7))
    charts = dashboard_charts(d)
    assert set(charts) == {
        "surrenders",
        "scam_reports",
        "handoffs_by_reason",
        "handoffs_by_status",
        "fallback_rate",
        "top_entries",
    }
    for svg in charts.values():
        assert "暂无数据" in texts(parse(svg))

"""The supervisor's dashboard: the figures of :mod:`bot.console.stats` over a chosen period
and channels, drawn as server-rendered SVG charts (:mod:`bot.console.charts`) with their
Chinese labels. Days are days in the configured time zone (``TIME_ZONE``); without a period
asked for, the dashboard shows the days with data: from the first one (at most
:data:`DEFAULT_DAYS` ago) to today. Without channels asked for, it counts the chat page and
WeChat, not the REST API that tests and scripts talk to."""

from __future__ import annotations

import datetime as _dt
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from bot.channels import CHANNELS
from bot.console.charts import bar_chart, horizontal_bar_chart, line_chart, stacked_bar_chart
from bot.console.periods import DEFAULT_CHANNELS, MAX_DAYS, Scope, last_days
from bot.console.stats import Dashboard, dashboard, first_day
from bot.console.svg import PALETTE, percent
from bot.console.web import Context, page
from bot.labels import label
from bot.local_time import today as local_today
from bot.nlu_review import inbox_count

PERIODS = (7, 30, 90)
#: The longest period shown when none is asked for.
DEFAULT_DAYS = 30
#: Dates outside these years are typing mistakes (and overflow date arithmetic).
FIRST_YEAR, LAST_YEAR = 2000, 2100
#: Outcome colours: alternative green, handoff blue, left vermillion.
OUTCOME_COLORS = (PALETTE[2], PALETTE[0], PALETTE[1])


def period(
    params: dict[str, str],
    today: _dt.date | None = None,
    first: _dt.date | None = None,
) -> tuple[_dt.date, _dt.date]:
    """The period from ``?days=30`` or ``?from=…&to=…`` (days people type); without either,
    from ``first`` (the first day with data) to ``today``, at most 30 days; 30 days if
    there is no data.

    >>> import datetime
    >>> today = datetime.date(2026, 11, 22)
    >>> period({}, today=today, first=datetime.date(2026, 11, 20))
    (datetime.date(2026, 11, 20), datetime.date(2026, 11, 22))
    >>> period({}, today=today, first=datetime.date(2025, 1, 1))[0]
    datetime.date(2026, 10, 24)
    >>> period({"from": "2026-11-01", "to": "2026-11-07"})
    (datetime.date(2026, 11, 1), datetime.date(2026, 11, 7))
    >>> period({"days": "7"}, today=today)
    (datetime.date(2026, 11, 16), datetime.date(2026, 11, 22))
    >>> period({"from": "2026-11-07", "to": "2026-11-01"}, today=today)[0]
    datetime.date(2026, 10, 24)
    >>> period({"from": "9999-12-25", "to": "9999-12-31", "days": "²"}, today=today)[0]
    datetime.date(2026, 10, 24)
    """
    try:
        start = _dt.date.fromisoformat(params.get("from", ""))
        end = _dt.date.fromisoformat(params.get("to", ""))
        sane = all(FIRST_YEAR <= day.year <= LAST_YEAR for day in (start, end))
        if sane and start <= end and (end - start).days < MAX_DAYS:
            return start, end
    except ValueError:
        pass
    days = params.get("days", "")
    if days in {str(p) for p in PERIODS}:
        return last_days(int(days), today=today)
    start, end = last_days(DEFAULT_DAYS, today=today)
    return (max(start, first) if first and first <= end else start), end


def channels(chosen: list[str]) -> tuple[str, ...]:
    """The channels asked for (``?channel=web&channel=rest``), in their order; the chat page
    and WeChat when none (or none known) is.

    >>> channels([]), channels(["rest", "web", "x"])
    (('web', 'wechat'), ('web', 'rest'))
    """
    known = tuple(c for c in CHANNELS if c in chosen)
    return known or DEFAULT_CHANNELS


def dashboard_charts(figures: Dashboard, time_zone: str = "UTC") -> dict[str, Markup]:
    """The dashboard's charts by name: ``surrenders``, ``scam_reports``, ``handoffs_by_reason``,
    ``handoffs_by_status``, ``fallback_rate`` and ``top_entries``; days are named as days
    of ``time_zone`` (北京时间 for Asia/Shanghai)."""
    zone_name = label("time_zones", time_zone)
    days = [day.strftime("%m-%d") for day in figures.days]
    weeks = [week.strftime("%m-%d") for week in figures.weeks]
    overall = figures.fallback_rate
    return {
        "surrenders": stacked_bar_chart(
            "退保意向及结果（每会话每天计一次）",
            days,
            {
                label("surrender_outcomes", outcome): series
                for outcome, series in figures.surrender_outcomes_per_day.items()
            },
            x_label=f"日期（{zone_name}）",
            y_label="会话数",
            colors=OUTCOME_COLORS,
        ),
        "scam_reports": stacked_bar_chart(
            "代理退保与诈骗举报（每周）",
            weeks,
            {
                label("scam_reports", intent): series
                for intent, series in figures.scam_reports_per_week.items()
            },
            x_label=f"周（周一起，{zone_name}）",
            y_label="会话数",
        ),
        "handoffs_by_reason": horizontal_bar_chart(
            "转人工原因",
            [label("handoff_reasons", reason) for reason in figures.handoffs_by_reason],
            list(figures.handoffs_by_reason.values()),
            x_label="转人工次数",
        ),
        "handoffs_by_status": bar_chart(
            "转人工处理状态",
            [label("handoff_status", status) for status in figures.handoffs_by_status],
            list(figures.handoffs_by_status.values()),
            y_label="转人工次数",
        ),
        "fallback_rate": line_chart(
            "未能识别的消息比例" + (f"（整体 {percent(overall)}）" if overall is not None else ""),
            days,
            {"未识别率": figures.fallback_rate_per_day},
            x_label=f"日期（{zone_name}）",
            y_label="占用户消息",
            value_format=percent,
        ),
        "top_entries": horizontal_bar_chart(
            "最常用的知识条目（前 10）",
            [entry.title or entry.entry_id for entry in figures.top_entries],
            [entry.served for entry in figures.top_entries],
            x_label="回答次数",
            color=PALETTE[2],
            label_width=220,
            wrapped=True,
        ),
    }


@page("dashboard")
def dashboard_page(request: Request, ctx: Context) -> Response:
    tracker = ctx.backend.tracker_db()
    scope = Scope(ctx.zone, channels(request.query_params.getlist("channel")))
    params = dict(request.query_params)
    asked = "days" in params or ("from" in params and "to" in params)
    first = None if asked else first_day(ctx.backend.db, tracker, scope)
    start, end = period(params, local_today(ctx.zone), first)
    figures = dashboard(ctx.backend.db, tracker, start, end, scope)
    # Users' messages not yet reviewed, all time (the review inbox's default list).
    awaiting = inbox_count(tracker, ctx.backend.reviews) if ctx.user.can("review") else None
    return ctx.render(
        "dashboard.html",
        figures=figures,
        awaiting_review=awaiting,
        charts=dashboard_charts(figures, ctx.time_zone),
        periods=PERIODS,
        channels=CHANNELS,
        channel_query=urlencode([("channel", c) for c in scope.channels]),
    )

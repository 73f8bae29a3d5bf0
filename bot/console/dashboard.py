"""The supervisor's dashboard: server-rendered SVG charts over a chosen period."""

from __future__ import annotations

import datetime as _dt

from starlette.requests import Request
from starlette.responses import Response

from bot.console.charts import dashboard_charts
from bot.console.stats import dashboard, last_days
from bot.console.web import Context, page

PERIODS = (7, 30, 90)
MAX_DAYS = 366
#: Dates outside these years are typing mistakes (and overflow date arithmetic).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def period(params: dict[str, str], today: _dt.date | None = None) -> tuple[_dt.date, _dt.date]:
    """The period from ``?days=30`` or ``?from=…&to=…`` (UTC days); 30 days if unclear.

    >>> period({"from": "2026-11-01", "to": "2026-11-07"})
    (datetime.date(2026, 11, 1), datetime.date(2026, 11, 7))
    >>> period({"days": "7"}, today=datetime.date(2026, 11, 22))
    (datetime.date(2026, 11, 16), datetime.date(2026, 11, 22))
    >>> period({"from": "2026-11-07", "to": "2026-11-01"}, today=datetime.date(2026, 11, 22))[0]
    datetime.date(2026, 10, 24)
    >>> today = datetime.date(2026, 11, 22)
    >>> period({"from": "9999-12-25", "to": "9999-12-31", "days": "²"}, today=today)[0]
    datetime.date(2026, 10, 24)
    """
    try:
        start = _dt.date.fromisoformat(params.get("from", ""))
        end = _dt.date.fromisoformat(params.get("to", ""))
        sane = all(FIRST_YEAR <= d.year <= LAST_YEAR for d in (start, end))
        if sane and start <= end and (end - start).days < MAX_DAYS:
            return start, end
    except ValueError:
        pass
    days = params.get("days", "")
    n = int(days) if days in {str(p) for p in PERIODS} else 30
    return last_days(n, today=today)


@page("dashboard")
async def dashboard_page(request: Request, ctx: Context) -> Response:
    start, end = period(dict(request.query_params))
    data = dashboard(ctx.backend.db, ctx.backend.tracker_db(), start, end)
    return ctx.render(
        "dashboard.html",
        d=data,
        charts=dashboard_charts(data),
        periods=PERIODS,
        days=request.query_params.get("days", ""),
    )

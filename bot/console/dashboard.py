"""The supervisor's dashboard: charts over a chosen period (placeholder until charts land)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bot.console.web import Context, page


@page("dashboard")
async def dashboard_page(request: Request, ctx: Context) -> Response:
    return ctx.render("error.html", status=200, message="")

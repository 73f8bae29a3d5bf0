"""The supervisor's 质检 panel: the rules of :mod:`bot.inspection` over what agents and the
bot said in a period (:mod:`bot.quality`), counted per rule, per author and per
conversation, then each finding, newest first.

Filters come from the query string; a value that makes no sense is ignored, not an error:

    >>> import datetime
    >>> today = datetime.date(2026, 11, 22)
    >>> filter_from_query({}, today)
    QualityFilter(date_from='2026-10-24', date_to='2026-11-22', author='', rule='')
    >>> filter_from_query({"date_from": "2026-11-01", "author": "lin", "rule": "x"}, today)
    QualityFilter(date_from='2026-11-01', date_to='2026-11-22', author='lin', rule='')
    >>> filter_from_query({"date_to": "9999-12-31", "author": "<b>"}, today).date_to
    '2026-11-22'
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from bot.console.dashboard import FIRST_YEAR, LAST_YEAR
from bot.console.web import Context, page
from bot.db import iso_date
from bot.inspection import RULES
from bot.local_time import today as local_today
from bot.quality import BOT, DEFAULT_DAYS, MAX_ROWS, stored_flags, summarise

#: An author as stored: an account name (bot/accounts.py) or the bot.
_AUTHOR = re.compile(r"[A-Za-z0-9_.\-]{2,32}")
#: Findings listed at most, newest first (the counts above cover all of them).
SHOWN = 500


@dataclass(frozen=True)
class QualityFilter:
    date_from: str  # YYYY-MM-DD, inclusive, a day in the configured time zone
    date_to: str
    author: str = ""  # an agent's name or BOT; empty for everyone
    rule: str = ""


def _day(value: str) -> _dt.date | None:
    value = iso_date(value or "")
    day = _dt.date.fromisoformat(value) if value else None
    return day if day and FIRST_YEAR <= day.year <= LAST_YEAR else None


def filter_from_query(params: dict[str, str], today: _dt.date | None = None) -> QualityFilter:
    """The panel's filter: the last 30 days (to ``today``, in the configured time zone)
    unless dates are given; ``date_to`` alone means the 30 days up to it."""
    end = _day(params.get("date_to", "")) or today or _dt.datetime.now(_dt.timezone.utc).date()
    start = _day(params.get("date_from", "")) or end - _dt.timedelta(days=DEFAULT_DAYS - 1)
    author = params.get("author", "")
    rule = params.get("rule", "")
    return QualityFilter(
        start.isoformat(),
        end.isoformat(),
        author if author == BOT or _AUTHOR.fullmatch(author) else "",
        rule if rule in RULES else "",
    )


@page("inspection")
def inspection_page(request: Request, ctx: Context) -> Response:
    filters = filter_from_query(dict(request.query_params), local_today(ctx.zone))
    tracker_db = ctx.backend.tracker_db()
    flags, handoffs, truncated = stored_flags(
        ctx.backend.db,
        tracker_db,
        _dt.date.fromisoformat(filters.date_from),
        _dt.date.fromisoformat(filters.date_to),
        tz=ctx.zone,
    )
    seen = {f.who for f in flags} | ({filters.author} - {""})
    authors = sorted(seen, key=lambda a: (a != BOT, a))  # the bot first
    shown = [f for f in flags if filters.author in ("", f.who) and filters.rule in ("", f.rule)]
    return ctx.render(
        "inspection.html",
        filters=filters,
        summary=summarise(shown, handoffs),
        flags=shown[:SHOWN],
        total=len(shown),
        shown_max=SHOWN,
        authors=authors,
        rules=RULES,
        bot=BOT,
        truncated=truncated,
        max_rows=MAX_ROWS,
        tracker_available=tracker_db is not None,
    )

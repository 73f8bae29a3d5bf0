"""The review inbox page: users' messages the bot was least sure of, for staff to confirm,
correct or set aside (:mod:`bot.nlu_review`); ``python -m bot nlu export-reviewed`` turns the
decisions into training data.

    >>> filter_query(filter_from_query({"state": "done", "channel": "web", "x": "1"}), page=2)
    'state=done&channel=web&page=2'
    >>> filter_from_query({"state": "nonsense", "date_from": "2026-13-01"})
    InboxFilter(channel='', date_from='', date_to='', intent='', state='pending')
"""

from __future__ import annotations

import sqlite3
from urllib.parse import parse_qsl, urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.console.queue import page_number
from bot.console.web import BUSY_CHANGE, DIGITS, Context, flash, page, path_for
from bot.db import is_busy
from bot.labels import label
from bot.nlu_review import (
    PAGE_SIZE,
    PENDING,
    STATES,
    InboxFilter,
    ReviewRefused,
    choices,
    inbox,
    inbox_count,
    iso_date,
    message,
    trainable_intents,
)


def filter_from_query(params: dict[str, str], time_zone: str = "UTC") -> InboxFilter:
    """The inbox filter from the query string; unknown values are ignored, not errors.
    Dates are days in ``time_zone``."""
    state = params.get("state", "")
    return InboxFilter(
        channel=params.get("channel", "")[:64],
        date_from=iso_date(params.get("date_from", "")),
        date_to=iso_date(params.get("date_to", "")),
        intent=params.get("intent", "")[:64],
        state=state if state in STATES else PENDING,
        time_zone=time_zone,
    )


def filter_query(filters: InboxFilter, **extra: object) -> str:
    """The query string that asks for ``filters`` again (and ``extra``, a page say)."""
    params = {
        "state": "" if filters.state == PENDING else filters.state,
        "channel": filters.channel,
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "intent": filters.intent,
        **{k: str(v) for k, v in extra.items()},
    }
    return urlencode({k: v for k, v in params.items() if v})


def intents(request: Request) -> dict[str, str]:
    """The intents a reviewer may choose, by their Chinese labels."""
    return trainable_intents(request.app.state.settings.domain_path)


@page("review")
def review_page(request: Request, ctx: Context) -> Response:
    """The inbox: fallbacks first, then the lowest confidence; 50 a page."""
    filters = filter_from_query(dict(request.query_params), ctx.time_zone)
    tracker = ctx.backend.tracker_db()
    store = ctx.backend.reviews
    total = inbox_count(tracker, store, filters)
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(page_number(request.query_params.get("page")), pages)
    channels, predicted = choices(tracker)
    return ctx.render(
        "review.html",
        messages=inbox(tracker, store, filters, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE),
        total=total,
        page=number,
        pages=pages,
        page_query={n: filter_query(filters, page=n) for n in (number - 1, number + 1)},
        filters=filters,
        query=filter_query(filters, page=number) if number > 1 else filter_query(filters),
        states=STATES,
        channels=channels,
        predicted=predicted,
        intent_names=intents(request),
        tracker_available=tracker is not None,
    )


@page("review")
def review_decide(request: Request, ctx: Context) -> Response:
    """One decision on one message: ``confirmed``, ``corrected`` (with ``intent``) or
    ``not_useful``. The message's text and prediction are read from the tracker, never
    from the form."""
    form = ctx.form
    raw_id = str(form.get("event_id") or "")
    found = message(ctx.backend.tracker_db(), int(raw_id)) if DIGITS.fullmatch(raw_id) else None
    if found is None:
        raise HTTPException(404, label("review", "not_found"))
    decision = str(form.get("decision") or "")
    try:
        ctx.backend.reviews.decide(
            found,
            decision,
            by=ctx.user.name,
            intents=intents(request),
            intent=str(form.get("intent") or "") if decision == "corrected" else "",
        )
    except ReviewRefused as exc:
        flash(request, label("review", f"refused_{exc.code}"), "error")
    except sqlite3.OperationalError as exc:
        if not is_busy(exc):
            raise
        flash(request, BUSY_CHANGE, "error")
    else:
        flash(request, label("review", f"saved_{decision}"))
    # Back to the same filters and page, rebuilt from what they mean (never a URL as sent).
    back = dict(parse_qsl(str(form.get("back") or "")))
    number = back.get("page", "")
    query = filter_query(
        filter_from_query(back), **({"page": number} if DIGITS.fullmatch(number) else {})
    )
    target = path_for(request, "review") + (f"?{query}" if query else "")
    return RedirectResponse(target, status_code=303)

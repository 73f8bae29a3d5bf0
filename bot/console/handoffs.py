"""Handoff review for the supervisor: the queue, one transcript, notes, tags, outcome,
status, and a CSV export of the filtered queue.

Cells that a spreadsheet would run as a formula are defused in the CSV:

    >>> csv_cell("=HYPERLINK(1)"), csv_cell("退保")
    ("'=HYPERLINK(1)", '退保')
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.console.web import Context, flash, int_param, page
from bot.handoff import (
    OUTCOMES,
    REASON_LABELS,
    RISK_LEVELS,
    STATUS_LABELS,
    STATUSES,
    Handoff,
    HandoffFilter,
    conversation_events,
    transcript_from_events,
)
from bot.screening import FLAG_LABELS

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
RISK_LABELS = {"high": "高", "medium": "中", "low": "低"}


def _date(value: str) -> str:
    if not _DATE.match(value):
        return ""
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return ""
    return value


def filter_from_query(params: dict[str, str]) -> HandoffFilter:
    """The queue filter from the query string; unknown values are ignored, not errors."""
    status = params.get("status", "")
    risk = params.get("risk_level", "")
    return HandoffFilter(
        status=status if status in STATUSES else "",
        reason=params.get("reason", "")[:64],
        flag=params.get("flag", "")[:64],
        channel=params.get("channel", "")[:64],
        risk_level=risk if risk in RISK_LEVELS else "",
        date_from=_date(params.get("date_from", "")),
        date_to=_date(params.get("date_to", "")),
        text=params.get("q", "").strip()[:100],
    )


def _handoff(ctx: Context, request: Request) -> Handoff:
    try:
        return ctx.backend.handoffs.get(int_param(request, "handoff_id"))
    except LookupError:
        raise HTTPException(404, "找不到这条转人工记录") from None


@page("handoffs")
async def handoff_list(request: Request, ctx: Context) -> Response:
    f = filter_from_query(dict(request.query_params))
    store = ctx.backend.handoffs
    return ctx.render(
        "handoffs.html",
        handoffs=store.search(f),
        f=f,
        query=request.url.query,
        statuses=STATUS_LABELS,
        risks=RISK_LABELS,
        reasons=store.reasons(),
        reason_labels=REASON_LABELS,
        channels=store.channels(),
        flags=FLAG_LABELS,
        outcomes=OUTCOMES,
    )


def csv_cell(value: object) -> str:
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@page("handoffs")
async def handoff_csv(request: Request, ctx: Context) -> Response:
    f = filter_from_query(dict(request.query_params))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["id", "created_at", "risk", "reason", "flags", "channel", "status", "outcome", "tags"]
    )
    for h in ctx.backend.handoffs.search(f, limit=100_000):
        row = [
            h.id,
            h.created_at,
            RISK_LABELS.get(h.risk_level, h.risk_level),
            REASON_LABELS.get(h.reason, h.reason),
            " ".join(FLAG_LABELS.get(x, x) for x in h.flags),
            h.channel,
            h.status_label,
            h.outcome_label,
            " ".join(h.tags),
        ]
        writer.writerow([csv_cell(v) for v in row])
    name = f"handoffs-{_dt.date.today().isoformat()}.csv"
    return Response(
        "\ufeff" + out.getvalue(),  # a BOM so spreadsheet programs read the Chinese right
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@page("handoffs")
async def handoff_view(request: Request, ctx: Context) -> Response:
    h = _handoff(ctx, request)
    store = ctx.backend.handoffs
    # The whole conversation, including what came after the handoff, when Rasa's store has
    # it; otherwise the transcript saved with the handoff.
    events = conversation_events(ctx.backend.tracker_db(), h.conversation_id)
    transcript = transcript_from_events(events) if events else h.transcript
    return ctx.render(
        "handoff.html",
        h=h,
        transcript=transcript,
        live=bool(events),
        notes=store.notes(h.id),
        log=store.log(h.id),
        statuses=STATUS_LABELS,
        risks=RISK_LABELS,
        reason_labels=REASON_LABELS,
        flags=FLAG_LABELS,
        outcomes=OUTCOMES,
    )


@page("handoffs")
async def handoff_update(request: Request, ctx: Context) -> Response:
    """One form posts a note, tags, an outcome or a status; each is logged."""
    h = _handoff(ctx, request)
    form = await ctx.form()
    store, by = ctx.backend.handoffs, ctx.user.name
    what = str(form.get("what") or "")
    try:
        if what == "note":
            store.add_note(h.id, str(form.get("note") or ""), by=by)
            flash(request, "备注已保存。")
        elif what == "tags":
            store.set_tags(h.id, re.split(r"[,，、\s]+", str(form.get("tags") or "")), by=by)
            flash(request, "标签已保存。")
        elif what == "outcome":
            store.set_outcome(h.id, str(form.get("outcome") or ""), by=by)
            flash(request, "结果已保存。")
        elif what == "status":
            store.set_status(h.id, str(form.get("status") or ""), by=by)
            flash(request, "状态已更新。")
        else:
            raise HTTPException(400, "不知道要改什么")
    except ValueError as exc:
        flash(request, _message(str(exc)), "error")
    return RedirectResponse(request.url_for("handoff_view", handoff_id=h.id), status_code=303)


def _message(error: str) -> str:
    if "note" in error:
        return "备注不能为空，最多 2000 字。"
    if "tags" in error:
        return "标签最多 10 个，每个最多 20 字。"
    if "another open handoff" in error:
        return "这个对话已经有一条新的转人工记录，请在那一条上处理。"
    return "这个选项无效，请重新选择。"

"""Handoff review for the supervisor: the queue, one transcript, notes, tags, outcome,
status, and a CSV export of the filtered queue.

Cells that a spreadsheet would run as a formula are defused in the CSV:

    >>> csv_cell("=HYPERLINK(1)"), csv_cell("退保")
    ("'=HYPERLINK(1)", '退保')
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import sqlite3
from urllib.parse import urlencode

from sqlite_utils import Database
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.console.queue import PAGE_SIZE, page_number, queue_rows, waiting_counts
from bot.console.stats import entry_titles
from bot.console.web import BUSY_CHANGE, BUSY_FORM, Context, flash, fmt_time, int_param, page
from bot.db import is_busy, iso_date
from bot.handoff import (
    MAX_NOTE,
    MAX_TAG,
    MAX_TAGS,
    OPEN,
    RISK_LEVELS,
    STATUSES,
    Handoff,
    HandoffFilter,
    HandoffStore,
    ReviewError,
)
from bot.labels import label
from bot.live import MAX_CHARS as MAX_REPLY
from bot.live import holder
from bot.local_time import today as local_today
from bot.privacy import redact
from bot.transcript import (
    clicked_entry_ids,
    conversation_events,
    readable_transcript,
    transcript_from_events,
)

log = logging.getLogger(__name__)


#: The ``status`` in the query string that shows every handoff, resolved ones included;
#: without a status (or with an unknown one) the queue shows the open ones.
ALL = "all"


def filter_from_query(params: dict[str, str], time_zone: str = "UTC") -> HandoffFilter:
    """The queue filter from the query string; unknown values are ignored, not errors.

    >>> filter_from_query({}).status, filter_from_query({"status": "all"}).status
    ('open', '')
    >>> filter_from_query({"status": "resolved"}).status, filter_from_query({"status": "x"}).status
    ('resolved', 'open')
    """
    status = params.get("status", "")
    risk = params.get("risk_level", "")
    return HandoffFilter(
        status="" if status == ALL else status if status in STATUSES else OPEN,
        reason=params.get("reason", "")[:64],
        flag=params.get("flag", "")[:64],
        channel=params.get("channel", "")[:64],
        risk_level=risk if risk in RISK_LEVELS else "",
        date_from=iso_date(params.get("date_from", "")),
        date_to=iso_date(params.get("date_to", "")),
        text=params.get("q", "").strip()[:100],
        time_zone=time_zone,
    )


def filter_query(filters: HandoffFilter, **extra: object) -> str:
    """The query string that asks for ``filters`` again (and ``extra``, a page say).

    >>> filter_query(HandoffFilter(status="", text="退保"), page=2)
    'status=all&q=%E9%80%80%E4%BF%9D&page=2'
    >>> filter_query(filter_from_query({}))
    ''
    """
    params = {
        "status": ALL if not filters.status else "" if filters.status == OPEN else filters.status,
        "risk_level": filters.risk_level,
        "reason": filters.reason,
        "flag": filters.flag,
        "channel": filters.channel,
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "q": filters.text,
        **{k: str(v) for k, v in extra.items()},
    }
    return urlencode({k: v for k, v in params.items() if v})


def handoff_or_404(ctx: Context, request: Request) -> Handoff:
    try:
        return ctx.backend.handoffs.get(int_param(request, "handoff_id"))
    except LookupError:
        raise HTTPException(404, "找不到这条转人工记录") from None


@page("handoffs")
def handoff_list(request: Request, ctx: Context) -> Response:
    """The queue: open handoffs first (unless a status is chosen), highest risk and longest
    wait first, :data:`~bot.console.queue.PAGE_SIZE` a page, with how long each has waited,
    the latest user message and who holds the conversation."""
    filters = filter_from_query(dict(request.query_params), ctx.time_zone)
    store = ctx.backend.handoffs
    total = store.count(filters)
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(page_number(request.query_params.get("page")), pages)
    handoffs = store.search(filters, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    return ctx.render(
        "handoffs.html",
        rows=queue_rows(store.db, ctx.backend.tracker_db(), handoffs),
        total=total,
        page=number,
        pages=pages,
        page_query={n: filter_query(filters, page=n) for n in (number - 1, number + 1)},
        filters=filters,
        query=filter_query(filters),
        counts=waiting_counts(store.db),
        all_status=ALL,
        reasons=store.reasons(),
        channels=store.channels(),
    )


def csv_cell(value: object) -> str:
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


#: The export's columns, as the spreadsheet's first row says them.
CSV_HEADERS = (
    "编号",
    "开始时间",
    "更新时间",
    "风险",
    "原因",
    "标记",
    "渠道",
    "状态",
    "结果",
    "标签",
    "备注",
)


def notes_by_handoff(db: Database, handoff_ids: list[int]) -> dict[int, list[dict]]:
    """Every note of the handoffs ``handoff_ids``, oldest first, in one query."""
    if not handoff_ids or not db["handoff_notes"].exists():
        return {}
    found: dict[int, list[dict]] = {}
    sql = (
        "SELECT handoff_id, at, by, text FROM handoff_notes"
        " WHERE handoff_id IN (SELECT value FROM json_each(?)) ORDER BY id"
    )
    for row in db.query(sql, [json.dumps(handoff_ids)]):
        found.setdefault(row["handoff_id"], []).append(row)
    return found


@page("handoffs")
def handoff_csv(request: Request, ctx: Context) -> Response:
    """The filtered queue as a spreadsheet: Chinese headers, times in the configured zone,
    the outcome and every note (redacted, as they are stored), a BOM for Excel."""
    filters = filter_from_query(dict(request.query_params), ctx.time_zone)
    handoffs = ctx.backend.handoffs.search(filters, limit=100_000)
    notes = notes_by_handoff(ctx.backend.db, [h.id for h in handoffs])
    zone_name = label("time_zones", ctx.time_zone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [f"{name}（{zone_name}）" if name.endswith("时间") else name for name in CSV_HEADERS]
    )
    for handoff in handoffs:
        written = "\n".join(
            f"{fmt_time(n['at'], ctx.zone)} {n['by']}：{redact(n['text'] or '').text}"
            for n in notes.get(handoff.id, [])
        )
        row = [
            handoff.id,
            fmt_time(handoff.created_at, ctx.zone),
            fmt_time(handoff.updated_at, ctx.zone),
            label("risk_levels", handoff.risk_level),
            label("handoff_reasons", handoff.reason),
            " ".join(label("flags", flag) for flag in handoff.flags),
            label("channels", handoff.channel),
            handoff.status_label,
            handoff.outcome_label,
            " ".join(handoff.tags),
            written,
        ]
        writer.writerow([csv_cell(v) for v in row])
    name = f"handoffs-{local_today(ctx.zone).isoformat()}.csv"
    return Response(
        "\ufeff" + out.getvalue(),  # a BOM so spreadsheet programs read the Chinese right
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@page("handoffs")
def handoff_view(request: Request, ctx: Context) -> Response:
    return review_page(ctx, handoff_or_404(ctx, request))


def shown_transcript(ctx: Context, handoff: Handoff) -> tuple[list[dict], bool]:
    """The handoff's conversation as people read it (button presses by their titles), and
    whether it is the whole conversation: including what came after the handoff, when
    Rasa's store has it; otherwise the transcript saved with the handoff. Redacting a long
    one takes a while: pages run in a worker thread."""
    events = conversation_events(ctx.backend.tracker_db(), handoff.conversation_id)
    turns = transcript_from_events(events) if events else handoff.transcript
    titles = entry_titles(ctx.backend.db, clicked_entry_ids(turns))
    return readable_transcript(turns, titles), bool(events)


def review_page(
    ctx: Context,
    handoff: Handoff,
    status_code: int = 200,
    busy: str = "",
    draft: dict[str, str] | None = None,
    findings: list | None = None,
) -> Response:
    """One handoff with its transcript, the live desk (for those who may answer) and the
    review forms; ``draft`` holds text typed into a form that could not be saved (``note``,
    ``tags``, ``reply``), shown again; ``findings`` are the 质检 findings of that reply."""
    store = ctx.backend.handoffs
    transcript, live = shown_transcript(ctx, handoff)
    can_answer = ctx.user.can("live") and handoff.status != "resolved"
    return ctx.render(
        "handoff.html",
        status_code,
        handoff=handoff,
        transcript=transcript,
        live=live,
        notes=store.notes(handoff.id),
        log=store.log(handoff.id),
        max_note=MAX_NOTE,
        draft=draft or {},
        busy=busy,
        can_answer=can_answer,
        holder=holder(ctx.backend.db, handoff.conversation_id),
        findings=findings or [],
        quick_replies=ctx.backend.kb.list(status="published") if can_answer else [],
        max_reply=MAX_REPLY,
    )


def _split_tags(text: str) -> list[str]:
    return re.split(r"[,，、\s]+", text)


#: What the review form changes (its ``what`` field, also the name of the field holding
#: the new value): the store's method, how to read the value, and what to say when done.
CHANGES = {
    "note": (HandoffStore.add_note, str, "备注已保存。"),
    "tags": (HandoffStore.set_tags, _split_tags, "标签已保存。"),
    "outcome": (HandoffStore.set_outcome, str, "结果已保存。"),
    "status": (HandoffStore.set_status, str, "状态已更新。"),
}
#: What a reviewer is told when the store refuses a change, by :class:`ReviewError` code.
REFUSED = {
    "note": f"备注不能为空，最多 {MAX_NOTE} 字。",
    "tags": f"标签最多 {MAX_TAGS} 个，每个最多 {MAX_TAG} 字。",
    "open_elsewhere": "这个对话已经有一条新的转人工记录，请在那一条上处理。",
    "choice": "这个选项无效，请重新选择。",
    "held": "这个对话正在人工接待中。请点「结束并交还给助手」，记录会自动标为已处理。",
}


@page("handoffs")
def handoff_update(request: Request, ctx: Context) -> Response:
    """One form posts a note, tags, an outcome or a status; each is logged."""
    handoff = handoff_or_404(ctx, request)
    form = ctx.form
    what = str(form.get("what") or "")
    if what not in CHANGES:
        raise HTTPException(400, "不知道要改什么")
    change, read, done = CHANGES[what]
    value = str(form.get(what) or "")
    resolving = what == "status" and value == "resolved"
    if resolving and holder(ctx.backend.db, handoff.conversation_id):
        # Resolving it here would leave the bot paused: the live desk's close hands it back.
        flash(request, REFUSED["held"], "error")
        return ctx.redirect("handoff_view", handoff_id=handoff.id)
    try:
        change(ctx.backend.handoffs, handoff.id, read(value), by=ctx.user.name)
    except ReviewError as exc:
        flash(request, REFUSED[exc.code], "error")
    except sqlite3.OperationalError as exc:
        if not is_busy(exc):
            raise
        # The page again, with what was typed still in its box.
        if what in ("note", "tags"):
            return review_page(ctx, handoff, 503, BUSY_FORM, {what: value})
        return review_page(ctx, handoff, 503, BUSY_CHANGE)
    else:
        flash(request, done)
        if resolving:
            end_waiting(ctx, handoff.conversation_id)
    return ctx.redirect("handoff_view", handoff_id=handoff.id)


def end_waiting(ctx: Context, conversation_id: str) -> None:
    """A handoff resolved from the review form: the bot stops telling the user they are
    waiting. Best effort: the resolution stands if Rasa cannot be told now."""
    from bot.console.live import desk
    from bot.live import LiveError

    try:
        desk(ctx).conversations.end_handoff(conversation_id)
    except LiveError as exc:
        log.warning("console: could not end the waiting of a resolved handoff (%s)", exc.code)

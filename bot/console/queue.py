"""The handoff queue as agents work it: how long each handoff has waited, the latest thing
the policyholder said, who holds the conversation, pages of :data:`PAGE_SIZE`, and the
counts the queue page polls (``/console/api/queue``).

How long a handoff has waited, in plain words:

    >>> import datetime as dt
    >>> now = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.timezone.utc)
    >>> ago = lambda **kw: (now - dt.timedelta(**kw)).isoformat()
    >>> [waiting_time(ago(**kw), now) for kw in ({"seconds": 30}, {"minutes": 3},
    ...     {"hours": 2, "minutes": 5}, {"hours": 2}, {"days": 1}, {"days": 3, "hours": 4})]
    ['不到 1 分钟', '3 分钟', '2 小时 5 分', '2 小时', '1 天', '3 天 4 小时']

A preview is redacted first, then cut:

    >>> preview("我的电话是13812345678，那个人说交5000元手续费就能全额退保，还说不用去保险公司办")
    '我的电话是[手机号]，那个人说交5000元手续费就能全额退保，还说不用去保险公…'
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.console.web import DIGITS, Context, page
from bot.handoff import Handoff
from bot.labels import label
from bot.live import waiting_sql
from bot.privacy import redact
from bot.transcript import click_title

log = logging.getLogger(__name__)
#: Handoffs on one page of the queue.
PAGE_SIZE = 50
#: Characters of the latest message shown in the queue.
PREVIEW_CHARS = 40
#: Every page of the queue and every poll look up at most this many conversations at once.
_CHUNK = 500


def waiting_time(created_at: str, now: _dt.datetime) -> str:
    """How long ago ``created_at`` (our ISO UTC time) was, in minutes, hours and days."""
    try:
        since = _dt.datetime.fromisoformat(created_at)
    except ValueError:
        return ""
    if since.tzinfo is None:
        since = since.replace(tzinfo=_dt.timezone.utc)
    minutes = max(int((now - since).total_seconds() // 60), 0)
    hours, days = minutes // 60, minutes // (24 * 60)
    if minutes < 1:
        return label("queue", "under_a_minute")
    if hours < 1:
        return label("queue", "minutes").format(minutes=minutes)
    if days < 1:
        rest = minutes % 60
        key = "hours_minutes" if rest else "hours"
        return label("queue", key).format(hours=hours, minutes=rest)
    rest = hours % 24
    return label("queue", "days_hours" if rest else "days").format(days=days, hours=rest)


def preview(text: str | None, limit: int = PREVIEW_CHARS) -> str:
    """``text`` redacted, on one line, cut to ``limit`` characters with 「…」."""
    plain = re.sub(r"\s+", " ", redact(text or "").text).strip()
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"


def page_number(raw: str | None) -> int:
    """The page asked for in ``?page=``: a positive number, anything else is page 1.

    >>> page_number("3"), page_number("0"), page_number("-2"), page_number("x"), page_number(None)
    (3, 1, 1, 1, 1)
    """
    if raw is None or not DIGITS.fullmatch(raw):
        return 1
    return max(int(raw), 1)


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def latest_user_messages(tracker_db: Database | None, conversation_ids: Sequence[str]):
    """The text of each conversation's latest user message in Rasa's tracker store (as
    stored: redact it before showing it). Missing conversations are left out; a store that
    is missing, busy or unreadable gives ``{}``, and the saved transcripts are used."""
    found: dict[str, str] = {}
    if tracker_db is None or not conversation_ids:
        return found
    try:
        if not tracker_db["events"].exists():
            return found
        for chunk in _chunks(list(dict.fromkeys(conversation_ids))):
            marks = ", ".join("?" * len(chunk))
            rows = tracker_db.execute(
                "SELECT e.sender_id, e.data FROM events e JOIN (SELECT MAX(id) AS id FROM "
                f"events WHERE type_name = 'user' AND sender_id IN ({marks}) GROUP BY "
                "sender_id) latest ON e.id = latest.id",
                list(chunk),
            )
            for sender, data in rows:
                try:
                    text = json.loads(data).get("text")
                except (TypeError, ValueError, AttributeError):
                    continue
                if isinstance(text, str) and text.strip():
                    found[sender] = text
    except sqlite3.Error as exc:
        log.warning("queue: the tracker store could not be read (%s)", type(exc).__name__)
        return {}
    return found


def holders(db: Database, conversation_ids: Sequence[str]) -> dict[str, str]:
    """The agent holding each conversation that someone holds (bot/live.py's holds)."""
    if not conversation_ids or not db["conversation_holds"].exists():
        return {}
    found: dict[str, str] = {}
    for chunk in _chunks(list(dict.fromkeys(conversation_ids))):
        marks = ", ".join("?" * len(chunk))
        sql = (
            "SELECT conversation_id, agent FROM conversation_holds "
            f"WHERE conversation_id IN ({marks})"
        )
        found.update(dict(db.execute(sql, list(chunk)).fetchall()))
    return found


def _last_user_turn(handoff: Handoff) -> str:
    for turn in reversed(handoff.transcript):
        if turn.get("role") == "user" and str(turn.get("text") or "").strip():
            return str(turn["text"])
    return ""


@dataclass(frozen=True)
class QueueRow:
    """One handoff as the queue shows it."""

    handoff: Handoff
    #: How long it has waited; ``""`` once resolved.
    waiting: str
    #: The latest user message, redacted and cut (``""`` when there is none).
    preview: str
    #: The agent holding the conversation, if one is (only for open handoffs).
    assignee: str | None


def queue_rows(
    db: Database,
    tracker_db: Database | None,
    handoffs: Sequence[Handoff],
    now: _dt.datetime | None = None,
) -> list[QueueRow]:
    """The queue's rows for ``handoffs`` (one page), with two lookups for the whole page."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    ids = [h.conversation_id for h in handoffs]
    latest = latest_user_messages(tracker_db, ids)
    held = holders(db, [h.conversation_id for h in handoffs if h.status != "resolved"])
    rows = []
    for handoff in handoffs:
        done = handoff.status == "resolved"
        text = latest.get(handoff.conversation_id) or _last_user_turn(handoff)
        title = click_title(text)  # a button press, by what the button said
        if title is not None:
            text = f"{label('transcript_words', 'clicked')}「{title}」"
        rows.append(
            QueueRow(
                handoff=handoff,
                waiting="" if done else waiting_time(handoff.created_at, now),
                preview=preview(text),
                assignee=None if done else held.get(handoff.conversation_id),
            )
        )
    return rows


def waiting_counts(db: Database) -> dict[str, Any]:
    """Open handoffs no agent holds: how many, how many of them high risk, and the id of the
    newest high-risk one (``None`` when there is none)."""
    if not db["handoffs"].exists():
        return {"waiting": 0, "high_risk_waiting": 0, "newest_high_risk_id": None}
    count, high, newest = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(risk_level = 'high'), 0), "
        f"MAX(CASE WHEN risk_level = 'high' THEN id END) FROM handoffs WHERE {waiting_sql(db)}"
    ).fetchone()
    return {"waiting": count, "high_risk_waiting": high, "newest_high_risk_id": newest}


@page("handoffs")
def queue_api(request: Request, ctx: Context) -> Response:
    """The waiting counts as JSON, for the queue page's title and its new-high-risk alert."""
    return JSONResponse(waiting_counts(ctx.backend.handoffs.db))

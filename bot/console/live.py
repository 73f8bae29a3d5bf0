"""Answering in the conversation from the console: the agent's reply box, 质检 before
sending, take / release / close, and the transcript the page refreshes while it is open.

The same library calls as ``python -m bot handoffs reply`` (:class:`bot.live.LiveDesk`).
A reply that breaks a 质检 rule comes back to the agent with the findings and the text kept;
sending it anyway takes a second, explicit confirmation, which is recorded.
"""

from __future__ import annotations

import logging
import sqlite3

import anyio.from_thread
from starlette.requests import Request
from starlette.responses import Response

from bot.console.handoffs import handoff_or_404, review_page, shown_transcript
from bot.console.web import BUSY_CHANGE, BUSY_FORM, Context, flash, page
from bot.db import is_busy
from bot.labels import label
from bot.live import InspectionFailed, LiveDesk, LiveError
from bot.wechat.delivery import WeChatDelivery, not_configured
from bot.wechat.endpoint import open_wechat
from bot.wechat.state import WeChatState

log = logging.getLogger(__name__)
#: What the take / release / close form may ask, and what the agent is told when done.
ACTIONS = {
    "take": (LiveDesk.take, "taken"),
    "release": (LiveDesk.release, "released"),
    "close": (LiveDesk.close, "closed"),
}


def desk(ctx: Context) -> LiveDesk:
    conversations = ctx.request.app.state.conversations
    if callable(conversations):  # the default, made on first use (bot/console/app.py)
        conversations = conversations()
    return LiveDesk(ctx.backend.db, conversations, wechat_delivery(ctx))


def wechat_delivery(ctx: Context) -> WeChatDelivery:
    """An agent's message to a WeChat user goes out through the console's own WeChat client
    (on the event loop; pages run in a worker thread)."""
    wechat = open_wechat(ctx.request)
    if wechat is None:
        return WeChatDelivery(WeChatState(ctx.backend.db), not_configured)

    def send(openid: str, text: str) -> None:
        anyio.from_thread.run(wechat.api.send_text, openid, text)

    return WeChatDelivery(WeChatState(ctx.backend.db), send)


@page("live")
def live_reply(request: Request, ctx: Context) -> Response:
    handoff = handoff_or_404(ctx, request)
    text = str(ctx.form.get("text") or "")
    confirmed = ctx.form.get("confirm") == "1"
    try:
        desk(ctx).reply(handoff.id, text, by=ctx.user.name, confirmed=confirmed)
    except InspectionFailed as exc:
        return review_page(ctx, handoff, 422, draft={"reply": text}, findings=exc.findings)
    except LiveError as exc:
        log.warning("console: reply to handoff %s refused (%s)", handoff.id, exc.code)
        return review_page(
            ctx, handoff, 409, busy=label("live_errors", exc.code), draft={"reply": text}
        )
    except sqlite3.OperationalError as exc:
        if not is_busy(exc):
            raise
        return review_page(ctx, handoff, 503, busy=BUSY_FORM, draft={"reply": text})
    flash(request, label("live_done", "sent"))
    return ctx.redirect("handoff_view", handoff_id=handoff.id)


@page("live")
def live_action(request: Request, ctx: Context) -> Response:
    handoff = handoff_or_404(ctx, request)
    what = str(ctx.form.get("what") or "")
    if what not in ACTIONS:
        flash(request, label("live_errors", "unknown"), "error")
        return ctx.redirect("handoff_view", handoff_id=handoff.id)
    change, done = ACTIONS[what]
    try:
        change(desk(ctx), handoff.id, by=ctx.user.name)
    except LiveError as exc:
        flash(request, label("live_errors", exc.code), "error")
    except sqlite3.OperationalError as exc:
        if not is_busy(exc):
            raise
        return review_page(ctx, handoff, 503, busy=BUSY_CHANGE)
    else:
        flash(request, label("live_done", done))
    return ctx.redirect("handoff_view", handoff_id=handoff.id)


@page("handoffs")
def live_transcript(request: Request, ctx: Context) -> Response:
    """The transcript alone, for the page to refresh every few seconds while it is open."""
    handoff = handoff_or_404(ctx, request)
    transcript, _ = shown_transcript(ctx, handoff)
    # Not ctx.render: a refresh must not take the page's one-time messages (flash).
    return ctx.request.app.state.templates.TemplateResponse(
        request, "_transcript.html", {"transcript": transcript}
    )

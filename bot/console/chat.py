"""The policyholders' chat page and its proxy to Rasa's REST channel (one origin).

The page posts ``{"sender": "…", "message": "…"}`` to ``/api/chat``; the console checks it,
rate-limits per sender and per address, and forwards it to Rasa. The answer is
``{"message": "…", "replies": [{"text": "…", "buttons": […]}], "cursor": 12}``: the user's
message as the server stored it (redacted, :mod:`bot.privacy`: the page keeps only that), the
bot's replies, and the id of the conversation's newest stored event, from which
``/api/chat/recent`` gives a reloaded page the turns it missed. Every failure is a JSON
``{"error": "…"}`` in plain Chinese, never a stack trace:

    >>> RULES.parse({"sender": "3f2a9c1e-77aa", "message": " 我想退保 "})
    Payload(sender='3f2a9c1e-77aa', message='我想退保')
    >>> RULES.parse({"sender": "x", "message": "hi"})
    Traceback (most recent call last):
    ...
    bot.channels.payload.PayloadError: 页面出错了，请刷新页面后再试。
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from typing import Any, Protocol

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.channels.payload import MAX_MESSAGE_CHARS, PayloadError, PayloadRules
from bot.console.web import client_address, read_at_most, render
from bot.labels import label
from bot.privacy import redact
from bot.transcript import events_after, last_event

log = logging.getLogger(__name__)

MAX_CHARS = MAX_MESSAGE_CHARS
#: Enough for 1,000 characters of JSON-escaped text and the sender.
MAX_BODY_BYTES = 16_000
#: Conversations from the page are ``web:<id>`` in Rasa, so staff can tell the channel.
SENDER_PREFIX = "web:"

PAGE_ERROR = "页面出错了，请刷新页面后再试。"
TOO_LONG = f"这条消息太长了，请分几次发送（每次最多 {MAX_CHARS} 字）。"
UNREACHABLE = "暂时连不上助手，请稍后再试。如有急事，请直接拨打您保险公司的官方客服电话。"
TOO_MANY = "您发得有点快，请稍等一分钟再发。"
#: What the page may send: its own random sender id, and tidied text.
RULES = PayloadRules(
    sender=r"[A-Za-z0-9\-]{8,64}",
    max_chars=MAX_CHARS,
    errors={
        "body": PAGE_ERROR,
        "sender": PAGE_ERROR,
        "message": "请输入文字后再发送。",
        "too_long": TOO_LONG,
        # A lone surrogate: an emoji cut in half, say.
        "unencodable": "这条消息里有无法识别的字符，请删掉后重新发送。",
    },
    tidy=True,
)


def clean_reply(messages: Any) -> list[dict[str, Any]]:
    """Keep only text and buttons from Rasa's reply (drop anything else it may carry)."""
    out = []
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict):
            continue
        item: dict[str, Any] = {}
        if isinstance(message.get("text"), str):
            item["text"] = message["text"]
        buttons = [
            {"title": str(button.get("title", "")), "payload": str(button.get("payload", ""))}
            for button in message.get("buttons") or []
            if isinstance(button, dict) and button.get("payload")
        ]
        if buttons:
            item["buttons"] = buttons
        if item:
            out.append(item)
    return out


def stored_turns(events: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The user's and the bot's turns among stored tracker events, as the page shows them
    (an agent's words come through the inbox, not here).

    >>> stored_turns([(1, {"event": "user", "text": "电话[手机号]"}),
    ...               (2, {"event": "action", "name": "utter_ok"}),
    ...               (3, {"event": "bot", "text": "好的", "data": {"buttons": [
    ...                   {"title": "是", "payload": "/affirm"}]}}),
    ...               (4, {"event": "bot", "text": "我是小林", "metadata": {"agent": "lin"}})])
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'role': 'user', 'text': '电话[手机号]'},
     {'role': 'bot', 'text': '好的', 'buttons': [{'title': '是', 'payload': '/affirm'}]}]
    """
    turns: list[dict[str, Any]] = []
    for _, event in events:
        if event.get("event") == "user" and isinstance(event.get("text"), str):
            turns.append({"role": "user", "text": event["text"]})
        elif event.get("event") == "bot" and not (event.get("metadata") or {}).get("agent"):
            data = event.get("data") or {}
            message = {"text": event.get("text"), "buttons": data.get("buttons")}
            turns += [{"role": "bot", **item} for item in clean_reply([message])]
    return turns


class Bot(Protocol):
    async def send(self, sender: str, message: str) -> list[dict[str, Any]]: ...


class BotUnavailable(RuntimeError):
    """Rasa could not be reached or answered with an error."""


class RasaBot:
    """Forwards messages to Rasa's REST channel."""

    def __init__(self, base_url: str, timeout: float = 15.0) -> None:
        self.url = base_url.rstrip("/") + "/webhooks/rest/webhook"
        self.timeout = timeout

    async def send(self, sender: str, message: str) -> list[dict[str, Any]]:
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                resp = await client.post(self.url, json={"sender": sender, "message": message})
        except httpx.HTTPError as exc:
            raise BotUnavailable(type(exc).__name__) from None
        if resp.status_code != 200:
            raise BotUnavailable(f"HTTP {resp.status_code}")
        try:
            return resp.json()
        except json.JSONDecodeError:
            raise BotUnavailable("reply is not JSON") from None


async def chat_inbox(request: Request) -> Response:
    """What a person (an agent) wrote into this page's conversation after message
    ``after``: ``[{"id": 3, "text": "…", "agent": true}]``. The page asks every few
    seconds; the desk's own line (「工作人员已结束…」) comes with ``"agent": false``."""
    from bot.live import messages_for

    state = request.app.state
    asked = _page_question(request)
    if isinstance(asked, Response):
        return asked
    sender, after = asked
    found = await run_in_threadpool(  # the backend's connections are per thread
        lambda: messages_for(state.backend.db, SENDER_PREFIX + sender, after)
    )
    return JSONResponse([{"id": m.id, "text": m.text, "agent": m.kind == "agent"} for m in found])


def _page_question(request: Request) -> tuple[str, int] | Response:
    """(sender, after) of a page's ``?sender=…&after=N`` question, or the error to answer:
    400 for a malformed one, 429 past the per-address limit."""
    sender = request.query_params.get("sender", "")
    number = request.query_params.get("after", "0")
    if not re.fullmatch(RULES.sender, sender) or not number.isdigit() or len(number) > 12:
        return JSONResponse({"error": PAGE_ERROR}, status_code=400)
    if not request.app.state.chat_ip_limit.hit(client_address(request)):
        return JSONResponse({"error": TOO_MANY}, status_code=429)
    return sender, int(number)


async def chat_recent(request: Request) -> Response:
    """The turns stored in this page's conversation after event ``after`` (the page's
    ``cursor``), for a page reloaded while a reply was on its way:
    ``{"turns": [{"role": "user", "text": "…"}, {"role": "bot", …}], "cursor": 14}``."""
    state = request.app.state
    asked = _page_question(request)
    if isinstance(asked, Response):
        return asked
    sender, after = asked
    events = await run_in_threadpool(
        lambda: events_after(state.backend.tracker_db(), SENDER_PREFIX + sender, after)
    )
    cursor = events[-1][0] if events else after
    return JSONResponse({"turns": stored_turns(events), "cursor": cursor})


async def chat_page(request: Request) -> Response:
    return render(request, "chat.html", title="保单守护助手")


async def newest_stored(
    request: Request, conversation: str, kind: str | None = None
) -> tuple[int, dict[str, Any]]:
    """The conversation's newest stored event (of type ``kind``), or ``(0, {})`` when the
    tracker database cannot be read just now: a chat message never fails for it."""
    try:
        return await run_in_threadpool(
            lambda: last_event(request.app.state.backend.tracker_db(), conversation, kind)
        )
    except sqlite3.Error as exc:
        log.warning("chat: the tracker database could not be read (%s)", type(exc).__name__)
        return 0, {}


async def chat_api(request: Request) -> Response:
    state = request.app.state
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return JSONResponse({"error": PAGE_ERROR}, status_code=415)
    raw = await read_at_most(request, MAX_BODY_BYTES)
    if raw is None:
        return JSONResponse({"error": TOO_LONG}, status_code=413)
    try:
        payload = RULES.parse(json.loads(raw))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return JSONResponse({"error": PAGE_ERROR}, status_code=400)
    except PayloadError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    sender = payload.sender
    if not state.chat_ip_limit.hit(client_address(request)) or not state.chat_limit.hit(sender):
        return JSONResponse({"error": TOO_MANY}, status_code=429)
    conversation = SENDER_PREFIX + sender
    # Redacted as the tracker store will store it: read with the user's message before.
    _, before = await newest_stored(request, conversation, "user")
    stored = redact(payload.message, previous=before.get("text")).text
    try:
        reply = await state.bot.send(conversation, payload.message)
    except BotUnavailable as exc:
        log.warning("chat: the bot is unreachable (%s)", exc)
        return JSONResponse({"error": UNREACHABLE}, status_code=503)
    reply = clean_reply(reply)
    if not reply:  # the bot stepped aside for a person (bot/live.py): say it was delivered
        from bot.live import holder

        held = await run_in_threadpool(lambda: holder(state.backend.db, conversation))
        if held:
            reply = [{"text": label("live", "delivered")}]
    cursor, _ = await newest_stored(request, conversation)
    return JSONResponse({"message": stored, "replies": reply, "cursor": cursor})

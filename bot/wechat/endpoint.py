"""``/wechat`` on the console: WeChat's server verifies the URL (GET) and pushes messages
(POST). Every request is signed; in 安全模式 the body is encrypted too. What is refused
gets a status and a one-word reason, never a traceback: 403 a bad signature or a stale
timestamp, 413 a body over 64 kB, 400 malformed or hostile XML. Without ``WECHAT_TOKEN``
the endpoint answers 503 and logs why once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.console.web import read_at_most
from bot.labels import label
from bot.live import holder
from bot.settings import Settings
from bot.wechat.api import WeChatAPI
from bot.wechat.channel import SENDER_PREFIX, WeChatChannel
from bot.wechat.protocol import (
    MAX_BODY,
    Crypto,
    Message,
    WeChatRefused,
    check_signature,
    parse_xml,
    text_reply,
)
from bot.wechat.state import WeChatState

log = logging.getLogger(__name__)
#: WeChat's verification echo is a short string of digits; anything longer is refused.
MAX_ECHO = 128


@dataclass
class WeChat:
    """The channel as the console runs it: its token, its cipher, its API and its turns."""

    token: str
    crypto: Crypto | None
    api: WeChatAPI
    channel: WeChatChannel


def open_wechat(request: Request) -> WeChat | None:
    """The app's WeChat channel, made on the first request (inside the event loop)."""
    state = request.app.state
    if getattr(state, "wechat", None) is not None:
        return state.wechat
    settings: Settings = state.settings
    if not settings.wechat_token:
        if not getattr(state, "wechat_off_logged", False):
            log.warning("wechat: /wechat is off: WECHAT_TOKEN is not set")
            state.wechat_off_logged = True
        return None
    crypto = None
    if settings.wechat_aes_key:
        crypto = Crypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid)
    api = WeChatAPI(settings.wechat_appid, settings.wechat_secret, settings.wechat_api_base)
    backend = state.backend

    async def held(conversation: str) -> bool:
        return bool(await run_in_threadpool(lambda: holder(backend.db, conversation)))

    WeChatState(backend.db)  # its tables, once, before any request uses them
    channel = WeChatChannel(
        state.bot.send, lambda: WeChatState(backend.db, migrate=False), api, on_held=held
    )
    state.wechat = WeChat(settings.wechat_token, crypto, api, channel)
    return state.wechat


def refused(exc: WeChatRefused) -> Response:
    log.info("wechat: refused a request (%s)", exc.reason)
    return PlainTextResponse(exc.reason, status_code=exc.status)


async def wechat_endpoint(request: Request) -> Response:
    wechat = open_wechat(request)
    if wechat is None:
        return PlainTextResponse("the WeChat channel is not configured", status_code=503)
    q = request.query_params
    timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
    try:
        check_signature(wechat.token, timestamp, nonce, q.get("signature", ""))
    except WeChatRefused as exc:
        return refused(exc)
    if request.method == "GET":
        echo = q.get("echostr", "")
        if len(echo) > MAX_ECHO:
            return PlainTextResponse("malformed", status_code=400)
        return PlainTextResponse(echo)
    raw = await read_at_most(request, MAX_BODY)
    if raw is None:
        return refused(WeChatRefused(413, "too_large"))
    aes = q.get("encrypt_type", "raw") == "aes"
    try:
        if wechat.crypto is not None:
            if not aes:  # 安全模式 is configured: a plaintext body is not from WeChat
                raise WeChatRefused(400, "malformed")
            raw = wechat.crypto.decrypt(raw, q.get("msg_signature", ""), timestamp, nonce)
        message = Message.from_fields(parse_xml(raw))
    except WeChatRefused as exc:
        return refused(exc)
    limits = request.app.state.chat_limit
    if not limits.hit(SENDER_PREFIX + message.from_user):
        texts = [label("wechat", "too_fast")]
    else:
        texts = await wechat.channel.handle(message)
    if not texts:
        return PlainTextResponse("success")
    now = str(int(time.time()))
    reply = text_reply(message.from_user, message.to_user, texts[0], int(now))
    if wechat.crypto is not None:
        reply = wechat.crypto.encrypt(reply, nonce if nonce.isalnum() else now, now)
    return Response(reply, media_type="application/xml")

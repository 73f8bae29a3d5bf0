"""An agent's message to a WeChat user, as a 客服 message: only within WeChat's 48-hour
window, checked before anything is sent, so the agent is told at once instead of the
message vanishing.

    >>> from sqlite_utils import Database
    >>> sent = []
    >>> delivery = WeChatDelivery(WeChatState(Database(memory=True)), lambda o, t: sent.append(t))
    >>> delivery.deliver("web:u1", "您好")  # not a WeChat conversation: nothing to do
    >>> delivery.deliver("wechat:o_user", "您好")
    Traceback (most recent call last):
    ...
    bot.live.LiveError: the user has not written for 48 hours: WeChat allows no message now
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.live import LiveError
from bot.settings import Settings
from bot.wechat.api import WeChatAPI, WeChatAPIError
from bot.wechat.channel import SENDER_PREFIX
from bot.wechat.state import WeChatState

WINDOW_CLOSED = "the user has not written for 48 hours: WeChat allows no message now"


class WeChatDelivery:
    """``send(openid, text)`` sends one 客服 message (raising :class:`WeChatAPIError`)."""

    def __init__(self, state: WeChatState, send: Callable[[str, str], None]) -> None:
        self.state, self.send = state, send

    def deliver(self, conversation_id: str, text: str) -> None:
        if not conversation_id.startswith(SENDER_PREFIX):
            return
        openid = conversation_id[len(SENDER_PREFIX) :]
        if not self.state.within_window(openid):
            raise LiveError(
                "window_closed",
                "the user has not written for 48 hours: WeChat allows no message now",
            )
        try:
            self.send(openid, text)
        except WeChatAPIError as exc:
            code = "window_closed" if exc.window_closed else "quota" if exc.quota else "wechat"
            raise LiveError(code, f"WeChat refused the message ({exc.code})") from None


def not_configured(openid: str, text: str) -> None:
    raise WeChatAPIError("not_configured", "WECHAT_APPID is not set")


def command_line_delivery(settings: Settings, state: WeChatState) -> WeChatDelivery:
    """For ``python -m bot handoffs reply``: each message with a fresh API client."""
    if not settings.wechat_appid:
        return WeChatDelivery(state, not_configured)

    def send(openid: str, text: str) -> None:
        async def once() -> None:
            api = WeChatAPI(settings.wechat_appid, settings.wechat_secret, settings.wechat_api_base)
            async with api:
                await api.send_text(openid, text)

        asyncio.run(once())

    return WeChatDelivery(state, send)

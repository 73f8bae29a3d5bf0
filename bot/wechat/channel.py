"""The WeChat channel's turn: what a message or event from WeChat becomes, and how the
bot's answer gets back within WeChat's 5 seconds.

Each message is handed to Rasa over loopback, as the chat page does, as conversation
``wechat:<openid>``. When the answer comes within about 4 seconds it goes back in the HTTP
reply (passively); otherwise WeChat is told ``success`` at once and the answer follows as
客服 messages when it is ready. A retry (the same MsgId; for events the same user and
time) never makes a second turn: it gets the first answer again, or ``success``.

What a phone cannot show is turned into text (bot/wechat/render.py): buttons become
numbered options, and a reply of just the number picks one; long answers are pages behind
「更多」.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.channels.payload import MAX_MESSAGE_CHARS, PayloadError, PayloadRules
from bot.console.chat import RULES as CHAT_RULES
from bot.labels import label
from bot.wechat.api import WeChatAPI, WeChatAPIError
from bot.wechat.protocol import Message
from bot.wechat.render import Rendered, choose, is_more, next_page, render
from bot.wechat.state import WeChatState

log = logging.getLogger(__name__)
#: Conversations from WeChat are ``wechat:<openid>`` in Rasa and on handoffs.
SENDER_PREFIX = "wechat:"
#: How long a passive reply may wait for the bot (WeChat gives up after 5 s).
PASSIVE_SECONDS = 4.0
#: The custom menu (``python -m bot wechat menu``): each button's EventKey and the intent
#: it asks for; the button titles are the ``wechat_menu`` labels.
MENU_PAYLOADS = {
    "SURRENDER": "/request_surrender",
    "ANTI_SCAM": "/proxy_surrender",
    "HUMAN": "/request_human",
}
#: What a user's text must be, with the chat page's words when it is not.
RULES = PayloadRules(
    sender=r"wechat", max_chars=MAX_MESSAGE_CHARS, errors=CHAT_RULES.errors, tidy=True
)
SendToBot = Callable[[str, str], Awaitable[list[dict[str, Any]]]]


def menu() -> dict[str, Any]:
    """The custom menu as WeChat's API takes it: three CLICK buttons."""
    titles = {key: label("wechat_menu", key) for key in MENU_PAYLOADS}
    return {"button": [{"type": "click", "name": titles[k], "key": k} for k in MENU_PAYLOADS]}


@dataclass
class Turn:
    """What a message asks of the channel: ``text`` for the bot, or ``local`` texts the
    channel answers by itself (a welcome line, 「请打字」, the next page)."""

    text: str = ""
    local: Rendered | None = None
    before: tuple[str, ...] = ()  # lines said before the bot's answer (the welcome)


def understand(message: Message, options: list[dict], more: list[str]) -> Turn | None:
    """What ``message`` asks; ``None`` when nothing is to be said (unsubscribe, view …).

    >>> from bot.wechat.protocol import Message
    >>> understand(Message("gh", "o", 1, "text", "9", content="1"), [{"payload": "/a"}], []).text
    '/a'
    """
    kind = message.msg_type
    if kind == "text":
        text = message.content.strip()
        if is_more(text) and more:
            return Turn(local=next_page(more, options))
        try:  # the chat page's rules: control characters dropped, at most 1,000 characters
            text = RULES.parse({"sender": "wechat", "message": text}).message
        except PayloadError as exc:
            return Turn(local=Rendered([str(exc)]))
        return Turn(text=choose(text, options) or text)
    if kind == "voice":
        if message.recognition.strip():
            return Turn(text=message.recognition.strip())
        return Turn(local=Rendered([label("wechat", "voice_unrecognised")]))
    if kind == "event":
        if message.event == "subscribe":
            return Turn(text="/greet", before=(label("wechat", "welcome"),))
        if message.event == "click" and message.event_key in MENU_PAYLOADS:
            return Turn(text=MENU_PAYLOADS[message.event_key])
        return None
    return Turn(local=Rendered([label("wechat", "type_please")]))


class WeChatChannel:
    def __init__(
        self,
        send: SendToBot,
        state_factory: Callable[[], WeChatState],
        api: WeChatAPI | None,
        passive_seconds: float = PASSIVE_SECONDS,
        on_held: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:
        self.send, self.state_factory, self.api = send, state_factory, api
        self.passive_seconds = passive_seconds
        self.on_held = on_held  # whether a person holds the conversation (silence is then fine)
        self.tasks: set[asyncio.Task] = set()

    async def handle(self, message: Message) -> list[str]:
        """The texts to reply passively (one at most), or ``[]`` for ``success``."""
        openid = message.from_user
        key = message.dedup_key
        if not await self._state("claim", key, openid):
            turn = await self._state("turn", key)
            if turn and turn[0] == "passive":
                return turn[1]  # WeChat did not get our first reply: the same one again
            return []
        options, more = await self._state("recalled", openid)
        asked = understand(message, options, more)
        if asked is None:
            await self._state("answered", key, "none", [])
            return []
        if asked.local is not None:
            return await self._answer(key, openid, asked.local)
        work = asyncio.ensure_future(self._ask_bot(openid, asked))
        try:
            rendered = await asyncio.wait_for(asyncio.shield(work), self.passive_seconds)
        except asyncio.TimeoutError:
            await self._state("answered", key, "kefu", [])
            self._later(work, openid)
            return []
        return await self._answer(key, openid, rendered)

    async def _state(self, method: str, *args: Any) -> Any:
        """One call of :class:`WeChatState`, in a worker thread with that thread's database
        connection (the factory gives one per thread)."""
        return await asyncio.to_thread(lambda: getattr(self.state_factory(), method)(*args))

    async def _ask_bot(self, openid: str, asked: Turn) -> Rendered:
        from bot.console.chat import UNREACHABLE, BotUnavailable, clean_reply

        conversation = SENDER_PREFIX + openid
        try:
            reply = clean_reply(await self.send(conversation, asked.text))
        except BotUnavailable as exc:
            log.warning("wechat: the bot is unreachable (%s)", exc)
            return Rendered([UNREACHABLE])
        if not reply and self.on_held and await self.on_held(conversation):
            reply = [{"text": label("live", "delivered")}]
        rendered = render([*({"text": line} for line in asked.before), *reply])
        return rendered if rendered.texts else Rendered([label("wechat", "no_reply")])

    async def _answer(self, key: str, openid: str, r: Rendered) -> list[str]:
        await self._state("remember", openid, r.options, r.more)
        if len(r.texts) == 1:
            await self._state("answered", key, "passive", r.texts)
            return r.texts
        # Several messages: all by 客服, in order (a passive reply holds only one).
        await self._state("answered", key, "kefu", [])
        self._spawn(self.deliver(openid, r.texts))
        return []

    def _later(self, work: asyncio.Future, openid: str) -> None:
        async def finish() -> None:
            rendered = await work
            await self._state("remember", openid, rendered.options, rendered.more)
            await self.deliver(openid, rendered.texts)

        self._spawn(finish())

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def deliver(self, openid: str, texts: list[str]) -> None:
        """Send ``texts`` as 客服 messages, in order; stop at WeChat's first refusal."""
        if self.api is None:
            log.error("wechat: %d message(s) for a user could not be sent: no API", len(texts))
            return
        for text in texts:
            try:
                await self.api.send_text(openid, text)
            except WeChatAPIError as exc:
                log.warning("wechat: a customer-service message was not sent (%s)", exc.code)
                return

    async def drain(self) -> None:
        """Wait for the answers still being delivered (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

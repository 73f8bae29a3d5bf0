"""The WeChat channel's turn (bot/wechat/channel.py) with a stand-in bot and 客服 API:
passive replies, the 5-second rule, retries, numbered options, 更多, events and voice."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from pathlib import Path

import pytest

from bot.db import open_database
from bot.labels import label
from bot.wechat.channel import WeChatChannel, menu
from bot.wechat.protocol import Message
from bot.wechat.state import WeChatState


class Bot:
    def __init__(self, reply=None, delay: float = 0.0):
        self.reply = reply if reply is not None else [{"text": "您好"}]
        self.delay, self.sent = delay, []

    async def send(self, sender: str, text: str):
        self.sent.append((sender, text))
        await asyncio.sleep(self.delay)
        return self.reply


class API:
    def __init__(self):
        self.sent = []

    async def send_text(self, openid: str, text: str) -> None:
        self.sent.append((openid, text))


def channel(bot, passive=0.3, held=None):
    # A database file, and a connection per worker thread, as the console has.
    path = Path(tempfile.mkdtemp()) / "wechat.db"
    WeChatState(open_database(path))
    local = threading.local()

    def state():
        if not hasattr(local, "state"):
            local.state = WeChatState(open_database(path), migrate=False)
        return local.state

    async def is_held(conversation):
        return bool(held)

    return WeChatChannel(bot.send, state, API(), passive_seconds=passive, on_held=is_held)


def text(content: str, msg_id: str = "1", user: str = "o_user") -> Message:
    return Message("gh_app", user, 1_700_000_000, "text", msg_id, content=content)


def run(ch, *messages):
    async def go():
        out = [await ch.handle(m) for m in messages]
        await ch.drain()
        return out

    return asyncio.run(go())


def test_a_quick_answer_goes_back_passively_as_conversation_wechat_openid():
    bot = Bot()
    ch = channel(bot)
    assert run(ch, text("我想退保")) == [["您好"]]
    assert bot.sent == [("wechat:o_user", "我想退保")] and ch.api.sent == []


def test_a_slow_answer_is_success_at_once_then_a_kefu_message():
    bot = Bot(delay=0.6)
    ch = channel(bot, passive=0.2)
    assert run(ch, text("我想退保")) == [[]]
    assert ch.api.sent == [("o_user", "您好")]


def test_a_retry_never_makes_a_second_turn():
    bot = Bot()
    ch = channel(bot)
    first, again, third = run(ch, text("我想退保"), text("我想退保"), text("我想退保"))
    assert first == again == third == ["您好"]  # the reply of the first delivery
    assert len(bot.sent) == 1


def test_a_retry_storm_at_once_makes_one_turn():
    bot = Bot(delay=0.1)
    ch = channel(bot, passive=1.0)

    async def storm():
        replies = await asyncio.gather(*(ch.handle(text("我想退保")) for _ in range(4)))
        await ch.drain()
        return replies

    replies = asyncio.run(storm())
    assert len(bot.sent) == 1
    assert ["您好"] in replies and all(r in (["您好"], []) for r in replies)


def test_a_retry_while_the_slow_answer_is_pending_gets_success_and_one_kefu_message():
    bot = Bot(delay=0.5)
    ch = channel(bot, passive=0.1)
    assert run(ch, text("在吗", "7"), text("在吗", "7")) == [[], []]
    assert len(bot.sent) == 1 and ch.api.sent == [("o_user", "您好")]


def test_buttons_become_numbered_options_and_a_number_picks_one():
    buttons = [
        {"title": "急用钱", "payload": "/premium_hardship"},
        {"title": "交不起保费", "payload": '/premium_hardship{"x":1}'},
    ]
    bot = Bot([{"text": "为什么想退保？", "buttons": buttons}])
    ch = channel(bot)
    (shown,), _ = run(ch, text("我想退保", "1"), text("１", "2"))
    assert f"{label('wechat', 'options_intro')}" in shown and "1 急用钱" in shown
    assert bot.sent[1] == ("wechat:o_user", "/premium_hardship")
    run(ch, text("交不起保费", "3"))
    assert bot.sent[2][1] == buttons[1]["payload"]


def test_a_long_answer_is_paged_behind_more():
    long = "。".join(["保单贷款一般最多可借现金价值的八成" * 3] * 100) + "。"
    bot = Bot([{"text": long}])
    ch = channel(bot)
    assert run(ch, text("保单贷款", "1")) == [[]]  # several messages: all by 客服, in order
    first = [t for _, t in ch.api.sent]
    assert len(first) == 5 and first[-1].endswith("回复“更多”继续")
    assert all(len(t.encode()) <= 2048 for t in first)
    run(ch, text("更多", "2"))
    assert len(bot.sent) == 1  # the next page comes from the channel, not a new turn
    assert len(ch.api.sent) > 5


def test_subscribe_gets_the_welcome_and_the_greeting():
    bot = Bot([{"text": "您好！我是保单守护助手。"}])
    ch = channel(bot)
    event = Message("gh", "o_new", 1_700_000_001, "event", event="subscribe")
    (reply,) = run(ch, event)
    assert reply[0].startswith(label("wechat", "welcome")) and "保单守护助手" in reply[0]
    assert bot.sent == [("wechat:o_new", "/greet")]


def test_menu_clicks_map_to_intents_and_the_menu_has_three_buttons():
    bot = Bot()
    ch = channel(bot)
    click = Message("gh", "o", 5, "event", event="click", event_key="HUMAN")
    run(ch, click)
    assert bot.sent == [("wechat:o", "/request_human")]
    names = [b["name"] for b in menu()["button"]]
    assert names == ["我想退保", "防骗提醒", "转人工"]


@pytest.mark.parametrize(
    ("message", "said", "to_bot"),
    [
        (Message("gh", "o", 1, "voice", "v1", recognition="我想退保"), None, "我想退保"),
        (Message("gh", "o", 1, "voice", "v2"), "voice_unrecognised", None),
        (Message("gh", "o", 1, "image", "i1"), "type_please", None),
        (Message("gh", "o", 1, "location", "l1"), "type_please", None),
    ],
)
def test_voice_uses_recognition_other_kinds_are_asked_to_type(message, said, to_bot):
    bot = Bot()
    (reply,) = run(channel(bot), message)
    if said:
        assert reply == [label("wechat", said)] and bot.sent == []
    else:
        assert bot.sent == [("wechat:o", to_bot)]


def test_silence_while_a_person_holds_the_chat_says_it_was_delivered():
    bot = Bot(reply=[])
    (reply,) = run(channel(bot, held=True), text("谢谢"))
    assert reply == [label("live", "delivered")]


def test_unsubscribe_says_nothing():
    bot = Bot()
    event = Message("gh", "o", 2, "event", event="unsubscribe")
    assert run(channel(bot), event) == [[]] and bot.sent == []


@pytest.mark.parametrize(
    ("content", "said"),
    [("退" * 1001, "最多 1000 字"), ("\x00\x01", "请输入文字")],
)
def test_a_text_too_long_or_empty_is_told_so_and_not_sent_to_the_bot(content, said):
    bot = Bot()
    (reply,) = run(channel(bot), text(content))
    assert said in reply[0] and bot.sent == []

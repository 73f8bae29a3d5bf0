"""The WeChat channel end to end on the started servers: the console's /wechat in 安全模式
with the simulator's local key, WeChat's API faked on 127.0.0.1 (tests/live_servers.py),
WeChat's server played by bot/wechat/simulate.py."""

from __future__ import annotations

import concurrent.futures
import time
import uuid

import httpx
import pytest

from bot.handoff import HandoffStore
from bot.labels import label
from bot.settings import Settings
from bot.wechat.protocol import signature
from bot.wechat.simulate import LOCAL_AES_KEY, LOCAL_APPID, LOCAL_TOKEN, WeChatServer
from tests.test_e2e_live import tracker_events

pytestmark = pytest.mark.slow


@pytest.fixture
def wechat(servers):
    return WeChatServer(servers["console"] + "/wechat", LOCAL_TOKEN, LOCAL_APPID, LOCAL_AES_KEY)


def user() -> str:
    return "o" + uuid.uuid4().hex[:27]


def user_turns(servers, openid: str) -> list[str]:
    events = tracker_events(servers, f"wechat:{openid}")
    return [e["text"] for e in events if e["event"] == "user"]


def say(wechat, openid, text):
    delivery = wechat.push(wechat.text_fields(openid, text))
    assert delivery.status == 200 and delivery.tries == 1
    return delivery


def test_verification_and_what_is_refused(servers, wechat):
    url = servers["console"] + "/wechat"
    now = str(int(time.time()))
    ok = httpx.get(url, params={**wechat.signed_query(now, "42"), "echostr": "5837"})
    assert (ok.status_code, ok.text) == (200, "5837")
    bad = httpx.get(url, params={"signature": "0" * 40, "timestamp": now, "nonce": "42"})
    assert bad.status_code == 403 and "Traceback" not in bad.text
    old = str(int(time.time()) - 3600)
    assert httpx.get(url, params=wechat.signed_query(old, "42")).status_code == 403
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml>&a;</xml>'
    hostile = httpx.post(url, params=wechat.signed_query(now, "42"), content=bomb)
    assert hostile.status_code == 400 and "Traceback" not in hostile.text
    huge = httpx.post(url, params=wechat.signed_query(now, "42"), content=b"<xml>" + b"a" * 70_000)
    assert huge.status_code == 413
    plain = httpx.post(
        url,
        params={"signature": signature(LOCAL_TOKEN, now, "42"), "timestamp": now, "nonce": "42"},
        content=b"<xml><MsgType>text</MsgType></xml>",
    )
    assert plain.status_code == 400  # 安全模式 is set: a plaintext body is not from WeChat


def test_surrender_first_on_wechat_with_numbered_options(servers, wechat):
    openid = user()
    (reply,) = say(wechat, openid, "我想退保").texts
    assert all(way in reply for way in ("减保", "部分领取", "保单贷款"))
    assert label("wechat", "options_intro") in reply and "1 急用钱" in reply
    (product,) = say(wechat, openid, "1").texts  # the number picks 急用钱
    assert "哪一类" in product and "1 万能险" in product
    assert user_turns(servers, openid)[-1] == "急用钱"  # the button's payload, not "1"


def test_a_retry_storm_makes_exactly_one_user_turn(servers, wechat):
    openid = user()
    fields = wechat.text_fields(openid, "犹豫期是多久")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        deliveries = list(pool.map(lambda _: wechat.push(fields), range(4)))
    deliveries.append(wechat.push(fields))  # and once more, after the first answered
    assert all(d.status == 200 for d in deliveries)
    assert user_turns(servers, openid) == ["犹豫期是多久"]
    answered = [d.texts for d in deliveries if d.texts]
    assert answered and all(t == answered[0] for t in answered)  # the same reply each time


def test_subscribe_voice_image_and_the_menu(servers, wechat):
    openid = user()
    welcome = wechat.push(wechat.event_fields(openid, "subscribe")).texts[0]
    assert welcome.startswith(label("wechat", "welcome"))
    voice = wechat.push(wechat.voice_fields(openid, "保单贷款利息多少")).texts[0]
    assert "保单贷款" in voice
    assert wechat.push(wechat.voice_fields(openid)).texts == [label("wechat", "voice_unrecognised")]
    image = {**wechat.text_fields(openid, ""), "MsgType": "image", "PicUrl": "http://x/1.jpg"}
    assert wechat.push(image).texts == [label("wechat", "type_please")]
    human = wechat.push(wechat.event_fields(openid, "CLICK", "HUMAN")).texts[0]
    assert "工作人员会在这里回复您" in human
    (handoff,) = [
        h
        for h in HandoffStore.open(servers["db"]).list()
        if h.conversation_id == f"wechat:{openid}"
    ]
    assert handoff.channel == "wechat"


def test_an_agents_reply_reaches_wechat_as_a_kefu_message(servers, wechat):
    from bot.live import LiveDesk, RasaConversations
    from bot.wechat.delivery import command_line_delivery
    from bot.wechat.state import WeChatState

    openid = user()
    say(wechat, openid, "转人工")
    (handoff,) = [
        h
        for h in HandoffStore.open(servers["db"]).list()
        if h.conversation_id == f"wechat:{openid}"
    ]
    settings = Settings.from_env(servers["live"].env)
    desk = LiveDesk.open(
        servers["db"],
        RasaConversations(servers["rasa"], settings.rasa_token),
        command_line_delivery(settings, WeChatState.open(servers["db"])),
    )
    desk.reply(handoff.id, "您好，我是工作人员小林，您慢慢说。", by="lin")
    fake = servers["wechat"]
    assert fake.wait_for(openid, 1, timeout=10) == ["您好，我是工作人员小林，您慢慢说。"]
    # While the agent holds it, the bot says only that the message reached the agent.
    assert say(wechat, openid, "好的").texts == [label("live", "delivered")]
    desk.close(handoff.id, by="lin")
    assert "由助手继续为您服务" in fake.wait_for(openid, 2, timeout=10)[-1]
    assert "保单贷款" in say(wechat, openid, "我想退保").texts[0]  # the bot is back


def test_the_simulator_chats_through_the_channel_in_aes_mode(servers):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "bot", "wechat", "simulate", "--say", "我想退保", "--wait", "1"],
        env=servers["live"].env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "安全模式" in done.stdout and "欢迎关注" in done.stdout
    assert all(way in done.stdout for way in ("减保", "部分领取", "保单贷款"))

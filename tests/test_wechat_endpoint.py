"""/wechat over HTTP on the console app (plaintext mode and 安全模式) with a stand-in bot and
WeChat's API faked on 127.0.0.1: verification, what is refused, passive and 客服 replies,
and agents' replies that WeChat's 48-hour window allows or not."""

from __future__ import annotations

import asyncio
import time

import pytest
from console_helpers import FakeBot, make_app, signed_in
from starlette.testclient import TestClient

from bot.handoff import HandoffStore
from bot.live import messages_for
from bot.wechat.fake_api import FakeWeChatAPI, serve
from bot.wechat.simulate import LOCAL_AES_KEY, LOCAL_APPID, LOCAL_SECRET, WeChatServer
from bot.wechat.state import WeChatState

TOKEN = "endpoint-test-token"


class SlowBot(FakeBot):
    async def send(self, sender, message):
        await asyncio.sleep(4.5)
        return await super().send(sender, message)


@pytest.fixture(scope="module")
def fake():
    api = FakeWeChatAPI(LOCAL_APPID, LOCAL_SECRET)
    with serve(api) as base:
        api.base = base
        yield api


def app_for(tmp_path, fake, aes=True, bot=None, token=TOKEN):
    return make_app(
        tmp_path,
        bot=bot or FakeBot([{"text": "您好，我是保单守护助手。"}]),
        users={"xiao": "agent"},
        wechat_token=token,
        wechat_appid=LOCAL_APPID,
        wechat_secret=LOCAL_SECRET,
        wechat_aes_key=LOCAL_AES_KEY if aes else "",
        wechat_api_base=fake.base,
    )


def post(client, server: WeChatServer, fields):
    timestamp, nonce = str(int(time.time())), "123456"
    body, extra = server.body(fields, timestamp, nonce)
    response = client.post(
        "/wechat", params={**server.signed_query(timestamp, nonce), **extra}, content=body
    )
    return response, server.read_reply(response, timestamp, nonce)


@pytest.mark.parametrize("aes", [False, True], ids=["plaintext", "aes"])
def test_a_message_gets_a_passive_reply_in_either_mode(tmp_path, fake, aes):
    app = app_for(tmp_path, fake, aes=aes)
    server = WeChatServer("/wechat", TOKEN, LOCAL_APPID, LOCAL_AES_KEY if aes else "")
    with TestClient(app) as client:
        response, texts = post(client, server, server.text_fields("o_a", "你好"))
    assert response.status_code == 200 and texts == ["您好，我是保单守护助手。"]
    assert app.state.bot.sent == [("wechat:o_a", "你好")]


def test_without_a_token_the_endpoint_is_off_and_says_so(tmp_path, fake, caplog):
    with TestClient(app_for(tmp_path, fake, token="")) as client:
        assert client.get("/wechat").status_code == 503
        assert client.get("/").status_code == 200  # everything else runs as before
    assert "WECHAT_TOKEN" in caplog.text


def test_a_slow_answer_is_success_then_a_kefu_message(tmp_path, fake):
    app = app_for(tmp_path, fake, bot=SlowBot([{"text": "慢慢来的回答"}]))
    server = WeChatServer("/wechat", TOKEN, LOCAL_APPID, LOCAL_AES_KEY)
    with TestClient(app) as client:
        started = time.monotonic()
        response, texts = post(client, server, server.text_fields("o_slow", "在吗"))
        assert time.monotonic() - started < 4.8  # within WeChat's 5 seconds
        assert response.text == "success" and texts == []
        assert fake.wait_for("o_slow", 1, timeout=10) == ["慢慢来的回答"]


def test_an_agents_reply_goes_out_as_kefu_within_the_window_only(tmp_path, fake):
    app = app_for(tmp_path, fake)
    server = WeChatServer("/wechat", TOKEN, LOCAL_APPID, LOCAL_AES_KEY)
    HandoffStore.open(app.state.backend.db_path).request(
        "wechat:o_agent", "wechat", "user_request", "low", [], []
    )
    with TestClient(app) as client:
        post(client, server, server.text_fields("o_agent", "转人工"))  # the user wrote: window open
        c, token = signed_in(app, "xiao")
        sent = c.post("/console/handoffs/1/reply", data={"csrf_token": token, "text": "您好"})
        assert sent.status_code == 303
        assert fake.wait_for("o_agent", 1, timeout=10) == ["您好"]

        state = WeChatState(app.state.backend.db)
        state.db.execute("UPDATE wechat_users SET last_message = 0 WHERE openid = 'o_agent'")
        state.db.conn.commit()
        late = c.post("/console/handoffs/1/reply", data={"csrf_token": token, "text": "还在吗"})
        assert late.status_code == 409 and "48小时" in late.text
    assert [m.text for m in messages_for(app.state.backend.db, "wechat:o_agent")] == ["您好"]


def test_the_first_messages_arriving_together_all_get_their_reply(tmp_path, fake):
    import httpx

    app = app_for(tmp_path, fake)
    server = WeChatServer("http://testserver/wechat", TOKEN, LOCAL_APPID, LOCAL_AES_KEY)

    async def together():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:

            async def one(n):
                timestamp, nonce = str(int(time.time())), str(100 + n)
                body, extra = server.body(server.text_fields(f"o_{n}", "你好"), timestamp, nonce)
                query = {**server.signed_query(timestamp, nonce), **extra}
                return await c.post("/wechat", params=query, content=body)

            return await asyncio.gather(*(one(n) for n in range(8)))

    assert [r.status_code for r in asyncio.run(together())] == [200] * 8

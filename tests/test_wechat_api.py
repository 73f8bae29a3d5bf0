"""WeChat's server API client (bot/wechat/api.py), against the fake WeChat on 127.0.0.1 or,
for the exact requests and answers, httpx.MockTransport. Nothing here reaches WeChat."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections import Counter

import httpx
import pytest

from bot.wechat.api import QuotaExceeded, WeChatAPI, WeChatAPIError, WindowClosed
from bot.wechat.fake_api import FakeWeChatAPI, serve

OPENID = "o-test-user-1"
MENU = {
    "button": [
        {"type": "click", "name": "查保单", "key": "CHECK_POLICY"},
        {"name": "更多", "sub_button": [{"type": "click", "name": "转人工", "key": "HUMAN"}]},
    ]
}


@pytest.fixture
def wechat():
    fake = FakeWeChatAPI()
    with serve(fake) as base:
        yield fake, base


def counting_client() -> tuple[httpx.AsyncClient, Counter]:
    """A client that counts the requests it makes, by path."""
    calls: Counter = Counter()

    async def count(request: httpx.Request) -> None:
        calls[request.url.path] += 1

    return httpx.AsyncClient(event_hooks={"request": [count]}), calls


def mock_api(handler, **kwargs) -> WeChatAPI:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return WeChatAPI("wx-app", "app-secret", "https://wechat.invalid", client=client, **kwargs)


def token_answer(token: str = "T1", expires_in: int = 7200) -> httpx.Response:
    return httpx.Response(200, json={"access_token": token, "expires_in": expires_in})


OK = {"errcode": 0, "errmsg": "ok"}


def test_token_is_cached_between_sends(wechat):
    fake, base = wechat

    async def two_sends():
        async with WeChatAPI(fake.appid, fake.secret, base) as api:
            await api.send_text(OPENID, "one")
            await api.send_text(OPENID, "two")

    asyncio.run(two_sends())
    assert fake.token_requests == 1
    assert fake.wait_for(OPENID, 2) == ["one", "two"]


def test_token_renewed_five_minutes_before_expiry():
    now = [1000.0]
    requests: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(json.loads(request.content))
        return token_answer(f"T{len(requests)}", expires_in=7200)

    async def scenario():
        api = mock_api(handler, clock=lambda: now[0])
        seen = [await api.token()]
        now[0] += 6899
        seen.append(await api.token())
        now[0] += 1
        seen.append(await api.token())
        return seen

    assert asyncio.run(scenario()) == ["T1", "T1", "T2"]
    assert requests[0] == {
        "grant_type": "client_credential",
        "appid": "wx-app",
        "secret": "app-secret",
        "force_refresh": False,
    }


def test_short_token_used_for_half_its_life():
    now = [0.0]
    count = [0]

    def handler(request: httpx.Request) -> httpx.Response:
        count[0] += 1
        return token_answer(f"T{count[0]}", expires_in=400)

    async def scenario():
        api = mock_api(handler, clock=lambda: now[0])
        first = await api.token()
        now[0] = 199
        second = await api.token()
        now[0] = 200
        return first, second, await api.token()

    assert asyncio.run(scenario()) == ("T1", "T1", "T2")


def test_concurrent_callers_on_a_cold_cache_make_one_request(wechat):
    fake, base = wechat

    async def twenty():
        async with WeChatAPI(fake.appid, fake.secret, base) as api:
            return await asyncio.gather(*(api.token() for _ in range(20)))

    tokens = asyncio.run(twenty())
    assert tokens == ["fake-token-1"] * 20
    assert fake.token_requests == 1


def test_force_asks_for_a_new_token(wechat):
    fake, base = wechat

    async def scenario():
        async with WeChatAPI(fake.appid, fake.secret, base) as api:
            return await api.token(), await api.token(force=True), await api.token()

    assert asyncio.run(scenario()) == ("fake-token-1", "fake-token-2", "fake-token-2")


def test_expired_token_on_send_is_renewed_once_and_the_message_sent_once(wechat):
    fake, base = wechat
    client, calls = counting_client()

    async def scenario():
        async with client, WeChatAPI(fake.appid, fake.secret, base, client=client) as api:
            await api.token()
            fake.expire_next_send()
            await api.send_text(OPENID, "after renewal")
            return await api.token()

    assert asyncio.run(scenario()) == "fake-token-2"
    assert calls == {"/cgi-bin/stable_token": 2, "/cgi-bin/message/custom/send": 2}
    assert fake.texts(OPENID) == ["after renewal"]


def test_refused_token_forced_only_when_wechat_hands_it_back():
    """Another process's token is never invalidated by a forced refresh that was not needed;
    when normal mode hands back the refused token, force mode is used."""
    token_calls: list[bool] = []
    sends: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/stable_token":
            force = json.loads(request.content)["force_refresh"]
            token_calls.append(force)
            return token_answer("T2" if force else "T1")
        sends.append(request.url.params["access_token"])
        return httpx.Response(200, json=OK if sends[-1] == "T2" else {"errcode": 40001})

    asyncio.run(mock_api(handler).send_text(OPENID, "hello"))
    assert token_calls == [False, False, True]
    assert sends == ["T1", "T2"]


def test_a_token_refused_twice_is_an_error():
    sends = [0]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/stable_token":
            return token_answer(f"T{sends[0]}")
        sends[0] += 1
        return httpx.Response(200, json={"errcode": 42001, "errmsg": "access_token expired"})

    with pytest.raises(WeChatAPIError) as caught:
        asyncio.run(mock_api(handler).send_text(OPENID, "hello"))
    assert caught.value.code == 42001
    assert sends == [2]


def test_closed_window_is_raised_at_once_and_logged_without_the_text(wechat, caplog):
    fake, base = wechat
    fake.close_window(OPENID)
    client, calls = counting_client()

    async def scenario():
        async with client, WeChatAPI(fake.appid, fake.secret, base, client=client) as api:
            await api.send_text(OPENID, "secret words 13812345678")

    with (
        caplog.at_level(logging.WARNING, logger="bot.wechat.api"),
        pytest.raises(WindowClosed) as caught,
    ):
        asyncio.run(scenario())
    error = caught.value
    assert (error.code, error.window_closed, error.quota) == (45015, True, False)
    assert calls["/cgi-bin/message/custom/send"] == 1
    assert fake.sent == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "45015" in warnings[0].getMessage()
    assert "secret words" not in caplog.text
    assert OPENID not in caplog.text


def test_quota_is_its_own_error(wechat):
    fake, base = wechat
    fake.exhaust_quota(OPENID)

    async def scenario():
        async with WeChatAPI(fake.appid, fake.secret, base) as api:
            await api.send_text(OPENID, "sixth message")

    with pytest.raises(QuotaExceeded) as caught:
        asyncio.run(scenario())
    assert (caught.value.code, caught.value.quota, caught.value.window_closed) == (
        45047,
        True,
        False,
    )
    fake.open_window(OPENID)
    asyncio.run(scenario())
    assert fake.texts(OPENID) == ["sixth message"]


def test_unreachable_wechat_is_a_network_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Nothing listens on the port now.

    async def scenario():
        async with WeChatAPI("wx-app", "app-secret", f"http://127.0.0.1:{port}") as api:
            await api.send_text(OPENID, "hello")

    with pytest.raises(WeChatAPIError) as caught:
        asyncio.run(scenario())
    assert caught.value.code == "network"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_timeout_is_a_network_error():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(WeChatAPIError) as caught:
        asyncio.run(mock_api(handler).token())
    assert caught.value.code == "network"


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(502, text="Bad Gateway"),
        httpx.Response(200, text="<html>maintenance</html>"),
        httpx.Response(200, json=["not", "an", "object"]),
        httpx.Response(200, json={"expires_in": 7200}),
    ],
)
def test_answers_not_from_wechat_are_http_errors(answer):
    with pytest.raises(WeChatAPIError) as caught:
        asyncio.run(mock_api(lambda request: answer).token())
    assert caught.value.code == "http"


def test_a_token_error_from_wechat_carries_its_code(wechat):
    fake, base = wechat
    fake.fail_tokens(1)

    async def scenario():
        async with WeChatAPI(fake.appid, fake.secret, base) as api:
            with pytest.raises(WeChatAPIError) as caught:
                await api.send_text(OPENID, "first")
            await api.send_text(OPENID, "second")
            return caught.value.code

    assert asyncio.run(scenario()) == -1
    assert fake.texts(OPENID) == ["second"]


def test_wrong_secret_is_refused(wechat):
    fake, base = wechat
    with pytest.raises(WeChatAPIError) as caught:
        asyncio.run(WeChatAPI(fake.appid, "wrong", base).token())
    assert caught.value.code == 40125


def test_create_menu_posts_the_menu(wechat):
    fake, base = wechat

    async def scenario():
        async with WeChatAPI(fake.appid, fake.secret, base) as api:
            fake.expire_next_send()
            await api.create_menu(MENU)

    asyncio.run(scenario())
    assert fake.menus == [MENU]


def test_chinese_text_arrives_intact(wechat):
    fake, base = wechat
    text = "您好！保单号请勿发给陌生人😀 “代理退保”是骗局"

    async def scenario():
        async with WeChatAPI(fake.appid, fake.secret, base) as api:
            await api.send_text(OPENID, text)

    asyncio.run(scenario())
    assert fake.wait_for(OPENID, 1) == [text]


def test_text_is_sent_as_utf8_not_escaped():
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/stable_token":
            return token_answer()
        bodies.append(request.content)
        return httpx.Response(200, json=OK)

    asyncio.run(mock_api(handler).send_text(OPENID, "退保"))
    assert "退保".encode() in bodies[0]
    assert b"\\u" not in bodies[0]
    assert json.loads(bodies[0]) == {
        "touser": OPENID,
        "msgtype": "text",
        "text": {"content": "退保"},
    }


def test_secret_and_token_never_logged(wechat, caplog):
    fake, base = wechat

    async def scenario():
        async with WeChatAPI(fake.appid, fake.secret, base) as api:
            await api.send_text(OPENID, "one")
            fake.expire_next_send()
            await api.send_text(OPENID, "two")
            return repr(api)

    with caplog.at_level(logging.DEBUG):
        shown = asyncio.run(scenario())
    assert "access_token=***" in caplog.text  # httpx's request lines, masked
    for secret in (fake.secret, "fake-token-1", "fake-token-2"):
        assert secret not in caplog.text
        assert secret not in shown


def test_wait_for_says_what_arrived():
    fake = FakeWeChatAPI()
    with pytest.raises(TimeoutError, match="0 of 1"):
        fake.wait_for(OPENID, 1, timeout=0.05)

"""``make bench-wechat``: the WeChat channel under the simulator (bot/wechat/simulate.py) on
the live servers, 安全模式: how fast passive replies come (WeChat gives up after 5 s; the
channel answers ``success`` at 4 s and sends the answer by 客服), and retry storms (the same
MsgId four times at once) against the tracker store's user turns. Not part of the test
suite (the file name is not test_*). The figures replace the ``wechat`` section of
docs/benchmarks.md."""

from __future__ import annotations

import concurrent.futures
import statistics
import uuid

import pytest

from bot import machine
from bot.docs import replace_section
from bot.wechat.simulate import LOCAL_AES_KEY, LOCAL_APPID, LOCAL_TOKEN, WeChatServer
from tests.test_browser import ROOT
from tests.test_e2e_live import tracker_events

pytestmark = pytest.mark.slow
USERS, CONCURRENT, STORMS = 12, 4, 20
#: Each simulated user's conversation, as a policyholder might type it.
SCRIPT = ["你好", "我想退保", "1", "不清楚", "有人说能帮我全额退保", "还没有", "保单贷款利息多少",
          "犹豫期是多久", "转人工", "有人吗"]  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def turns(servers, openid: str) -> int:
    return sum(1 for e in tracker_events(servers, f"wechat:{openid}") if e["event"] == "user")


def test_wechat_passive_replies_and_retry_storms(servers):
    wechat = WeChatServer(servers["console"] + "/wechat", LOCAL_TOKEN, LOCAL_APPID, LOCAL_AES_KEY)

    def conversation(n: int) -> list:
        openid = f"o_bench_{n}_{uuid.uuid4().hex[:8]}"
        return [wechat.push(wechat.text_fields(openid, line)) for line in SCRIPT]

    with concurrent.futures.ThreadPoolExecutor(CONCURRENT) as pool:
        deliveries = [d for conv in pool.map(conversation, range(USERS)) for d in conv]
    passive = [d.seconds for d in deliveries if d.texts]
    by_kefu = sum(1 for d in deliveries if d.status == 200 and not d.texts)
    errors = sum(1 for d in deliveries if d.status != 200)
    retried = sum(1 for d in deliveries if d.tries > 1)

    storms = []
    for n in range(STORMS):
        openid = f"o_storm_{n}_{uuid.uuid4().hex[:8]}"
        fields = wechat.text_fields(openid, "犹豫期是多久")
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: wechat.push(fields), range(4)))  # noqa: B023
        storms.append(turns(servers, openid))

    report = "\n".join(
        [
            "## WeChat channel under the simulator",
            "",
            f"Command: `make bench-wechat`, run {machine.today()} on {machine.describe()}.",
            f"{USERS} simulated users, {CONCURRENT} at a time, each the {len(SCRIPT)} messages",
            "of a surrender-and-scam conversation, 安全模式 (signed, AES), through the console's",
            "`/wechat` to the live Rasa and action server.",
            "",
            "| messages | passive | p50 | p95 | max | by 客服 | resent by WeChat | errors |",
            "|---|---|---|---|---|---|---|---|",
            f"| {len(deliveries)} | {len(passive)} | {statistics.median(passive):.2f} s "
            f"| {percentile(passive, 0.95):.2f} s | {max(passive):.2f} s | {by_kefu} | {retried} "
            f"| {errors} |",
            "",
            f"Retry storms: {STORMS} times the same MsgId four times at once; user turns in the",
            f"tracker store per storm: {sorted(set(storms))} (exactly one each time: "
            f"{all(t == 1 for t in storms)}).",
        ]
    )
    out = ROOT / "docs" / "benchmarks.md"
    out.write_text(
        replace_section(out.read_text(encoding="utf-8"), "wechat", report), encoding="utf-8"
    )
    print("\n" + report)
    assert all(t == 1 for t in storms) and errors == 0

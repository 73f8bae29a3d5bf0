"""The console as a supervisor reads it, in a real browser, on the console alone (no Rasa
needed: the conversations are written into the tracker store as Rasa would): a transcript
with button presses by their titles and the internal steps behind 显示系统动作, and the
dashboard by channel. Screenshots: transcript-readable.png, dashboard-channels.png."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from console_helpers import TrackerEvents

from bot.accounts import UserStore
from bot.analytics import record_served
from bot.handoff import HandoffStore
from bot.knowledge.store import KnowledgeBase
from bot.local_time import zone
from tests.kb_helpers import entry
from tests.live_servers import console_only
from tests.test_browser import PASSWORD, SHOTS, browser, page, sign_in  # noqa: F401

pytestmark = pytest.mark.slow
BEIJING = zone("Asia/Shanghai")
SHOW_LOAN = '/show_entry{"entry_id": "loan"}'


def seed(db: Path, tracker_path: Path) -> None:
    users = UserStore.open(db)
    users.add("wang", PASSWORD, role="supervisor")
    kb = KnowledgeBase.open(db)
    kb.create(entry("loan", title="保单贷款：不退保也能先借一笔钱，利息和还款怎么算"), by="lin")
    kb.create(entry("cooling", title="买了保险后悔了，犹豫期内能全额退吗？"), by="lin")
    tracker = TrackerEvents(tracker_path)
    now = dt.datetime.now(dt.timezone.utc).timestamp()
    start = now - 600
    events = [
        {"event": "action", "name": "action_session_start", "timestamp": start},
        {"event": "user", "text": "我想退保", "timestamp": start + 1,
         "parse_data": {"intent": {"name": "request_surrender", "confidence": 0.93}}},
        {"event": "action", "name": "action_surrender_warning", "timestamp": start + 2},
        {"event": "bot", "text": "退保可能损失不少钱。急用钱的话，可以先看看这些办法：",
         "timestamp": start + 3,
         "data": {"buttons": [{"title": "急用钱时可以先借", "payload": SHOW_LOAN},
                              {"title": "还是要退保", "payload": "/affirm"}]}},
        {"event": "user", "text": SHOW_LOAN, "timestamp": start + 20},
        {"event": "action", "name": "action_show_entry", "timestamp": start + 21},
        {"event": "bot", "text": "保单贷款一般最多可借现金价值的八成，以合同为准。",
         "timestamp": start + 22},
        {"event": "user", "text": '/show_entry{"entry_id": "cooling"}', "timestamp": start + 40},
        {"event": "user", "text": "还是找人工吧，电话13812345678", "timestamp": start + 60,
         "parse_data": {"intent": {"name": "request_human", "confidence": 0.88}}},
        {"event": "action", "name": "action_request_human", "timestamp": start + 61},
        {"event": "bot", "text": "您好，我是客服小林，我来帮您看看。", "timestamp": start + 120,
         "metadata": {"agent": "lin"}},
    ]  # fmt: skip
    for event in events:
        tracker.add("web:older-lady", event)
    # The dashboard's traffic: chats on the page and on WeChat over the last days, and a
    # load test through the REST API that the dashboard leaves out unless asked.
    store = HandoffStore.open(db)
    store.request("web:older-lady", "web", "user_request", "high", ["paid_fee"], [])
    for days_ago in range(5):
        at = now - days_ago * 86400
        for n in range(days_ago + 1):
            tracker.user(f"web:p{days_ago}{n}", "request_surrender", at - n)
            tracker.user(f"wechat:w{days_ago}{n}", "ask_policy_loan", at - n)
            record_served(store.db, "loan", "ask_policy_loan", f"web:p{days_ago}{n}")
        for n in range(30):
            tracker.user(f"load-{days_ago}-{n}", "request_surrender", at - n)
            record_served(store.db, "cooling", "ask_cooling_off", f"load-{days_ago}-{n}")


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("readable")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with console_only(tmp, lambda live: seed(tmp / "policyguard.db", tmp / "tracker.db")) as site:
        yield site


def test_a_transcript_reads_as_the_user_saw_it_with_steps_on_request(page, console):  # noqa: F811
    sign_in(page, console, "wang")
    page.goto(console["console"] + "/console/handoffs/1")
    transcript = page.locator("[data-testid=transcript]")
    text = transcript.inner_text()
    assert "急用钱时可以先借" in text and "买了保险后悔了，犹豫期内能全额退吗？" in text
    assert "show_entry" not in text and "entry_id" not in text and "13812345678" not in text
    steps = page.locator("[data-testid=action-turn]")
    assert steps.count() == 4 and not steps.first.is_visible()
    assert page.locator(".turn.agent .speaker").inner_text() == "工作人员 lin"
    page.screenshot(path=str(SHOTS / "transcript-readable.png"), full_page=True)

    page.check("[data-testid=show-actions]")
    assert steps.first.is_visible() and "action_show_entry" in transcript.inner_text()
    # The open conversation's transcript refreshes every few seconds; the choice stays.
    page.wait_for_timeout(5000)
    assert page.locator("[data-testid=action-turn]").first.is_visible()
    page.uncheck("[data-testid=show-actions]")
    assert not page.locator("[data-testid=action-turn]").first.is_visible()
    assert page.js_errors == []


def test_the_dashboard_counts_people_not_load_tests_until_asked(page, console):  # noqa: F811
    sign_in(page, console, "wang")
    page.goto(console["console"] + "/console/dashboard")
    today = dt.datetime.now(dt.timezone.utc).astimezone(BEIJING).date()
    scope = page.inner_text("[data-testid=dashboard-scope]")
    assert f"{today - dt.timedelta(days=4)} 至 {today}" in scope and "网页、微信" in scope
    people = int(page.inner_text("[data-testid=figures] .figure >> nth=0"))
    assert people == 15  # 1 + 2 + 3 + 4 + 5 conversations on the chat page
    top = page.inner_text(".chart:has-text('最常用的知识条目')")
    assert "保单贷款：不退保也能先借一笔钱，利息和还款怎么算" in top.replace("\n", "")
    page.screenshot(path=str(SHOTS / "dashboard-channels.png"), full_page=True)

    page.check("[data-testid=channel-rest]")
    page.click("[data-testid=dashboard-filters] button[type=submit]")
    page.wait_for_selector("[data-testid=dashboard-scope]:has-text('接口/测试')")
    assert int(page.inner_text("[data-testid=figures] .figure >> nth=0")) == 15 + 150
    assert page.js_errors == []

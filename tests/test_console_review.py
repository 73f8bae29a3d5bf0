"""The review inbox page (/console/review) and its figure on the dashboard, over HTTP."""

from __future__ import annotations

import re

import pytest
from console_helpers import USERS, TrackerEvents, make_app, signed_in

from bot.nlu_review import ReviewStore

DAY = 1_780_000_000.0  # 2026-05-28 20:26 UTC, 2026-05-29 04:26 in Beijing time


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path, users={**USERS, "zhao": "agent"})


@pytest.fixture
def events(tmp_path, app):
    tracker = TrackerEvents(tmp_path / "tracker.db")
    ids = {
        "sure": tracker.message("a", "我想退保", "request_surrender", 0.97, DAY),
        "unsure": tracker.message("a", "保单能借钱不", "ask_policy_loan", 0.42, DAY + 60),
        "fallback": tracker.message("b", "那个钱的事", "nlu_fallback", 0.3, DAY + 86400, "wechat"),
        "phone": tracker.message("c", "电话13812345678", "request_human", 0.6, DAY + 7, "rest"),
    }
    tracker.message("a", '/show_entry{"entry_id": "loan"}', "show_entry", 1.0, DAY + 9)
    return ids


def rows(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-event="(\d+)"', html)]


def decide(c, token, event_id, decision, intent="", back=""):
    data = {"csrf_token": token, "event_id": str(event_id), "decision": decision, "back": back}
    return c.post("/console/review", data={**data, "intent": intent})


def test_lowest_confidence_first_fallbacks_on_top_payloads_left_out(app, events):
    c, _ = signed_in(app, "lin")
    r = c.get("/console/review")
    assert r.status_code == 200
    assert rows(r.text) == [events[k] for k in ("fallback", "unsure", "phone", "sure")]
    assert "show_entry" not in r.text.split("<tbody>")[1].split("<select")[0]
    assert "电话[手机号]" in r.text and "13812345678" not in r.text
    # Intents by their Chinese labels, the code beside; the confidence as a percentage.
    assert "保单贷款 <code" in r.text and "42%" in r.text and "没听懂" in r.text
    assert ">理赔</option>" in r.text
    assert "消息审核" in r.text  # the menu link


def test_filters(app, events):
    c, _ = signed_in(app, "wang")
    assert rows(c.get("/console/review?channel=wechat").text) == [events["fallback"]]
    assert rows(c.get("/console/review?intent=ask_policy_loan").text) == [events["unsure"]]
    # Days are days in the configured time zone (Beijing time).
    got = rows(c.get("/console/review?date_from=2026-05-29&date_to=2026-05-29").text)
    assert set(got) == {events["sure"], events["unsure"], events["phone"]}
    assert rows(c.get("/console/review?state=done").text) == []


def test_confirm_correct_not_useful_are_recorded(app, events):
    c, token = signed_in(app, "lin")
    r = decide(c, token, events["unsure"], "confirmed", back="channel=web&page=1")
    assert r.status_code == 303 and r.headers["location"] == "/console/review?channel=web&page=1"
    assert "已确认" in c.get(r.headers["location"]).text
    c2, token2 = signed_in(app, "wang")
    decide(c2, token2, events["unsure"], "corrected", "ask_surrender_value")
    decide(c2, token2, events["sure"], "not_useful")
    decide(c2, token2, events["fallback"], "corrected", "ask_surrender_value")

    store = ReviewStore.open(app.state.settings.db_path)
    latest = store.latest()
    assert {(d.decision, d.intent, d.by) for d in latest.values()} == {
        ("corrected", "ask_surrender_value", "wang"),
        ("not_useful", "", "wang"),
    }
    assert [(row["decision"], row["by"]) for row in store.history(events["unsure"])] == [
        ("confirmed", "lin"),
        ("corrected", "wang"),
    ]
    # Decided messages leave the pending list and show under 已处理 with who decided.
    assert rows(c.get("/console/review").text) == [events["phone"]]
    done = c.get("/console/review?state=done").text
    assert set(rows(done)) == {events["unsure"], events["sure"], events["fallback"]}
    assert "已改为「退保能拿回多少钱」" in done and "wang" in done


def test_refused_decisions_record_nothing(app, events):
    c, token = signed_in(app, "lin")
    # A fallback cannot be confirmed (no button either); a correction needs a real intent.
    assert 'value="confirmed"' not in c.get("/console/review?channel=wechat").text
    decide(c, token, events["fallback"], "confirmed")
    decide(c, token, events["unsure"], "corrected", "show_entry")
    assert "不能直接确认" in c.get("/console/review").text
    assert decide(c, token, 999, "confirmed").status_code == 404
    assert decide(c, token, "1 OR 1", "confirmed").status_code == 404
    r = c.post("/console/review", data={"event_id": events["unsure"], "decision": "confirmed"})
    assert r.status_code == 403  # no CSRF token
    assert ReviewStore.open(app.state.settings.db_path).latest() == {}


def test_agents_may_not_review(app, events):
    c, token = signed_in(app, "zhao")
    assert c.get("/console/review").status_code == 403
    assert decide(c, token, events["unsure"], "confirmed").status_code == 403
    assert "消息审核" not in c.get("/console/handoffs").text
    assert ReviewStore.open(app.state.settings.db_path).latest() == {}


def test_page_without_a_tracker_database(app):
    c, _ = signed_in(app, "lin")
    r = c.get("/console/review")
    assert r.status_code == 200 and 'data-testid="no-tracker"' in r.text
    assert "共 0 条" in r.text


def test_pagination(app, tmp_path):
    tracker = TrackerEvents(tmp_path / "tracker.db")
    for n in range(55):
        tracker.message(f"s{n}", f"问题{n}", "ask_claim", 0.5 + n / 1000, DAY + n)
    c, _ = signed_in(app, "lin")
    first = c.get("/console/review").text
    assert len(rows(first)) == 50 and 'data-testid="pager"' in first
    second = c.get("/console/review?page=2").text
    assert len(rows(second)) == 5 and "问题54" in second


def test_dashboard_counts_messages_awaiting_review(app, events):
    c, token = signed_in(app, "wang")
    figure = re.search(r'data-testid="awaiting-review">(\d+)<', c.get("/console/dashboard").text)
    assert figure and figure.group(1) == "4"
    decide(c, token, events["sure"], "not_useful")
    html = c.get("/console/dashboard").text
    assert "待审核的用户消息：" in html and 'data-testid="awaiting-review">3<' in html


def test_dashboard_count_without_a_tracker_database(app):
    c, _ = signed_in(app, "root")
    assert 'data-testid="awaiting-review">0<' in c.get("/console/dashboard").text

"""The handoff queue as agents work it: waiting time, latest message, assignee, order, open
handoffs by default, pages of 50, and the JSON counts the page polls."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from console_helpers import PASSWORD, TrackerEvents, client, make_app, signed_in

from bot.accounts import UserStore
from bot.console.queue import PAGE_SIZE, preview, waiting_time
from bot.handoff import HandoffStore
from bot.live import LiveDesk, RecordingConversations

NOW = dt.datetime.now(dt.timezone.utc)


def ago(**kw) -> str:
    """A stored time this long before now (a few seconds more, for a slow test run)."""
    now = dt.datetime.now(dt.timezone.utc)
    return (now - dt.timedelta(**kw, seconds=kw.pop("seconds", 0) + 5)).isoformat()


def user_turn(text):
    return [{"role": "user", "text": text}, {"role": "bot", "text": "好的"}]


def rows_of(page: str) -> list[dict[str, str]]:
    """The queue's rows: id and the text of each cell that has a data-testid."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for tr in re.findall(r"<tr.*?</tr>", body, re.S):
        found = re.search(r'/console/handoffs/(\d+)"', tr)
        if not found:
            continue
        cells = {
            name: html.unescape(re.sub(r"<[^>]+>", "", text)).strip()
            for name, text in re.findall(r'data-testid="(\w+)">(.*?)</td>', tr, re.S)
        }
        rows.append({"id": int(found.group(1)), **cells})
    return rows


def ids_in(page: str) -> list[int]:
    return [row["id"] for row in rows_of(page)]


def set_created(store: HandoffStore, handoff_id: int, when: str) -> None:
    store.db["handoffs"].update(handoff_id, {"created_at": when})


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


@pytest.fixture
def store(app):
    return HandoffStore.open(app.state.backend.db_path)


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        ({"seconds": 5}, "不到 1 分钟"),
        ({"minutes": 3, "seconds": 59}, "3 分钟"),
        ({"minutes": 59}, "59 分钟"),
        ({"hours": 2, "minutes": 5}, "2 小时 5 分"),
        ({"hours": 1}, "1 小时"),
        ({"days": 1, "minutes": 40}, "1 天"),
        ({"days": 2, "hours": 3}, "2 天 3 小时"),
        ({"seconds": -30}, "不到 1 分钟"),  # a clock a little ahead is not a negative wait
    ],
)
def test_waiting_time_in_plain_words(delta, words):
    assert waiting_time((NOW - dt.timedelta(**delta)).isoformat(), NOW) == words


def test_waiting_time_of_a_time_it_cannot_read_is_empty():
    assert waiting_time("yesterday", NOW) == ""
    nine = dt.datetime(2026, 11, 22, 9, tzinfo=dt.timezone.utc)
    assert waiting_time("2026-11-22T08:00:00", nine) == "1 小时"  # no zone: UTC


def test_preview_is_redacted_before_it_is_cut():
    text = "我的卡号是6222020200000000006，" + "很长" * 40
    shown = preview(text)
    assert len(shown) == 40 and shown.endswith("…")
    assert "[银行卡号]" in shown and "622202" not in shown
    assert preview("  你好\n\n 在吗  ") == "你好 在吗"
    assert preview(None) == ""


def test_queue_shows_wait_latest_message_and_assignee(app, store, tmp_path):
    store.request("web:a", "web", "user_request", "low", [], user_turn("我想退保，电话13812345678"))
    store.request("web:b", "web", "proxy_surrender", "high", [], user_turn("有人让我交手续费"))
    store.request("web:c", "rest", "user_request", "medium", [], [])
    set_created(store, 1, ago(hours=2, minutes=5))
    set_created(store, 2, ago(minutes=3))
    set_created(store, 3, ago(days=1, minutes=1))
    tracker = TrackerEvents(tmp_path / "tracker.db")
    tracker.add("web:b", {"event": "user", "text": "那个人又打电话来了", "timestamp": 1.8e9})
    tracker.add("web:b", {"event": "bot", "text": "请先别转钱", "timestamp": 1.8e9 + 1})
    long = "他说我的身份证号110101199003074514要发给他才能办，" + "还说" * 30
    tracker.add("web:b", {"event": "user", "text": long, "timestamp": 1.8e9 + 60})
    tracker.add("web:other", {"event": "user", "text": "别的对话", "timestamp": 1.8e9 + 90})
    LiveDesk(store.db, RecordingConversations()).take(2, by="lin")

    c, _ = signed_in(app, "wang")
    page = c.get("/console/handoffs").text
    rows = {row["id"]: row for row in rows_of(page)}
    # b: the latest user message in the tracker store, redacted and cut; held by lin.
    assert rows[2]["waiting"] == "3 分钟"
    assert rows[2]["preview"].startswith("他说我的身份证号[身份证号]要发给他")
    assert rows[2]["preview"].endswith("…") and len(rows[2]["preview"]) == 40
    assert "110101199003074514" not in page and "又打电话" not in page
    assert rows[2]["assignee"] == "lin"
    # a: no tracker events, so the last user turn of the saved transcript.
    assert rows[1] == {
        "id": 1,
        "waiting": "2 小时 5 分",
        "preview": "我想退保，电话[手机号]",
        "assignee": "未接待",
    }
    # c: no user turn anywhere.
    assert rows[3]["waiting"] == "1 天" and rows[3]["preview"] == ""
    assert rows[3]["assignee"] == "未接待"


def test_queue_without_a_tracker_store_uses_the_transcripts(app, store):
    store.request("c", "rest", "user_request", "low", [], user_turn("转人工"))
    c, _ = signed_in(app, "wang")
    (row,) = rows_of(c.get("/console/handoffs").text)
    assert row["preview"] == "转人工" and row["assignee"] == "未接待"


def test_order_is_highest_risk_and_longest_wait_first_resolved_last(app, store):
    setup = [  # conversation, risk, waited (minutes), resolved
        ("low-old", "low", 300, False),
        ("high-new", "high", 5, False),
        ("high-old", "high", 90, False),
        ("mid", "medium", 600, False),
        ("high-done", "high", 900, True),
        ("low-done", "low", 1000, True),
    ]
    for conversation, risk, minutes, resolved in setup:
        h, _ = store.request(conversation, "rest", "user_request", risk, [], [])
        set_created(store, h.id, ago(minutes=minutes))
        if resolved:
            store.set_status(h.id, "resolved", by="wang")
    c, _ = signed_in(app, "wang")
    assert ids_in(c.get("/console/handoffs?status=all").text) == [3, 2, 4, 1, 5, 6]
    rows = rows_of(c.get("/console/handoffs?status=all").text)
    assert [r["waiting"] for r in rows[-2:]] == ["已处理", "已处理"]
    assert [r["assignee"] for r in rows[-2:]] == ["—", "—"]


def test_the_default_list_is_the_open_handoffs(app, store):
    for name in ("a", "b", "c"):
        store.request(name, "rest", "user_request", "low", [], [])
    store.set_status(2, "resolved", by="wang")
    store.set_status(3, "in_review", by="wang")
    c, _ = signed_in(app, "wang")
    page = c.get("/console/handoffs").text
    assert ids_in(page) == [1, 3]
    assert re.search(r'<option value="" selected>未处理', page)
    assert ids_in(c.get("/console/handoffs?status=").text) == [1, 3]
    assert ids_in(c.get("/console/handoffs?status=bogus").text) == [1, 3]
    page = c.get("/console/handoffs?status=all").text
    assert ids_in(page) == [1, 3, 2]
    assert re.search(r'<option value="all" selected>全部', page)
    assert ids_in(c.get("/console/handoffs?status=resolved").text) == [2]
    # The CSV link exports what the page shows.
    assert 'href="/console/handoffs.csv?status=all"' in page
    assert len(c.get("/console/handoffs.csv").text.strip().splitlines()) == 3  # header + 2


def test_pages_of_fifty_keep_the_filters(app, store):
    for i in range(120):
        store.request(f"web:{i}", "web", "user_request", "low", [], [])
    store.request("rest:x", "rest", "user_request", "low", [], [])
    c, _ = signed_in(app, "wang")
    first = c.get("/console/handoffs?channel=web&q=").text
    assert ids_in(first) == list(range(1, PAGE_SIZE + 1))
    assert "共 120 条" in first and "第 1 / 3 页" in first
    assert "上一页" not in first
    assert 'rel="next" href="/console/handoffs?channel=web&amp;page=2"' in first

    second = c.get("/console/handoffs?channel=web&page=2").text
    assert ids_in(second) == list(range(51, 101))
    assert 'rel="prev" href="/console/handoffs?channel=web&amp;page=1"' in second
    assert 'rel="next" href="/console/handoffs?channel=web&amp;page=3"' in second

    third = c.get("/console/handoffs?channel=web&page=3").text
    assert ids_in(third) == list(range(101, 121)) and "下一页" not in third

    for junk in ("0", "-1", "abc", "2.5", "²", "9" * 30, ""):
        assert ids_in(c.get(f"/console/handoffs?channel=web&page={junk}").text)[0] == 1, junk
    # Past the last page: the last page.
    assert ids_in(c.get("/console/handoffs?channel=web&page=99").text)[0] == 101
    # One page: no page links.
    single = c.get("/console/handoffs?channel=rest").text
    assert ids_in(single) == [121] and 'data-testid="pager"' not in single


def test_paging_keeps_status_all_and_text(app, store):
    for i in range(60):
        h, _ = store.request(f"c{i}", "web", "user_request", "low", [], user_turn("退保"))
        if i % 2:
            store.set_status(h.id, "resolved", by="wang")
    c, _ = signed_in(app, "wang")
    page = c.get("/console/handoffs?status=all&q=退保").text
    assert "共 60 条" in page
    assert 'href="/console/handoffs?status=all&amp;q=%E9%80%80%E4%BF%9D&amp;page=2"' in page
    assert "共 30 条" in c.get("/console/handoffs?q=退保").text


def test_queue_api_counts_open_unassigned_handoffs(app, store):
    c, _ = signed_in(app, "wang")
    empty = c.get("/console/api/queue")
    assert empty.status_code == 200
    assert empty.json() == {"waiting": 0, "high_risk_waiting": 0, "newest_high_risk_id": None}
    store.request("a", "rest", "user_request", "low", [], [])
    store.request("b", "rest", "proxy_surrender", "high", [], [])
    store.request("c", "rest", "proxy_surrender", "high", [], [])
    store.request("d", "rest", "proxy_surrender", "high", [], [])
    store.request("e", "rest", "user_request", "medium", [], [])
    store.set_status(4, "resolved", by="wang")  # resolved: not waiting
    r = c.get("/console/api/queue")
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["cache-control"] == "no-store"
    assert r.json() == {"waiting": 4, "high_risk_waiting": 2, "newest_high_risk_id": 3}
    LiveDesk(store.db, RecordingConversations()).take(3, by="lin")  # held: not waiting
    after = c.get("/console/api/queue").json()
    assert after == {"waiting": 3, "high_risk_waiting": 1, "newest_high_risk_id": 2}
    # The page starts from the same counts, in its title and for the script.
    page = c.get("/console/handoffs").text
    assert "<title>(1) 转人工记录" in page
    assert 'data-queue-poll="/console/api/queue"' in page
    assert 'data-newest-high-risk="2"' in page
    assert 'data-queue-alert hidden role="alert"' in page


def test_the_page_title_has_no_count_without_high_risk(app, store):
    store.request("a", "rest", "user_request", "low", [], [])
    c, _ = signed_in(app, "wang")
    page = c.get("/console/handoffs").text
    assert "<title>转人工记录" in page and 'data-newest-high-risk="0"' in page


def test_queue_api_refuses_in_json(app, store):
    r = client(app).get("/console/api/queue")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"error": "请先登录"}
    staff, _ = signed_in(app, "lin")
    r = staff.get("/console/api/queue")
    assert r.status_code == 403 and r.json()["error"]
    UserStore.open(app.state.backend.db_path).add("mei", PASSWORD, role="agent")
    agent, _ = signed_in(app, "mei")
    assert agent.get("/console/api/queue").status_code == 200
    # Console pages still send a signed-out browser to the sign-in page.
    r = client(app).get("/console/handoffs")
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    assert client(app).get("/console/api/nothing").json() == {"error": "找不到这个页面。"}

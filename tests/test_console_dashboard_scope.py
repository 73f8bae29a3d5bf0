"""The dashboard's scope: days counted in the configured time zone, a channel filter (the
chat page and WeChat by default, REST/test traffic left out), a default period that fits
the data, and entry names shown whole."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from console_helpers import TrackerEvents, make_app, signed_in
from sqlite_utils import Database

from bot.analytics import record_served
from bot.console.periods import Scope
from bot.console.stats import dashboard
from bot.handoff import HandoffStore
from bot.knowledge.store import KnowledgeBase
from bot.local_time import zone
from tests.kb_helpers import entry

D = dt.date
BEIJING = zone("Asia/Shanghai")
#: 2025-03-01 20:00 UTC: 2025-03-02 04:00 in Beijing.
EVENING_UTC = dt.datetime(2025, 3, 1, 20, tzinfo=dt.timezone.utc).timestamp()


@pytest.fixture()
def tracker(tmp_path):
    return TrackerEvents(tmp_path / "tracker.db")


def test_days_are_days_in_the_time_zone(tracker):
    tracker.user("web:a", "request_surrender", EVENING_UTC)
    tracker.user("web:a", "nlu_fallback", EVENING_UTC + 60)
    period = (D(2025, 3, 1), D(2025, 3, 2))
    in_utc = dashboard(Database(memory=True), tracker.db, *period, Scope())
    in_beijing = dashboard(Database(memory=True), tracker.db, *period, Scope(BEIJING))
    assert in_utc.surrenders_per_day == [1, 0] and in_utc.user_messages_per_day == [2, 0]
    assert in_beijing.surrenders_per_day == [0, 1] and in_beijing.user_messages_per_day == [0, 2]


def test_a_summer_time_day_is_counted_whole(tracker):
    london = zone("Europe/London")  # 2025-03-30 has 23 hours there
    late = dt.datetime(2025, 3, 30, 23, 30, tzinfo=london).timestamp()  # 22:30 UTC
    early = dt.datetime(2025, 3, 30, 0, 30, tzinfo=london).timestamp()  # 00:30 UTC
    tracker.user("web:a", "request_surrender", late).user("web:b", "request_surrender", early)
    d = dashboard(Database(memory=True), tracker.db, D(2025, 3, 29), D(2025, 3, 31), Scope(london))
    assert d.surrenders_per_day == [0, 2, 0]


def test_handoffs_and_answers_are_counted_on_local_days():
    app_db = Database(memory=True)
    h, _ = HandoffStore(app_db).request("web:a", "web", "user_request", "low", [], [])
    app_db["handoffs"].update(h.id, {"created_at": "2025-03-01T20:00:00+00:00"})
    record_served(app_db, "loan", "ask_policy_loan", "web:a", now="2025-03-01T20:00:00+00:00")
    d = dashboard(app_db, None, D(2025, 3, 2), D(2025, 3, 2), Scope(BEIJING))
    assert d.handoffs_by_reason == {"user_request": 1} and d.top_entries[0].served == 1
    d = dashboard(app_db, None, D(2025, 3, 1), D(2025, 3, 1), Scope(BEIJING))
    assert d.handoffs_by_reason == {} and d.top_entries == []


def channel_data(tracker, app_db):
    for sender in ("web:a", "wechat:b", "load-test-1", "load-test-2"):
        tracker.user(sender, "request_surrender", EVENING_UTC)
        h, _ = HandoffStore(app_db).request(sender, "rest", "user_request", "low", [], [])
        app_db["handoffs"].update(h.id, {"created_at": "2025-03-01T12:00:00+00:00"})
        record_served(app_db, "loan", "ask_policy_loan", sender, now="2025-03-01T12:00:00+00:00")


@pytest.mark.parametrize(
    ("channels", "count"),
    [(("web", "wechat"), 2), (("web",), 1), (("rest",), 2), (("web", "wechat", "rest"), 4)],
)
def test_only_the_chosen_channels_count(tracker, channels, count):
    app_db = Database(memory=True)
    channel_data(tracker, app_db)
    d = dashboard(app_db, tracker.db, D(2025, 3, 1), D(2025, 3, 1), Scope(channels=channels))
    assert sum(d.surrenders_per_day) == count
    assert d.handoffs_by_reason == {"user_request": count}
    assert d.top_entries[0].served == count


@pytest.fixture
def app(tmp_path, tracker):
    app = make_app(tmp_path)
    channel_data(tracker, app.state.backend.db)
    return app


def figure(html: str) -> int:
    return int(re.search(r'<p class="figure">(\d+)</p>', html).group(1))


def test_the_page_leaves_test_traffic_out_unless_asked(app):
    c, _ = signed_in(app, "wang")
    period = "from=2025-03-01&to=2025-03-03"
    html = c.get(f"/console/dashboard?{period}").text
    assert figure(html) == 2  # 网页 and 微信
    assert "渠道：网页、微信" in html
    assert re.search(r'value="web" checked', html) and re.search(r'value="rest"\s+data-', html)
    html = c.get(f"/console/dashboard?{period}&channel=rest").text
    assert figure(html) == 2 and "渠道：接口/测试" in html
    html = c.get(f"/console/dashboard?{period}&channel=web&channel=wechat&channel=rest").text
    assert figure(html) == 4
    # The Beijing day: the surrenders were asked at 04:00 on 03-02 there.
    assert "按北京时间计日" in html and "日期（北京时间）" in html


def test_the_default_period_starts_at_the_first_day_with_data(tmp_path, tracker):
    app = make_app(tmp_path)
    today = dt.datetime.now(dt.timezone.utc).astimezone(BEIJING).date()
    three_days_ago = dt.datetime.combine(today - dt.timedelta(days=3), dt.time(12), BEIJING)
    tracker.user("web:a", "request_surrender", three_days_ago.timestamp())
    tracker.user("load-test", "request_surrender", three_days_ago.timestamp() - 20 * 86400)
    c, _ = signed_in(app, "wang")
    html = c.get("/console/dashboard").text
    assert f"{today - dt.timedelta(days=3)} 至 {today}" in html  # the test traffic is older
    assert figure(html) == 1
    html = c.get("/console/dashboard?channel=web&channel=rest").text
    assert f"{today - dt.timedelta(days=23)} 至 {today}" in html


def test_entry_names_are_shown_whole(tmp_path):
    app = make_app(tmp_path)
    long = "保单贷款：不退保也能用钱，利息怎么算、最多能借多少、什么时候要还"
    KnowledgeBase.open(app.state.backend.db_path).create(entry("loan", title=long), by="lin")
    record_served(app.state.backend.db, "loan", "ask_policy_loan", "web:a")
    c, _ = signed_in(app, "wang")
    html = c.get("/console/dashboard").text
    chart = html.split("最常用的知识条目")[-1].split("</svg>")[0]
    label = "".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>", chart))
    assert label == long and "…" not in chart and chart.count("<tspan") == 2  # two lines


def test_answers_recorded_before_channels_were_count_only_for_every_channel():
    app_db = Database(memory=True)
    record_served(app_db, "loan", "ask_policy_loan", "web:a", now="2025-03-01T12:00:00+00:00")
    app_db["served_answers"].update(1, {"channel": None})  # as recorded before m002
    period = (D(2025, 3, 1), D(2025, 3, 1))
    assert dashboard(app_db, None, *period, Scope(channels=("web", "wechat"))).top_entries == []
    assert dashboard(app_db, None, *period, Scope()).top_entries[0].served == 1

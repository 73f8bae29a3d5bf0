"""What the bot says about the staff desk: in and out of service hours, and to a ping."""

import datetime as dt

import pytest
from sqlite_utils import Database

from actions.conversation import ActionGreet
from actions.desk import handed_off, waiting
from actions.handoff import ActionRequestHuman
from bot.handoff import HandoffStore
from bot.live import LiveDesk, RecordingConversations, queue_position
from bot.service_hours import ServiceHours
from bot.settings import Settings
from tests.conftest import ROOT, load_yaml
from tests.trackers import run_action, tracker_for

BEIJING = ServiceHours.parse("mon-fri 09:00-18:00").zone
RESPONSES = load_yaml(ROOT / "domain.yml")["responses"]


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A time in Beijing in the week of Monday 2026-11-30."""
    return dt.datetime(2026, 11, 30, hour, minute, tzinfo=BEIJING) + dt.timedelta(days=day)


def closed_all_day_today() -> ServiceHours:
    """Hours that are surely closed now: only on the day after tomorrow."""
    later = (dt.datetime.now(BEIJING).weekday() + 2) % 7
    return ServiceHours(frozenset({later}), 9 * 60, 18 * 60, BEIJING)


def text(name: str) -> str:
    return RESPONSES[name][0]["text"]


def test_the_hours_are_read_in_beijing_time_whatever_the_clock_of_the_server():
    hours = ServiceHours.parse("mon-fri 09:00-18:00")
    assert hours.is_open(at(0, 9)) and not hours.is_open(at(0, 18)) and not hours.is_open(at(5, 10))
    # 01:30 UTC is 09:30 in Beijing.
    assert hours.is_open(dt.datetime(2026, 11, 30, 1, 30, tzinfo=dt.timezone.utc))


@pytest.mark.parametrize(
    ("now", "words"),
    [
        (at(0, 7), "今天上午9点"),
        (at(0, 19), "明天上午9点"),
        (at(4, 19), "周一上午9点"),
        (at(5, 3), "周一上午9点"),
    ],
)
def test_when_staff_are_back_is_said_as_a_person_says_it(now, words):
    assert ServiceHours.parse("mon-fri 09:00-18:00").back_words(now) == words


def test_other_openings_read_as_well():
    assert ServiceHours.parse("sat-sun 13:30-17:00").back_words(at(0, 10)) == "周六下午1点半"
    assert ServiceHours.parse("daily 12:05-13:00").back_words(at(0, 13)) == "明天中午12点5分"
    always = ServiceHours.parse("daily 00:00-24:00")
    assert always.is_open(at(3, 23, 59)) and always.is_open(at(6, 0))


@pytest.mark.parametrize(
    "spec", ["9-5", "mon-fri 18:00-09:00", "someday 09:00-18:00", "daily 09:75-18:00"]
)
def test_a_wrong_setting_is_an_error_at_start_that_names_it(spec):
    with pytest.raises(ValueError, match="SERVICE_HOURS"):
        Settings.from_env({"SERVICE_HOURS": spec})
    with pytest.raises(ValueError, match="TIME_ZONE"):
        Settings.from_env({"TIME_ZONE": "Mars/Olympus"})


def test_in_hours_the_handoff_says_staff_answer_here():
    assert text("utter_handoff_in_hours") == "已为您转人工，工作人员会在这里回复您。"
    assert [n for n, _ in handed_off(True, "", "web")] == [
        "utter_handoff_in_hours",
        "utter_handoff_never_ask",
    ]


def test_out_of_hours_the_handoff_says_when_where_and_to_call_themselves_if_urgent():
    for channel, where in (("rest", "下次打开"), ("wechat", "48小时")):
        lines = handed_off(False, "明天上午9点", channel)
        said = [text(n).format(**values) for n, values in lines]
        assert "明天上午9点" in said[0] and where in said[1]
        assert "自己拨打" in said[2] and "验证码" in said[-1]


def test_every_desk_line_promises_no_call_and_never_asks_for_anything():
    lines = [*handed_off(True, "", "web"), *handed_off(False, "明天上午9点", "wechat")]
    lines += waiting(True, "", 2, 0) + waiting(True, "", None, 1) + waiting(False, "周一", 1, 2)
    for name, values in lines:
        said = text(name).format(**values)
        assert "给您打电话" not in said and "联系您" not in said, said
        assert "请提供" not in said and "发给我" not in said, said


def test_the_handoff_action_follows_the_hours_and_the_channel():
    store = HandoffStore(Database(memory=True))
    action = ActionRequestHuman()
    action.store_factory = lambda: store
    action.hours_factory = closed_all_day_today
    run = run_action(action, tracker_for("转人工", "request_human", sender="wechat:o1"))
    assert run.responses[0] == "utter_handoff_after_hours"
    assert run.messages[0]["back"].endswith("上午9点")
    action.hours_factory = lambda: ServiceHours.parse("daily 00:00-24:00")
    again = run_action(action, tracker_for("转人工", "request_human", sender="web:u2"))
    assert again.responses == ["utter_handoff_in_hours", "utter_handoff_never_ask"]


def test_a_ping_gets_the_place_in_the_queue_highest_risk_and_longest_waiting_first():
    db = Database(memory=True)
    store = HandoffStore(db)
    store.request("web:old", "rest", "user_request", "low", [], [])
    store.request("web:me", "rest", "user_request", "low", [], [])
    store.request("web:urgent", "rest", "proxy_surrender", "high", [], [])
    assert [queue_position(db, c) for c in ("web:urgent", "web:old", "web:me")] == [1, 2, 3]
    desk = LiveDesk(db, RecordingConversations())
    urgent = next(h for h in store.list() if h.conversation_id == "web:urgent")
    desk.take(urgent.id, by="lin")
    assert queue_position(db, "web:me") == 2 and queue_position(db, "web:urgent") is None

    greet = ActionGreet()
    greet.db_factory = lambda: db
    greet.hours_factory = lambda: ServiceHours.parse("daily 00:00-24:00")
    run = run_action(
        greet, tracker_for("有人吗", "greet", sender="web:me", slots={"handoff_open": True})
    )
    assert run.responses[0] == "utter_handoff_position" and run.messages[0]["position"] == 2
    greet.hours_factory = closed_all_day_today
    run = run_action(
        greet, tracker_for("有人吗", "greet", sender="web:me", slots={"handoff_open": True})
    )
    assert run.responses[0] == "utter_handoff_closed_now" and run.messages[0]["back"]


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("daily 09:00-18:00", "每天上午9点到下午6点"),
        ("mon-fri 08:30-17:30", "周一到周五上午8点半到下午5点半"),
        ("sat,sun 10:00-12:00", "周六、周日上午10点到中午12点"),
        ("daily 00:00-24:00", "每天24小时"),
    ],
)
def test_a_ping_in_hours_also_says_the_service_hours(spec, words):
    hours = ServiceHours.parse(spec)
    assert hours.words() == words
    (status, values), _ = waiting(True, "", 2, 0, hours.words())
    assert text(status).format(**values).endswith(f"服务时间：{words}。")


def test_a_request_to_be_called_back_hears_first_that_nobody_will_call():
    store = HandoffStore(Database(memory=True))
    action = ActionRequestHuman()
    action.store_factory = lambda: store
    run = run_action(action, tracker_for("能不能让你们的人给我回个电话", "request_human"))
    assert run.responses == [
        "utter_followup_no_callback",
        "utter_handoff_in_hours",
        "utter_handoff_never_ask",
    ]

"""Dashboard figures from a tiny tracker store and app database."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import time

import pytest
from console_helpers import TrackerEvents
from sqlite_utils import Database

from bot.analytics import record_served
from bot.console.stats import SCAM_INTENTS, TopEntry, dashboard, weeks_between
from bot.handoff import HandoffStore
from bot.knowledge.store import KnowledgeBase
from bot.transcript import open_tracker_db
from tests.kb_helpers import entry

D = dt.date


def utc(day: int, hour: int = 12, minute: int = 0, second: float = 0, month: int = 3) -> float:
    """Unix seconds of 2025-<month>-<day> <hour>:<minute>:<second> UTC."""
    whole = dt.datetime(2025, month, day, hour, minute, tzinfo=dt.timezone.utc).timestamp()
    return whole + second


@pytest.fixture()
def app_db():
    return Database(memory=True)


@pytest.fixture()
def tracker(tmp_path):
    return TrackerEvents(tmp_path / "events.db")


def handoff(app_db, conversation, reason="user_request", status="new", created="2025-03-02"):
    store = HandoffStore(app_db)
    h, _ = store.request(conversation, "rest", reason, "low", [], [])
    app_db["handoffs"].update(h.id, {"status": status, "created_at": f"{created}T08:00:00+00:00"})


# --- surrenders ------------------------------------------------------------------------


def test_surrenders_count_once_per_conversation_per_day_with_zero_days(app_db, tracker):
    t = tracker
    t.user("a", "request_surrender", utc(1, 9)).user("a", "request_surrender", utc(1, 10))
    t.user("a", "request_surrender", utc(3, 9))
    t.user("b", "request_surrender", utc(1, 11))
    t.user("c", "ask_policy_loan", utc(2, 9))  # not a surrender
    t.action("d", "action_request_human", utc(2, 9))
    t.user("e", "request_surrender", utc(5, 9))  # after the period
    d = dashboard(app_db, t.db, D(2025, 3, 1), D(2025, 3, 4))
    assert d.days == [D(2025, 3, 1), D(2025, 3, 2), D(2025, 3, 3), D(2025, 3, 4)]
    assert d.surrenders_per_day == [2, 0, 1, 0]
    assert d.tracker_available


def test_days_are_utc_days_with_the_end_included(app_db, tracker):
    t = tracker
    t.user("early", "request_surrender", utc(1, 0))  # 08:00 in Beijing, still 03-01 UTC
    t.user("late", "request_surrender", utc(1, 23, 59, 59.9999))
    t.user("last", "request_surrender", utc(2, 23, 59, 59.9999))
    t.user("next", "request_surrender", utc(3, 0))
    t.user("before", "request_surrender", utc(28, 23, 59, 59.9, month=2))
    d = dashboard(app_db, t.db, D(2025, 3, 1), D(2025, 3, 2))
    assert d.surrenders_per_day == [2, 1]


def test_outcomes_alternative_then_handoff_then_left(app_db, tracker):
    t = tracker
    for sender in "abcdefghi":
        t.user(sender, "request_surrender", utc(1, 10))
    t.user("a", "ask_policy_loan", utc(1, 10, 5))
    t.user("b", "ask_partial_withdrawal", utc(2, 9))  # the next day still counts
    t.action("c", "action_keep_policy", utc(1, 10, 5))
    t.action("d", "action_request_human", utc(1, 10, 5))
    t.action("e", "action_default_fallback", utc(1, 10, 1))
    handoff(app_db, "f")  # a handoff record, no handoff action in the tracker
    t.user("g", "ask_reduce_coverage", utc(1, 10, 5))
    t.action("g", "action_request_callback", utc(1, 10, 6))  # both: alternative wins
    t.user("h", "ask_policy_loan", utc(1, 9))  # before the surrender request: left
    t.action("h", "action_request_human", utc(1, 9, 5))
    t.bot("i", utc(1, 10, 1))  # only the bot spoke: left
    d = dashboard(app_db, t.db, D(2025, 3, 1), D(2025, 3, 2))
    assert d.surrender_outcomes == {"alternative": 4, "handoff": 3, "left": 2}
    assert d.surrender_outcomes_per_day == {
        "alternative": [4, 0],
        "handoff": [3, 0],
        "left": [2, 0],
    }
    assert d.surrenders_per_day == [9, 0]


def test_outcome_is_judged_per_day_from_the_first_request_that_day(app_db, tracker):
    t = tracker
    t.user("a", "request_surrender", utc(1, 9))
    t.user("a", "ask_policy_loan", utc(1, 9, 5))
    t.user("a", "request_surrender", utc(2, 9))  # nothing after this one
    d = dashboard(app_db, t.db, D(2025, 3, 1), D(2025, 3, 2))
    assert d.surrender_outcomes_per_day == {
        "alternative": [1, 0],
        "handoff": [0, 0],
        "left": [0, 1],
    }


# --- scam reports ----------------------------------------------------------------------


def test_scam_reports_per_week_once_per_conversation_week_and_intent(app_db, tracker):
    t = tracker
    # 2025-03-01 is a Saturday: weeks start 02-24, 03-03 and 03-10.
    t.user("a", "proxy_surrender", utc(1)).user("a", "proxy_surrender", utc(2, 23))
    t.user("a", "fraud_high_return", utc(2))
    t.user("b", "proxy_surrender", utc(3, 0))  # Monday: the next week
    t.user("b", "proxy_surrender", utc(9, 23, 59))  # Sunday: same week
    t.user("c", "personal_info_request", utc(10))
    t.user("c", "policy_switch_pitch", utc(16, 23))
    t.user("d", "proxy_surrender", utc(17))  # after the period
    t.user("e", "request_surrender", utc(4))  # not a scam report
    d = dashboard(app_db, t.db, D(2025, 3, 1), D(2025, 3, 16))
    assert d.weeks == [D(2025, 2, 24), D(2025, 3, 3), D(2025, 3, 10)]
    assert d.scam_reports_per_week == {
        "proxy_surrender": [1, 1, 0],
        "policy_switch_pitch": [0, 0, 1],
        "fraud_high_return": [1, 0, 0],
        "personal_info_request": [0, 0, 1],
    }
    assert list(d.scam_reports_per_week) == list(SCAM_INTENTS)


def test_weeks_are_named_by_their_monday():
    assert weeks_between(D(2025, 3, 3), D(2025, 3, 3)) == [D(2025, 3, 3)]
    assert weeks_between(D(2025, 3, 9), D(2025, 3, 10)) == [D(2025, 3, 3), D(2025, 3, 10)]


# --- fallback rate ---------------------------------------------------------------------


def test_fallback_rate_per_day_and_overall(app_db, tracker):
    t = tracker
    for i, intent in enumerate(["greet", "nlu_fallback", "ask_claim", "request_surrender"]):
        t.user(f"u{i}", intent, utc(1, 9 + i))
    t.action("u0", "action_default_fallback", utc(1, 9, 1))  # actions are not messages
    t.user("v", "nlu_fallback", utc(3, 9)).user("v", "nlu_fallback", utc(3, 10))
    d = dashboard(app_db, t.db, D(2025, 3, 1), D(2025, 3, 3))
    assert d.user_messages_per_day == [4, 0, 2]
    assert d.fallbacks_per_day == [1, 0, 2]
    assert d.fallback_rate_per_day == [0.25, None, 1.0]
    assert d.fallback_rate == 0.5


# --- handoffs --------------------------------------------------------------------------


def test_handoffs_by_reason_and_status_in_the_period(app_db, tracker):
    handoff(app_db, "a", "proxy_surrender", "new", "2025-03-01")
    handoff(app_db, "b", "proxy_surrender", "resolved", "2025-03-02")
    handoff(app_db, "c", "user_request", "in_review", "2025-03-02")
    handoff(app_db, "d", "proxy_surrender", "resolved", "2025-03-03")
    handoff(app_db, "e", "repeated_fallback", "new", "2025-02-28")  # before the period
    handoff(app_db, "f", "user_request", "new", "2025-03-04")  # after
    d = dashboard(app_db, tracker.db, D(2025, 3, 1), D(2025, 3, 3))
    assert d.handoffs_by_reason == {"proxy_surrender": 3, "user_request": 1}
    assert list(d.handoffs_by_status.items()) == [("new", 1), ("in_review", 1), ("resolved", 2)]
    assert d.handoffs_by_reason_status == {
        "proxy_surrender": {"new": 1, "in_review": 0, "resolved": 2},
        "user_request": {"new": 0, "in_review": 1, "resolved": 0},
    }


# --- knowledge entries -----------------------------------------------------------------


def test_top_entries_most_served_first_with_titles(app_db):
    kb = KnowledgeBase(app_db)
    for i in range(12):
        kb.create(entry(f"e{i:02}", title=f"条目<{i}>"), by="t")

    def serve(entry_id, times, day=2, conversation="c"):
        for n in range(times):
            at = f"2025-03-0{day}T10:00:0{n % 10}+00:00"
            record_served(app_db, entry_id, "ask_x", f"{conversation}{n % 2}", now=at)

    serve("e05", 5)
    serve("e03", 3)
    serve("e01", 3)  # a tie: by entry id
    serve("gone", 2)  # no longer in the knowledge base
    for i in (0, 2, 4, 6, 7, 8, 9, 10, 11):
        serve(f"e{i:02}", 1)
    serve("e11", 9, day=4)  # after the period
    d = dashboard(app_db, None, D(2025, 3, 1), D(2025, 3, 3))
    assert len(d.top_entries) == 10
    assert d.top_entries[:4] == [
        TopEntry("e05", "条目<5>", 5, 2),
        TopEntry("e01", "条目<1>", 3, 2),
        TopEntry("e03", "条目<3>", 3, 2),
        TopEntry("gone", None, 2, 2),
    ]
    assert [e.entry_id for e in d.top_entries[4:]] == ["e00", "e02", "e04", "e06", "e07", "e08"]


# --- no data ---------------------------------------------------------------------------


def test_without_a_tracker_store_every_series_is_zero(app_db, tmp_path):
    missing = tmp_path / "tracker.db"
    assert open_tracker_db(missing) is None
    assert not missing.exists()
    d = dashboard(app_db, open_tracker_db(missing), D(2025, 3, 1), D(2025, 3, 7))
    assert d.surrenders_per_day == [0] * 7
    assert d.surrender_outcomes == {"alternative": 0, "handoff": 0, "left": 0}
    assert d.scam_reports_per_week == {intent: [0, 0] for intent in SCAM_INTENTS}
    assert d.fallback_rate_per_day == [None] * 7 and d.fallback_rate is None
    assert d.handoffs_by_reason == {} and d.top_entries == []
    assert d.handoffs_by_status == {"new": 0, "in_review": 0, "resolved": 0}
    assert not d.tracker_available


def test_a_tracker_file_without_events_table_is_empty(app_db, tmp_path):
    path = tmp_path / "tracker.db"
    sqlite3.connect(path).close()  # created, but Rasa has not written yet
    d = dashboard(app_db, open_tracker_db(path), D(2025, 3, 1), D(2025, 3, 1))
    assert d.surrenders_per_day == [0] and not d.tracker_available


def test_the_tracker_store_is_opened_read_only(tmp_path):
    path = tmp_path / "tracker.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY)")
    db = open_tracker_db(path)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.execute("INSERT INTO events (id) VALUES (1)")


def test_a_bad_period_is_refused(app_db):
    with pytest.raises(ValueError, match="before"):
        dashboard(app_db, None, D(2025, 3, 2), D(2025, 3, 1))
    with pytest.raises(ValueError, match="366"):
        dashboard(app_db, None, D(2024, 1, 1), D(2025, 1, 1))
    assert len(dashboard(app_db, None, D(2024, 1, 1), D(2024, 12, 31)).days) == 366


def test_a_hundred_thousand_events_take_well_under_a_few_seconds(app_db, tracker):
    rng = random.Random(7)
    intents = ["request_surrender", "ask_policy_loan", "nlu_fallback", "proxy_surrender", "greet"]
    actions = ["action_listen", "utter_greet", "action_keep_policy", "action_request_human"]
    rows = []
    for _ in range(100_000):
        sender, at = f"u{rng.randrange(5000)}", utc(1) + rng.random() * 90 * 86400
        if rng.random() < 0.4:
            rows.append((sender, "user", at, rng.choice(intents), None, '{"event": "user"}'))
        else:
            rows.append((sender, "action", at, None, rng.choice(actions), '{"event": "action"}'))
    tracker.db.conn.executemany(
        "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    started = time.perf_counter()
    d = dashboard(app_db, tracker.db, D(2025, 3, 1), D(2025, 5, 29))
    elapsed = time.perf_counter() - started
    assert sum(d.surrenders_per_day) == sum(d.surrender_outcomes.values()) > 1000
    assert elapsed < 3, f"dashboard took {elapsed:.2f}s"  # about 0.1 s on a laptop


def test_the_fallback_intent_is_rasas():
    from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME

    from bot.console.stats import FALLBACK_INTENT

    assert FALLBACK_INTENT == DEFAULT_NLU_FALLBACK_INTENT_NAME

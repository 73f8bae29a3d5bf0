"""质检 over stored conversations (bot/quality.py): agents' messages with their confirmed
overrides, the bot's replies in Rasa's tracker, the handoff each finding links to, and
the counts per rule, per author and per conversation."""

from __future__ import annotations

import datetime as dt
import json

from console_helpers import TrackerEvents
from sqlite_utils import Database

from bot import quality
from bot.handoff import HandoffStore
from bot.inspection import RULES
from bot.labels import labels
from bot.live import migrations as live_migrations
from bot.quality import BOT, Turn, flags_of, stored_flags, summarise

DAY = dt.date(2026, 11, 22)
NOON = dt.datetime(2026, 11, 22, 12, tzinfo=dt.timezone.utc)
T8, T9 = "2026-11-22T08:00:00+00:00", "2026-11-22T09:00:00+00:00"
ASKS = ("asks_personal_data",)


def agent_message(db, conversation_id, handoff_id, author, text, overrides=(), at=NOON):
    live_migrations.apply(db)
    db["agent_messages"].insert(
        {
            "handoff_id": handoff_id,
            "conversation_id": conversation_id,
            "author": author,
            "kind": "agent",
            "text": text,
            "overrides": json.dumps(list(overrides)),
            "created_at": at.isoformat(timespec="seconds"),
        }
    )


def bot_reply(tracker, sender, text, at=NOON, metadata=None):
    data = {"event": "bot", "text": text, "timestamp": at.timestamp()}
    if metadata:
        data["metadata"] = metadata
    tracker.add(sender, data)


def test_an_overridden_agent_message_and_a_clean_one():
    flags = flags_of(
        [
            Turn("c1", "lin", "请把验证码发给我", T8, 1, ASKS),
            Turn("c1", "lin", "您好，我是小林，您说的情况我看到了。", T9, 1),
        ]
    )
    assert [(f.who, f.rule, f.clause, f.overridden, f.handoff_id) for f in flags] == [
        ("lin", "asks_personal_data", "请把验证码发给我", True, 1)
    ]


def test_a_confirmed_rule_redaction_has_hidden_still_counts():
    turn = Turn("c1", "lin", "号码是[身份证号]", "2026-11-22T08:00:00+00:00", 1, ("personal_data",))
    assert [(f.rule, f.clause, f.overridden) for f in flags_of([turn])] == [
        ("personal_data", "", True)
    ]


def test_an_excerpt_is_redacted_and_cut_around_the_clause():
    text = "前面" * 40 + "。请发给我身份证号110101199003074514。" + "后面" * 40
    (flag,) = [f for f in flags_of([Turn("c", "lin", text, "t")]) if f.rule != "personal_data"]
    assert "110101199003074514" not in flag.before + flag.clause + flag.after
    assert flag.clause.startswith("请发给我身份证号")
    assert flag.before.startswith("…") and flag.after.endswith("…")
    assert len(flag.before) <= quality.CONTEXT + 1


def test_summaries_per_rule_author_and_conversation():
    turns = [
        Turn("c1", "lin", "请把验证码发给我", T8, 1, ASKS),
        Turn("c1", "lin", "我们明天给您打个电话", "2026-11-22T08:05:00+00:00", 1),
        Turn("c2", BOT, "保证全额退", T9),
    ]
    s = summarise(flags_of(turns), {"c1": (1, "high")})
    assert [(c.key, c.findings, c.overridden) for c in s.per_rule] == [
        ("promises_returns", 1, 0),
        ("asks_personal_data", 1, 1),
        ("promises_call", 1, 0),
    ]
    assert [(c.key, c.findings, c.overridden, c.conversations) for c in s.per_author] == [
        ("lin", 2, 1, 1),
        (BOT, 1, 0, 1),
    ]
    assert [(c.key, c.findings, c.handoff_id, c.risk_level) for c in s.per_conversation] == [
        ("c2", 1, None, ""),
        ("c1", 2, 1, "high"),
    ]


def test_stored_flags_read_agents_and_the_bot_and_link_the_riskiest_handoff(tmp_path):
    db = Database(tmp_path / "pg.db")
    store = HandoffStore(db)
    low, _ = store.request("c1", "web", "user_request", "low", [], [])
    store.set_status(low.id, "resolved", by="wang")
    high, _ = store.request("c1", "web", "proxy_surrender", "high", [], [])
    agent_message(db, "c1", low.id, "lin", "请把验证码发给我", ["asks_personal_data"])
    agent_message(db, "c1", low.id, "lin", "您好，我是小林。")
    tracker = TrackerEvents(tmp_path / "tracker.db")
    bot_reply(tracker, "c1", "我们明天给您打个电话")
    bot_reply(tracker, "c1", "请把验证码发给我", metadata={"agent": "lin"})  # counted above
    bot_reply(tracker, "c1", "致电", metadata={"agent": "system"})
    bot_reply(tracker, "c2", "保证全额退", at=NOON - dt.timedelta(days=40))  # outside
    tracker.add("c3", {"event": "bot", "timestamp": NOON.timestamp()})  # no text
    flags, handoffs, truncated = stored_flags(db, tracker.db, DAY - dt.timedelta(29), DAY)
    assert sorted((f.who, f.rule, f.handoff_id, f.overridden) for f in flags) == [
        (BOT, "promises_call", high.id, False),
        ("lin", "asks_personal_data", low.id, True),
    ]
    assert handoffs == {"c1": (high.id, "high")} and not truncated


def test_the_date_range_and_the_row_cap(tmp_path):
    db = Database(tmp_path / "pg.db")
    for days in (0, 1, 2):
        agent_message(db, "c1", 1, "lin", "请把验证码发给我", at=NOON - dt.timedelta(days))
    flags, _, truncated = stored_flags(db, None, DAY - dt.timedelta(1), DAY)
    assert len(flags) == 2 and not truncated
    flags, _, truncated = stored_flags(db, None, DAY - dt.timedelta(9), DAY, limit=1)
    assert [f.time[:10] for f in flags] == ["2026-11-22"] and truncated
    assert stored_flags(db, None, DAY + dt.timedelta(1), DAY + dt.timedelta(3))[0] == []


def test_nothing_stored_yet(tmp_path):
    db = Database(tmp_path / "pg.db")
    empty_tracker = Database(tmp_path / "tracker.db")
    assert stored_flags(db, None, DAY, DAY) == ([], {}, False)
    assert stored_flags(db, empty_tracker, DAY, DAY) == ([], {}, False)


def test_every_rule_has_a_short_name_for_the_panel():
    assert set(labels("inspection_rule_names")) == set(RULES)

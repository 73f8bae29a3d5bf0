"""served_answers: what the knowledge action records, and that recording never breaks it."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlite_utils import Database

from bot.analytics import conversation_hash, ensure_schema, record_served
from tests.kb_helpers import knowledge_action, sample_kb
from tests.trackers import run_action, tracker_for


def served(db: Database) -> list[dict]:
    return list(db["served_answers"].rows) if db["served_answers"].exists() else []


@pytest.fixture()
def kb():
    return sample_kb()


@pytest.fixture()
def action(kb):
    return knowledge_action(kb)


def test_record_served_keeps_a_hash_not_the_sender_id():
    db = Database(memory=True)
    record_served(db, "loan", "ask_policy_loan", "wx-13812345678")
    (row,) = served(db)
    assert row["entry_id"] == "loan" and row["intent"] == "ask_policy_loan"
    assert row["conversation_id"] == conversation_hash("wx-13812345678")
    assert "13812345678" not in row["conversation_id"] and len(row["conversation_id"]) == 16
    at = dt.datetime.fromisoformat(row["served_at"])
    assert at.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.timezone.utc) - at) < dt.timedelta(minutes=1)


def test_migrations_apply_once():
    db = Database(memory=True)
    ensure_schema(db)
    record_served(db, "a", "i", "c")
    record_served(db, "b", "i", "c")
    applied = db.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = 'policyguard.analytics'"
    ).fetchall()
    assert applied == [("m001_create_served_answers",), ("m002_add_channel",)]
    assert [r["entry_id"] for r in served(db)] == ["a", "b"]


def test_a_knowledge_answer_is_recorded_in_the_actions_database(kb, action):
    tracker = tracker_for("保单贷款利息怎么算", "ask_policy_loan", sender="alice")
    (message,), events = run_action(action, tracker)
    assert message["response"] == "utter_kb_answer" and [e["name"] for e in events] == ["topic"]
    (row,) = served(kb.db)
    assert (row["entry_id"], row["intent"]) == ("loan", "ask_policy_loan")
    assert row["conversation_id"] == conversation_hash("alice")


def test_an_entry_opened_by_button_is_recorded(kb, action):
    tracker = tracker_for(
        '/show_entry{"entry_id": "proxy"}',
        "show_entry",
        entities=[{"entity": "entry_id", "value": "proxy"}],
    )
    run_action(action, tracker)
    assert [(r["entry_id"], r["intent"]) for r in served(kb.db)] == [("proxy", "show_entry")]


def test_no_answer_records_nothing(kb, action):
    (message,), _ = run_action(action, tracker_for("理赔要什么材料", "ask_claim"))
    assert message["response"] == "utter_kb_no_answer"
    assert served(kb.db) == []


def test_a_failure_to_record_still_answers_and_logs_no_user_text(kb, action, caplog):
    # A table in the way: the migration fails with sqlite3.OperationalError.
    kb.db.execute("CREATE TABLE served_answers (unrelated TEXT)")
    caplog.set_level(logging.WARNING, logger="actions.knowledge")
    text = "保单贷款 我的电话13812345678"
    (*_, message), _ = run_action(action, tracker_for(text, "ask_policy_loan", sender="bob"))
    assert message["response"] == "utter_kb_answer"
    assert message["answer"].startswith("保单贷款一般最多")
    (record,) = [r for r in caplog.records if r.name == "actions.knowledge"]
    assert "OperationalError" in record.getMessage() and "loan" in record.getMessage()
    assert "13812345678" not in caplog.text and "bob" not in caplog.text
    # The knowledge base still works on the next turn.
    (*_, again), _ = run_action(action, tracker_for("犹豫期", "ask_cooling_off"))
    assert again["response"] == "utter_kb_answer"

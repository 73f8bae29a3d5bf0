"""Conversations are stored with personal data redacted."""

import asyncio
import json
import sqlite3

from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import RedactingSQLTrackerStore, redact_event_dict


def test_event_dict_redaction():
    data = {
        "event": "user",
        "text": "卡号4111111111111111",
        "parse_data": {"text": "卡号4111111111111111"},
    }
    out = redact_event_dict(data)
    assert out["text"] == "卡号[银行卡号]" and out["parse_data"]["text"] == "卡号[银行卡号]"
    assert data["text"] == "卡号4111111111111111"  # the original is not modified


def test_stored_events_hold_no_raw_personal_data(tmp_path):
    db = tmp_path / "tracker.db"
    store = RedactingSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(db))
    tracker = DialogueStateTracker("u1", slots=[])
    tracker.update(
        UserUttered("我身份证11010519491231002X", {"name": "proxy_surrender", "confidence": 0.9})
    )
    tracker.update(BotUttered("请不要发证件号"))
    asyncio.run(store.save(tracker))
    rows = sqlite3.connect(db).execute("SELECT data FROM events").fetchall()
    stored = " ".join(r[0] for r in rows)
    assert "11010519491231002X" not in stored
    loaded = asyncio.run(store.retrieve("u1"))
    assert loaded.latest_message.text == "我身份证[身份证号]"


def store_at(path, **kwargs):
    return RedactingSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(path), **kwargs)


def stored_text(db) -> str:
    """Every byte of the database and its WAL file, as text."""
    return " ".join(
        p.read_bytes().decode("utf-8", "replace") for p in db.parent.glob(db.name + "*")
    )


def test_every_string_in_every_event_is_redacted(tmp_path):
    db = tmp_path / "tracker.db"
    tracker = DialogueStateTracker("u1", slots=[])
    tracker.update(
        UserUttered(
            "电话13812345678",
            {"name": "request_human", "confidence": 0.9},
            entities=[{"entity": "phone", "value": "13812345678"}],
            metadata={"note": "邮箱 wang@163.com"},
        )
    )
    tracker.update(SlotSet("surrender_reason", "卡号6222020200000000006"))
    tracker.update(ActionExecuted("action_x", metadata={"said": "身份证11010519491231002X"}))
    tracker.update(BotUttered("好的", data={"custom": {"echo": "13812345678"}}))
    asyncio.run(store_at(db).save(tracker))
    text = stored_text(db)
    for raw in ("13812345678", "wang@163.com", "6222020200000000006", "11010519491231002X"):
        assert raw not in text
    assert json.dumps("[手机号]")[1:-1] in text and json.dumps("[银行卡号]")[1:-1] in text


def test_a_number_split_over_two_messages_is_redacted_in_both(tmp_path):
    db = tmp_path / "tracker.db"
    store = store_at(db)
    tracker = DialogueStateTracker("u1", slots=[])
    tracker.update(UserUttered("我的卡号是6222 0202", {"name": "out_of_scope"}))
    asyncio.run(store.save(tracker))
    tracker = asyncio.run(store.retrieve("u1"))
    tracker.update(UserUttered("0000 0000 006", {"name": "out_of_scope"}))
    asyncio.run(store.save(tracker))
    texts = [e.text for e in asyncio.run(store.retrieve("u1")).events if e.type_name == "user"]
    assert texts == ["我的卡号是[银行卡号]", "[银行卡号]"]
    assert "0000 0000 006" not in stored_text(db)


class Broker(EventBroker):
    def __init__(self):
        self.published = []

    def publish(self, event):
        self.published.append(event)


def test_the_event_broker_gets_the_redacted_events_once(tmp_path):
    broker = Broker()
    store = store_at(tmp_path / "tracker.db", event_broker=broker)
    tracker = DialogueStateTracker("u1", slots=[])
    tracker.update(UserUttered("身份证11010519491231002X", {"name": "out_of_scope"}))
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))  # nothing new: nothing streamed again
    assert [e["text"] for e in broker.published] == ["身份证[身份证号]"]
    assert broker.published[0]["sender_id"] == "u1"


def test_a_locked_database_delays_the_save_without_losing_it_or_the_event_loop(tmp_path):
    db = tmp_path / "tracker.db"
    store = store_at(db)
    tracker = DialogueStateTracker("u1", slots=[])
    tracker.update(UserUttered("我想退保", {"name": "request_surrender"}))
    locker = sqlite3.connect(db, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    ticks = []

    async def scenario():
        async def ticker():
            while True:
                ticks.append(1)
                await asyncio.sleep(0.05)

        task = asyncio.ensure_future(ticker())
        save = asyncio.ensure_future(store.save(tracker))
        await asyncio.sleep(1.0)
        assert not save.done()  # waiting for the lock, not failed
        locker.execute("COMMIT")
        await save
        task.cancel()

    asyncio.run(scenario())
    assert len(ticks) >= 10  # the loop kept running while the save waited
    assert [e.text for e in asyncio.run(store.retrieve("u1")).events if e.type_name == "user"] == [
        "我想退保"
    ]

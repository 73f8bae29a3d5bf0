"""Conversations are stored with personal data redacted."""

import asyncio
import sqlite3

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
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

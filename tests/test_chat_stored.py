"""The chat page keeps only what the server stored: /api/chat answers with the user's message
as it is stored (redacted) and the conversation's newest event id, and /api/chat/recent gives a
reloaded page the turns it missed."""

from __future__ import annotations

import sqlite3

from console_helpers import FakeBot, TrackerEvents, client, make_app
from sqlite_utils import Database

SENDER = "3f2a9c1e-77aa-4c1b"
CONVERSATION = "web:" + SENDER


class RasaLikeBot(FakeBot):
    """Stores the message and its reply in the tracker database, as Rasa's store would."""

    def __init__(self, tracker: TrackerEvents, reply):
        super().__init__(reply=reply)
        # The app calls the bot on its own thread.
        tracker.db = Database(
            sqlite3.connect(
                tracker.db.conn.execute("PRAGMA database_list").fetchone()[2],
                check_same_thread=False,
            )
        )
        self.tracker = tracker

    async def send(self, sender, message):
        from bot.privacy import redact

        self.tracker.add(sender, {"event": "user", "text": redact(message).text, "timestamp": 1})
        for item in self.reply:
            self.tracker.add(sender, {"event": "bot", "text": item["text"], "timestamp": 2})
        return await super().send(sender, message)


def test_the_reply_carries_the_message_redacted_and_the_bot_gets_the_original(tmp_path):
    bot = FakeBot(reply=[{"text": "收到"}])
    c = client(make_app(tmp_path, bot=bot))
    message = "我的电话13812345678，身份证11010519491231002X"
    r = c.post("/api/chat", json={"sender": SENDER, "message": message})
    assert r.status_code == 200
    assert r.json() == {
        "message": "我的电话[手机号]，身份证[身份证号]",
        "replies": [{"text": "收到"}],
        "cursor": 0,  # no tracker database yet
    }
    assert bot.sent == [(CONVERSATION, message)]  # Rasa's store redacts what it keeps


def test_a_number_continued_from_the_stored_message_before_is_redacted(tmp_path):
    tracker = TrackerEvents(tmp_path / "tracker.db")
    tracker.add(CONVERSATION, {"event": "user", "text": "我的卡号是[银行卡号]", "timestamp": 1})
    tracker.add("web:someone-else-1", {"event": "user", "text": "你好", "timestamp": 2})
    c = client(make_app(tmp_path, bot=FakeBot()))
    r = c.post("/api/chat", json={"sender": SENDER, "message": "0000 0000 006"})
    assert r.json()["message"] == "[银行卡号]"
    # Without the message before, the same digits are only a short number.
    r = c.post("/api/chat", json={"sender": "another-sender-1", "message": "0000 0000 006"})
    assert r.json()["message"] == "0000 0000 006"


def test_the_cursor_is_the_newest_stored_event_and_recent_gives_what_came_after(tmp_path):
    tracker = TrackerEvents(tmp_path / "tracker.db")
    reply = [{"text": "请问您想了解什么？"}]
    c = client(make_app(tmp_path, bot=RasaLikeBot(tracker, reply)))
    first = c.post("/api/chat", json={"sender": SENDER, "message": "你好"}).json()
    assert first["cursor"] == 2
    c.post("/api/chat", json={"sender": SENDER, "message": "电话13812345678"})
    tracker.add(
        CONVERSATION,
        {
            "event": "bot",
            "text": "要转人工吗？",
            "timestamp": 3,
            "data": {"buttons": [{"title": "要", "payload": "/affirm"}]},
        },
    )
    tracker.add(CONVERSATION, {"event": "action", "name": "action_listen", "timestamp": 4})
    tracker.add(
        CONVERSATION,
        {"event": "bot", "text": "我是小林", "timestamp": 5, "metadata": {"agent": "lin"}},
    )
    r = c.get("/api/chat/recent", params={"sender": SENDER, "after": first["cursor"]})
    assert r.status_code == 200
    assert r.json() == {
        "turns": [
            {"role": "user", "text": "电话[手机号]"},
            {"role": "bot", "text": "请问您想了解什么？"},
            {
                "role": "bot",
                "text": "要转人工吗？",
                "buttons": [{"title": "要", "payload": "/affirm"}],
            },
        ],  # the agent's line comes through the inbox, not here
        "cursor": 7,
    }
    later = c.get("/api/chat/recent", params={"sender": SENDER, "after": 7}).json()
    assert later == {"turns": [], "cursor": 7}
    other = c.get("/api/chat/recent", params={"sender": "another-sender-1", "after": 0}).json()
    assert other == {"turns": [], "cursor": 0}


def test_recent_refuses_a_bad_sender_or_cursor(tmp_path):
    c = client(make_app(tmp_path))
    for params in ({"sender": "x", "after": "0"}, {"sender": SENDER, "after": "-1"}, {}):
        r = c.get("/api/chat/recent", params=params)
        assert r.status_code == 400 and "刷新" in r.json()["error"]


def test_a_tracker_database_that_cannot_be_read_does_not_fail_the_message(tmp_path):
    (tmp_path / "tracker.db").write_bytes(b"this is not a database" * 100)
    c = client(make_app(tmp_path, bot=FakeBot(reply=[{"text": "收到"}])))
    r = c.post("/api/chat", json={"sender": SENDER, "message": "电话13812345678"})
    assert r.status_code == 200
    assert r.json() == {"message": "电话[手机号]", "replies": [{"text": "收到"}], "cursor": 0}

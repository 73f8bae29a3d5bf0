"""The chat page and its proxy to Rasa: checks, rate limits, and plain errors."""

from __future__ import annotations

import pytest
from console_helpers import FakeBot, client, make_app

from bot.console.chat import UNREACHABLE, clean_reply

SENDER = "3f2a9c1e-77aa-4c1b"


def post(c, body=None, **kwargs):
    return (
        c.post("/api/chat", json=body, **kwargs)
        if body is not None
        else c.post("/api/chat", **kwargs)
    )


def test_page_is_served_without_a_session(tmp_path):
    r = client(make_app(tmp_path)).get("/")
    assert r.status_code == 200
    assert 'id="messages"' in r.text and 'id="care-toggle"' in r.text
    assert "<script>" not in r.text  # no inline script; the CSP would block it anyway


def test_message_is_forwarded_with_the_web_prefix(tmp_path):
    bot = FakeBot(
        reply=[{"text": "您好", "buttons": [{"title": "转人工", "payload": "/request_human"}]}]
    )
    c = client(make_app(tmp_path, bot=bot))
    r = post(c, {"sender": SENDER, "message": "  我想退保 "})
    assert r.status_code == 200
    assert r.json()["replies"] == [
        {"text": "您好", "buttons": [{"title": "转人工", "payload": "/request_human"}]}
    ]
    assert bot.sent == [("web:" + SENDER, "我想退保")]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"sender": SENDER, "message": ""}, 400, "请输入"),
        ({"sender": SENDER, "message": "   \n "}, 400, "请输入"),
        ({"sender": SENDER, "message": "长" * 10_000}, 413, "太长"),
        ({"sender": SENDER, "message": "长" * 1001}, 400, "太长"),
        ({"sender": "x", "message": "你好"}, 400, "刷新"),
        ({"sender": "../../etc/passwd", "message": "你好"}, 400, "刷新"),
        ({"sender": SENDER + "\n", "message": "你好"}, 400, "刷新"),
        ({"sender": SENDER, "message": 5}, 400, "请输入"),
        (["not", "an", "object"], 400, "刷新"),
    ],
)
def test_bad_messages_get_a_clear_error_and_are_not_forwarded(tmp_path, body, status, words):
    bot = FakeBot()
    r = post(client(make_app(tmp_path, bot=bot)), body)
    assert r.status_code == status
    assert words in r.json()["error"]
    assert bot.sent == []


def test_malformed_json_and_wrong_content_type(tmp_path):
    bot = FakeBot()
    c = client(make_app(tmp_path, bot=bot))
    r = post(c, content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "error" in r.json()
    r = post(c, content=b"\xff\xfe", headers={"content-type": "application/json"})
    assert r.status_code == 400
    r = post(c, content=b"sender=a&message=b", headers={"content-type": "text/plain"})
    assert r.status_code == 415
    assert bot.sent == []


@pytest.mark.parametrize("message", ["😀😀😀", "<script>alert(1)</script>", "' OR 1=1 --"])
def test_odd_but_valid_text_is_forwarded_as_is(tmp_path, message):
    bot = FakeBot()
    r = post(client(make_app(tmp_path, bot=bot)), {"sender": SENDER, "message": message})
    assert r.status_code == 200
    assert bot.sent[0][1] == message


def test_bot_unreachable_is_a_plain_503(tmp_path):
    r = post(
        client(make_app(tmp_path, bot=FakeBot(fail=True))), {"sender": SENDER, "message": "在吗"}
    )
    assert r.status_code == 503
    assert r.json() == {"error": UNREACHABLE}


def test_rate_limit_per_sender(tmp_path):
    bot = FakeBot()
    c = client(make_app(tmp_path, bot=bot))
    codes = [post(c, {"sender": SENDER, "message": f"第{i}条"}).status_code for i in range(21)]
    assert codes[:20] == [200] * 20 and codes[20] == 429
    assert len(bot.sent) == 20
    # Another conversation is not held up by this one.
    assert post(c, {"sender": "another-sender-1", "message": "你好"}).status_code == 200


def test_rate_limit_per_address(tmp_path):
    app = make_app(tmp_path)
    app.state.chat_ip_limit.limit = 3
    c = client(app)
    codes = [
        post(c, {"sender": f"sender-{i:04d}", "message": "你好"}).status_code for i in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_clean_reply_keeps_text_and_buttons_only():
    raw = [
        {"recipient_id": "x", "text": "好", "custom": {"a": 1}},
        {"image": "http://x/y.png"},
        {"buttons": [{"title": "是", "payload": "/affirm"}, {"title": "空"}, "junk"]},
        "junk",
    ]
    assert clean_reply(raw) == [
        {"text": "好"},
        {"buttons": [{"title": "是", "payload": "/affirm"}]},
    ]
    assert clean_reply({"not": "a list"}) == []


def test_a_chunked_body_is_cut_off_at_the_limit(tmp_path):
    bot = FakeBot()
    c = client(make_app(tmp_path, bot=bot))

    def chunks():
        for _ in range(1000):
            yield b"x" * 1000

    r = c.post("/api/chat", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "太长" in r.json()["error"]
    assert bot.sent == []


def test_the_page_collects_what_an_agent_wrote_into_its_conversation(tmp_path):
    from sqlite_utils import Database

    from bot.handoff import HandoffStore
    from bot.live import LiveDesk, RecordingConversations

    app = make_app(tmp_path)
    c = client(app)
    assert c.get("/api/chat/inbox", params={"sender": SENDER, "after": "0"}).json() == []
    db = Database(tmp_path / "pg.db")
    handoff, _ = HandoffStore(db).request("web:" + SENDER, "web", "user_request", "low", [], [])
    desk = LiveDesk(db, RecordingConversations())
    desk.reply(handoff.id, "您好，我是工作人员小林。", by="lin")
    desk.close(handoff.id, by="lin")
    first = c.get("/api/chat/inbox", params={"sender": SENDER, "after": "0"}).json()
    assert [(m["text"][:6], m["agent"]) for m in first] == [
        ("您好，我是工", True),
        ("工作人员已结", False),
    ]
    later = c.get("/api/chat/inbox", params={"sender": SENDER, "after": str(first[0]["id"])})
    assert [m["id"] for m in later.json()] == [first[1]["id"]]
    other = c.get("/api/chat/inbox", params={"sender": "someone-else-123", "after": "0"})
    assert other.json() == []  # only the page's own conversation


@pytest.mark.parametrize(
    "query", [{}, {"sender": "x", "after": "0"}, {"sender": SENDER, "after": "-1"}]
)
def test_a_bad_inbox_request_is_a_plain_400(tmp_path, query):
    r = client(make_app(tmp_path)).get("/api/chat/inbox", params=query)
    assert r.status_code == 400 and "error" in r.json()

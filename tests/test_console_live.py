"""The live desk in the console: an agent answers in the conversation, with 质检 before
sending, and takes, releases and closes it; who may do what."""

from __future__ import annotations

import pytest
from console_helpers import TrackerEvents, make_app, signed_in

from bot.handoff import HandoffStore
from bot.knowledge.store import KnowledgeBase
from bot.live import LiveError, RecordingConversations, messages_for
from tests.kb_helpers import entry

USERS = {"lin": "agent", "wang": "supervisor", "zhao": "agent", "kb": "staff"}


class Unreachable(RecordingConversations):
    def pause(self, conversation_id: str) -> None:
        raise LiveError("unreachable", "down")


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path, users=USERS)
    store = HandoffStore.open(app.state.backend.db_path)
    store.request("web:u1", "rest", "user_request", "low", [], [])
    KnowledgeBase.open(app.state.backend.db_path).create(
        entry(
            "loan", title="保单贷款：不退保也能用钱", answer="保单贷款一般最多可借现金价值的八成。"
        ),
        by="kb",
    )
    return app


def reply(app, name, text, **extra):
    c, token = signed_in(app, name)
    return c.post("/console/handoffs/1/reply", data={"csrf_token": token, "text": text, **extra})


def stored(app):
    return messages_for(app.state.backend.db, "web:u1")


def test_the_agent_sees_the_reply_box_with_quick_replies_from_published_entries(app):
    c, _ = signed_in(app, "lin")
    page = c.get("/console/handoffs/1").text
    assert 'data-testid="live-desk"' in page and "还没有人接待" in page
    assert "保单贷款：不退保也能用钱" in page and "可借现金价值的八成" in page


def test_a_reply_is_sent_into_the_conversation_and_takes_it(app):
    c, token = signed_in(app, "lin")
    text = "您好，我是工作人员小林，您的情况我看到了。"
    r = c.post("/console/handoffs/1/reply", data={"csrf_token": token, "text": text})
    assert r.status_code == 303 and r.headers["location"] == "/console/handoffs/1"
    assert app.state.conversations.events == [("web:u1", "pause"), ("web:u1", "bot")]
    assert [(m.author, m.kind) for m in stored(app)] == [("lin", "agent")]
    page = c.get("/console/handoffs/1").text
    assert "已发送" in page and "<strong>lin</strong> 正在接待" in page


def test_a_reply_that_breaks_a_rule_comes_back_with_the_finding_and_the_text_kept(app):
    r = reply(app, "lin", "请把手机收到的验证码发给我")
    assert r.status_code == 422
    assert 'data-testid="findings"' in r.text and "请把手机收到的验证码发给我</textarea>" in r.text
    assert 'data-testid="reply-confirm"' in r.text
    assert stored(app) == [] and app.state.conversations.events == []
    sent = reply(app, "lin", "请把手机收到的验证码发给我", confirm="1")
    assert sent.status_code == 303
    assert stored(app)[0].overrides == ("asks_personal_data",)  # the override is recorded


def test_another_agent_is_told_in_chinese_that_a_colleague_is_answering(app):
    reply(app, "lin", "您好，我来帮您。")
    r = reply(app, "zhao", "我也来")
    assert r.status_code == 409 and "其他同事在接待" in r.text and "我也来</textarea>" in r.text
    assert [m.author for m in stored(app)] == ["lin"]


def test_when_the_bot_cannot_be_reached_nothing_is_stored_and_the_agent_is_told(app):
    app.state.conversations = Unreachable()
    r = reply(app, "lin", "您好")
    assert r.status_code == 409 and "消息没有发出" in r.text and stored(app) == []


def test_take_release_and_close(app):
    c, token = signed_in(app, "wang")  # a supervisor can act as an agent
    act = lambda what: c.post(  # noqa: E731
        "/console/handoffs/1/live", data={"csrf_token": token, "what": what}
    )
    assert act("take").status_code == 303
    assert "<strong>wang</strong> 正在接待" in c.get("/console/handoffs/1").text
    act("release")
    assert "还没有人接待" in c.get("/console/handoffs/1").text
    act("close")
    page = c.get("/console/handoffs/1").text
    assert 'data-testid="live-desk"' not in page  # closed: nothing more to send
    assert [m.kind for m in stored(app)] == ["system", "system"]
    assert HandoffStore.open(app.state.backend.db_path).get(1).status == "resolved"
    assert act("nonsense").status_code == 303  # an unknown action changes nothing


def test_staff_cannot_answer_and_the_page_shows_them_no_reply_box(app):
    r = reply(app, "kb", "您好")
    assert r.status_code == 403 and stored(app) == []


def test_the_transcript_refreshes_with_agent_turns_marked(app, tmp_path):
    events = TrackerEvents(tmp_path / "tracker.db")
    events.add("web:u1", {"event": "user", "text": "有人吗", "timestamp": 1.8e9})
    events.add(
        "web:u1",
        {
            "event": "bot",
            "text": "您好，我是小林",
            "timestamp": 1.8e9 + 5,
            "metadata": {"agent": "lin"},
        },
    )
    c, _ = signed_in(app, "lin")
    page = c.get("/console/handoffs/1").text
    assert 'data-live-src="/console/handoffs/1/transcript"' in page
    fragment = c.get("/console/handoffs/1/transcript")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "工作人员 lin" in fragment.text and "有人吗" in fragment.text


def test_a_held_conversation_is_not_resolved_from_the_review_form(app):
    c, token = signed_in(app, "wang")
    c.post("/console/handoffs/1/live", data={"csrf_token": token, "what": "take"})
    r = c.post(
        "/console/handoffs/1",
        data={"csrf_token": token, "what": "status", "status": "resolved"},
    )
    assert r.status_code == 303 and "结束并交还给助手" in c.get("/console/handoffs/1").text
    assert HandoffStore.open(app.state.backend.db_path).get(1).status != "resolved"


def test_resolving_from_the_review_form_ends_the_waiting_in_the_conversation(app):
    c, token = signed_in(app, "wang")
    c.post(
        "/console/handoffs/1", data={"csrf_token": token, "what": "status", "status": "resolved"}
    )
    assert ("web:u1", "end_handoff") in app.state.conversations.events

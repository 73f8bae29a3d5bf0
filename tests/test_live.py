"""The live desk: an agent takes a conversation (the bot pauses), answers, then releases or
closes it (the bot resumes), with 质检 before anything is sent."""

import pytest
from sqlite_utils import Database

from bot.handoff import HandoffStore
from bot.live import InspectionFailed, LiveDesk, LiveError, RecordingConversations


@pytest.fixture
def desk():
    db = Database(memory=True)
    return LiveDesk(db, RecordingConversations())


def handoff(desk, conversation="web:u1"):
    made, _ = desk.handoffs.request(conversation, "rest", "user_request", "low", [], [])
    return made.id


def test_the_first_reply_takes_the_conversation_and_pauses_the_bot(desk):
    h = handoff(desk)
    desk.reply(h, "您好，我是工作人员小林。", by="lin")
    assert desk.holder("web:u1") == "lin"
    assert desk.conversations.events == [("web:u1", "pause"), ("web:u1", "bot")]
    assert desk.handoffs.get(h).status == "in_review"


def test_another_agent_cannot_answer_a_held_conversation(desk):
    h = handoff(desk)
    desk.take(h, by="lin")
    with pytest.raises(LiveError):
        desk.reply(h, "我来回答", by="wang")
    with pytest.raises(LiveError):
        desk.take(h, by="wang")
    assert [m.author for m in desk.messages_for("web:u1")] == []


def test_release_resumes_the_bot_and_keeps_the_handoff_open(desk):
    h = handoff(desk)
    desk.reply(h, "我先看一下您的情况。", by="lin")
    desk.release(h, by="lin")
    assert desk.holder("web:u1") is None
    assert ("web:u1", "resume") in desk.conversations.events
    assert ("web:u1", "end_handoff") not in desk.conversations.events
    assert desk.handoffs.get(h).status != "resolved"
    assert desk.messages_for("web:u1")[-1].kind == "system"  # the user is told in one line


def test_close_resumes_the_bot_ends_the_waiting_and_resolves(desk):
    h = handoff(desk)
    desk.reply(h, "您的问题已经解答了。", by="lin")
    desk.close(h, by="lin")
    events = [what for _, what in desk.conversations.events]
    assert events[-3:] == ["resume", "bot", "end_handoff"]
    assert desk.handoffs.get(h).status == "resolved"
    with pytest.raises(LiveError):  # a closed handoff takes no more replies
        desk.reply(h, "还有一件事", by="lin")


def test_a_reply_that_fails_inspection_is_not_sent_unless_confirmed(desk):
    h = handoff(desk)
    with pytest.raises(InspectionFailed) as failed:
        desk.reply(h, "保证您能全额退回", by="lin")
    assert [f.rule for f in failed.value.findings] == ["promises_returns"]
    assert desk.conversations.events == [] and desk.holder("web:u1") is None
    sent = desk.reply(h, "保证您能全额退回", by="lin", confirmed=True)
    assert sent.overrides == ("promises_returns",)  # the override is recorded


def test_what_an_agent_writes_is_stored_redacted_with_its_author(desk):
    h = handoff(desk)
    sent = desk.reply(h, "您的手机号13812345678我已经看到了", by="lin", confirmed=True)
    stored = desk.messages_for("web:u1")
    assert "13812345678" not in sent.text and stored[0].text == sent.text
    assert stored[0].author == "lin" and "personal_data" in stored[0].overrides


@pytest.mark.parametrize("text", ["", "   ", "长" * 1001])
def test_empty_or_too_long_replies_are_refused_and_nothing_changes(desk, text):
    h = handoff(desk)
    with pytest.raises(LiveError):
        desk.reply(h, text, by="lin")
    assert desk.conversations.events == [] and desk.messages_for("web:u1") == []


def test_a_reply_to_a_handoff_that_does_not_exist_is_a_lookup_error(desk):
    with pytest.raises(LookupError):
        desk.reply(999, "您好", by="lin")
    assert isinstance(desk.handoffs, HandoffStore)

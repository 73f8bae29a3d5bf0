"""消保审查 in the store: a change to a published entry is a draft the bot does not serve
until it is published, by a second person when that is required; the queue of what waits."""

import pytest

from bot.accounts import PERMISSIONS, ROLES
from bot.knowledge.review import awaiting, may_publish
from bot.knowledge.store import SelfApproval
from bot.labels import labels
from bot.settings import Settings
from tests.kb_helpers import entry, memory_kb


def live_kb():
    """e1 written by lin, approved and published by zhou (version 2)."""
    kb = memory_kb()
    kb.create(entry("e1", status="draft", answer="原来的答案。"), by="lin")
    kb.publish("e1", by="zhou", second_person=True)
    return kb


def test_an_edit_of_a_published_entry_is_a_draft_the_bot_does_not_serve():
    kb = live_kb()
    kb.update(entry("e1", answer="新的答案。"), by="lin", expected_version=2)
    assert (kb.get("e1").answer, kb.get("e1").status, kb.live_version("e1")) == (
        "原来的答案。",
        "published",
        2,
    )
    assert (kb.latest("e1").answer, kb.latest("e1").status, kb.version_of("e1")) == (
        "新的答案。",
        "draft",
        3,
    )
    assert [h.entry.answer for h in kb.search("现金价值")] == ["原来的答案。"]
    kb.publish("e1", by="zhou", second_person=True)
    assert (kb.get("e1").answer, kb.live_version("e1")) == ("新的答案。", 4)
    assert [h.entry.answer for h in kb.search("现金价值")] == ["新的答案。"]


def test_the_author_cannot_approve_their_own_change_and_nothing_is_written():
    kb = live_kb()
    kb.update(entry("e1", answer="新的答案。"), by="lin")
    kb.update(entry("e1", answer="又改了。"), by="wang")
    for author in ("lin", "wang"):  # every author since the live version
        with pytest.raises(SelfApproval):
            kb.publish("e1", by=author, second_person=True)
    assert kb.version_of("e1") == 4 and kb.get("e1").answer == "原来的答案。"
    assert not may_publish(kb, "e1", "wang", second_person=True)
    assert may_publish(kb, "e1", "wang", second_person=False)
    kb.publish("e1", by="wang")  # no second person required: the author may publish
    assert kb.get("e1").answer == "又改了。"


def test_the_audit_log_records_who_wrote_and_who_approved():
    kb = live_kb()
    kb.update(entry("e1", answer="新的答案。"), by="lin")
    kb.publish("e1", by="zhou", second_person=True)
    last = kb.audit("e1")[-1]
    assert (last["actor"], last["action"], last["version"]) == ("zhou", "publish", 4)
    assert '"approves": 3' in last["detail"] and '"authors": ["lin"]' in last["detail"]


def test_an_edit_that_changes_nothing_but_the_status_adds_no_version():
    kb = live_kb()
    kb.update(entry("e1", answer="原来的答案。", status="draft"), by="lin")
    assert kb.version_of("e1") == 2 and awaiting(kb) == []


def test_rollback_of_a_published_entry_waits_in_the_queue():
    kb = live_kb()
    kb.update(entry("e1", answer="改错了。"), by="lin")
    kb.publish("e1", by="zhou", second_person=True)  # version 4 live: 改错了
    kb.rollback("e1", 2, by="lin")
    assert kb.get("e1").answer == "改错了。"
    [waiting] = awaiting(kb)
    assert (waiting.version, waiting.live_version, waiting.action, waiting.authors) == (
        5,
        4,
        "rollback",
        ["lin"],
    )
    assert waiting.entry.answer == "原来的答案。"
    kb.publish("e1", by="zhou", second_person=True)
    assert kb.get("e1").answer == "原来的答案。" and awaiting(kb) == []


def test_the_queue_holds_new_drafts_and_pending_changes_not_live_or_archived_entries():
    kb = live_kb()
    kb.create(entry("new", status="draft"), by="wang")
    kb.create(entry("gone", status="published"), by="lin")
    kb.archive("gone", by="lin")
    assert [(w.entry.id, w.live_version) for w in awaiting(kb)] == [("new", None)]
    kb.update(entry("e1", answer="新的答案。"), by="lin")
    assert {w.entry.id: w.live_version for w in awaiting(kb)} == {"new": None, "e1": 2}


def test_archive_takes_a_published_entry_and_its_draft_off_the_bot():
    kb = live_kb()
    kb.update(entry("e1", answer="新的答案。"), by="lin")
    kb.archive("e1", by="lin")
    assert kb.get("e1").status == "archived" and kb.search("现金价值") == []
    assert awaiting(kb) == []


def test_an_import_numbers_its_version_after_a_waiting_draft():
    kb = live_kb()
    kb.update(entry("e1", answer="新的答案。"), by="lin")
    result = kb.import_entries([entry("e1", answer="文件里的答案。")], by="lin")
    assert result.updated == ["e1"]
    assert [v.version for v in kb.history("e1")] == [1, 2, 3, 4]
    assert (kb.get("e1").answer, kb.live_version("e1")) == ("文件里的答案。", 4)


def test_approval_is_on_by_default_and_can_be_switched_off():
    assert Settings().kb_require_approval is True
    assert Settings.from_env({}).kb_require_approval is True
    assert Settings.from_env({"KB_REQUIRE_APPROVAL": "off"}).kb_require_approval is False
    assert Settings.from_env({"KB_REQUIRE_APPROVAL": "1"}).kb_require_approval is True
    with pytest.raises(ValueError, match="KB_REQUIRE_APPROVAL"):
        Settings.from_env({"KB_REQUIRE_APPROVAL": "maybe"})


def test_reviewers_read_and_publish_but_do_not_edit():
    assert "reviewer" in ROLES and "reviewer" in labels("roles")
    assert PERMISSIONS["reviewer"] == {"kb_read", "kb_publish"}
    assert [role for role, can in PERMISSIONS.items() if "kb_publish" in can] == [
        "reviewer",
        "admin",
    ]

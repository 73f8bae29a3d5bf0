"""Versions, publish/archive, rollback, history and the audit log."""

import pytest

from bot.knowledge.schema import EntryError
from bot.knowledge.store import KnowledgeBase, NotFound, VersionConflict
from tests.kb_helpers import entry, memory_kb


def test_every_change_is_a_new_version_with_audit():
    kb = memory_kb()
    kb.create(entry("e1", status="draft"), by="lin")
    kb.update(entry("e1", status="draft", answer="第二版答案。"), by="wang")
    kb.publish("e1", by="lin")
    assert [(v.version, v.action, v.created_by) for v in kb.history("e1")] == [
        (1, "create", "lin"),
        (2, "update", "wang"),
        (3, "publish", "lin"),
    ]
    audit = kb.audit("e1")
    assert [(a["actor"], a["action"], a["version"]) for a in audit] == [
        ("lin", "create", 1),
        ("wang", "update", 2),
        ("lin", "publish", 3),
    ]


def test_update_without_change_adds_no_version():
    kb = memory_kb()
    kb.create(entry("e1"), by="lin")
    kb.update(entry("e1"), by="lin")
    assert len(kb.history("e1")) == 1


def test_rollback_restores_content_as_a_new_version():
    kb = memory_kb()
    kb.create(entry("e1", answer="原来的答案。", status="draft"), by="lin")
    kb.update(entry("e1", answer="改错了的答案。", status="draft"), by="wang")
    kb.rollback("e1", 1, by="lin")
    assert (kb.get("e1").answer, kb.get("e1").status) == ("原来的答案。", "draft")
    assert kb.version_of("e1") == 3
    assert kb.history("e1")[-1].action == "rollback"
    kb.publish("e1", by="zhou")
    assert kb.search("原来")[0].entry.id == "e1"
    assert kb.search("改错") == []


def test_rollback_to_missing_version_changes_nothing():
    kb = memory_kb()
    kb.create(entry("e1"), by="lin")
    with pytest.raises(NotFound):
        kb.rollback("e1", 7, by="lin")
    assert kb.version_of("e1") == 1


def test_duplicate_create_is_refused():
    kb = memory_kb()
    kb.create(entry("e1"), by="lin")
    with pytest.raises(ValueError, match="already exists"):
        kb.create(entry("e1"), by="lin")
    assert len(kb.history("e1")) == 1


def test_a_change_needs_a_staff_name_and_writes_nothing_without_one():
    kb = memory_kb()
    with pytest.raises(EntryError):
        kb.create(entry("e1"), by="  ")
    assert kb.count() == 0


def test_archived_entry_kept_with_history():
    kb = memory_kb()
    kb.create(entry("e1"), by="lin")
    kb.archive("e1", by="lin")
    assert kb.get("e1").status == "archived"
    with pytest.raises(NotFound):
        kb.get("e1", include_unpublished=False)
    assert [v.action for v in kb.history("e1")] == ["create", "archive"]


def test_rollback_of_a_published_entry_is_a_draft_that_goes_live_when_published():
    kb = memory_kb()
    kb.create(entry("e1", answer="原来的答案。", status="draft"), by="lin")
    kb.publish("e1", by="lin")
    kb.update(entry("e1", answer="改错了的答案。"), by="wang")
    kb.publish("e1", by="lin")
    kb.rollback("e1", 1, by="wang")
    assert (kb.get("e1").answer, kb.latest("e1").status) == ("改错了的答案。", "draft")
    kb.publish("e1", by="lin")
    assert (kb.get("e1").answer, kb.get("e1").status) == ("原来的答案。", "published")


def test_an_update_made_on_an_older_version_is_refused_and_writes_nothing(tmp_path):
    path = tmp_path / "kb.db"
    mine, theirs = KnowledgeBase.open(path), KnowledgeBase.open(path)
    mine.create(entry("e1", answer="原来的答案。"), by="lin")
    theirs.update(entry("e1", answer="王的答案。"), by="wang", expected_version=1)
    with pytest.raises(VersionConflict) as conflict:
        mine.update(entry("e1", answer="林的答案。"), by="lin", expected_version=1)
    assert conflict.value.current == 2
    assert (mine.latest("e1").answer, mine.version_of("e1")) == ("王的答案。", 2)
    mine.update(entry("e1", answer="林的答案。"), by="lin", expected_version=2)
    assert (mine.latest("e1").answer, mine.version_of("e1")) == ("林的答案。", 3)

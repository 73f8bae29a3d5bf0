"""Chinese full-text search: segmentation, ranking, filters, hostile input."""

import pytest

from bot.knowledge.store import KnowledgeBase
from tests.kb_helpers import entry, memory_kb, sample_kb


@pytest.fixture
def kb():
    return sample_kb()


def ids(hits):
    return [h.entry.id for h in hits]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("保单贷款", "loan"),
        ("保單貸款", "loan"),  # Traditional
        ("我想用保单借点钱，利息多少", "loan"),
        ("有人说能帮我全额退保", "proxy"),
        ("代理退保", "proxy"),
        ("犹豫期", "cooling"),
        ("猶豫期", "cooling"),
        ("12378", "complain"),
    ],
)
def test_chinese_queries_find_the_right_entry_first(kb, query, expected):
    assert ids(kb.search(query))[0] == expected


def test_short_queries(kb):
    assert ids(kb.search("贷款"))[0] == "loan"  # two characters, inside 保单贷款
    assert "complain" in ids(kb.search("诉"))  # one character
    assert "cooling" in ids(kb.search("犹"))


def test_drafts_and_archived_never_reach_users(kb):
    assert "draft-loan" not in ids(kb.search("保单贷款利率"))
    assert "draft-loan" in ids(kb.search("保单贷款利率", include_unpublished=True))
    kb.archive("loan", by="test")
    assert "loan" not in ids(kb.search("保单贷款"))


def test_category_and_intent_filters(kb):
    assert ids(kb.search("退保", category="proxy_surrender")) == ["proxy"]
    assert ids(kb.search("保单贷款", intent="proxy_surrender")) == []
    assert ids(kb.search("保单贷款", intent="ask_policy_loan")) == ["loan"]


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""',
        "*",
        "保单*",
        "NEAR(保单 贷款)",
        "保单 AND 贷款",
        "保单 OR",
        "NOT 贷款",
        "(贷款",
        "贷款)",
        "title:贷款",
        "'; DROP TABLE entries; --",
        "1' OR '1'='1",
        "^贷款",
        "贷款 -利息",
        "{title keywords}: 贷款",
        "\x00贷款",
    ],
)
def test_fts_and_sql_syntax_never_raises_or_changes_meaning(kb, query):
    hits = kb.search(query)
    # Whatever the syntax around it, the words are searched as words.
    if "贷款" in query:
        assert ids(hits)[0] == "loan"
    assert kb.count() == 5  # nothing dropped


@pytest.mark.parametrize("query", ["", "   ", "😀😀", "？？！", "<script>alert(1)</script>"])
def test_empty_or_symbol_only_queries_return_nothing_quietly(kb, query):
    assert kb.search(query) == [] or all(h.entry for h in kb.search(query))


def test_very_long_query(kb):
    assert ids(kb.search("保单贷款" + "啊" * 10_000))[0] == "loan"


def test_for_intent_ranks_by_message_then_fills(kb):
    assert [e.id for e in kb.for_intent("ask_policy_loan", "利息")] == ["loan"]
    assert [e.id for e in kb.for_intent("complaint")] == ["complain"]
    assert kb.for_intent("ask_claim") == []


def test_entries_without_chinese_titles_or_keywords():
    kb = memory_kb()
    kb.create(entry("en", title="APP loans", keywords=["app", "loan"]), by="lin")
    assert [h.entry.id for h in kb.search("loan")] == ["en"]
    assert [h.entry.id for h in kb.search("现金价值")] == ["en"]  # in the body
    assert kb.search("险") == []


def test_search_follows_writes_of_this_and_other_connections(tmp_path):
    path = tmp_path / "kb.db"
    reader = KnowledgeBase.open(path)
    reader.import_entries([entry("loan-a", keywords=["保单贷款"])], by="lin")
    assert [h.entry.id for h in reader.search("保单贷款")] == ["loan-a"]
    writer = KnowledgeBase.open(path)
    writer.import_entries(
        [entry("loan-b", title="保单贷款怎么办", keywords=["保单贷款"])], by="wang"
    )
    assert [h.entry.id for h in reader.search("保单贷款")] == ["loan-b", "loan-a"]
    writer.archive("loan-b", by="wang")
    assert [h.entry.id for h in reader.search("保单贷款")] == ["loan-a"]
    reader.update(entry("loan-a", title="退保以外的选择", keywords=["借款"]), by="lin")
    reader.publish("loan-a", by="wang")  # an edit of a published entry is live once published
    assert reader.search("保单贷款") == []

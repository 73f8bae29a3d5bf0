"""The speed-ups of large knowledge bases change nothing: the in-memory head index ranks
exactly as FTS5 does, piecewise segmentation indexes the same words, batched imports
write the same versions."""

import pytest

from bot.knowledge import fts, store
from bot.knowledge.bench import QUERIES, synthetic_entries
from bot.knowledge.files import load_directory
from bot.knowledge.store import KnowledgeBase
from bot.nlu.normalize import normalize
from bot.nlu.segment import load_dictionary
from tests.conftest import ROOT
from tests.kb_helpers import entry, memory_kb

UNUSUAL = [
    entry("cafe", title="café 与保单贷款", keywords=["café", "x_y", "3.5%"]),
    entry("circled", title="①退保须知", keywords=["①", "Ⅱ类账户"]),
    entry("upper", title="APP 上的保单贷款", keywords=["APP", "B2C"]),
]


@pytest.fixture(scope="module")
def big_kb():
    """Real entries, 400 synthetic ones and a few with unusual characters."""
    kb = memory_kb()
    real = load_directory(ROOT / "knowledge")
    kb.import_entries([*real, *synthetic_entries(real, 400), *UNUSUAL], by="test")
    kb.archive(real[0].id, by="test")
    return kb


def search_both_ways(kb, monkeypatch, query, **filters):
    """Fielded search with the head index, then with FTS5 alone."""
    monkeypatch.setattr(store, "SMALL_CORPUS", 0)
    fast = [(h.entry.id, h.score) for h in kb.search(query, **filters)]
    with monkeypatch.context() as m:
        m.setattr(KnowledgeBase, "_head_ranked", lambda *args, **kwargs: None)
        slow = [(h.entry.id, h.score) for h in kb.search(query, **filters)]
    return fast, slow


@pytest.mark.parametrize(
    "query",
    [*QUERIES, "合同", "保险公司", "以合同约定为准", "退保 手续费 合同", "诉", "a", "app", "b2c"],
)
@pytest.mark.parametrize(
    "filters",
    [{}, {"category": "surrender"}, {"intent": "ask_policy_loan"}, {"include_unpublished": True}],
    ids=["published", "category", "intent", "all"],
)
def test_head_index_ranks_exactly_like_fts5(big_kb, monkeypatch, query, filters):
    fast, slow = search_both_ways(big_kb, monkeypatch, query, **filters)
    assert fast == slow


@pytest.mark.parametrize("limit", [1, 3, 50])
def test_limits_and_ties_match_fts5(big_kb, monkeypatch, limit):
    for query in ("退保", "险", "保单贷款利息多少"):
        fast, slow = search_both_ways(big_kb, monkeypatch, query, limit=limit)
        assert fast == slow


def test_unusual_words_are_left_to_fts5(big_kb, monkeypatch):
    monkeypatch.setattr(store, "SMALL_CORPUS", 0)
    index = big_kb._head_index()
    # jieba cuts café into "caf" and "é", and unicode61 reads "é" as "e": Python does not,
    # so FTS5 answers for that word.
    assert "e" in index.unsafe
    assert not index.can_rank(["e"]) and not index.can_rank(["①"])
    assert index.can_rank(["保单贷款", "caf", "35"])
    assert [h.entry.id for h in big_kb.search("café")][:1] == ["cafe"]
    for query in ("e", "cafe", "café", "x_y", "3", "①", "Ⅱ类", "APP"):
        fast, slow = search_both_ways(big_kb, monkeypatch, query)
        assert fast == slow


def test_index_follows_writes_of_this_and_other_connections(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "SMALL_CORPUS", 0)
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
    assert reader.search("保单贷款") == []


def test_index_is_not_rebuilt_for_other_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "SMALL_CORPUS", 0)
    path = tmp_path / "kb.db"
    kb = KnowledgeBase.open(path)
    kb.import_entries([entry("loan-a", keywords=["保单贷款"])], by="lin")
    kb.search("保单贷款")
    loads = []
    original = store.HeadIndex.load
    monkeypatch.setattr(store.HeadIndex, "load", lambda *a: loads.append(1) or original(*a))
    other = KnowledgeBase.open(path).db  # e.g. conversation statistics, another thread
    other["served"].insert({"entry_id": "loan-a"})
    kb.db["served"].insert({"entry_id": "loan-a"})
    kb.search("保单贷款")
    assert loads == []
    kb.publish("loan-a", by="lin")  # already published: no change, no rebuild
    kb.archive("loan-a", by="lin")
    assert kb.search("保单贷款") == [] and loads == [1]


def test_entries_without_chinese_titles_or_keywords(monkeypatch):
    monkeypatch.setattr(store, "SMALL_CORPUS", 0)
    kb = memory_kb()
    kb.create(entry("en", title="APP loans", keywords=["app", "loan"]), by="lin")
    assert [h.entry.id for h in kb.search("loan")] == ["en"]
    assert [h.entry.id for h in kb.search("现金价值")] == ["en"]  # in the body
    assert kb.search("险") == []


def whole_text_words(text: str) -> str:
    """index_words as it was: normalise and segment the whole text at once."""
    import jieba

    load_dictionary()
    words = (
        w.strip().lower() for w in jieba.cut_for_search(normalize(text, max_chars=0), HMM=False)
    )
    return " ".join(w for w in words if w and fts._WORD.search(w))


@pytest.mark.parametrize(
    "text",
    [
        "有现金价值的保单可以申请贷款。保障继续有效！退保？不必，，，先问问。",
        "保單貸款利息多少？現金價值怎麼算（以合同為準）",
        "后来皇后说：「頭髮」与「乾隆」；著作、後來。",
        "  a.b c++ 30%  e-mail\tx_y 1.5倍 ＡＢＣ！！？？ 第二行\n\n第三行 ",
        "保\u200b单贷款。\u200b 下一句",
        "😀保单😀贷款 ①② café",
        "",
    ],
)
def test_piecewise_segmentation_indexes_the_same_words(text):
    assert fts.index_words(text) == whole_text_words(text)


@pytest.mark.parametrize("parallel_from", [1, 10**9], ids=["forked", "serial"])
def test_import_segments_as_one_entry_at_a_time(monkeypatch, parallel_from):
    monkeypatch.setattr(store, "PARALLEL_FROM", parallel_from)
    entries = [*load_directory(ROOT / "knowledge")[:20], *UNUSUAL]
    assert store.segment_many(entries) == [store.fts_fields(e) for e in entries]


def test_batched_import_writes_every_version_in_order(monkeypatch):
    monkeypatch.setattr(store, "IMPORT_BATCH", 2)
    kb = memory_kb()
    seen = []
    entries = [entry("a1"), entry("a2"), entry("a1", answer="第二版。"), entry("a3"), entry("a2")]
    result = kb.import_entries(entries, by="lin", progress=lambda e: seen.append(e.id))
    assert seen == ["a1", "a2", "a1", "a3", "a2"]
    assert (result.added, result.updated, result.unchanged) == (["a1", "a2", "a3"], ["a1"], ["a2"])
    assert [(v.version, v.action) for v in kb.history("a1")] == [(1, "import"), (2, "import")]
    assert kb.get("a1").answer == "第二版。"
    assert [a["entry_id"] for a in kb.audit()] == ["a1", "a2", "a1", "a3"]
    assert [h.entry.id for h in kb.search("第二版")] == ["a1"]


def test_an_id_listed_twice_is_indexed_with_its_last_content():
    kb = memory_kb()
    kb.import_entries([entry("a1", answer="原来的答案。")], by="lin")
    kb.import_entries(
        [entry("a1", answer="改错的答案。"), entry("a1", answer="原来的答案。")], by="lin"
    )
    assert kb.version_of("a1") == 3
    assert [h.entry.id for h in kb.search("原来")] == ["a1"]
    assert kb.search("改错") == []


def test_document_form_keeps_the_field_order():
    from bot.knowledge.schema import FIELDS

    document = entry(
        "a1", source={"title": "保险法", "publisher": "人大", "date": "2015"}
    ).to_dict()
    assert list(document) == list(FIELDS)
    assert list(document["source"]) == ["title", "publisher", "date"]


def test_memo_disabled_segments_the_same_words_without_caching():
    from bot.knowledge import fts

    text = "保单贷款利息怎么算？以合同约定为准。"
    fts.forget_segmented_pieces()
    with fts.memo_disabled():
        fresh = fts.index_words(text)
        assert fts._piece_words.__name__ == "_piece_words"
    assert fts._piece_words.cache_info().currsize == 0
    assert fts.index_words(text) == fresh
    assert fts._piece_words.cache_info().currsize > 0

"""The readable diff: fields named in words, changed words marked, text escaped."""

from bot.knowledge.diff import compare, marked
from tests.kb_helpers import entry


def changed(old, new):
    return {f.name: (f.label, str(f.old), str(f.new)) for f in compare(old, new) if f.changed}


def test_only_changed_fields_are_marked_and_named_in_words():
    old = entry("e1", answer="退保时退还现金价值。", keywords=["现金价值", "退保"])
    new = entry("e1", answer="退保时只退还现金价值。", keywords=["现金价值", "犹豫期"])
    assert changed(old, new) == {
        "keywords": ("关键词", "现金价值、<del>退保</del>", "现金价值、<ins>犹豫期</ins>"),
        "answer": ("简短回答", "退保时退还现金价值。", "退保时<ins>只</ins>退还现金价值。"),
    }
    unchanged = [f.label for f in compare(old, new) if not f.changed]
    assert "标题（问题）" in unchanged and "来源" in unchanged


def test_labels_not_slugs_and_the_source_as_a_line():
    old = entry("e1", category="surrender", audience=["all"])
    new = entry(
        "e1",
        category="alternatives",
        audience=["all", "elderly"],
        source={"title": "保险法", "publisher": "全国人大常委会", "date": "2015", "reference": "x"},
    )
    diff = changed(old, new)
    assert "surrender" not in diff["category"][1] and "alternatives" not in diff["category"][2]
    assert diff["audience"][2] == "所有人、<ins>老年人</ins>"
    assert diff["source_reference"] == ("来源的链接或文号", "", "<ins>x</ins>")


def test_a_trailing_newline_is_no_change():
    assert changed(entry("e1", answer="答案。"), entry("e1", answer="答案。\n")) == {}


def test_text_is_escaped_inside_and_outside_the_marks():
    old, new = marked(["<b>退保</b>"], ["<b>不退保</b><script>x</script>"])
    assert "<b>" not in old and "<script>" not in new
    assert new == "&lt;b&gt;<ins>不</ins>退保&lt;/b&gt;<ins>&lt;script&gt;x&lt;/script&gt;</ins>"


def test_latin_words_change_as_a_whole():
    old, new = marked(["见 policy-loan 页"], ["见 policy-rate 页"])
    assert (old, new) == ("见 <del>policy-loan</del> 页", "见 <ins>policy-rate</ins> 页")

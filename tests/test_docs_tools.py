from bot.docs import replace_section


def test_appends_section_to_empty_document():
    out = replace_section("", "nlu", "A")
    assert out.startswith("# Benchmarks")
    assert "<!-- begin nlu -->\nA\n<!-- end nlu -->" in out


def test_replaces_only_its_own_section():
    doc = replace_section(replace_section("", "nlu", "old"), "kb", "kb figures")
    doc = replace_section(doc, "nlu", "new")
    assert "new" in doc and "old" not in doc
    assert "kb figures" in doc
    assert doc.count("<!-- begin nlu -->") == 1

"""YAML import and export: validation, all-or-nothing, idempotence, round trip."""

import re

import pytest

from bot.knowledge.files import dump_entry, load_directory, write_directory
from bot.knowledge.schema import EntryError
from tests.kb_helpers import entry, memory_kb


def write(tmp_path, name, text):
    path = tmp_path / "k" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_import_reports_added_updated_unchanged(tmp_path):
    kb = memory_kb()
    write_directory([entry("a1"), entry("a2")], tmp_path / "k")
    first = kb.import_entries(load_directory(tmp_path / "k"), by="lin")
    assert (first.added, first.updated, first.unchanged) == (["a1", "a2"], [], [])
    write_directory([entry("a1", answer="新答案。")], tmp_path / "k")
    second = kb.import_entries(load_directory(tmp_path / "k"), by="lin")
    assert (second.added, second.updated, second.unchanged) == ([], ["a1"], ["a2"])
    assert kb.version_of("a1") == 2


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda t: t.replace("category: surrender", "category: nonsense"), "category"),
        (lambda t: t.replace("- ask_surrender_value", "- buy_more_insurance"), "intents"),
        (lambda t: t.replace("status: published", "status: live"), "status"),
        (lambda t: re.sub(r"(?m)^answer: .*$", "answer: " + "很长" * 400, t), "answer"),
        (lambda t: t.replace("title: 什么是现金价值\n", ""), "title"),
        (lambda t: t + "colour: red\n", "colour"),
        (lambda t: t.replace("  date: '2015'", "  date: last year"), "source.date"),
    ],
)
def test_a_bad_file_names_file_and_field_and_writes_nothing(tmp_path, mutate, field):
    kb = memory_kb()
    write_directory([entry("good")], tmp_path / "k")
    bad = write(tmp_path, "surrender/bad.yml", mutate(dump_entry(entry("bad"))))
    with pytest.raises(EntryError) as err:
        kb.import_entries(load_directory(tmp_path / "k"), by="lin")
    assert str(bad) in str(err.value)
    assert f"'{field}'" in str(err.value)
    assert kb.count() == 0


def test_malformed_yaml_is_a_clear_error(tmp_path):
    write(tmp_path, "x/broken.yml", "id: [unclosed\n  title: :::\n")
    with pytest.raises(EntryError, match="not valid YAML"):
        load_directory(tmp_path / "k")


def test_file_name_must_match_id(tmp_path):
    write(tmp_path, "surrender/other-name.yml", dump_entry(entry("real-id")))
    with pytest.raises(EntryError, match="file name"):
        load_directory(tmp_path / "k")


def test_failure_midway_rolls_back_the_whole_import(tmp_path):
    kb = memory_kb()

    def explode(e):
        if e.id == "b2":
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        kb.import_entries([entry("b1"), entry("b2")], by="lin", progress=explode)
    assert kb.count() == 0
    assert kb.audit() == []


def test_export_then_import_is_a_no_op(tmp_path):
    kb = memory_kb()
    kb.import_entries(
        [entry("c1"), entry("c2", status="draft"), entry("c3", keywords=["12378"])], by="lin"
    )
    write_directory(kb.list(), tmp_path / "out")
    result = kb.import_entries(load_directory(tmp_path / "out"), by="lin")
    assert result.added == [] and result.updated == []
    assert sorted(result.unchanged) == ["c1", "c2", "c3"]


def test_import_writes_every_version_in_order():
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

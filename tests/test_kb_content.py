"""The curated knowledge/ folder: valid, complete enough, and safe to show."""

import re
from collections import Counter

import pytest

from bot.knowledge.files import entry_files, load_directory, parse_entry
from bot.knowledge.schema import KNOWLEDGE_INTENTS, MAX_ANSWER_CHARS
from tests.conftest import ROOT

FILES = entry_files(ROOT / "knowledge")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_entry_is_valid(path):
    entry = parse_entry(path.read_text(encoding="utf-8"), str(path))
    assert path.parent.name == entry.category
    assert len(entry.answer.strip()) <= MAX_ANSWER_CHARS
    assert entry.source.title and entry.source.publisher and entry.source.date


def test_at_least_forty_entries_and_eight_cases():
    entries = load_directory(ROOT / "knowledge")
    assert len(entries) >= 40
    assert Counter(e.category for e in entries)["case"] >= 8


def test_every_knowledge_intent_has_a_published_entry():
    entries = [e for e in load_directory(ROOT / "knowledge") if e.status == "published"]
    covered = {i for e in entries for i in e.intents}
    assert set(KNOWLEDGE_INTENTS) <= covered


def test_answers_never_ask_for_personal_data_or_promise_returns():
    for entry in load_directory(ROOT / "knowledge"):
        text = entry.answer + entry.body
        assert not re.search(r"请(提供|发送|告诉我)您?的?(身份证|银行卡|验证码|密码)", text), (
            entry.id
        )
        assert "保证收益" not in text, entry.id

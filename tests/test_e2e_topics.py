"""The topics people ask about (issue 13): each test question of
tests/data/topic_questions.yml, sent through the REST channel of the real servers, is
answered by its knowledge entry, with that entry's source."""

from __future__ import annotations

import pytest

from bot.knowledge.schema import Entry
from tests.conftest import DATA, ROOT, load_yaml
from tests.test_e2e_rest import say, texts

pytestmark = pytest.mark.slow
QUESTIONS = load_yaml(DATA / "topic_questions.yml")["topic_questions"]
ENTRIES = {
    entry.id: entry
    for path in (ROOT / "knowledge").rglob("*.yml")
    if (entry := Entry.from_dict(load_yaml(path)))
}


def test_every_topic_of_the_review_has_a_question_and_its_entry_is_published():
    assert {q["topic"] for q in QUESTIONS} >= set(range(1, 21))
    assert [q["entry"] for q in QUESTIONS if ENTRIES.get(q["entry"]) is None] == []
    assert all(ENTRIES[q["entry"]].status == "published" for q in QUESTIONS)
    assert all(q["intent"] in ENTRIES[q["entry"]].intents for q in QUESTIONS)


@pytest.mark.parametrize("question", QUESTIONS, ids=[q["entry"] for q in QUESTIONS])
def test_the_question_gets_its_entry(servers, question):
    reply = texts(say(servers, question["question"]))
    entry = ENTRIES[question["entry"]]
    assert entry.source_line() in reply, reply
    for word in question["must"]:
        assert str(word) in reply, (word, reply)

"""Train (or reuse) the real model and check held-out phrasings it has never seen."""

from collections import Counter

import pytest

from tests.conftest import DATA, load_yaml

pytestmark = pytest.mark.slow

HELDOUT = load_yaml(DATA / "heldout_nlu.yml")
CASES = [(intent, text) for intent, texts in HELDOUT.items() for text in texts]


@pytest.fixture(scope="module")
def predictions(parser):
    return [(intent, text, parser.parse(text)) for intent, text in CASES]


def best(result):
    from bot.nlu.metrics import top_real_intent

    return top_real_intent(result)[0]


def test_heldout_accuracy(predictions):
    wrong = [(intent, text, best(r)) for intent, text, r in predictions if best(r) != intent]
    accuracy = 1 - len(wrong) / len(predictions)
    assert accuracy >= 0.9, f"accuracy {accuracy:.3f}; wrong: {wrong}"


@pytest.mark.parametrize("intent", ["request_surrender", "proxy_surrender"])
def test_key_intents_are_all_recognised(predictions, intent):
    misses = [(text, best(r)) for i, text, r in predictions if i == intent and best(r) != intent]
    assert not misses


def test_every_intent_mostly_right(predictions):
    hits = Counter(i for i, _, r in predictions if best(r) == i)
    totals = Counter(i for i, _, _ in predictions)
    weak = {i: f"{hits[i]}/{n}" for i, n in totals.items() if hits[i] / n < 0.6}
    assert not weak


def test_surrender_phrasings(parser):
    phrasings = load_yaml(DATA / "surrender_phrasings.yml")["surrender_phrasings"]
    predicted = [(t, best(parser.parse(t))) for t in phrasings]
    misses = [(t, p) for t, p in predicted if p != "request_surrender"]
    assert len(misses) <= len(phrasings) // 10, misses


def test_traditional_and_simplified_agree(parser):
    pairs = [
        ("我想退保", "我想退保"),
        ("保单贷款怎么申请", "保單貸款怎麼申請"),
        ("犹豫期内能全额退吗", "猶豫期內能全額退嗎"),
    ]
    for simplified, traditional in pairs:
        a, b = parser.parse(simplified), parser.parse(traditional)
        assert a["intent"]["name"] == b["intent"]["name"]
        assert b["text_original"] == traditional


@pytest.mark.parametrize(
    "text",
    ["", "😀😀😀", "<script>alert('x')</script>", "我想退保" * 2500, "' OR 1=1; --", "？？？？"],
)
def test_odd_input_parses_without_error(parser, text):
    result = parser.parse(text)
    assert result["intent"]["name"]
    assert 0.0 <= (result["intent"].get("confidence") or 0.0) <= 1.0

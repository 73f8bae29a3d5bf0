"""The custom Rasa components, exercised without training a model."""

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.components import (
    DIET_INTENT,
    EMPTY_PLACEHOLDER,
    ORIGINAL_TEXT,
    CharNgramFeaturizer,
    InsuranceJiebaTokenizer,
    IntentEnsemble,
    PinyinNgramFeaturizer,
    TextNormalizer,
)
from bot.nlu.segment import DICTIONARY_DIR, segment


def test_process_normalises_and_keeps_original():
    message = Message(data={"text": "保單貸款？？"})
    TextNormalizer({}).process([message])
    assert message.get("text") == "保单贷款?"
    assert message.get(ORIGINAL_TEXT) == "保單貸款？？"
    assert message.as_dict(only_output_properties=True)[ORIGINAL_TEXT] == "保單貸款？？"


@pytest.mark.parametrize("text", ["", "   ", "😀😀", "？？！！"])
def test_nothing_to_classify_becomes_one_unknown_word(text):
    message = Message(data={"text": text})
    TextNormalizer({}).process([message])
    assert message.get("text") == EMPTY_PLACEHOLDER
    assert message.get(ORIGINAL_TEXT) == text


def test_process_training_data_normalises_examples():
    data = TrainingData(
        training_examples=[Message(data={"text": "猶豫期退保", "intent": "ask_cooling_off"})]
    )
    TextNormalizer({}).process_training_data(data)
    assert data.training_examples[0].get("text") == "犹豫期退保"


def test_max_chars_is_configurable():
    message = Message(data={"text": "退" * 50})
    TextNormalizer({"max_chars": 10}).process([message])
    assert message.get("text") == "退" * 10


def test_tokenizer_defaults_to_project_dictionary():
    assert InsuranceJiebaTokenizer.get_default_config()["dictionary_path"] == str(DICTIONARY_DIR)


def test_dictionary_fingerprint_follows_its_content(tmp_path: Path):
    (tmp_path / "a.txt").write_text("保单贷款 100 n\n", encoding="utf-8")
    first = InsuranceJiebaTokenizer.fingerprint_addon({"dictionary_path": str(tmp_path)})
    (tmp_path / "a.txt").write_text("保单贷款 100 n\n减额交清 100 n\n", encoding="utf-8")
    second = InsuranceJiebaTokenizer.fingerprint_addon({"dictionary_path": str(tmp_path)})
    assert first and second and first != second


def test_insurance_terms_are_single_tokens():
    words = segment("我想了解保单贷款和减额交清，还有代理退保的风险")
    for term in ("保单贷款", "减额交清", "代理退保"):
        assert term in words


def test_segment_normalises_first():
    assert "现金价值" in segment("現金價值多少")


# --- trainable components, with a real (temporary) model storage --------------------------

TINY = [
    ("我想退保", "request_surrender"),
    ("怎么退保", "request_surrender"),
    ("退保要带什么", "request_surrender"),
    ("保单贷款利息", "ask_policy_loan"),
    ("用保单借钱", "ask_policy_loan"),
    ("保单能贷多少", "ask_policy_loan"),
]


@pytest.fixture()
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


def context():
    return ExecutionContext(GraphSchema({}), "test")


def tiny_data():
    return TrainingData(training_examples=[Message(data={"text": t, "intent": i}) for t, i in TINY])


def sentence_features(message):
    return message.get_sparse_features("text")[1].features.toarray()[0]


def test_char_ngrams_cross_word_boundaries_and_survive_loading(storage):
    resource = Resource("chars")
    featurizer = CharNgramFeaturizer.create(
        CharNgramFeaturizer.get_default_config(), storage, resource, context()
    )
    data = tiny_data()
    featurizer.train(data)
    featurizer.process_training_data(data)
    vector = sentence_features(data.training_examples[0])
    assert vector.shape[0] > 0 and np.isclose(np.linalg.norm(vector), 1.0)

    loaded = CharNgramFeaturizer.load(
        CharNgramFeaturizer.get_default_config(), storage, resource, context()
    )
    again = Message(data={"text": "我想退保"})
    loaded.process([again])
    assert np.allclose(sentence_features(again), vector)

    unseen = Message(data={"text": "😀"})
    loaded.process([unseen])
    assert np.count_nonzero(sentence_features(unseen)) == 1  # only the boundary " " n-gram


def trained_chars(storage, name):
    """A CharNgramFeaturizer trained on TINY, and the featurised training data."""
    chars = CharNgramFeaturizer.create(
        CharNgramFeaturizer.get_default_config(), storage, Resource(name), context()
    )
    data = tiny_data()
    chars.train(data)
    chars.process_training_data(data)
    return chars, data


def test_ensemble_averages_diet_with_linear_model(storage):
    chars, data = trained_chars(storage, "c")
    resource = Resource("ensemble")
    config = {**IntentEnsemble.get_default_config(), "diet_weight": 0.5}
    IntentEnsemble.create(config, storage, resource, context()).train(data)
    ensemble = IntentEnsemble.load(config, storage, resource, context())

    message = Message(data={"text": "保单贷款"})
    chars.process([message])
    # DIET (simulated) is sure of the wrong intent; the linear model disagrees.
    message.set("intent", {"name": "request_surrender", "confidence": 1.0})
    message.set(
        "intent_ranking",
        [
            {"name": "request_surrender", "confidence": 1.0},
            {"name": "ask_policy_loan", "confidence": 0.0},
        ],
    )
    ensemble.process([message])
    ranking = {r["name"]: r["confidence"] for r in message.get("intent_ranking")}
    assert np.isclose(sum(ranking.values()), 1.0)
    assert 0.5 <= ranking["request_surrender"] < 1.0  # half of DIET's 1.0 plus a little
    assert message.get(DIET_INTENT)["name"] == "request_surrender"

    alone = Message(data={"text": "保单贷款"})
    chars.process([alone])
    ensemble.process([alone])  # no DIET ranking: the linear model decides
    assert alone.get("intent")["name"] == "ask_policy_loan"


def test_ensemble_applies_the_intent_boost(storage):
    chars, data = trained_chars(storage, "c2")
    resource = Resource("boosted")
    plain = {**IntentEnsemble.get_default_config(), "diet_weight": 0.0}
    boosted = {**plain, "intent_boost": {"request_surrender": 50.0}}
    IntentEnsemble.create(plain, storage, resource, context()).train(data)

    def top(config):
        message = Message(data={"text": "保单贷款"})
        chars.process([message])
        IntentEnsemble.load(config, storage, resource, context()).process([message])
        return message.get("intent")["name"]

    assert top(plain) == "ask_policy_loan"
    assert top(boosted) == "request_surrender"


def test_pinyin_ngrams_match_homophone_typos(storage):
    config = PinyinNgramFeaturizer.get_default_config()
    featurizer = PinyinNgramFeaturizer.create(config, storage, Resource("pinyin"), context())
    data = tiny_data()
    featurizer.train(data)
    loaded = PinyinNgramFeaturizer.load(config, storage, Resource("pinyin"), context())
    right, typo, other = (Message(data={"text": t}) for t in ("我想退保", "我想退宝", "保单贷款"))
    loaded.process([right, typo, other])
    assert np.isclose(np.linalg.norm(sentence_features(right)), 1.0)
    # 退宝 (tui bao) is a homophone of 退保: the same syllables, the same vector.
    assert np.allclose(sentence_features(typo), sentence_features(right))
    assert not np.allclose(sentence_features(other), sentence_features(right))

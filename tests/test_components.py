"""The custom Rasa components, exercised without training a model."""

from pathlib import Path

from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.components import ORIGINAL_TEXT, InsuranceJiebaTokenizer, TextNormalizer
from bot.nlu.segment import DICTIONARY_DIR, segment


def test_process_normalises_and_keeps_original():
    message = Message(data={"text": "保單貸款？？"})
    TextNormalizer({}).process([message])
    assert message.get("text") == "保单贷款?"
    assert message.get(ORIGINAL_TEXT) == "保單貸款？？"
    assert message.as_dict(only_output_properties=True)[ORIGINAL_TEXT] == "保單貸款？？"


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

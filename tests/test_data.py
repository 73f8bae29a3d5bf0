"""The intent contract and the training data that backs it."""

import re

import pytest

from bot.nlu.normalize import normalize
from tests.conftest import DATA, ROOT, load_yaml, nlu_examples, nlu_messages

CONTRACT = [
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "request_human",
    "request_surrender", "ask_surrender_value", "ask_policy_loan", "ask_partial_withdrawal",
    "ask_reduce_coverage", "premium_hardship", "ask_cooling_off", "proxy_surrender",
    "policy_switch_pitch", "personal_info_request", "fraud_high_return", "complaint",
    "ask_claim", "ask_consumer_rights", "ask_policy_service", "out_of_scope", "report_harm",
]  # fmt: skip
AT_LEAST_60 = {
    "request_surrender", "ask_surrender_value", "ask_policy_loan", "ask_partial_withdrawal",
    "ask_reduce_coverage", "premium_hardship", "ask_cooling_off", "proxy_surrender",
    "policy_switch_pitch", "personal_info_request", "fraud_high_return", "report_harm",
}  # fmt: skip


def rule_intents() -> set[str]:
    """The intents that some dialogue rule answers."""
    return {
        step["intent"]
        for path in (ROOT / "data" / "rules").glob("*.yml")
        for rule in load_yaml(path).get("rules", [])
        for step in rule.get("steps", [])
        if "intent" in step
    }


def test_domain_declares_the_contract_and_answers_each_intent():
    domain = load_yaml(ROOT / "domain.yml")
    assert set(CONTRACT) <= set(domain["intents"])
    for intent in CONTRACT:
        assert f"utter_{intent}" in domain["responses"] or intent in rule_intents(), intent


@pytest.mark.parametrize("intent", CONTRACT)
def test_enough_distinct_examples(intent):
    examples = nlu_examples().get(intent, [])
    distinct = {normalize(e) for e in examples}
    minimum = 60 if intent in AT_LEAST_60 else 30
    assert len(distinct) >= minimum, f"{intent}: {len(distinct)} distinct examples"


def test_no_example_is_labelled_twice():
    owner: dict[str, str] = {}
    for intent, examples in nlu_examples().items():
        for e in examples:
            key = normalize(e)
            assert owner.setdefault(key, intent) == intent, f"{e!r}: {owner[key]} and {intent}"


def test_examples_have_no_entity_markup():
    # Rasa's reader turns well-formed markup into entities and leaves the rest as text.
    for message in nlu_messages():
        e, intent = message.get("text"), message.get("intent")
        assert not re.search(r"[\[\]{}]", e), f"{intent}: {e!r}"
        assert not message.get("entities"), f"{intent}: {e!r}"


def test_traditional_characters_are_represented():
    traditional = [e for ex in nlu_examples().values() for e in ex if normalize(e) != e.strip()]
    assert len(traditional) >= 100


def _forms(text: str) -> set:
    """What a classifier could recognise a message by: its normalised text without
    punctuation, and its pinyin (which makes homophone typos the same message)."""
    from bot.nlu.pinyin import syllables

    plain = normalize(text)
    return {re.sub(r"[\W_]+", "", plain), tuple(syllables(plain))}


HELDOUT_FILES = sorted(p.name for p in DATA.glob("heldout*.yml"))


def test_evaluation_measures_every_heldout_file():
    from bot.nlu.evaluate import HELDOUT_GLOB

    assert sorted(p.name for p in DATA.glob(HELDOUT_GLOB)) == HELDOUT_FILES
    assert {"heldout_nlu.yml", "heldout_eval.yml"} <= set(HELDOUT_FILES)


@pytest.mark.parametrize("name", HELDOUT_FILES)
def test_heldout_phrasings_are_not_in_training_data(name):
    train = set().union(*(_forms(e) for ex in nlu_examples().values() for e in ex))
    heldout = load_yaml(DATA / name)
    assert set(heldout) == set(CONTRACT)
    leaked = [t for texts in heldout.values() for t in texts if _forms(t) & train]
    assert not leaked


def test_surrender_response_leads_with_alternatives_not_procedure():
    responses = load_yaml(ROOT / "domain.yml")["responses"]
    names = ("utter_request_surrender", "utter_request_surrender_ways")
    text = "".join(responses[name][0]["text"] for name in names)
    for word in ("减保", "部分领取", "保单贷款", "现金价值", "权利", "免费"):
        assert word in text
    assert re.search(r"以[^。]{0,6}合同(条款)?为准", text)  # where figures vary
    for procedure in ("身份证", "银行卡", "柜台办理退保", "申请书"):
        assert procedure not in text


def test_responses_never_ask_for_personal_data_or_promise_returns():
    responses = load_yaml(ROOT / "domain.yml")["responses"]
    for name, variants in responses.items():
        for variant in variants:
            text = variant["text"]
            assert not re.search(
                r"(请|麻烦)(提供|发送|告诉我).{0,6}(身份证|银行卡|验证码|密码)", text
            ), name
            assert "保证收益" not in text and "稳赚" not in text.replace("「稳赚不赔」", ""), name


def test_the_real_language_set_is_never_trained_on_and_every_message_has_its_page():
    from bot.nlu.evaluate import REAL_FILE

    real = load_yaml(ROOT / REAL_FILE)
    assert set(real) <= set(CONTRACT) and sum(map(len, real.values())) >= 200
    train = set().union(*(_forms(e) for ex in nlu_examples().values() for e in ex))
    assert not [t for texts in real.values() for t in texts if _forms(t) & train]
    sources = (DATA / "REAL_SOURCES.md").read_text(encoding="utf-8")
    rows = {line.split(" | ")[0][2:]: line for line in sources.splitlines() if "http" in line}
    assert [t for texts in real.values() for t in texts if t not in rows] == []


def test_real_training_data_names_its_page_and_shares_none_with_the_heldout_set():
    """data/nlu/real.yml: what people wrote, each example with its page in SOURCES.md, and
    none of those pages among the held-out set's."""
    real = load_yaml(ROOT / "data" / "nlu" / "real.yml")["nlu"]
    examples = [line[2:] for block in real for line in block["examples"].splitlines()]
    rows = {}
    for line in (ROOT / "data" / "nlu" / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        cells = line.split(" | ")
        if len(cells) == 5 and cells[3].startswith("http"):
            rows[cells[0][2:]] = cells[3]
    held_pages = set(re.findall(r"\| (https?://\S+) \|", (DATA / "REAL_SOURCES.md").read_text()))
    assert len(examples) >= 600
    assert [e for e in examples if e not in rows] == []
    assert not set(rows.values()) & held_pages

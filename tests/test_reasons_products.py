"""Free-text answers inside the surrender dialogue: the reason, the product type."""

import pytest

from bot.products import product_type
from bot.reasons import surrender_reason
from tests.conftest import DATA, load_yaml

BUTTONS = {
    "急用钱": "need_cash",
    "交不起保费": "cant_pay",
    "觉得不划算，不需要了": "not_worth",
    "有人建议我退": "advised",
    "对销售或服务不满": "unhappy",
    "刚买不久": "just_bought",
}


@pytest.mark.parametrize(("text", "reason"), BUTTONS.items())
def test_every_reason_button_is_understood(text, reason):
    assert surrender_reason(text) == reason


def test_the_domain_buttons_are_the_ones_tested():
    from tests.conftest import ROOT

    buttons = load_yaml(ROOT / "domain.yml")["responses"]["utter_ask_surrender_reason"][0][
        "buttons"
    ]
    assert {b["payload"] for b in buttons} == set(BUTTONS)


def test_intent_decides_when_words_do_not():
    assert surrender_reason("嗯", intent="premium_hardship") == "cant_pay"
    assert surrender_reason("嗯", intent="greet") is None


@pytest.mark.parametrize(
    ("intent", "reason"),
    [
        ("reason_need_cash", "need_cash"),
        ("reason_not_worth", "not_worth"),
        ("reason_advised", "advised"),
    ],
)
def test_free_text_answers_written_by_people(intent, reason):
    """Phrasings collected for the dialogue (tests/data/surrender_answers.yml): most must
    be understood without buttons; the rest get the question again with buttons."""
    blocks = {b["intent"]: b["examples"] for b in load_yaml(DATA / "surrender_answers.yml")["nlu"]}
    examples = [line.strip()[2:] for line in blocks[intent].splitlines() if line.strip()]
    hits = sum(surrender_reason(e) == reason for e in examples)
    assert hits / len(examples) >= 0.7


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("万能险", "universal"),
        ("我买的是年金險", "annuity"),
        ("分红型的", "participating"),
        ("增额终身寿", "whole_life"),
        ("重急险", "critical_illness"),
        ("医疗险或意外险", "short_term"),
        ("不清楚", "unknown"),
    ],
)
def test_product_types(text, kind):
    assert product_type(text) == kind

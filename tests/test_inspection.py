"""质检 rules (bot/inspection.py): each with replies that break it and replies that do not."""

import pytest

from bot.inspection import RULES, Finding, inspect
from bot.labels import labels

BREAKS = {
    "promises_returns": [
        "这款产品保证收益5%，稳赚不赔",
        "您放心，我们一定能全额退回",
        "保本还能拿回全额",
    ],
    "asks_personal_data": [
        "请提供一下您的身份证号码",
        "把验证码发给我，我帮您办",
        "您的银行卡号是多少",
    ],
    "promises_call": ["我们明天给您打个电话", "稍后会有专员致电您", "工作人员会电话联系您"],
    "third_party": ["建议您找律师事务所代办", "可以委托维权中心帮您处理"],
    "personal_data": ["您的手机号13812345678我记下了", "身份证11010519491231002X已收到"],
}
FINE = [
    "请自己拨打保单上印的保险公司官方客服电话",
    "自称保险公司打来的电话，先挂断，再自己核实",
    "我们不会给您打电话，也不会要您的验证码",
    "说“保本高收益”的，多半是骗局",
    "所谓维权中心，其实是代理退保团伙",
    "退保只拿回现金价值，具体以合同为准",
    "请不要把身份证、银行卡、验证码交给任何人",
]


@pytest.mark.parametrize("rule, text", [(r, t) for r, ts in BREAKS.items() for t in ts])
def test_a_reply_that_breaks_a_rule_is_found(rule, text):
    assert rule in [f.rule for f in inspect(text)]


@pytest.mark.parametrize("text", FINE)
def test_warnings_and_plain_facts_pass(text):
    assert inspect(text) == []


def test_every_rule_has_examples_and_a_label_for_the_agent():
    assert set(BREAKS) == set(RULES)
    assert set(labels("inspection_rules")) == set(RULES)
    assert Finding("promises_call", "x").label.startswith("承诺")


def test_empty_or_odd_text_has_no_findings():
    assert inspect("") == [] and inspect("😀😀") == [] and inspect("<script>x</script>") == []

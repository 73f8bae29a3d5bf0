"""The scenario suite's checks (tests/scenario_checks.py), on passing and failing examples,
and the scenario files themselves (fast: no servers)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.scenario_checks import (
    MACROS,
    QUESTIONS,
    chars,
    expand,
    global_problems,
    handoff_problems,
    load_scenarios,
    message_for,
    reasked,
    repeated,
    turn_problems,
    validate,
)

FOLDER = Path(__file__).parent / "scenarios"


def bot(*texts: str, buttons: list | None = None) -> list[dict]:
    replies = [{"recipient_id": "u", "text": t} for t in texts]
    if buttons:
        replies[-1]["buttons"] = buttons
    return replies


# ---- the scenario files -------------------------------------------------------------------


def test_the_scenario_files_are_valid_and_cover_every_behaviour():
    scenarios = load_scenarios(FOLDER)
    assert len(scenarios) >= 45
    covered = {b for s in scenarios for b in s["covers"]}
    assert covered == set(range(1, 8))


def test_harm_is_reported_at_the_start_and_in_the_middle_of_a_flow():
    harm = [
        (s["name"], number)
        for s in load_scenarios(FOLDER)
        for number, turn in enumerate(s["turns"], 1)
        if "@urgent" in turn.get("must", [])
    ]
    assert sum(1 for _, number in harm if number == 1) >= 8
    assert sum(1 for _, number in harm if number > 1) >= 5


def test_every_given_name_and_macro_is_known():
    for scenario in load_scenarios(FOLDER):
        for turn in scenario["turns"]:
            for pattern in turn.get("must", []) + turn.get("must_not", []):
                assert not str(pattern).startswith("@") or pattern in MACROS
    assert {"surrender_reason", "product_type", "fee_requested"} <= set(QUESTIONS)


def test_validate_names_authoring_mistakes():
    bad = {
        "name": "Bad Name",
        "covers": [9],
        "given": {"reason": 5},
        "handoff": {"risk": "urgent"},
        "turns": [{"say": "x", "click": "y", "mst": [], "must": ["(", "@nope"]}],
    }
    problems = "\n".join(validate(bad))
    expected = ["name must", "covers", "exactly one", "unknown key 'mst'", "bad pattern"]
    expected += ["no macro @nope", "no questions known for 'reason'", "not a turn", "handoff"]
    for words in expected:
        assert words in problems
    good = {"name": "ok-1", "covers": [1], "turns": [{"say": "我被骗了", "must": ["@urgent"]}]}
    assert validate(good) == []


def test_load_scenarios_refuses_a_name_used_twice(tmp_path):
    text = "scenarios:\n  - {name: a, covers: [1], turns: [{say: x}]}\n"
    (tmp_path / "one.yml").write_text(text, encoding="utf-8")
    (tmp_path / "two.yml").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="a: name used 2 times"):
        load_scenarios(tmp_path)


# ---- a click ------------------------------------------------------------------------------


def test_a_click_sends_the_payload_of_the_button_with_that_title():
    previous = bot("还想退保吗？", buttons=[{"title": "还是想退保", "payload": "/affirm"}])
    assert message_for({"click": "还是想退保"}, previous) == ("/affirm", "")
    assert message_for({"click": "想退保"}, previous) == ("/affirm", "")  # part of the title
    assert message_for({"say": "/deny"}, previous) == ("/deny", "")


def test_a_click_on_a_button_not_offered_is_typed_and_reported():
    message, problem = message_for({"click": "先不退了"}, bot("好的"))
    assert message == "先不退了" and "not offered" in problem


# ---- one turn -----------------------------------------------------------------------------


URGENT = [
    "这很可能是骗局，请马上做这几件事：",
    "1. 不要再给对方转钱。",
    "2. 打电话给银行，必要时冻结银行卡。",
    "3. 修改手机银行和支付软件的密码。",
    "4. 保存聊天记录和转账记录。",
    "5. 拨打110报警。",
    "6. 拨打保险公司官方客服热线，或12378。",
]


def test_a_good_harm_turn_passes():
    turn = {"first": ["@scam"], "must": ["@urgent"], "max_bubble": 80, "min_bubbles": 3}
    assert turn_problems(turn, bot(*URGENT)) == []


def test_a_harm_turn_that_scolds_first_in_one_paragraph_fails():
    turn = {"first": ["@scam"], "must": ["@urgent"], "max_bubble": 80, "min_bubbles": 3}
    replies = bot(
        "请先别急着答应，不要把身份证拍照发给对方，甚至会被用来骗钱。", "".join(URGENT[1:])
    )
    problems = turn_problems(turn, replies)
    assert any(p.startswith("first bubble lacks") for p in problems)
    assert any(p.startswith("a bubble is") for p in problems)
    assert "2 bubbles (at least 3)" in problems


def test_must_must_not_and_the_turn_length():
    turn = {"must": ["保单贷款", "@rate"], "must_not": ["@not_understood"], "max_chars": 20}
    good = bot("保单贷款利率一般年化5%左右，", "以合同为准，可在官方App查。")
    assert turn_problems({**turn, "max_chars": 40}, good) == []
    bad = bot("我不太确定您的意思。" + "抱歉" * 10)
    problems = turn_problems(turn, bad)
    assert "missing '保单贷款'" in problems
    assert "must not say '我不太确定您的意思'" in problems
    assert "turn is 30 characters (max 20)" in problems


def test_the_scenario_limit_applies_unless_the_turn_sets_its_own():
    replies = bot("字" * 200)
    assert turn_problems({}, replies, max_chars=150) == ["turn is 200 characters (max 150)"]
    assert turn_problems({"max_chars": None}, replies, max_chars=150) == []


def test_a_reworded_question_must_not_repeat_the_previous_turn():
    previous = bot("方便说说为什么想退保吗？")
    assert turn_problems({"reworded": True}, bot("是急用钱，还是交费有困难？"), previous) == []
    problems = turn_problems({"reworded": True}, bot("方便说说为什么想退保吗？"), previous)
    assert problems and "word for word" in problems[0]


def test_characters_are_counted_without_whitespace():
    assert chars("一 二\n三") == 3


@pytest.mark.parametrize(
    ("macro", "good", "bad"),
    [
        ("@scam", "您这很可能是遇到骗子了。", "交出去可能被拿去冒用，甚至被用来骗钱。"),
        ("@alternatives", "可以先看看减保、部分领取、保单贷款，退保会有损失。", "退保请带身份证。"),
        ("@right", "退保是您的权利，本人免费就能办。", "先别急着退保。"),
        (
            "@official_way",
            "由投保人本人在官方App或柜台办理，免费；钱只退到投保人本人的银行账户。"
            "不要给任何人交钱，也不要把证件交给别人。",
            "请您本人办理。",
        ),
        ("@status", "您的情况已经转给工作人员了，正在排队。", "您好！我是保单守护助手。"),
        ("@rate", "一般年利率在5%到6%，以合同为准，可在官方App查。", "利息按合同约定算。"),
    ],
)
def test_each_macro_on_a_good_and_a_bad_reply(macro, good, bad):
    assert turn_problems({"must": [macro]}, bot(good)) == []
    assert turn_problems({"must": [macro]}, bot(bad))


def test_expand_keeps_plain_patterns_and_replaces_macros():
    assert expand(["骗", "@right"]) == ["骗", *MACROS["@right"]]


# ---- the global checks --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "工作人员会通过保险公司的官方电话或官方渠道联系您，不会向您收任何费用。",
        "他们会通过保险公司的官方电话尽快联系您。",
        "可以请工作人员给您回个电话，需要吗？",
        "我们会安排专人致电您。",
    ],
)
def test_a_promised_phone_call_fails(text):
    assert any("phone call" in p for p in global_problems(bot(text)))


@pytest.mark.parametrize(
    "text",
    [
        "请您自己拨打保单上印的官方客服电话说明情况。",
        "任何人打电话自称保险公司，先挂断，再自己回拨核实。",
        "我们不会给您打电话，也不会要您的验证码。",
        "接到自称客服的来电，先挂断。",
    ],
)
def test_advice_about_calls_is_not_a_promise(text):
    assert global_problems(bot(text)) == []


def test_asking_for_personal_data_fails_and_warning_against_it_passes():
    assert global_problems(bot("请提供您的身份证号码和银行卡号。"))
    assert global_problems(bot("把验证码发给我，我帮您查。"))
    assert global_problems(bot("请不要把身份证、银行卡、验证码交给任何人。")) == []


def test_turning_an_in_scope_message_away_fails_unless_out_of_scope():
    replies = bot("抱歉，这个问题我帮不上忙。")
    assert global_problems(replies) == ["turns the user away: '帮不上忙'"]
    assert global_problems(replies, in_scope=False) == []


def test_our_own_failure_is_reported():
    assert global_problems(bot("抱歉，系统暂时出了点问题，没能处理好您的消息。"))


# ---- the whole conversation ---------------------------------------------------------------


def test_a_long_bubble_said_twice_fails_a_short_one_only_three_times():
    long = "先别急着退保，退保会有损失：" + "只能拿回现金价值，" * 6
    assert len(repeated([long, "好的", long])) == 1
    assert repeated(["已经转给工作人员了。", "已经转给工作人员了。"]) == []
    assert repeated(["已经转给工作人员了。"] * 3) == ["said 3 times: '已经转给工作人员了。'"]


def test_a_question_about_what_was_said_fails_from_that_turn_on():
    turns = ["方便说说为什么想退保吗？", "好的。", "方便说说为什么想退保吗？"]
    assert reasked({"surrender_reason": 2}, turns) == [
        "turn 3 asks again for surrender_reason (given in turn 2): '为什么想退'"
    ]
    assert reasked({"surrender_reason": 4}, [*turns, "了解了。"]) == []
    assert len(reasked(["surrender_reason"], turns)) == 2  # a list: said in turn 1
    screening = "比如：有没有让您先交钱、押金或手续费？"
    assert reasked(["fee_requested"], [screening])
    assert reasked(["product_type"], ["您的保单是哪一类？"])


def handoff(risk: str, flags: list[str], id: int = 1, status: str = "new") -> SimpleNamespace:
    return SimpleNamespace(id=id, risk_level=risk, flags=tuple(flags), status=status)


def test_the_expected_handoff():
    expected = {"risk": "high", "flags": ["paid_fee", "info_leaked"]}
    stored = handoff("high", ["info_leaked", "paid_fee", "elderly"])
    assert handoff_problems(expected, [stored]) == []
    assert handoff_problems(expected, []) == ["no handoff was made"]
    problems = handoff_problems(expected, [handoff("low", ["elderly"])])
    assert problems == [
        "handoff risk low, expected high",
        "handoff flags ['elderly'] lack ['info_leaked', 'paid_fee']",
    ]


def test_no_handoff_expected_or_not_checked():
    assert handoff_problems("none", []) == []
    assert handoff_problems("none", [handoff("low", [])]) == ["unexpected handoff: low []"]
    assert handoff_problems(None, [handoff("low", [])]) == []


def test_the_open_handoff_is_the_one_checked():
    old = handoff("low", [], id=1, status="resolved")
    current = handoff("high", ["paid_fee"], id=2)
    assert handoff_problems({"risk": "high", "flags": ["paid_fee"]}, [old, current]) == []

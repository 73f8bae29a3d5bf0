"""Short follow-ups understood in the topic of the conversation (bot/followups.py and
actions/context.py)."""

import pytest
from sqlite_utils import Database

from actions.context import ActionContextReply
from bot.followups import TABLE, follow_up
from bot.handoff import HandoffStore
from tests.conftest import ROOT, load_yaml
from tests.trackers import run_action, tracker_for

RESPONSES = load_yaml(ROOT / "domain.yml")["responses"]


@pytest.mark.parametrize(
    "text, topic, expected",
    [
        ("利息大概多少", "loan", "utter_followup_loan_rate"),
        ("一年利息大概百分之几？", "loan", "utter_followup_loan_rate"),
        ("利息呢", "loan", "utter_followup_loan_rate"),
        ("那要多久能到账", "loan", "utter_followup_loan_time"),
        ("要带什么", "surrender", "utter_followup_surrender_documents"),
        ("那要多久", "surrender", "utter_followup_surrender_time"),
        ("要帶什麼", "cooling_off", "utter_followup_cooling_off_documents"),
        ("那钱多久能退回来", "cooling_off", "utter_followup_cooling_off_time"),
        ("要带什么", "claim", "utter_followup_claim_documents"),
        ("那要多久", "claim", "utter_followup_claim_time"),
        ("能领多少", "surrender", "utter_followup_surrender_amount"),
        ("贷款要她本人去吗", "surrender", "utter_followup_surrender_who"),
        ("俺不会弄手机上那个app", "surrender", "utter_followup_no_app"),
        ("你们什么时候打电话给我", None, "utter_followup_no_callback"),
    ],
)
def test_a_follow_up_is_read_in_its_topic(text, topic, expected):
    assert follow_up(text, topic) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("那剩下那一万我还交不交", "pay_more"),
        ("银行卡那个我不发了对吧", "dont_send"),
        ("那份委托书能作废吗", "revoke"),
        ("我先打哪个电话", "which_first"),
        ("她今年78了耳朵也不好，我能替她去银行和保险公司办吗", "family"),
        ("要不要去把银行卡挂失啊", "bank"),
        ("那我那5000块钱还能要回来吗", "money_back"),
        ("他那个年金险还能恢复吗", "recover"),
        ("那我这保单还退不退啊", "still_surrender"),
        ("那犹豫期我还能自己退吗", "can_still"),
    ],
)
def test_after_harm_its_follow_ups_come_first(text, expected):
    assert follow_up(text, "loan", harm=True) == f"utter_harm_followup_{expected}"
    assert follow_up(text, "loan") != f"utter_harm_followup_{expected}"


def test_a_ping_while_waiting_is_the_status_and_nothing_else_is_guessed():
    assert follow_up("怎么还没人", None, waiting=True) == "status"
    assert follow_up("到底有没有人管啊", "harm", harm=True, waiting=True) == "status"
    assert follow_up("怎么还没人", None) is None
    assert follow_up("今天天气怎么样", "loan") is None
    assert follow_up("", "loan") is None
    assert follow_up("要带什么", None) is None  # no topic: not guessed


def test_every_follow_up_response_is_in_the_domain_and_short():
    from bot.followups import HARM_COMFORT, HARM_KINDS, NO_APP

    names = {*TABLE.values(), NO_APP, HARM_COMFORT, "utter_followup_no_callback"}
    names |= {f"utter_harm_followup_{kind}" for kind, _ in HARM_KINDS}
    assert sorted(n for n in names if n not in RESPONSES) == []
    for name in names:
        text = RESPONSES[name][0]["text"].split("\n来源：")[0]
        assert len(text) <= 80, name


def reply(texts, intent="out_of_scope", **slots):
    action = ActionContextReply()
    store = HandoffStore(Database(memory=True))
    action.store_factory = lambda: store
    return run_action(action, tracker_for(texts, intent, slots=slots))


def test_out_of_scope_in_a_topic_is_its_follow_up_and_sets_the_topic():
    run = reply(["保单贷款怎么办", "利息大概多少"], topic="loan")
    assert run.responses == ["utter_followup_loan_rate"]
    assert run.events[-1] == {"event": "slot", "timestamp": None, "name": "topic", "value": "loan"}


def test_asked_twice_the_second_answer_is_another_one():
    events = [
        {"event": "user", "text": "利息大概多少", "parse_data": {}},
        {"event": "bot", "text": "…", "metadata": {"utter_action": "utter_followup_loan_rate"}},
        {"event": "user", "text": "一年利息百分之几", "parse_data": {}},
    ]
    action = ActionContextReply()
    domain = {"responses": RESPONSES}
    run = run_action(
        action,
        tracker_for("一年利息百分之几", "out_of_scope", slots={"topic": "loan"}, events=events),
        domain,
    )
    assert run.responses == ["utter_followup_loan_rate_again"]


def test_after_harm_anything_else_gets_comfort_while_waiting_a_ping_the_status():
    assert reply("現在要怎麼辦，我好怕", harm_told=True).responses == [
        "utter_harm_followup_comfort"
    ]
    status = reply("怎么还没人", handoff_open=True).responses
    assert status == ["utter_handoff_in_queue", "utter_handoff_waiting"]


def test_a_number_typed_after_harm_is_said_to_be_hidden_before_the_follow_up():
    run = reply("我手机号13812345678", harm_told=True)
    assert run.responses == ["utter_personal_data_warning", "utter_harm_followup_comfort"]


def test_inside_a_flow_the_flow_handles_it():
    assert reply("😂", stage="still_surrender").responses == ["utter_clarify_still_surrender"]
    pending = reply(["有人建议我退", "😶"], screening_pending=True)
    assert pending.responses == ["utter_screening_question_again"]


def test_nothing_in_context_is_turned_away_or_gets_the_did_you_mean_menu():
    assert reply("今天天气怎么样").responses == ["utter_out_of_scope"]
    run = reply("啊吧", intent="nlu_fallback")
    assert run.responses == [] and run.events[0]["event"] == "followup"
    assert run.events[0]["name"] == "action_two_stage_fallback"

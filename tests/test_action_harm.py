"""Harm already done: scam named first, the steps one per bubble, a high-priority handoff."""

from sqlite_utils import Database

from actions.handoff import conversation_risk
from actions.harm import HARM_FIRST, ActionHarmFirst
from bot.handoff import HandoffStore
from tests.trackers import HANDED_OFF, run_action, tracker_for


def harm_action(store):
    action = ActionHarmFirst()
    action.store_factory = lambda: store
    return action


def test_harm_gets_the_scam_named_then_the_steps_then_a_high_priority_handoff():
    store = HandoffStore(Database(memory=True))
    run = run_action(harm_action(store), tracker_for("我已经给他转了5000块钱定金", "report_harm"))
    assert run.responses == [*HARM_FIRST, "utter_handoff_urgent", *HANDED_OFF]
    (handoff,) = store.list()
    assert handoff.risk_level == "high"
    assert {"harm_reported", "paid_fee", "fee_requested"} <= set(handoff.flags)
    assert {"event": "slot", "timestamp": None, "name": "harm_told", "value": True} in run.events
    assert {"event": "slot", "timestamp": None, "name": "handoff_open", "value": True} in run.events


def test_harm_told_again_gets_one_line_not_the_steps_again():
    store = HandoffStore(Database(memory=True))
    again = tracker_for("我被骗了", "report_harm", slots={"harm_told": True})
    run = run_action(harm_action(store), again)
    assert run.responses == ["utter_harm_again"]
    assert run.events == [
        {"event": "slot", "timestamp": None, "name": "screening_pending", "value": False}
    ]
    assert store.list()[0].risk_level == "high"  # the handoff is still made, or updated


def test_each_step_is_one_short_bubble():
    from tests.conftest import ROOT, load_yaml

    responses = load_yaml(ROOT / "domain.yml")["responses"]
    texts = [responses[name][0]["text"] for name in HARM_FIRST]
    assert "诈骗" in texts[0]
    assert all(len(t) <= 60 for t in texts), [len(t) for t in texts]
    steps = "".join(texts[1:])
    for must in ("转", "银行", "密码", "110", "官方客服电话", "12378"):
        assert must in steps, must


def test_a_handoff_for_any_reason_carries_everything_seen_in_the_conversation():
    texts = ["我身份证号是[身份证号]", "他说能全额退保", "要三成手续费", "转人工"]
    tracker = tracker_for(texts, "request_human")
    level, flags = conversation_risk(tracker, "low", [])
    assert level == "medium"
    assert {"full_refund_promise", "fee_requested"} <= set(flags)
    paid = tracker_for([*texts, "我已经交了2000元定金"], "request_human")
    assert conversation_risk(paid, "low", [])[0] == "high"


def screened_intents_in_rules() -> set[str]:
    from tests.conftest import ROOT, load_yaml

    found = set()
    for rule in load_yaml(ROOT / "data" / "rules" / "knowledge.yml")["rules"]:
        steps = [s.get("action") or s.get("intent") for s in rule["steps"]]
        if steps[1] == "action_screen_risk":
            found.add(steps[0])
    return found


def test_the_screened_intents_are_those_whose_rules_screen():
    from actions.harm import SCREENED_INTENTS

    assert screened_intents_in_rules() == SCREENED_INTENTS


def test_a_knowledge_question_that_reports_harm_gets_the_harm_first_not_the_answer():
    from tests.kb_helpers import knowledge_action, sample_kb

    store = HandoffStore(Database(memory=True))
    action = knowledge_action(sample_kb())
    action.store_factory = lambda: store
    text = "犹豫期还能退吗，我已经把银行卡照片发给他了"
    run = run_action(action, tracker_for(text, "ask_cooling_off"))
    assert run.responses == [*HARM_FIRST, "utter_handoff_urgent", *HANDED_OFF]
    assert store.list()[0].risk_level == "high"
    # A screened intent answers nothing: the screening, next in its rule, tells the harm.
    quiet = run_action(action, tracker_for("我已经交了2000元手续费", "proxy_surrender"))
    assert quiet.messages == [] and quiet.events == []

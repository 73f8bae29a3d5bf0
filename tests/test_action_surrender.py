"""The surrender dialogue's actions, with CollectingDispatcher and small trackers."""

import asyncio

from rasa_sdk.executor import CollectingDispatcher
from sqlite_utils import Database

from actions.conversation import SELF_SERVICE_STEPS
from actions.surrender import (
    ActionAskProductType,
    ActionAskSurrenderReason,
    ActionKeepPolicy,
    ActionSurrenderProcedure,
    ActionSurrenderReasonAdvice,
    ActionSurrenderStart,
    ValidateSurrenderReasonForm,
)
from bot.handoff import HandoffStore
from tests.trackers import HANDED_OFF, run_action, tracker_for

SELF_SERVICE = ["utter_surrender_self_service", *SELF_SERVICE_STEPS]
WAYS = ["utter_request_surrender", "utter_request_surrender_ways"]


def tracker(texts, intent="request_surrender", **kwargs):
    return tracker_for(texts, intent, confidence=0.9, sender="conv", **kwargs)


def slots_of(run) -> dict:
    return {e["name"]: e["value"] for e in run.events if e["event"] == "slot"}


def start(texts, **slots):
    action = ActionSurrenderStart()
    store = HandoffStore(Database(memory=True))
    action.store_factory = lambda: store
    return run_action(action, tracker(texts, slots=slots))


def test_the_first_request_gets_the_alternatives_and_then_the_form_asks_why():
    run = start("我想退保")
    assert run.responses == WAYS
    assert slots_of(run) == {
        "surrender_warned": True,
        "surrender_decided": False,
        "screening_pending": False,
        "topic": "surrender",
        "stage": None,
    }


def test_a_reason_in_the_first_message_is_kept_and_not_asked():
    run = start("交不起保费了想退保")
    assert run.responses == [*WAYS, "utter_ask_still_surrender"]
    assert slots_of(run)["surrender_reason"] == "cant_pay"
    assert slots_of(run)["stage"] == "still_surrender"


def test_need_cash_with_the_product_named_asks_nothing_more():
    run = start("我那个万能险想退了，家里急着用钱")
    assert run.responses == [*WAYS, "utter_ask_still_surrender"]
    slots = slots_of(run)
    assert (slots["surrender_reason"], slots["product_type"]) == ("need_cash", "universal")


def test_need_cash_without_the_product_leaves_the_form_to_ask_it():
    run = start("钱不够用了，想把保险退了")
    assert run.responses == WAYS
    assert slots_of(run)["surrender_reason"] == "need_cash" and slots_of(run)["stage"] is None
    assert "product_type" not in slots_of(run)


def test_bought_days_ago_gets_the_cooling_off_answer_not_the_loss():
    run = start("买了才一个礼拜，想退保")
    assert run.responses == ["utter_ask_cooling_off"]
    assert slots_of(run)["topic"] == "cooling_off"


def test_someone_advising_it_leads_to_the_screening_after_the_alternatives():
    run = start("我朋友让我退保")
    assert run.responses[:2] == WAYS
    assert run.responses[2:] == ["utter_screening_warn", "utter_screening_question"]
    assert slots_of(run)["screening_pending"] is True


def test_a_decision_in_the_first_message_gets_the_loss_in_a_line_then_the_official_way():
    run = start("我就是要退，别劝了")
    assert run.responses == ["utter_request_surrender_decided", *SELF_SERVICE_STEPS]
    assert slots_of(run)["surrender_decided"] is True


def test_a_second_request_gets_one_line_and_the_question_a_third_the_official_way():
    second = start(["我想退保", "我还是想退保"], surrender_warned=True)
    assert second.responses == ["utter_surrender_reminder", "utter_ask_still_surrender"]
    assert slots_of(second)["stage"] == "still_surrender"
    third = start(["我想退保"] * 3, surrender_warned=True)
    assert third.responses == SELF_SERVICE
    decided = start(["我想退保", "别劝了，告诉我怎么退"], surrender_warned=True)
    assert decided.responses == SELF_SERVICE


def test_a_question_in_the_topic_is_answered_after_the_first_request():
    slots = {"surrender_warned": True, "surrender_decided": True, "topic": "surrender"}
    run = start(["我就是要退保", "要带什么"], **slots)
    assert run.responses == ["utter_followup_surrender_documents"]
    assert slots_of(run)["surrender_decided"] is True


def test_after_harm_still_surrender_gets_its_follow_up_with_the_alternatives():
    run = start(["我被骗了", "那我这保单还退不退啊"], harm_told=True)
    assert run.responses == ["utter_harm_followup_still_surrender"]


def test_need_cash_advice_follows_the_product_and_asks_again():
    slots = {"surrender_reason": "need_cash", "product_type": "short_term"}
    run = run_action(ActionSurrenderReasonAdvice(), tracker(["x"], slots=slots))
    assert run.responses == ["utter_product_short_term", "utter_ask_still_surrender"]
    assert slots_of(run) == {"stage": "still_surrender"}


def test_each_reason_gets_its_advice():
    expected = {
        "cant_pay": "utter_premium_hardship",
        "not_worth": "utter_reason_not_worth",
        "unhappy": "utter_complaint",
        "just_bought": "utter_ask_cooling_off",
    }
    for reason, response in expected.items():
        run = run_action(
            ActionSurrenderReasonAdvice(), tracker(["x"], slots={"surrender_reason": reason})
        )
        assert run.responses == [response, "utter_ask_still_surrender"]


def test_a_reason_unclear_twice_lets_go():
    run = run_action(
        ActionSurrenderReasonAdvice(), tracker(["👍"], slots={"surrender_reason": "unclear"})
    )
    assert run.responses == ["utter_let_go"]
    assert slots_of(run)["surrender_reason"] is None


def test_a_decision_given_as_the_reason_ends_the_persuading():
    run = run_action(
        ActionSurrenderReasonAdvice(), tracker("别劝了", slots={"surrender_reason": "decided"})
    )
    assert run.responses == SELF_SERVICE
    assert slots_of(run) == {"stage": None}


def test_the_procedure_is_the_official_way_within_the_cooling_off_period_the_full_premium():
    run = run_action(ActionSurrenderProcedure(), tracker(["还是想退"]))
    assert run.responses == SELF_SERVICE
    assert slots_of(run) == {"stage": None, "surrender_decided": True}
    cooling = tracker(["那我退吧"], slots={"surrender_reason": "just_bought"})
    assert run_action(ActionSurrenderProcedure(), cooling).responses == [
        "utter_surrender_self_service_cooling_off",
        *SELF_SERVICE_STEPS,
    ]


def test_keeping_the_policy_closes_the_stage():
    run = run_action(ActionKeepPolicy(), tracker(["不退了"], intent="deny"))
    assert run.responses == ["utter_keep_policy"] and slots_of(run) == {"stage": None}


def test_product_is_asked_only_for_need_cash():
    form = ValidateSurrenderReasonForm()
    need = tracker(["急用钱"], slots={"surrender_reason": "need_cash"})
    other = tracker(["不划算"], slots={"surrender_reason": "not_worth"})
    slots = ["surrender_reason", "product_type"]
    assert asyncio.run(form.required_slots(slots, CollectingDispatcher(), need, {})) == slots
    assert asyncio.run(form.required_slots(slots, CollectingDispatcher(), other, {})) == [
        "surrender_reason"
    ]


def validate(slot, value, intent, **slots):
    dispatcher = CollectingDispatcher()
    trk = tracker([value], intent=intent, slots=slots)
    result = getattr(ValidateSurrenderReasonForm(), f"validate_{slot}")(value, dispatcher, trk, {})
    return result, [m.get("response") for m in dispatcher.messages]


def test_reason_validation_asks_an_unclear_answer_once_more_then_gives_up():
    assert validate("surrender_reason", "急用钱", "premium_hardship") == (
        {"surrender_reason": "need_cash", "clarified": None},
        [],
    )
    assert validate("surrender_reason", "😂😂", "nlu_fallback") == (
        {"surrender_reason": None, "clarified": "surrender_reason"},
        [],
    )
    again = validate("surrender_reason", "👍", "affirm", clarified="surrender_reason")
    assert again == ({"surrender_reason": "unclear", "clarified": None}, [])


def test_the_question_is_reworded_after_an_unclear_answer():
    first = run_action(ActionAskSurrenderReason(), tracker(["我想退保"]))
    assert first.responses == ["utter_ask_surrender_reason"]
    again = run_action(
        ActionAskSurrenderReason(), tracker(["😂"], slots={"clarified": "surrender_reason"})
    )
    assert again.responses == ["utter_ask_surrender_reason_again"]
    product = run_action(
        ActionAskProductType(), tracker(["额"], slots={"clarified": "product_type"})
    )
    assert product.responses == ["utter_ask_product_type_again"]


def test_a_decision_inside_the_reason_form_is_not_persuaded_again():
    result, responses = validate("surrender_reason", "别劝了，我就是要退", "request_surrender")
    assert result == {"surrender_reason": "decided", "clarified": None}
    assert responses == []  # no reminder, no "didn't understand"


def test_surrender_inside_the_form_gets_the_alternatives_again_in_one_line():
    # The form opens right after the alternatives: the whole warning again would repeat it.
    result, responses = validate("surrender_reason", "我就是想退保", "request_surrender")
    assert responses == ["utter_surrender_reminder"]
    assert result == {"surrender_reason": None, "clarified": None}
    result, responses = validate("product_type", "我要退保", "request_surrender")
    assert responses == ["utter_surrender_reminder"] and result == {"product_type": None}


def test_product_validation_tells_noise_from_not_knowing():
    assert validate("product_type", "年金险", "inform")[0] == {
        "product_type": "annuity",
        "clarified": None,
    }
    assert validate("product_type", "不清楚", "inform")[0]["product_type"] == "unknown"
    assert validate("product_type", "额。。。", "inform")[0] == {
        "product_type": None,
        "clarified": "product_type",
    }


def test_did_you_mean_offers_top_intents_in_plain_chinese():
    from actions.fallback import ActionAskAffirmation

    trk = tracker(["退那个啥"], intent="nlu_fallback")
    trk.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "request_surrender", "confidence": 0.3},
        {"name": "affirm", "confidence": 0.2},
        {"name": "ask_surrender_value", "confidence": 0.1},
    ]
    (message,) = run_action(ActionAskAffirmation(), trk).messages
    assert message["response"] == "utter_ask_affirmation"
    assert [b["title"] for b in message["buttons"]] == ["我想退保", "退保能拿回多少钱", "别的问题"]


def test_second_miss_hands_off():
    from actions.fallback import ActionDefaultFallback

    action = ActionDefaultFallback()
    store = HandoffStore(Database(memory=True))
    action.store_factory = lambda: store
    run = run_action(action, tracker(["啊吧啊吧"], intent="nlu_fallback"))
    assert run.responses == ["utter_fallback_handoff", *HANDED_OFF]
    assert store.list()[0].reason == "repeated_fallback"
    # The message is reverted, as Rasa's own fallback does: no loop of fallbacks.
    assert [e["event"] for e in run.events] == ["rewind"]


def test_every_intent_has_a_plain_label():
    from actions.fallback import intent_labels
    from tests.conftest import ROOT, load_yaml

    intents = load_yaml(ROOT / "domain.yml")["intents"]
    assert {i for i in intents if i != "show_entry"} == set(intent_labels())


def test_a_question_on_another_topic_ends_the_form_at_once():
    # Not an answer to 「什么原因」: asking it again would ignore what the person asked.
    result, responses = validate("product_type", "香港买的保险冷静期几天", "ask_cooling_off")
    assert result == {"product_type": "unclear", "clarified": None} and responses == []
    result, _ = validate("product_type", "有人让我交保证金才能退保", "inform")
    assert result == {"product_type": "unclear", "clarified": None}


def test_noise_read_as_a_question_by_chance_is_asked_again():
    dispatcher = CollectingDispatcher()
    trk = tracker_for(["额。。。"], "ask_reduce_coverage", confidence=0.51, sender="conv")
    result = ValidateSurrenderReasonForm().validate_product_type("额。。。", dispatcher, trk, {})
    assert result == {"product_type": None, "clarified": "product_type"}


def test_after_a_change_of_subject_the_advice_answers_the_new_question():
    from tests.kb_helpers import knowledge_action, sample_kb

    advice = ActionSurrenderReasonAdvice()
    advice.knowledge = knowledge_action(sample_kb())
    asked = tracker(
        ["保单贷款利息多少"], intent="ask_policy_loan", slots={"product_type": "unclear"}
    )
    run = run_action(advice, asked)
    assert run.responses[0] == "utter_kb_answer" and "utter_let_go" not in run.responses
    assert slots_of(run)["surrender_reason"] is None and slots_of(run)["stage"] is None


def test_after_a_warning_sign_the_advice_screens_it():
    advice = ActionSurrenderReasonAdvice()
    store = HandoffStore(Database(memory=True))
    advice.store_factory = lambda: store
    text = "有人打电话说是银保监会的，让我交保证金才能退保"
    run = run_action(
        advice, tracker([text], intent="inform", slots={"surrender_reason": "unclear"})
    )
    assert "utter_let_go" not in run.responses
    assert any(r and r.startswith("utter_screen") for r in run.responses), run.responses

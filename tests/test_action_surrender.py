"""The surrender dialogue's actions, with CollectingDispatcher and small trackers."""

import asyncio

from rasa_sdk.executor import CollectingDispatcher
from sqlite_utils import Database

from actions.harm import HARM_FIRST
from actions.surrender import (
    ActionDeclineCallback,
    ActionKeepPolicy,
    ActionRequestCallback,
    ActionScreenRisk,
    ActionSurrenderProcedure,
    ActionSurrenderReasonAdvice,
    ValidateSurrenderReasonForm,
)
from bot.handoff import HandoffStore
from tests.kb_helpers import sample_kb
from tests.trackers import run_action, tracker_for


def tracker(texts, intent="proxy_surrender", **kwargs):
    return tracker_for(texts, intent, confidence=0.9, sender="conv", **kwargs)


def screen_action(store):
    action = ActionScreenRisk()
    action.store_factory = lambda: store
    action.knowledge_base_factory = sample_kb
    return action


def test_leaked_id_gets_urgent_steps_and_a_high_priority_handoff():
    store = HandoffStore(Database(memory=True))
    texts = [
        "我想退保",
        "有人建议我退",
        "他说能全额退，收30%手续费，已经把身份证照片发给他了，身份证号11010519491231002X",
    ]
    run = run_action(screen_action(store), tracker(texts, slots={"screening_pending": True}))
    responses, events = run.responses, run.events
    # Harm first: that it is a scam and the steps, before any word about not sending the ID.
    assert responses == [*HARM_FIRST, "utter_handoff_urgent"]
    assert {e["name"]: e["value"] for e in events} == {
        "harm_told": True,
        "handoff_open": True,
        "screening_pending": False,
    }
    (handoff,) = store.list()
    assert handoff.risk_level == "high" and handoff.reason == "proxy_surrender"
    assert {"info_leaked", "fee_requested", "full_refund_promise", "proxy_surrender"} <= set(
        handoff.flags
    )
    assert "11010519491231002X" not in str(handoff.transcript)
    assert "[身份证号]" in str(handoff.transcript)


def test_first_contact_warns_from_the_knowledge_base_then_asks():
    store = HandoffStore(Database(memory=True))
    run = run_action(screen_action(store), tracker(["有人建议我退"], intent="reason_text"))
    responses, events, messages = run.responses, run.events, run.messages
    assert responses == ["utter_kb_answer", "utter_screening_question"]
    assert messages[0]["answer"].startswith("代理退保有三大风险")
    assert events[0]["value"] is True
    assert store.list() == []


def test_after_an_intent_answer_only_the_question_is_asked():
    trk = tracker(["有人说能帮我全额退保"], last="action_answer_knowledge")
    run = run_action(screen_action(HandoffStore(Database(memory=True))), trk)
    responses = run.responses
    assert responses == ["utter_screening_question"]


def test_answer_without_harm_gets_the_safe_advice():
    store = HandoffStore(Database(memory=True))
    run = run_action(
        screen_action(store),
        tracker(["有人建议我退", "都没有"], intent="deny", slots={"screening_pending": True}),
    )
    responses = run.responses
    assert responses == ["utter_screening_safe"]
    assert store.list() == []


def test_already_handed_button():
    """The screening question's button sends this text; it must count as harm done."""
    from tests.conftest import ROOT, load_yaml

    buttons = load_yaml(ROOT / "domain.yml")["responses"]["utter_screening_question"][0]["buttons"]
    assert "我已经付钱或给了证件" in [b["payload"] for b in buttons]
    store = HandoffStore(Database(memory=True))
    trk = tracker(["我已经付钱或给了证件"], intent="personal_info_request")
    run = run_action(screen_action(store), trk)
    responses = run.responses
    assert responses[0] == "utter_harm_scam_likely"
    assert store.list()[0].risk_level == "high"


def with_store(action):
    """The action with an in-memory handoff store, and that store."""
    store = HandoffStore(Database(memory=True))
    action.store_factory = lambda: store
    return action, store


def test_callback_is_a_handoff():
    action, store = with_store(ActionRequestCallback())
    run = run_action(action, tracker(["我还是想退"], intent="affirm"))
    responses, events = run.responses, run.events
    assert responses == ["utter_callback_created"]
    assert events[-1]["name"] == "stage" and events[-1]["value"] is None
    assert store.list()[0].reason == "surrender_callback"


def test_need_cash_advice_follows_the_product_and_asks_again():
    run = run_action(
        ActionSurrenderReasonAdvice(),
        tracker(["x"], slots={"surrender_reason": "need_cash", "product_type": "short_term"}),
    )
    responses, events = run.responses, run.events
    assert responses == ["utter_product_short_term", "utter_ask_still_surrender"]
    assert events[0]["name"] == "stage" and events[0]["value"] == "still_surrender"


def test_each_reason_gets_its_advice():
    expected = {
        "cant_pay": "utter_premium_hardship",
        "not_worth": "utter_reason_not_worth",
        "unhappy": "utter_complaint",
        "just_bought": "utter_ask_cooling_off",
    }
    for reason, response in expected.items():
        trk = tracker(["x"], slots={"surrender_reason": reason})
        run = run_action(ActionSurrenderReasonAdvice(), trk)
        responses = run.responses
        assert responses == [response, "utter_ask_still_surrender"]


def test_advised_reason_leads_to_the_screening():
    action = ActionSurrenderReasonAdvice()
    action.screening = screen_action(HandoffStore(Database(memory=True)))
    trk = tracker(["有人建议我退"], intent="deny", slots={"surrender_reason": "advised"})
    run = run_action(action, trk)
    responses, events = run.responses, run.events
    assert responses == ["utter_kb_answer", "utter_screening_question"]
    assert events[0]["name"] == "screening_pending" and events[0]["value"] is True


def test_procedure_and_callback_offer_and_short_alternatives_when_asked_again():
    run = run_action(ActionSurrenderProcedure(), tracker(["是的"], intent="affirm"))
    responses, events = run.responses, run.events
    assert responses == ["utter_surrender_procedure", "utter_offer_callback"]
    assert events[0]["value"] == "callback"
    trk = tracker(["我还是要退保"], intent="request_surrender")
    run = run_action(ActionSurrenderProcedure(), trk)
    responses = run.responses
    assert responses[0] == "utter_surrender_alternatives_short"


def test_closing_the_stage():
    assert run_action(ActionKeepPolicy(), tracker(["不退了"], intent="deny")).responses == [
        "utter_keep_policy"
    ]
    assert (
        run_action(ActionDeclineCallback(), tracker(["不用"], intent="deny")).events[0]["value"]
        is None
    )


def test_product_is_asked_only_for_need_cash():
    form = ValidateSurrenderReasonForm()
    need = tracker(["急用钱"], slots={"surrender_reason": "need_cash"})
    other = tracker(["不划算"], slots={"surrender_reason": "not_worth"})
    slots = ["surrender_reason", "product_type"]
    assert asyncio.run(form.required_slots(slots, CollectingDispatcher(), need, {})) == slots
    assert asyncio.run(form.required_slots(slots, CollectingDispatcher(), other, {})) == [
        "surrender_reason"
    ]


def validate(action, slot, value, intent):
    dispatcher = CollectingDispatcher()
    trk = tracker([value], intent=intent)
    result = getattr(action, f"validate_{slot}")(value, dispatcher, trk, {})
    return result, [m.get("response") for m in dispatcher.messages]


def test_reason_validation():
    assert validate(
        ValidateSurrenderReasonForm(), "surrender_reason", "急用钱", "premium_hardship"
    ) == (
        {"surrender_reason": "need_cash"},
        [],
    )
    assert validate(ValidateSurrenderReasonForm(), "surrender_reason", "嗯嗯", "affirm") == (
        {"surrender_reason": None},
        ["utter_reason_unclear"],
    )


def test_surrender_inside_the_form_gets_the_alternatives_again_in_one_line():
    # The form opens right after the alternatives: the whole warning again would repeat it.
    result, responses = validate(
        ValidateSurrenderReasonForm(), "surrender_reason", "我就是想退保", "request_surrender"
    )
    assert responses == ["utter_surrender_reminder"]
    assert result == {"surrender_reason": None}
    result, responses = validate(
        ValidateSurrenderReasonForm(), "product_type", "我要退保", "request_surrender"
    )
    assert responses == ["utter_surrender_reminder"] and result == {"product_type": None}


def test_product_validation():
    assert validate(ValidateSurrenderReasonForm(), "product_type", "年金险", "inform")[0] == {
        "product_type": "annuity"
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
    run = run_action(ActionAskAffirmation(), trk)
    messages = run.messages
    (message,) = messages
    assert message["response"] == "utter_ask_affirmation"
    assert [b["title"] for b in message["buttons"]] == ["我想退保", "退保能拿回多少钱", "别的问题"]


def test_second_miss_hands_off():
    from actions.fallback import ActionDefaultFallback

    action, store = with_store(ActionDefaultFallback())
    run = run_action(action, tracker(["啊吧啊吧"], intent="nlu_fallback"))
    responses, events = run.responses, run.events
    assert responses == ["utter_fallback_handoff"]
    assert store.list()[0].reason == "repeated_fallback"
    # The message is reverted, as Rasa's own fallback does: no loop of fallbacks.
    assert [e["event"] for e in events] == ["rewind"]


def test_every_intent_has_a_plain_label():
    from actions.fallback import intent_labels
    from tests.conftest import ROOT, load_yaml

    intents = load_yaml(ROOT / "domain.yml")["intents"]
    assert {i for i in intents if i != "show_entry"} == set(intent_labels())

"""The surrender-retention dialogue: the first request, the reason form, the advice and
the official way to surrender oneself."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import TOPIC, answer_follow_up
from actions.conversation import (
    CLARIFIED,
    DECIDED,
    PRODUCT,
    REASON,
    SELF_SERVICE_STEPS,
    STAGE,
    STILL,
    WARNED,
    intent_of,
    latest_intent,
    responses_said,
    tell_self_service,
    user_events,
)
from actions.guard import guarded
from actions.handoff import open_handoff_store, open_outbox
from actions.harm import SCREENED_INTENTS, reports_harm, tell_harm_first
from actions.knowledge import ActionAnswerKnowledge
from actions.screening import PENDING, screen_turn
from bot.knowledge.schema import KNOWLEDGE_INTENTS
from bot.products import product_type, says_unknown
from bot.reasons import is_decided, is_firm, is_keeping, surrender_reason, wants_surrender
from bot.screening import screen

#: The NLU confidence from which a message inside the form is a question of its own.
SURE = 0.8
#: Advice for each reason (responses in domain.yml); need_cash is answered per product.
REASON_ADVICE = {
    "cant_pay": "utter_premium_hardship",
    "not_worth": "utter_reason_not_worth",
    "unhappy": "utter_complaint",
    "just_bought": "utter_ask_cooling_off",
}


def screened(tracker: Tracker) -> bool:
    """Whether the 代理退保 screening already spoke in this conversation."""
    return any(name.startswith("utter_screening_") for name in responses_said(tracker))


def started_this_turn(tracker: Tracker) -> bool:
    """Whether action_surrender_start ran after the latest user message (the form opens
    on the request itself)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") == "action_surrender_start":
            return True
    return False


def said_so_far(tracker: Tracker) -> tuple[str | None, str]:
    """The surrender reason and the product type in the user's own words so far (the
    slots first, then the messages, latest first): what is never asked again."""
    events = list(reversed(user_events(tracker)))
    reason = tracker.get_slot(REASON)
    for event in events if not reason else []:
        # A decision is not a reason here (is_firm decided that): the words around it are.
        reason = surrender_reason(event.get("text") or "", intent_of(event), decided=False)
        if reason:
            break
    kind = tracker.get_slot(PRODUCT) or "unknown"
    for event in events if kind == "unknown" else []:
        kind = product_type(event.get("text") or "")
        if kind != "unknown":
            break
    return reason, kind


def first_request(
    dispatcher: CollectingDispatcher, tracker: Tracker, screening: Action
) -> list[dict[str, Any]]:
    """The first surrender request of a conversation; the events that remember it.

    Always the right, the loss and the alternatives first; what the message already says
    (the reason, the product) is kept and not asked again. Still missing the reason, or
    the product for 急用钱: the reason form asks it. Someone's advice: the screening.
    Bought within days: the cooling-off answer instead (there is no loss to warn of).
    Already decided: the loss in one line, then the official, free way.
    """
    text = tracker.latest_message.get("text") or ""
    done = [
        SlotSet(WARNED, True),
        SlotSet(DECIDED, False),
        SlotSet(PENDING, False),
        SlotSet(TOPIC, "surrender"),
    ]
    if is_firm(text):
        dispatcher.utter_message(response="utter_request_surrender_decided")
        for response in SELF_SERVICE_STEPS:
            dispatcher.utter_message(response=response)
        return [*done, SlotSet(DECIDED, True), SlotSet(STAGE, None)]
    reason, kind = said_so_far(tracker)
    known = [SlotSet(REASON, reason)] if reason else []
    if kind != "unknown":
        known.append(SlotSet(PRODUCT, kind))
    if reason == "just_bought":
        if tracker.get_slot(TOPIC) == "cooling_off":  # told already: 「那我退吧」 decides
            tell_self_service(dispatcher, tracker, cooling_off=True)
            return [*done, *known, SlotSet(DECIDED, True), SlotSet(STAGE, None)]
        dispatcher.utter_message(response="utter_ask_cooling_off")
        return [*done, *known, SlotSet(STAGE, STILL), SlotSet(TOPIC, "cooling_off")]
    dispatcher.utter_message(response="utter_request_surrender")
    dispatcher.utter_message(response="utter_request_surrender_ways")
    if reason == "advised" and not screened(tracker):
        events = screening(dispatcher, tracker)
        if any(e.get("name") == PENDING and e.get("value") for e in events):
            return [*done, *known, *events, SlotSet(STAGE, None)]  # its question waits
        done += events  # nothing more to ask (「我还没交」): as for any known reason
    if reason is None or (reason == "need_cash" and kind == "unknown"):
        return [*done, *known, SlotSet(STAGE, None)]  # the form asks what is missing
    dispatcher.utter_message(response="utter_ask_still_surrender")
    return [*done, *known, SlotSet(STAGE, STILL)]


class ActionSurrenderStart(Action):
    """A surrender request outside the still-surrender question: the first gets
    :func:`first_request`; later, a clear decision or a third request gets the official,
    free way, any other request one line and the still-surrender question. A question
    about surrender in the topic of the conversation (「要带什么」, after harm 「还退不退」)
    gets its answer."""

    store_factory = staticmethod(open_handoff_store)
    outbox_factory = staticmethod(open_outbox)

    def name(self) -> str:
        return "action_surrender_start"

    @guarded
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if reports_harm(tracker.latest_message.get("text") or ""):
            # Harm first; the surrender dialogue waits where it was.
            told = tell_harm_first(dispatcher, tracker, self.store_factory, self.outbox_factory)
            decided = bool(tracker.get_slot(DECIDED))
            return [*told, SlotSet(DECIDED, decided), SlotSet(STAGE, None if decided else STILL)]
        text = tracker.latest_message.get("text") or ""
        asks_about = not wants_surrender(text)  # 「退保的钱多久能到账」: an answer, no warning
        if tracker.get_slot(WARNED) or tracker.get_slot("harm_told") or asks_about:
            # The alternatives were said (the harm follow-ups say them too): a question
            # in the topic gets its answer, and the surrender dialogue stays where it was.
            answered = answer_follow_up(dispatcher, tracker, domain, in_topic=asks_about)
            if answered is not None:
                decided = bool(tracker.get_slot(DECIDED))
                warned = bool(tracker.get_slot(WARNED) or tracker.get_slot("harm_told"))
                return [
                    SlotSet(WARNED, warned),
                    *answered,  # may say the alternatives, and set WARNED
                    SlotSet(DECIDED, decided),
                    SlotSet(PENDING, False),
                    SlotSet(STAGE, None if decided else STILL),
                ]
        if not tracker.get_slot(WARNED):
            return first_request(dispatcher, tracker, self._screen)
        requests = [intent_of(e) for e in user_events(tracker)].count("request_surrender")
        if is_decided(text) or requests >= 3 or tracker.get_slot(DECIDED):
            tell_self_service(dispatcher, tracker)
            return [SlotSet(DECIDED, True), SlotSet(PENDING, False), SlotSet(STAGE, None)]
        dispatcher.utter_message(response="utter_surrender_reminder")
        dispatcher.utter_message(response="utter_ask_still_surrender")
        return [SlotSet(DECIDED, False), SlotSet(PENDING, False), SlotSet(STAGE, STILL)]

    def _screen(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        return screen_turn(dispatcher, tracker, self.store_factory, self.outbox_factory)


def alternatives_first(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Inside the form (the alternatives were just explained), a surrender request gets them
    again in one line, not the whole warning. True if the latest message was one."""
    if latest_intent(tracker) != "request_surrender":
        return False
    if started_this_turn(tracker):
        return False  # the form opens on the request itself, the alternatives just said
    if not is_decided(tracker.latest_message.get("text") or ""):  # a decision: no persuading
        dispatcher.utter_message(response="utter_surrender_reminder")
    return True


def changes_subject(tracker: Tracker) -> bool:
    """Whether the latest message, not an answer to the form's question, is a question on
    another topic (「香港买的保险冷静期几天」) or tells a warning sign (「让我交保证金」):
    the form ends and the message is answered. Only a confident reading counts: noise
    (「额。。。」) can land on a knowledge intent by chance."""
    message = tracker.latest_message or {}
    confidence = (message.get("intent") or {}).get("confidence") or 0.0
    asks = latest_intent(tracker) in KNOWLEDGE_INTENTS and confidence >= SURE
    return asks or bool(screen(message.get("text") or "").flags)


def unclear(
    slot: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
) -> dict[str, Any]:
    """An answer the form cannot use. A question in the topic (「要带什么」, 「俺不会弄手机」)
    gets its answer and the form's question comes again; anything else is asked once more
    (action_ask_<slot> rewords it), the second time the form ends and the advice lets go."""
    if answer_follow_up(dispatcher, tracker, domain) is not None:
        return {slot: None}
    if changes_subject(tracker):  # the form ends; the advice action answers it
        return {slot: "unclear", CLARIFIED: None}
    if tracker.get_slot(CLARIFIED) == slot:
        return {slot: "unclear", CLARIFIED: None}
    return {slot: None, CLARIFIED: slot}


class ValidateSurrenderReasonForm(FormValidationAction):
    """Turn free-text (or button) answers into a reason and, for 急用钱, a product type."""

    def name(self) -> str:
        return "validate_surrender_reason_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        if tracker.get_slot(REASON) == "need_cash":
            return domain_slots
        return [slot for slot in domain_slots if slot != PRODUCT]

    def validate_surrender_reason(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        asked_again = alternatives_first(dispatcher, tracker)
        reason = surrender_reason(str(slot_value or ""), latest_intent(tracker))
        if reason is None and not asked_again:
            return unclear(REASON, dispatcher, tracker, domain)
        return {REASON: reason, CLARIFIED: None}

    def validate_product_type(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        text = str(slot_value or "")
        kind = product_type(text)
        if alternatives_first(dispatcher, tracker) and kind == "unknown":
            return {PRODUCT: None}  # ask the product again
        if kind == "unknown" and not says_unknown(text):
            return unclear(PRODUCT, dispatcher, tracker, domain)
        return {PRODUCT: kind, CLARIFIED: None}


class _AskAgain(Action, ABC):
    """The form's question; after an unclear answer, the same question in other words."""

    slot: str

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        again = tracker.get_slot(CLARIFIED) == self.slot
        dispatcher.utter_message(response=f"utter_ask_{self.slot}" + ("_again" if again else ""))
        return []


class ActionAskSurrenderReason(_AskAgain):
    """Why the user wants to surrender."""

    slot = REASON

    def name(self) -> str:
        return "action_ask_surrender_reason"


class ActionAskProductType(_AskAgain):
    """What kind of policy it is (for 急用钱)."""

    slot = PRODUCT

    def name(self) -> str:
        return "action_ask_product_type"


class ActionSurrenderReasonAdvice(Action):
    """Answer the reason given in the form, then ask whether the user still wants to
    surrender (someone advising it leads to the 代理退保 screening instead)."""

    store_factory = staticmethod(open_handoff_store)
    outbox_factory = staticmethod(open_outbox)
    knowledge = ActionAnswerKnowledge()

    def name(self) -> str:
        return "action_surrender_reason_advice"

    @guarded
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        reason = tracker.get_slot(REASON)
        kind = tracker.get_slot(PRODUCT) or "unknown"
        if reason == "advised" or reports_harm(tracker.latest_message.get("text") or ""):
            return screen_turn(dispatcher, tracker, self.store_factory, self.outbox_factory)
        if reason == "unclear" or kind == "unclear":
            reset = [SlotSet(REASON, None), SlotSet(PRODUCT, None), SlotSet(STAGE, None)]
            text = tracker.latest_message.get("text") or ""
            if latest_intent(tracker) in SCREENED_INTENTS or screen(text).flags:
                return reset + screen_turn(
                    dispatcher, tracker, self.store_factory, self.outbox_factory
                )
            if latest_intent(tracker) in KNOWLEDGE_INTENTS:  # another question: answered
                return reset + await self.knowledge.run(dispatcher, tracker, domain)
            dispatcher.utter_message(response="utter_let_go")  # asked twice: let go
            return reset
        if reason == "decided":  # 「别劝了」: the official, free way, no more questions
            tell_self_service(dispatcher, tracker)
            return [SlotSet(STAGE, None)]
        if reason == "need_cash":
            dispatcher.utter_message(response=f"utter_product_{kind}")
        else:
            dispatcher.utter_message(response=REASON_ADVICE.get(reason, "utter_reason_not_worth"))
        dispatcher.utter_message(response="utter_ask_still_surrender")
        return [SlotSet(STAGE, STILL)]


class ActionSurrenderProcedure(Action):
    """The user still wants to surrender: the official, free way to do it oneself."""

    def name(self) -> str:
        return "action_surrender_procedure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if is_keeping(tracker.latest_message.get("text") or ""):  # 「那先不退了」 misread
            dispatcher.utter_message(response="utter_keep_policy")
            return [SlotSet(STAGE, None)]
        tell_self_service(dispatcher, tracker)
        return [SlotSet(STAGE, None), SlotSet(DECIDED, True)]


class ActionKeepPolicy(Action):
    """The user keeps the policy."""

    def name(self) -> str:
        return "action_keep_policy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_keep_policy")
        return [SlotSet(STAGE, None)]

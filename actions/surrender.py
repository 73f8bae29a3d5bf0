"""The surrender-retention dialogue: the reason form, advice, 代理退保 screening, callbacks."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import tell_self_service, user_events
from actions.guard import guarded
from actions.handoff import (
    HandoffAction,
    open_handoff_store,
    open_outbox,
)
from actions.harm import tell_harm_first
from actions.knowledge import open_knowledge_base
from bot.knowledge.answers import choose_answer
from bot.privacy import redact
from bot.products import product_type
from bot.reasons import is_decided, surrender_reason
from bot.screening import screen

SCREENING_SLOT = "screening_pending"
STAGE_SLOT = "stage"
#: The knowledge entry with the regulator's three 代理退保 risks.
WARNING_ENTRY = "proxy-surrender-three-risks"
#: Advice for each reason (responses in domain.yml); need_cash is answered per product.
REASON_ADVICE = {
    "cant_pay": "utter_premium_hardship",
    "not_worth": "utter_reason_not_worth",
    "unhappy": "utter_complaint",
    "just_bought": "utter_ask_cooling_off",
}


def user_texts(tracker: Tracker) -> list[str]:
    return [e.get("text") or "" for e in user_events(tracker)]


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def alternatives_first(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Inside the form (the alternatives were just explained), a surrender request gets them
    again in one line, not the whole warning. True if the latest message was one."""
    if latest_intent(tracker) != "request_surrender":
        return False
    if not is_decided(tracker.latest_message.get("text") or ""):  # a decision: no persuading
        dispatcher.utter_message(response="utter_surrender_reminder")
    return True


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
        if tracker.get_slot("surrender_reason") == "need_cash":
            return domain_slots
        return [slot for slot in domain_slots if slot != "product_type"]

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
            dispatcher.utter_message(response="utter_reason_unclear")
        return {"surrender_reason": reason}

    def validate_product_type(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        kind = product_type(str(slot_value or ""))
        if alternatives_first(dispatcher, tracker) and kind == "unknown":
            return {"product_type": None}  # ask the product again
        return {"product_type": kind}


class ActionScreenRisk(Action):
    """Screen a conversation for 代理退保 warning signs.

    High risk (money paid, documents or codes handed over): urgent steps and a
    high-priority handoff. Otherwise the knowledge-base warning, then either the screening
    question (first time) or, once it was answered, the advice for a user not yet harmed.
    """

    store_factory = staticmethod(open_handoff_store)
    outbox_factory = staticmethod(open_outbox)
    knowledge_base_factory = staticmethod(open_knowledge_base)

    def name(self) -> str:
        return "action_screen_risk"

    @guarded
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if screen(*user_texts(tracker)).risk_level == "high":
            told = tell_harm_first(dispatcher, tracker, self.store_factory, self.outbox_factory)
            return [*told, SlotSet(SCREENING_SLOT, False)]
        if redact(tracker.latest_message.get("text") or "").found:
            dispatcher.utter_message(response="utter_personal_data_warning")

        if tracker.get_slot(SCREENING_SLOT):
            dispatcher.utter_message(response="utter_screening_safe")
            return [SlotSet(SCREENING_SLOT, False)]

        if tracker.latest_action_name != "action_answer_knowledge":  # not warned just now
            self._warn(dispatcher)
        dispatcher.utter_message(response="utter_screening_question")
        return [SlotSet(SCREENING_SLOT, True)]

    def _warn(self, dispatcher: CollectingDispatcher) -> None:
        """The regulator's warning from the knowledge base (the domain's if unreadable)."""
        try:
            kb = self.knowledge_base_factory()
            warning = choose_answer(kb, "proxy_surrender", "", WARNING_ENTRY) or choose_answer(
                kb, "proxy_surrender", ""
            )
        except Exception:
            warning = None
        if warning:
            dispatcher.utter_message(
                response="utter_kb_answer", answer=warning.text, source=warning.source
            )
        else:
            dispatcher.utter_message(response="utter_proxy_surrender")


class ActionSurrenderReasonAdvice(Action):
    """Answer the reason given in the form, then ask whether the user still wants to
    surrender (someone advising it leads to the 代理退保 screening instead)."""

    screening = ActionScreenRisk()

    def name(self) -> str:
        return "action_surrender_reason_advice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        reason = tracker.get_slot("surrender_reason")
        if reason == "decided":  # 「别劝了」: the official, free way, no more questions
            tell_self_service(dispatcher)
            return [SlotSet(STAGE_SLOT, None)]
        if reason == "advised":
            return await self.screening.run(dispatcher, tracker, domain)
        if reason == "need_cash":
            kind = tracker.get_slot("product_type") or "unknown"
            dispatcher.utter_message(response=f"utter_product_{kind}")
        else:
            dispatcher.utter_message(response=REASON_ADVICE.get(reason, "utter_reason_not_worth"))
        dispatcher.utter_message(response="utter_ask_still_surrender")
        return [SlotSet(STAGE_SLOT, "still_surrender")]


class ActionSurrenderProcedure(Action):
    """The user still wants to surrender: the official way, then the callback offer.
    Said again as a surrender request, the alternatives come first, in one line."""

    def name(self) -> str:
        return "action_surrender_procedure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if latest_intent(tracker) == "request_surrender":
            dispatcher.utter_message(response="utter_surrender_alternatives_short")
        dispatcher.utter_message(response="utter_surrender_procedure")
        dispatcher.utter_message(response="utter_offer_callback")
        return [SlotSet(STAGE_SLOT, "callback")]


class _CloseStage(Action, ABC):
    response: str

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response=self.response)
        return [SlotSet(STAGE_SLOT, None)]


class ActionKeepPolicy(_CloseStage):
    """The user keeps the policy."""

    response = "utter_keep_policy"

    def name(self) -> str:
        return "action_keep_policy"


class ActionDeclineCallback(_CloseStage):
    """The user does not want the confirmation call."""

    response = "utter_deny"

    def name(self) -> str:
        return "action_decline_callback"


class ActionRequestCallback(HandoffAction):
    """The user still wants to surrender and accepts a call to confirm it (意愿核实)."""

    reason = "surrender_callback"
    risk_level = "medium"
    flags = ("surrender",)
    response = "utter_callback_created"

    def name(self) -> str:
        return "action_request_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return [*await super().run(dispatcher, tracker, domain), SlotSet(STAGE_SLOT, None)]

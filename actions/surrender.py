"""The surrender-retention dialogue: product advice, 代理退保 screening, callbacks."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import HandoffAction, open_handoff_store, record_handoff
from actions.knowledge import open_knowledge_base
from bot.knowledge.answers import choose_answer
from bot.privacy import redact
from bot.products import product_type
from bot.reasons import surrender_reason
from bot.screening import screen

SCREENING_SLOT = "screening_pending"
#: The knowledge entry with the regulator's three 代理退保 risks.
WARNING_ENTRY = "proxy-surrender-three-risks"
#: Intents whose rule answers from the knowledge base before the screening.
ANSWERED_BEFORE_SCREENING = frozenset(
    {"proxy_surrender", "policy_switch_pitch", "personal_info_request", "fraud_high_return"}
)


def user_texts(tracker: Tracker) -> list[str]:
    return [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]


class ActionProductAdvice(Action):
    """Tell a user who needs cash what their kind of policy allows."""

    def name(self) -> str:
        return "action_product_advice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        kind = tracker.get_slot("product_type") or "unknown"
        dispatcher.utter_message(response=f"utter_product_{kind}")
        return []


class ValidateSurrenderReasonForm(FormValidationAction):
    """Turn the free-text (or button) answer to "why surrender?" into a reason."""

    def name(self) -> str:
        return "validate_surrender_reason_form"

    def validate_surrender_reason(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "request_surrender":  # whenever surrender is asked: alternatives first
            dispatcher.utter_message(response="utter_request_surrender")
        reason = surrender_reason(str(slot_value or ""), intent)
        if reason is None and intent != "request_surrender":
            dispatcher.utter_message(response="utter_reason_unclear")
        return {"surrender_reason": reason}


class ValidateProductForm(FormValidationAction):
    """Turn the answer to "which kind of policy?" into a product type."""

    def name(self) -> str:
        return "validate_product_form"

    def validate_product_type(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        kind = product_type(str(slot_value or ""))
        if intent == "request_surrender":  # whenever surrender is asked: alternatives first
            dispatcher.utter_message(response="utter_request_surrender")
            if kind == "unknown":
                return {"product_type": None}  # ask the product again
        return {"product_type": kind}


class ActionScreenRisk(Action):
    """Screen a conversation for 代理退保 warning signs.

    High risk (money paid, documents or codes handed over): urgent steps and a
    high-priority handoff. Otherwise the knowledge-base warning, then either the screening
    question (first time) or, once it was answered, the advice for a user not yet harmed.
    """

    store_factory = staticmethod(open_handoff_store)
    knowledge_base_factory = staticmethod(open_knowledge_base)

    def name(self) -> str:
        return "action_screen_risk"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if redact(tracker.latest_message.get("text") or "").found:
            dispatcher.utter_message(response="utter_personal_data_warning")
        result = screen(*user_texts(tracker))
        flags = set(result.flags)
        if next(tracker.get_latest_entity_values("already_handed"), None):
            flags.add("info_leaked")
        if flags & {"paid_fee", "info_leaked"}:
            dispatcher.utter_message(response="utter_urgent_steps")
            record_handoff(
                self.store_factory(),
                tracker,
                "proxy_surrender",
                "high",
                sorted(flags | {"proxy_surrender"}),
            )
            dispatcher.utter_message(response="utter_handoff_urgent")
            return [SlotSet(SCREENING_SLOT, False)]

        if tracker.get_slot(SCREENING_SLOT):
            dispatcher.utter_message(response="utter_screening_safe")
            return [SlotSet(SCREENING_SLOT, False)]

        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in ANSWERED_BEFORE_SCREENING:  # the knowledge answer was just given
            dispatcher.utter_message(response="utter_screening_question")
            return [SlotSet(SCREENING_SLOT, True)]
        try:
            kb = self.knowledge_base_factory()
            warning = choose_answer(kb, "proxy_surrender", "", WARNING_ENTRY) or choose_answer(
                kb, "proxy_surrender", ""
            )
        except Exception:  # the knowledge base is unreadable: the domain text will do
            warning = None
        if warning:
            dispatcher.utter_message(
                response="utter_kb_answer", answer=warning.text, source=warning.source
            )
        else:
            dispatcher.utter_message(response="utter_proxy_surrender")
        dispatcher.utter_message(response="utter_screening_question")
        return [SlotSet(SCREENING_SLOT, True)]


class ActionRequestCallback(HandoffAction):
    """The user still wants to surrender and accepts a call to confirm it (意愿核实)."""

    reason = "surrender_callback"
    risk_level = "medium"
    flags = ("surrender",)
    response = "utter_callback_created"

    def name(self) -> str:
        return "action_request_callback"

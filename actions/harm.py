"""Harm already done (paid, handed over, signed, money gone): the plain words that this is
very likely a scam, the urgent steps one per bubble, then a high-priority handoff. It comes
first, wherever in a conversation the harm is told."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.desk import service_hours, tell_handed_off
from actions.guard import guarded
from actions.handoff import (
    QUEUED,
    QUEUED_RESPONSE,
    channel_of,
    open_handoff_store,
    open_outbox,
    save_handoff,
)
from bot.screening import screen

#: Intents whose rule answers from the knowledge base, then screens (data/rules/knowledge.yml):
#: when their message already reports harm, the screening tells it first, with no answer
#: before it.
SCREENED_INTENTS = frozenset(
    {"proxy_surrender", "policy_switch_pitch", "personal_info_request", "fraud_high_return"}
)
#: In this order: this is a scam, then one step a bubble (texts in domain.yml).
HARM_FIRST = (
    "utter_harm_scam_likely",
    "utter_harm_step_stop_paying",
    "utter_harm_step_bank",
    "utter_harm_step_passwords",
    "utter_harm_step_police",
    "utter_harm_step_insurer",
)


def reports_harm(text: str) -> bool:
    """Whether ``text`` says harm is already done (paid, handed over, signed).

    >>> reports_harm("我已经交了2000元手续费"), reports_harm("他让我交手续费")
    (True, False)
    """
    return screen(text).risk_level == "high"


def tell_harm_first(
    dispatcher: CollectingDispatcher, tracker: Tracker, store_factory, outbox_factory
) -> list[dict[str, Any]]:
    """Say the harm-first steps and hand off with high priority; the events to return.
    Told already in this conversation: the steps once more in one line, and the handoff
    updated with what is new."""
    if tracker.get_slot("harm_told"):
        dispatcher.utter_message(response="utter_harm_again")
        save_handoff(store_factory, outbox_factory, tracker, "proxy_surrender", "high", [])
        return [SlotSet("screening_pending", False)]
    for response in HARM_FIRST:
        dispatcher.utter_message(response=response)
    saved = save_handoff(
        store_factory, outbox_factory, tracker, "proxy_surrender", "high", ["harm_reported"]
    )
    dispatcher.utter_message(
        response=QUEUED_RESPONSE if saved == QUEUED else "utter_handoff_urgent"
    )
    tell_handed_off(dispatcher, service_hours(), channel_of(tracker))
    return [
        SlotSet("harm_told", True),
        SlotSet("handoff_open", True),
        SlotSet("topic", "harm"),
        SlotSet("screening_pending", False),
    ]


class ActionHarmFirst(Action):
    """The user says harm is already done."""

    store_factory = staticmethod(open_handoff_store)
    outbox_factory = staticmethod(open_outbox)

    def name(self) -> str:
        return "action_harm_first"

    @guarded
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return tell_harm_first(dispatcher, tracker, self.store_factory, self.outbox_factory)

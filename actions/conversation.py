"""What a conversation remembers of itself: a handoff waiting for a person, a surrender
already explained, a question already re-asked. It keeps the bot from greeting someone who
is waiting, from saying the same long warning twice, and from looping on an unclear reply.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.desk import open_app_db, service_hours, tell_waiting

HANDOFF_OPEN = "handoff_open"
WARNED = "surrender_warned"
DECIDED = "surrender_decided"
STAGE = "stage"
STILL = "still_surrender"
CLARIFIED = "clarified"
REASON = "surrender_reason"
PRODUCT = "product_type"
#: The official, free way to surrender oneself, one bubble each (texts in domain.yml).
SELF_SERVICE_STEPS = (
    "utter_surrender_self_service_who",
    "utter_surrender_self_service_money",
    "utter_surrender_self_service_no_agent",
)


def user_events(tracker: Tracker) -> list[dict[str, Any]]:
    """The user's messages in the conversation, oldest first."""
    return [e for e in tracker.events if e.get("event") == "user"]


def intent_of(event: dict[str, Any]) -> str | None:
    """The intent a user message was classified as."""
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def latest_intent(tracker: Tracker) -> str | None:
    """The intent the latest user message was classified as."""
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def responses_said(tracker: Tracker) -> list[str]:
    """The responses the bot said in the conversation, oldest first."""
    return [
        str((e.get("metadata") or {}).get("utter_action", ""))
        for e in tracker.events
        if e.get("event") == "bot"
    ]


def tell_self_service(
    dispatcher: CollectingDispatcher, tracker: Tracker, cooling_off: bool = False
) -> None:
    """The official, free way, one step a bubble; within the cooling-off period it says
    that the whole premium comes back."""
    cooling_off = cooling_off or tracker.get_slot(REASON) == "just_bought"
    intro = (
        "utter_surrender_self_service_cooling_off"
        if cooling_off
        else "utter_surrender_self_service"
    )
    for response in (intro, *SELF_SERVICE_STEPS):
        dispatcher.utter_message(response=response)


class ActionGreet(Action):
    """A greeting, or, while a handoff waits for a person, where things stand."""

    hours_factory = staticmethod(service_hours)
    db_factory = staticmethod(open_app_db)

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if not tracker.get_slot(HANDOFF_OPEN):
            dispatcher.utter_message(response="utter_greet")
            return []
        return tell_waiting(dispatcher, tracker, self.hours_factory(), self.db_factory)


def clarify_stage(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """The question of the stage once more, in other words; the second time, let go."""
    stage = tracker.get_slot(STAGE)
    if tracker.get_slot(CLARIFIED) == stage:
        dispatcher.utter_message(response="utter_let_go")
        return [SlotSet(STAGE, None), SlotSet(CLARIFIED, None)]
    dispatcher.utter_message(response=f"utter_clarify_{stage}")
    return [SlotSet(STAGE, stage), SlotSet(CLARIFIED, stage)]


class ActionClarifyStage(Action):
    """An acknowledgement (好的, 嗯) or an unclear reply to a yes/no question of the
    surrender dialogue is not a decision: the question once more, in other words; the
    second time, the flow lets go and offers the menu or a person."""

    def name(self) -> str:
        return "action_clarify_stage"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return clarify_stage(dispatcher, tracker)

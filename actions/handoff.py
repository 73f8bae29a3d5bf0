"""Hand a conversation to a human: store the redacted transcript, tell the user what next."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.handoff import HandoffStore, transcript_from_events
from bot.settings import Settings


def open_handoff_store() -> HandoffStore:
    """The factory for the action's store; tests replace it."""
    return HandoffStore.open(Settings.from_env().db_path)


def channel_of(tracker: Tracker) -> str:
    return (tracker.get_latest_input_channel() or "unknown") if tracker.events else "unknown"


class ActionRequestHuman(Action):
    """The user asked for a person: open (or update) a handoff and explain what happens."""

    store_factory = staticmethod(open_handoff_store)

    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        _, created = self.store_factory().request(
            conversation_id=tracker.sender_id,
            channel=channel_of(tracker),
            reason="user_request",
            risk_level="low",
            flags=[],
            transcript=transcript_from_events(tracker.events),
        )
        dispatcher.utter_message(
            response="utter_request_human" if created else "utter_handoff_updated"
        )
        return []

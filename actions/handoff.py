"""Hand a conversation to a human: store the redacted transcript, tell the user what next."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.handoff import HandoffStore
from bot.screening import screen
from bot.settings import Settings
from bot.transcript import transcript_from_events


def open_handoff_store() -> HandoffStore:
    """The factory for the actions' store; tests replace it."""
    return HandoffStore.open(Settings.from_env().db_path)


def channel_of(tracker: Tracker) -> str:
    return (tracker.get_latest_input_channel() or "unknown") if tracker.events else "unknown"


def record_handoff(
    store: HandoffStore, tracker: Tracker, reason: str, risk_level: str, flags: list[str]
) -> bool:
    """Open or update the conversation's handoff; True if a new one was opened.

    An elderly policyholder (by what they wrote) is flagged for the supervisor."""
    texts = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]
    if "elderly" in screen(*texts).flags:
        flags = [*flags, "elderly"]
    _, created = store.request(
        conversation_id=tracker.sender_id,
        channel=channel_of(tracker),
        reason=reason,
        risk_level=risk_level,
        flags=flags,
        transcript=transcript_from_events(tracker.events),
    )
    return created


class HandoffAction(Action, ABC):
    """Base for actions that hand the conversation to a person and say so."""

    @abstractmethod
    def name(self) -> str: ...

    store_factory = staticmethod(open_handoff_store)
    reason: ClassVar[str]
    risk_level: ClassVar[str] = "low"
    flags: ClassVar[tuple[str, ...]] = ()
    response: ClassVar[str]
    #: Said instead of ``response`` when the conversation already had an open handoff.
    response_if_updated: ClassVar[str | None] = None

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        created = record_handoff(
            self.store_factory(), tracker, self.reason, self.risk_level, list(self.flags)
        )
        updated = not created and self.response_if_updated
        dispatcher.utter_message(response=self.response_if_updated if updated else self.response)
        return []


class ActionRequestHuman(HandoffAction):
    """The user asked for a person."""

    reason = "user_request"
    response = "utter_request_human"
    response_if_updated = "utter_handoff_updated"

    def name(self) -> str:
        return "action_request_human"

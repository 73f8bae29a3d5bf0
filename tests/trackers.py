"""Small trackers and one action runner for the action tests (no server needed)."""

from __future__ import annotations

import asyncio
from typing import Any, NamedTuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

#: What a handoff made in service hours says after its own line (actions/desk.py); the tests
#: run with staff always in (tests/conftest.py).
HANDED_OFF = ["utter_handoff_in_hours", "utter_handoff_never_ask"]


def tracker_for(
    texts: str | list[str],
    intent: str,
    confidence: float = 0.95,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    sender: str = "test-user",
    last: str = "action_listen",
    events: list[dict[str, Any]] | None = None,
) -> Tracker:
    """A tracker whose user wrote ``texts`` (one message or several, the last one latest),
    each classified as ``intent``; ``events`` replaces the history those messages make."""
    texts = [texts] if isinstance(texts, str) else texts
    latest = {
        "text": texts[-1],
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
        "intent_ranking": [{"name": intent, "confidence": confidence}],
    }
    if events is None:
        events = [
            {"event": "user", "text": text, "input_channel": "rest", "parse_data": latest}
            for text in texts
        ]
    return Tracker(
        sender_id=sender,
        slots=slots or {},
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name=last,
    )


class ActionRun(NamedTuple):
    """What one action run sent (the dispatcher's messages) and returned (events)."""

    messages: list[dict[str, Any]]
    events: list[dict[str, Any]]

    @property
    def responses(self) -> list[str | None]:
        """The names of the domain responses sent, in order."""
        return [m.get("response") for m in self.messages]


def run_action(action, tracker: Tracker, domain: dict | None = None) -> ActionRun:
    """Run a rasa_sdk action with CollectingDispatcher."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain or {}))
    return ActionRun(dispatcher.messages, events)

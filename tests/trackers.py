"""Small tracker builders for action tests (no server needed)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker


def tracker_for(
    text: str,
    intent: str,
    confidence: float = 0.95,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    sender: str = "test-user",
) -> Tracker:
    """A tracker whose latest message is ``text`` classified as ``intent``."""
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
        "intent_ranking": [{"name": intent, "confidence": confidence}],
    }
    return Tracker(
        sender_id=sender,
        slots=slots or {},
        latest_message=message,
        events=[{"event": "user", "text": text, "parse_data": message}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )

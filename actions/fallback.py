"""The two-stage fallback in plain Chinese: "did you mean …" buttons, then a human."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import HandoffAction
from bot.labels import intent_labels

CHOICES = 3
NOT_OFFERED = {"nlu_fallback", "out_of_scope", "affirm", "deny", "greet", "goodbye", "thank"}


class ActionAskAffirmation(Action):
    """First miss: offer the most likely intents as buttons, plus "none of these"."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        labels = intent_labels()
        ranking = tracker.latest_message.get("intent_ranking") or []
        names = [
            r["name"] for r in ranking if r.get("name") in labels and r["name"] not in NOT_OFFERED
        ]
        buttons = [{"title": labels[n], "payload": f"/{n}"} for n in names[:CHOICES]]
        buttons.append({"title": labels["out_of_scope"], "payload": "/out_of_scope"})
        dispatcher.utter_message(response="utter_ask_affirmation", buttons=buttons)
        return []


class ActionDefaultFallback(HandoffAction):
    """Second miss: hand the conversation to a human and say so."""

    reason = "repeated_fallback"
    flags = ("fallback",)
    response = "utter_fallback_handoff"

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        await super().run(dispatcher, tracker, domain)
        # Like Rasa's own default fallback: forget the message it could not handle, so the
        # next prediction is to listen, never this action again.
        return [UserUtteranceReverted()]

"""Messages understood by where the conversation stands, not by themselves.

A short follow-up (「要带什么」「那要多久」) is answered in the topic of the previous answer;
after harm was reported, questions about it get its follow-ups; while a handoff waits,
「有人吗」 gets the status; inside the screening or at a question of the surrender dialogue,
an unclear reply is that flow's to handle. Only what none of these understands is turned
away (out of scope) or offered the "did you mean" menu (low NLU confidence).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import HANDOFF_OPEN, STAGE, clarify_stage, waiting_status
from actions.guard import guarded
from actions.handoff import open_handoff_store, open_outbox
from actions.screening import PENDING, screen_turn
from bot.followups import HARM_COMFORT, STATUS, follow_up, topic_of

TOPIC = "topic"


def said_before(tracker: Tracker, response: str) -> bool:
    """Whether the bot already said ``response`` in this conversation."""
    return any(
        e.get("event") == "bot" and (e.get("metadata") or {}).get("utter_action") == response
        for e in tracker.events
    )


def answer_follow_up(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: dict[str, Any],
    catch_all: bool = False,
) -> list[dict[str, Any]] | None:
    """Answer the latest message as a follow-up in its context; the events, or ``None``
    when it is not one. With ``catch_all`` (the message was not understood by itself),
    after harm the user gets comfort and the first steps, while waiting the status. Asked
    again, a follow-up with a second answer (``<response>_again``) gets that one."""
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    harm = bool(tracker.get_slot("harm_told"))
    waiting = bool(tracker.get_slot(HANDOFF_OPEN))
    topic = topic_of(intent, tracker.get_slot(TOPIC))
    response = follow_up(message.get("text") or "", topic, harm=harm, waiting=waiting)
    if response is None and catch_all:
        response = HARM_COMFORT if harm else STATUS if waiting else None
    if response is None:
        return None
    if response == STATUS:
        status, events = waiting_status(tracker)
        dispatcher.utter_message(response=status)
        return events
    again = f"{response}_again"
    if again in (domain or {}).get("responses", {}) and said_before(tracker, response):
        response = again
    dispatcher.utter_message(response=response)
    return [SlotSet(TOPIC, topic)]


class ActionContextReply(Action):
    """A message out of scope or not understood (see the module)."""

    store_factory = staticmethod(open_handoff_store)
    outbox_factory = staticmethod(open_outbox)

    def name(self) -> str:
        return "action_context_reply"

    @guarded
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if tracker.get_slot(PENDING):
            return screen_turn(dispatcher, tracker, self.store_factory, self.outbox_factory)
        if tracker.get_slot(STAGE):
            return clarify_stage(dispatcher, tracker)
        answered = answer_follow_up(dispatcher, tracker, domain, catch_all=True)
        if answered is not None:
            return answered
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if intent == "nlu_fallback":
            return [FollowupAction("action_two_stage_fallback")]
        dispatcher.utter_message(response="utter_out_of_scope")
        return []

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

from actions.conversation import (
    HANDOFF_OPEN,
    STAGE,
    WARNED,
    clarify_stage,
    latest_intent,
    responses_said,
)
from actions.desk import open_app_db, service_hours, tell_waiting
from actions.guard import guarded
from actions.handoff import hand_to_person, open_handoff_store, open_outbox
from actions.harm import reports_harm, tell_harm_first
from actions.screening import PENDING, screen_turn
from bot.followups import ALWAYS, HARM_COMFORT, STATUS, asks_for_person, follow_up, topic_of
from bot.nlu.normalize import normalize
from bot.privacy import redact

TOPIC = "topic"
#: Follow-ups about doing the surrender, and what comes before them if not yet said.
PROCEDURE = frozenset({"utter_followup_surrender_documents", "utter_followup_surrender_who"})
ALTERNATIVES = ("utter_request_surrender_ways",)
#: Intents answered here when the context has nothing to say, with their own reply.
PLAIN_REPLIES = {
    "affirm": "utter_affirm",
    "deny": "utter_deny",
    "out_of_scope": "utter_out_of_scope",
}


#: A message this short (characters) is read as a follow-up even when the NLU gave it an
#: intent of its own: 「利息呢」, 「贷款要她本人去吗」.
SHORT = 12


def answer_follow_up(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: dict[str, Any],
    catch_all: bool = False,
    in_topic: bool = False,
) -> list[dict[str, Any]] | None:
    """Answer the latest message as a follow-up in its context; the events, or ``None``
    when it is not one.

    A message the NLU understood (not ``catch_all``) is taken as a follow-up only when it
    is short, stays in the topic of the previous answer, or comes after harm was
    reported. With ``catch_all`` (it was not understood by itself), after harm the user
    gets comfort and the first steps, while waiting the status; ``in_topic`` when the
    caller knows the message asks about its intent's topic. Asked again, a follow-up
    with a second answer (``<response>_again``) gets that one. A procedure question
    before the alternatives were said gets them first (the surrender-first rule)."""
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    intent = (message.get("intent") or {}).get("name")
    harm = bool(tracker.get_slot("harm_told"))
    waiting = bool(tracker.get_slot(HANDOFF_OPEN))
    previous = tracker.get_slot(TOPIC)
    topic = topic_of(intent, previous)
    response = follow_up(text, topic, harm=harm, waiting=waiting)
    if response is None and catch_all:
        response = HARM_COMFORT if harm else STATUS if waiting else None
    if response is None:
        return None
    own = topic_of(intent)  # the topic the NLU's intent has by itself
    in_context = catch_all or in_topic or harm or own is None
    in_context = in_context or (previous is not None and (own == previous or short(text)))
    if response not in ALWAYS and not in_context:
        return None
    if response == STATUS:
        return tell_waiting(dispatcher, tracker, service_hours(), open_app_db)
    again = f"{response}_again"
    if again in (domain or {}).get("responses", {}) and response in responses_said(tracker):
        response = again
    events = [SlotSet(TOPIC, topic)]
    if redact(text).found:  # 「我手机号138…」 after harm: say it was hidden, then answer
        dispatcher.utter_message(response="utter_personal_data_warning")
    if response in PROCEDURE and not tracker.get_slot(WARNED):
        for first in ALTERNATIVES:
            dispatcher.utter_message(response=first)
        events.append(SlotSet(WARNED, True))
    dispatcher.utter_message(response=response)
    return events


def short(text: str) -> bool:
    return len(normalize(text or "", max_chars=0)) <= SHORT


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
        intent = latest_intent(tracker)
        if reports_harm((tracker.latest_message or {}).get("text") or ""):
            return tell_harm_first(dispatcher, tracker, self.store_factory, self.outbox_factory)
        if tracker.get_slot(PENDING):
            return screen_turn(dispatcher, tracker, self.store_factory, self.outbox_factory)
        answered = answer_follow_up(dispatcher, tracker, domain)
        if answered is not None:  # a question in the topic, even at a question of a flow
            return answered
        if tracker.get_slot(STAGE):
            return clarify_stage(dispatcher, tracker)
        if intent in ("affirm", "deny"):  # 「嗯嗯 知道了」 after the steps: no comfort
            dispatcher.utter_message(response=PLAIN_REPLIES[intent])
            return []
        if asks_for_person((tracker.latest_message or {}).get("text") or ""):
            return await hand_to_person(self, dispatcher, tracker, domain)
        answered = answer_follow_up(dispatcher, tracker, domain, catch_all=True)
        if answered is not None:
            return answered
        if intent == "nlu_fallback":
            return [FollowupAction("action_two_stage_fallback")]
        dispatcher.utter_message(response=PLAIN_REPLIES["out_of_scope"])
        return []

"""The 代理退保 screening: warn about the signs the user told, ask only what is not known.

High risk (money paid, documents or codes handed over) gets the harm-first steps and a
high-priority handoff. Otherwise each sign is warned about once, when it is first told;
then the one question still open: what the third party said (nothing told yet), or whether
anything was already handed over. An answer that something was not handed over gets the
official, free way; an unclear one the question once more in other words, then the flow
lets go.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import CLARIFIED, latest_intent, user_events
from actions.guard import guarded
from actions.handoff import hand_to_person, open_handoff_store, open_outbox
from actions.harm import tell_harm_first
from bot.followups import asks_for_person
from bot.knowledge.answers import Answer, choose_answer
from bot.knowledge.store import KnowledgeBase
from bot.privacy import redact
from bot.screening import asks_what_now, not_yet, screen

logger = logging.getLogger(__name__)
PENDING = "screening_pending"
#: A warning for each sign, in this order, said once when the sign is first told.
WARNINGS = (
    (frozenset({"fee_requested", "full_refund_promise"}), "utter_screening_warn_fee"),
    (frozenset({"info_requested"}), "utter_screening_warn_info"),
    (frozenset({"product_pitch"}), "utter_screening_warn_pitch"),
)


def texts_of(tracker: Tracker) -> list[str]:
    return [e.get("text") or "" for e in user_events(tracker)]


def screen_turn(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    store_factory,
    outbox_factory,
    knowledge: Callable[[], Answer | None] | None = None,
    ask: bool = True,
) -> list[dict[str, Any]]:
    """One turn of the screening; the events to return. ``knowledge`` gives the entry
    that answers the message: shown (its lead) when no sign was told yet, instead of the
    general warning, and then only whether anything was handed over is asked. Without
    ``ask`` (a person takes over next), nothing is asked."""
    texts = texts_of(tracker)
    text = (tracker.latest_message or {}).get("text") or ""
    screening = screen(*texts)
    seen = screening.flags
    if screening.risk_level == "high":
        told = tell_harm_first(dispatcher, tracker, store_factory, outbox_factory)
        return [*told, SlotSet(PENDING, False)]
    if redact(text).found:
        dispatcher.utter_message(response="utter_personal_data_warning")
    new = seen - screen(*texts[:-1]).flags
    intent = latest_intent(tracker)
    pending = tracker.get_slot(PENDING)
    if pending and not new:
        if not_yet(text) or asks_what_now(text) or intent == "deny":
            dispatcher.utter_message(response="utter_screening_safe")
            return [SlotSet(PENDING, False), SlotSet(CLARIFIED, None)]
        if tracker.get_slot(CLARIFIED) == "screening":
            dispatcher.utter_message(response="utter_let_go")
            return [SlotSet(PENDING, False), SlotSet(CLARIFIED, None)]
        asked = "utter_screening_ask_done_again" if seen else "utter_screening_question_again"
        dispatcher.utter_message(response=asked)
        return [SlotSet(PENDING, True), SlotSet(CLARIFIED, "screening")]

    warned = [response for signs, response in WARNINGS if signs & new]
    # The entry for the question, unless a 代理退保 offer's signs say more (a fake call, a
    # fake 回访, a 退旧投新 pitch has an entry of its own that warns about it).
    entry = None if pending or (warned and intent == "proxy_surrender") else lookup(knowledge)
    if entry is not None:
        dispatcher.utter_message(
            response="utter_kb_answer",
            answer=entry.text,
            source=entry.source,
            buttons=entry.buttons,
        )
    else:
        for response in warned or ([] if pending else ["utter_screening_warn"]):
            dispatcher.utter_message(response=response)
    if not_yet(text) or not ask:  # "要先交2000押金，我还没交": nothing to ask
        if entry is None and ask:  # the entry already says how to go on
            dispatcher.utter_message(response="utter_screening_safe")
        return [SlotSet(PENDING, False), SlotSet(CLARIFIED, None)]
    dispatcher.utter_message(
        response="utter_screening_ask_done" if seen or entry else "utter_screening_question"
    )
    return [SlotSet(PENDING, True), SlotSet(CLARIFIED, None)]


def lookup(knowledge: Callable[[], Answer | None] | None) -> Answer | None:
    """The knowledge entry, or ``None`` (none given, none found, the database unreadable:
    the domain's general warning is said instead)."""
    try:
        return knowledge() if knowledge else None
    except Exception:
        logger.warning("screening: the knowledge base could not be read")
        return None


class ActionScreenRisk(Action):
    """Screen a conversation for 代理退保 warning signs (see the module)."""

    store_factory = staticmethod(open_handoff_store)
    outbox_factory = staticmethod(open_outbox)

    @staticmethod
    def knowledge_base_factory() -> KnowledgeBase:
        from actions.knowledge import open_knowledge_base  # it answers with the screening

        return open_knowledge_base()

    def name(self) -> str:
        return "action_screen_risk"

    @guarded
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name") or ""
        text = message.get("text") or ""

        def knowledge() -> Answer | None:
            return choose_answer(self.knowledge_base_factory(), intent, text)

        person = asks_for_person(text)  # 「你帮我找个真人吧」: warned, then handed over
        events = screen_turn(
            dispatcher, tracker, self.store_factory, self.outbox_factory, knowledge, ask=not person
        )
        if person and not any(e.get("name") == "harm_told" for e in events):
            events += await hand_to_person(self, dispatcher, tracker, domain)
        return events

"""Answer knowledge questions from the knowledge base, citing the source."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import TOPIC, answer_follow_up
from actions.guard import guarded
from actions.handoff import open_handoff_store, open_outbox
from actions.harm import SCREENED_INTENTS, reports_harm, tell_harm_first
from bot.analytics import record_served
from bot.followups import topic_of
from bot.knowledge.answers import DETAIL, choose_answer
from bot.knowledge.store import KnowledgeBase
from bot.privacy import redact
from bot.settings import Settings

logger = logging.getLogger(__name__)


def open_knowledge_base() -> KnowledgeBase:
    """The factory for the action's knowledge base; tests replace it."""
    return KnowledgeBase.open(Settings.from_env().db_path)


class ActionAnswerKnowledge(Action):
    """Reply with the best published entry for the intent and message, plus its source
    and buttons for related entries; an honest reply and a human offer when none fits.

    If the knowledge base cannot be read at all, the intent's vetted first answer from the
    domain (``utter_<intent>``) is sent instead, so the user is never left without a reply.
    """

    knowledge_base_factory = staticmethod(open_knowledge_base)
    store_factory = staticmethod(open_handoff_store)
    outbox_factory = staticmethod(open_outbox)

    def __init__(self) -> None:
        self._knowledge_base: KnowledgeBase | None = None

    def name(self) -> str:
        return "action_answer_knowledge"

    def _kb(self) -> KnowledgeBase:
        if self._knowledge_base is None:
            self._knowledge_base = self.knowledge_base_factory()
        return self._knowledge_base

    @guarded
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name") or ""
        entry_id = next(tracker.get_latest_entity_values("entry_id"), None)
        if reports_harm(message.get("text") or ""):
            if intent in SCREENED_INTENTS:
                return []  # the screening, next in the rule, tells the harm first
            return tell_harm_first(dispatcher, tracker, self.store_factory, self.outbox_factory)
        if not entry_id:  # a follow-up: 「利息呢」 after a loan answer, 「还能自己退吗」 after harm
            answered = answer_follow_up(dispatcher, tracker, domain)
            if answered is not None:
                return answered
        if redact(message.get("text") or "").found:
            dispatcher.utter_message(response="utter_personal_data_warning")
        try:
            detail = next(tracker.get_latest_entity_values(DETAIL), None) is not None
            text = message.get("text") or ""
            answer = choose_answer(self._kb(), intent, text, entry_id, detail=detail)
        except Exception:  # the database is unreachable or broken
            logger.exception("knowledge base lookup failed")
            self._knowledge_base = None  # reconnect next time
            fallback = f"utter_{intent}"
            known = (domain or {}).get("responses", {})
            dispatcher.utter_message(
                response=fallback if fallback in known else "utter_kb_no_answer"
            )
            return []
        if answer is None:
            dispatcher.utter_message(response="utter_kb_no_answer")
            return []
        dispatcher.utter_message(
            response="utter_kb_answer",
            answer=answer.text,
            source=answer.source,
            buttons=answer.buttons,
        )
        self._record_served(answer.entry_id, intent, tracker.sender_id)
        return [SlotSet(TOPIC, topic_of(intent, tracker.get_slot(TOPIC)))]

    def _record_served(self, entry_id: str, intent: str, sender_id: str) -> None:
        """Count the answer for the dashboard; a failure is logged, never raised."""
        try:
            record_served(self._kb().db, entry_id, intent, sender_id)
        except Exception as exc:  # sqlite3.Error and friends: the answer is already sent
            # Only the kind of error and the staff-written entry id: never user text.
            logger.warning("could not record served entry %s: %s", entry_id, type(exc).__name__)

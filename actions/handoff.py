"""Hand a conversation to a human: store the redacted transcript, tell the user what next.

A handoff is never lost: when the app database cannot take it right now (locked,
read-only), it waits in the outbox (:mod:`bot.outbox`) and the user is told a person will
see it; waiting handoffs are stored before each later one, and by the console.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import intent_of, user_events
from actions.desk import service_hours, tell_handed_off, tell_waiting
from actions.guard import guarded
from bot.db import STORE_ERRORS, open_database
from bot.followups import asks_for_call
from bot.handoff import RISK_LEVELS, HandoffStore
from bot.logs import clean, redacted_traceback
from bot.outbox import Outbox, drain, handoff_request, store_request
from bot.screening import Screening, screen
from bot.settings import Settings
from bot.transcript import transcript_from_events

logger = logging.getLogger(__name__)

#: How long an action waits for another writer before the handoff goes to the outbox:
#: the user is waiting for the reply.
WRITE_WAIT_SECONDS = 2.0
CREATED, UPDATED, QUEUED = "created", "updated", "queued"
#: Intents that are a warning sign by themselves (a flag on any handoff of the conversation).
INTENT_FLAGS = {"report_harm": "harm_reported", "proxy_surrender": "proxy_surrender"}
#: Said when the handoff waits in the outbox (a person will still see it).
QUEUED_RESPONSE = "utter_handoff_queued"


def open_handoff_store() -> HandoffStore:
    """The factory for the actions' store; tests replace it."""
    return HandoffStore(open_database(Settings.from_env().db_path, busy_timeout=WRITE_WAIT_SECONDS))


def open_outbox() -> Outbox:
    """The factory for the actions' outbox, next to the app database; tests replace it."""
    return Outbox(Settings.from_env().outbox_dir)


def channel_of(tracker: Tracker) -> str:
    return (tracker.get_latest_input_channel() or "unknown") if tracker.events else "unknown"


def conversation_risk(tracker: Tracker, risk_level: str, flags: list[str]) -> tuple[str, list[str]]:
    """The risk of the whole conversation: the signs in everything the user wrote, the
    intents seen, and what the caller knows, so a handoff made for any reason carries them.

    >>> from rasa_sdk import Tracker
    >>> events = [{"event": "user", "text": "他说能全额退，要三成手续费",
    ...            "parse_data": {"intent": {"name": "proxy_surrender"}}},
    ...           {"event": "user", "text": "我已经把身份证发给他了"}]
    >>> conversation_risk(Tracker("u", {}, {}, events, False, None, {}, ""), "low", [])
    ('high', ['fee_requested', 'full_refund_promise', 'info_leaked', 'proxy_surrender'])
    """
    users = user_events(tracker)
    seen = set(screen(*(e.get("text") or "" for e in users)).flags)
    intents = {intent_of(e) for e in users}
    seen |= {INTENT_FLAGS[i] for i in intents if i in INTENT_FLAGS}
    levels = [risk_level, Screening(frozenset(seen)).risk_level]
    return max(levels, key=RISK_LEVELS.index), sorted(seen | set(flags))


def save_handoff(
    store_factory: Callable[[], HandoffStore],
    outbox_factory: Callable[[], Outbox],
    tracker: Tracker,
    reason: str,
    risk_level: str,
    flags: list[str],
) -> str:
    """Open or update the conversation's handoff: :data:`CREATED` or :data:`UPDATED`, or
    :data:`QUEUED` when storing it failed (the database locked, read-only, broken) and it
    waits in the outbox instead.

    Handoffs already waiting are stored first, so they keep their order. An elderly
    policyholder (by what they wrote) is flagged for the supervisor. Raises only if the
    outbox cannot be written either.
    """
    risk_level, flags = conversation_risk(tracker, risk_level, flags)
    item = handoff_request(
        conversation_id=tracker.sender_id,
        channel=channel_of(tracker),
        reason=reason,
        risk_level=risk_level,
        flags=flags,
        transcript=transcript_from_events(tracker.events),
    )
    outbox = outbox_factory()
    try:
        store = store_factory()
        drain(outbox, store)
        _, created = store_request(store, item)
    except Exception as exc:  # the database (or a bug in storing) failed: keep it anyway
        outbox.put(item)
        if isinstance(exc, STORE_ERRORS):
            logger.warning(
                "handoff %s queued: the app database failed (%s)", item["request_id"], clean(exc)
            )
        else:
            logger.error(
                "handoff %s queued: storing failed\n%s", item["request_id"], redacted_traceback(exc)
            )
        return QUEUED
    return CREATED if created else UPDATED


class HandoffAction(Action, ABC):
    """Base for actions that hand the conversation to a person and say so: the reason's
    own line, if it has one, then where and when staff answer (actions/desk.py)."""

    @abstractmethod
    def name(self) -> str: ...

    store_factory = staticmethod(open_handoff_store)
    outbox_factory = staticmethod(open_outbox)
    hours_factory = staticmethod(service_hours)
    reason: ClassVar[str]
    risk_level: ClassVar[str] = "low"
    flags: ClassVar[tuple[str, ...]] = ()
    response: ClassVar[str | None] = None
    #: Asked again while the handoff is open: the waiting status instead of ``response``.
    status_if_updated: ClassVar[bool] = False

    @guarded
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        saved = save_handoff(
            self.store_factory,
            self.outbox_factory,
            tracker,
            self.reason,
            self.risk_level,
            list(self.flags),
        )
        events = [SlotSet("handoff_open", True)]
        hours = self.hours_factory()
        if saved == UPDATED and self.status_if_updated:
            # Asked again while waiting: where things stand, never the same text twice in a row.
            db = lambda: self.store_factory().db  # noqa: E731
            return [*events, *tell_waiting(dispatcher, tracker, hours, db)]
        first = QUEUED_RESPONSE if saved == QUEUED else self.opening(tracker)
        if first:
            dispatcher.utter_message(response=first)
        tell_handed_off(dispatcher, hours, channel_of(tracker))
        return events

    def opening(self, tracker: Tracker) -> str | None:
        """The reason's own line, before where and when staff answer."""
        return self.response


async def hand_to_person(
    owner: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
) -> list[dict[str, Any]]:
    """The request for a person, made by another action (``owner``) with its stores: a
    long message that asks for one, which the NLU read as something else."""
    human = ActionRequestHuman()
    human.store_factory, human.outbox_factory = owner.store_factory, owner.outbox_factory
    return await human.run(dispatcher, tracker, domain)


class ActionRequestHuman(HandoffAction):
    """The user asked for a person."""

    reason = "user_request"
    status_if_updated = True

    def opening(self, tracker: Tracker) -> str | None:
        # 「给我回个电话」: first that nobody will call, then where staff answer.
        text = (tracker.latest_message or {}).get("text") or ""
        return "utter_followup_no_callback" if asks_for_call(text) else None

    def name(self) -> str:
        return "action_request_human"

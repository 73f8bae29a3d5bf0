"""A SQL tracker store that redacts personal data before any event is stored or streamed.

Configured in ``endpoints.yml``::

    tracker_store:
      type: bot.tracker_store.RedactingSQLTrackerStore
      dialect: "sqlite"
      db: ${POLICYGUARD_TRACKER_DB}

Every string in every event is redacted (the text, slot values, entity values, metadata,
what an action returned), each user message in the light of the one before it, so a card
number typed over two messages is caught too::

    >>> redact_event_dict({"event": "slot", "name": "reason", "value": "卡号6222020200000000006"})
    {'event': 'slot', 'name': 'reason', 'value': '卡号[银行卡号]'}

The conversation in memory keeps what the user typed for the current turn (the actions
need it); what is stored or sent to an event broker, and so what any later turn or
reviewer sees, is redacted.

Database work runs in a worker thread, so a slow or locked database never stalls Rasa's
event loop. On SQLite a write waits for a lock (``BUSY_TIMEOUT``) instead of failing at
once, which would make Rasa fall back to a memory store and lose the turn.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.privacy import redact

logger = logging.getLogger(__name__)

#: Seconds a write waits for a locked SQLite database before it fails.
BUSY_TIMEOUT = 30
#: Keys whose values are names the product sets, never text a person wrote.
_STRUCTURAL = frozenset({"event", "timestamp", "message_id", "policy", "input_channel"})


def _redact_value(value: Any, previous: str | None = None) -> Any:
    if isinstance(value, str):
        return redact(value, previous=previous).text
    if isinstance(value, list):
        return [_redact_value(item, previous) for item in value]
    if isinstance(value, dict):
        return {
            key: item if key in _STRUCTURAL else _redact_value(item, previous)
            for key, item in value.items()
        }
    return value


def redact_event_dict(data: dict[str, Any], previous: str | None = None) -> dict[str, Any]:
    """A copy of a serialised event with every string in it redacted. ``previous`` is the
    text of the user's message before this one, as stored."""
    return _redact_value(data, previous)


def redact_events(events: Iterable[Event], previous: str | None = None) -> Iterator[Event]:
    """``events`` redacted, each user message read with the user message before it."""
    for event in events:
        data = event.as_dict()
        redacted = redact_event_dict(data, previous)
        if isinstance(event, UserUttered):
            previous = redacted.get("text")
        yield event if redacted == data else (Event.from_parameters(redacted) or event)


def _last_user_text(events: Iterable[Event]) -> str | None:
    texts = [e.text for e in events if isinstance(e, UserUttered)]
    return texts[-1] if texts else None


class RedactingSQLTrackerStore(SQLTrackerStore):
    """:class:`rasa.core.tracker_store.SQLTrackerStore` that stores and streams only
    redacted events, and does its database work off the event loop."""

    def __init__(self, *args: Any, event_broker: EventBroker | None = None, **kwargs: Any):
        super().__init__(*args, event_broker=event_broker, **kwargs)
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as connection:  # kept in the file once set
                connection.exec_driver_sql("PRAGMA journal_mode = WAL")
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            self.engine.dispose()  # connections made before the listener get it too

    # --- what is stored ---------------------------------------------------------------

    def _new_events(self, session: Any, tracker: DialogueStateTracker) -> list[Event]:
        stored = self._event_query(
            session, tracker.sender_id, fetch_events_from_all_sessions=False
        ).count()
        events = list(tracker.events)
        previous = _last_user_text(events[:stored])
        return list(redact_events(itertools.islice(events, stored, None), previous))

    def _save(self, tracker: DialogueStateTracker) -> list[Event]:
        with self.session_scope() as session:
            if self.engine.dialect.name == "sqlite":
                session.execute(sa.text("BEGIN IMMEDIATE"))
            events = self._new_events(session, tracker)
            for event in events:
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=(data.get("parse_data") or {}).get("intent", {}).get("name"),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
        return events

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker's new events, redacted, then stream the same redacted events."""
        events = await asyncio.to_thread(self._save, tracker)
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, events, tracker.sender_id)
        logger.debug("Tracker %s stored", tracker.sender_id)

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Streaming happens in :meth:`save`, with the events as stored; Rasa's own version
        would stream the unredacted ones, so it must never run."""

    async def _stream_new_events(
        self, event_broker: EventBroker, new_events: list[Event], sender_id: str
    ) -> None:
        for event in redact_events(new_events):
            event_broker.publish({"sender_id": sender_id, **event.as_dict()})

    # --- reading, off the event loop --------------------------------------------------

    def _read(self, sender_id: str, all_sessions: bool) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            query = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=all_sessions
            )
            events = [json.loads(row.data) for row in query.all()]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        return await asyncio.to_thread(self._read, sender_id, fetch_events_from_all_sessions)

    def _keys(self) -> list[str]:
        with self.session_scope() as session:
            return [sender for (sender,) in session.query(self.SQLEvent.sender_id).distinct()]

    async def keys(self) -> Iterable[str]:
        return await asyncio.to_thread(self._keys)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """A busy timeout, and deleted text overwritten (WAL is set once, in the file)."""
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT * 1000}")
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()

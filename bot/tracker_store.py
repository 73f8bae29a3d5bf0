"""A SQL tracker store that redacts personal data before any event is written.

Configured in ``endpoints.yml``::

    tracker_store:
      type: bot.tracker_store.RedactingSQLTrackerStore
      dialect: "sqlite"
      db: "var/tracker.db"

The conversation in memory keeps what the user typed for the current turn (the actions
need it); what is stored, and so what any later turn or reviewer sees, is redacted.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event

from bot.privacy import redact

_TEXT_KEYS = ("text", "text_original")


def redact_event_dict(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of a serialised event with every text field redacted."""
    data = copy.deepcopy(data)
    for key in _TEXT_KEYS:
        if isinstance(data.get(key), str):
            data[key] = redact(data[key]).text
    parse_data = data.get("parse_data")
    if isinstance(parse_data, dict):
        for key in _TEXT_KEYS:
            if isinstance(parse_data.get(key), str):
                parse_data[key] = redact(parse_data[key]).text
    return data


def redact_event(event: Event) -> Event:
    data = event.as_dict()
    redacted = redact_event_dict(data)
    if redacted == data:
        return event
    return Event.from_parameters(redacted) or event


class RedactingSQLTrackerStore(SQLTrackerStore):
    """:class:`rasa.core.tracker_store.SQLTrackerStore` that stores redacted events."""

    def _additional_events(self, session: Any, tracker: Any) -> Iterator[Event]:
        for event in super()._additional_events(session, tracker):
            yield redact_event(event)

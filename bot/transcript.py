"""Conversations as people read them: Rasa's tracker events turned into a redacted transcript,
and Rasa's tracker database read from outside Rasa (the console, the dashboard).

    >>> transcript_from_events([
    ...     {"event": "user", "text": "电话13812345678", "timestamp": 1.0,
    ...      "parse_data": {"intent": {"name": "request_human", "confidence": 0.9}}},
    ...     {"event": "action", "name": "action_listen", "timestamp": 1.1},
    ...     {"event": "bot", "text": "好的", "timestamp": 1.2},
    ...     {"event": "bot", "text": "您好，我是小林", "timestamp": 9.0,
    ...      "metadata": {"agent": "lin"}},
    ... ])  # doctest: +NORMALIZE_WHITESPACE
    [{'role': 'user', 'text': '电话[手机号]', 'intent': 'request_human', 'confidence': 0.9,
      'time': 1.0}, {'role': 'bot', 'text': '好的', 'time': 1.2},
      {'role': 'agent', 'text': '您好，我是小林', 'time': 9.0, 'author': 'lin'}]
    >>> open_tracker_db("/nonexistent/tracker.db") is None
    True

The tracker database is written by :class:`bot.tracker_store.RedactingSQLTrackerStore`
(which redacts events as it stores them) and only ever read here: opened read-only, and
given no indexes of ours.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from bot.privacy import redact


def redact_transcript(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of ``turns`` with every text field redacted."""
    out = []
    previous = None  # the user's message before, for a number typed over two messages
    for turn in turns:
        turn = dict(turn)
        if isinstance(turn.get("text"), str):
            is_user = turn.get("role") == "user"
            turn["text"] = redact(turn["text"], previous=previous if is_user else None).text
            if is_user:
                previous = turn["text"]
        out.append(turn)
    return out


def transcript_from_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """User and bot turns and actions from Rasa tracker events, redacted."""
    turns: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        at = event.get("timestamp")
        if kind == "user":
            intent = (event.get("parse_data") or {}).get("intent") or {}
            turns.append(
                {
                    "role": "user",
                    "text": event.get("text") or "",
                    "intent": intent.get("name"),
                    "confidence": intent.get("confidence"),
                    "time": at,
                }
            )
        elif kind == "bot":
            # An agent's message (bot/live.py) is a bot event with its author in the metadata;
            # the desk's own line (「已结束人工服务…」) has the author "system".
            author = (event.get("metadata") or {}).get("agent")
            turn = {"role": "bot", "text": event.get("text") or "", "time": at}
            if isinstance(author, str) and author:
                turn.update(role="system" if author == "system" else "agent", author=author)
            turns.append(turn)
        elif kind == "action" and event.get("name") not in (None, "action_listen"):
            turns.append({"role": "action", "name": event.get("name"), "time": at})
    return redact_transcript(turns)


def open_tracker_db(path: str | Path) -> Database | None:
    """The tracker database opened read-only, or ``None`` when the file does not exist yet."""
    path = Path(path)
    if not path.is_file():
        return None
    uri = path.resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=5, check_same_thread=False)
    return Database(conn)


def conversation_events(tracker_db: Database | None, conversation_id: str) -> list[dict[str, Any]]:
    """A conversation's events from the tracker database (``[]`` when there is none).

    The events are redacted when written; the transcript built from them is redacted again,
    in case an older store was not.
    """
    return [data for _, data in events_after(tracker_db, conversation_id, 0)]


def events_after(
    tracker_db: Database | None, conversation_id: str, after: int
) -> list[tuple[int, dict[str, Any]]]:
    """A conversation's events stored after event id ``after``, with their ids, oldest first."""
    if tracker_db is None or not tracker_db["events"].exists():
        return []
    rows = tracker_db.execute(
        "SELECT id, data FROM events WHERE sender_id = ? AND id > ? ORDER BY id",
        [conversation_id, after],
    ).fetchall()
    events = []
    for event_id, data in rows:
        try:
            events.append((event_id, json.loads(data)))
        except (TypeError, json.JSONDecodeError):
            continue
    return events


def last_event(
    tracker_db: Database | None, conversation_id: str, kind: str | None = None
) -> tuple[int, dict[str, Any]]:
    """The id and data of a conversation's newest event (of type ``kind``, e.g. ``"user"``);
    ``(0, {})`` when there is none."""
    if tracker_db is None or not tracker_db["events"].exists():
        return 0, {}
    sql = "SELECT id, data FROM events WHERE sender_id = ?"
    params = [conversation_id]
    if kind:
        sql, params = sql + " AND type_name = ?", [*params, kind]
    row = tracker_db.execute(sql + " ORDER BY id DESC LIMIT 1", params).fetchone()
    if row is None:
        return 0, {}
    try:
        return row[0], json.loads(row[1])
    except (TypeError, json.JSONDecodeError):
        return row[0], {}

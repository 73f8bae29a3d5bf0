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

A button the user pressed arrives as its payload (``/affirm``, ``/show_entry{"entry_id":
"loan"}``); people read it by the title the user saw (:func:`readable_transcript`): the
button's title in the bot's turn before, else the entry's question, else the intent's label.

    >>> LOAN = '/show_entry{"entry_id": "loan"}'
    >>> turns = transcript_from_events([
    ...     {"event": "bot", "text": "要看看吗？", "timestamp": 1.0,
    ...      "data": {"buttons": [{"title": "保单贷款", "payload": LOAN}]}},
    ...     {"event": "user", "text": LOAN, "timestamp": 2.0},
    ...     {"event": "user", "text": '/show_entry{"entry_id": "cool"}', "timestamp": 3.0},
    ...     {"event": "user", "text": "/affirm", "timestamp": 4.0},
    ... ])
    >>> [(t["text"], t.get("clicked")) for t in readable_transcript(turns, {"cool": "犹豫期"})]
    [('要看看吗？', None), ('保单贷款', True), ('犹豫期', True), ('是的', True)]

The tracker database is written by :class:`bot.tracker_store.RedactingSQLTrackerStore`
(which redacts events as it stores them) and only ever read here: opened read-only, and
given no indexes of ours.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from bot.labels import label
from bot.privacy import redact

#: A button's payload: ``/intent`` and, optionally, its entities as a JSON object.
_PAYLOAD = re.compile(r"/([A-Za-z0-9_]+)\s*(\{.*)?", re.DOTALL)


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
            buttons = _buttons((event.get("data") or {}).get("buttons"))
            if buttons:
                turn["buttons"] = buttons
            if isinstance(author, str) and author:
                turn.update(role="system" if author == "system" else "agent", author=author)
            turns.append(turn)
        elif kind == "action" and event.get("name") not in (None, "action_listen"):
            turns.append({"role": "action", "name": event.get("name"), "time": at})
    return redact_transcript(turns)


def _buttons(raw: Any) -> list[dict[str, str]]:
    """The buttons of a bot event, title and payload."""
    if not isinstance(raw, list):
        return []
    return [
        {"title": str(b.get("title") or ""), "payload": str(b.get("payload") or "")}
        for b in raw
        if isinstance(b, dict) and b.get("payload")
    ]


def payload_parts(text: str) -> tuple[str, dict[str, Any]] | None:
    """(intent, entities) when ``text`` is a button payload, else ``None``.

    >>> payload_parts('/show_entry{"entry_id": "loan"}'), payload_parts("/affirm")
    (('show_entry', {'entry_id': 'loan'}), ('affirm', {}))
    >>> payload_parts("我想退保"), payload_parts("/x{not json")
    (None, ('x', {}))
    """
    match = _PAYLOAD.fullmatch(text.strip()) if isinstance(text, str) else None
    if not match:
        return None
    try:
        entities = json.loads(match.group(2)) if match.group(2) else {}
    except json.JSONDecodeError:
        entities = {}
    return match.group(1), entities if isinstance(entities, dict) else {}


def clicked_entry_ids(turns: list[dict[str, Any]]) -> list[str]:
    """The knowledge entries the user's button presses in ``turns`` asked for."""
    ids = []
    for turn in turns:
        parts = payload_parts(turn.get("text") or "") if turn.get("role") == "user" else None
        entry_id = parts[1].get("entry_id") if parts else None
        if isinstance(entry_id, str) and entry_id not in ids:
            ids.append(entry_id)
    return ids


def click_title(
    payload: str,
    shown: Mapping[str, str] | None = None,
    entry_titles: Mapping[str, str] | None = None,
) -> str | None:
    """What the button with ``payload`` said: its title among ``shown`` (payload -> title,
    the buttons offered before), the question of the entry it asks for, or the intent's
    label; a word for "a button" when none is known; ``None`` when it is not a payload.

    >>> click_title("/deny"), click_title("/nonsense"), click_title("好的")
    ('不是', '点了一个按钮', None)
    """
    parts = payload_parts(payload)
    if parts is None:
        return None
    if shown and payload.strip() in shown and shown[payload.strip()]:
        return shown[payload.strip()]
    intent, entities = parts
    entry_id = entities.get("entry_id")
    if isinstance(entry_id, str) and entry_titles and entry_titles.get(entry_id):
        return entry_titles[entry_id]
    named = label("intents", intent)
    return named if named != intent else label("transcript_words", "button")


def readable_transcript(
    turns: list[dict[str, Any]], entry_titles: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """``turns`` as people read them: a user's button press shows the button's title
    (:func:`click_title`) with ``clicked`` set, never its payload."""
    shown: dict[str, str] = {}
    out = []
    for turn in turns:
        if turn.get("role") in ("bot", "agent"):
            shown.update({b["payload"].strip(): b["title"] for b in turn.get("buttons") or []})
        elif turn.get("role") == "user":
            title = click_title(turn.get("text") or "", shown, entry_titles)
            if title is not None:
                turn = {**turn, "text": title, "clicked": True}
        out.append(turn)
    return out


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

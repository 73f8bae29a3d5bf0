"""The review inbox: users' real messages from Rasa's tracker store, lowest confidence first,
for staff to confirm, correct or set aside; every decision is kept (``nlu_reviews``).

    >>> from sqlite_utils import Database
    >>> store = ReviewStore(Database(memory=True))
    >>> msg = Message(7, "web:u1", "保单能借钱吗", "ask_policy_loan", 0.41, "web", 1.0)
    >>> store.decide(msg, "confirmed", by="lin", intents={"ask_policy_loan"}).intent
    'ask_policy_loan'
    >>> store.decide(msg, "corrected", by="wang", intent="greet", intents={"greet"}).by
    'wang'
    >>> [(d.decision, d.intent) for d in store.latest([7]).values()]
    [('corrected', 'greet')]
    >>> store.decide(msg, "corrected", by="lin", intent="nlu_fallback", intents={"greet"})
    Traceback (most recent call last):
    ...
    bot.nlu_review.ReviewRefused: intent

The tracker database is read-only here (:func:`bot.transcript.open_tracker_db`); its texts are
redacted when stored and redacted again when read. Button payloads (``/show_entry{…}``) are
not typing and never reach the inbox. A later decision on a message supersedes the earlier
ones, which stay in the table as its history.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.db import iso_date, open_database, utc_now
from bot.labels import labels
from bot.local_time import day_start, zone
from bot.privacy import redact

migrations = Migrations("policyguard.nlu_review")

CONFIRMED, CORRECTED, NOT_USEFUL = "confirmed", "corrected", "not_useful"
DECISIONS = (CONFIRMED, CORRECTED, NOT_USEFUL)
#: The inbox's states: not decided yet (the default), decided, or both.
PENDING, DONE, ALL = "pending", "done", "all"
STATES = (PENDING, DONE, ALL)
FALLBACK = "nlu_fallback"
#: Below this an ``out_of_scope`` counts as a fallback: the bot did not know what was meant.
LOW_CONFIDENCE = 0.5
PAGE_SIZE = 50
#: The project's domain.yml, for the examples below (the console reads settings.domain_path).
_DOMAIN = Path(__file__).resolve().parent.parent / "domain.yml"


@migrations()
def m001_create_nlu_reviews(db: Database) -> None:
    db["nlu_reviews"].create(
        {
            "id": int,
            "event_id": int,  # the user event's id in Rasa's tracker database
            "sender_id": str,
            "text": str,  # redacted
            "predicted_intent": str,
            "confidence": float,
            "channel": str,
            "message_time": float,  # when the user sent it (unix seconds)
            "decision": str,  # confirmed, corrected or not_useful
            "intent": str,  # the intent it teaches; empty when not useful
            "by": str,
            "at": str,
        },
        pk="id",
    )
    db["nlu_reviews"].create_index(["event_id", "id"])


class ReviewRefused(ValueError):
    """A decision the store will not record: ``decision`` (not one of :data:`DECISIONS`),
    ``intent`` (not one the bot can learn) or ``not_trainable`` (confirming a fallback)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Decision:
    id: int
    event_id: int
    decision: str
    intent: str
    by: str
    at: str


@dataclass(frozen=True)
class Message:
    """One user message from the tracker, redacted, with what the NLU made of it."""

    event_id: int
    sender_id: str
    text: str
    intent: str
    confidence: float | None
    channel: str
    time: float | None
    #: Under a fallback: the intent the classifier ranked first all the same.
    best_guess: str = ""
    decision: Decision | None = None

    @property
    def fallback(self) -> bool:
        """Whether the bot did not understand it (shown first).

        >>> Message(1, "s", "x", "out_of_scope", 0.3, "web", 0).fallback
        True
        """
        low = self.confidence is None or self.confidence < LOW_CONFIDENCE
        return self.intent == FALLBACK or (self.intent == "out_of_scope" and low)


@dataclass(frozen=True)
class InboxFilter:
    channel: str = ""
    date_from: str = ""  # YYYY-MM-DD, inclusive, a day in ``time_zone``
    date_to: str = ""
    intent: str = ""
    state: str = PENDING
    #: The zone the dates are days in (the console passes ``TIME_ZONE``).
    time_zone: str = field(default="UTC", repr=False)


def domain_intents(domain_path: str | Path) -> list[str]:
    """The intents of ``domain.yml``, in its order (``[]`` when the file is missing).

    >>> "request_surrender" in domain_intents(_DOMAIN), domain_intents("/nonexistent")
    (True, [])
    """
    path = Path(domain_path)
    if not path.is_file():
        return []
    domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names = [i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or []]
    return [str(name) for name in names]


def trainable_intents(domain_path: str | Path) -> dict[str, str]:
    """The intents a reviewer may choose, code -> Chinese label: the domain's intents with a
    label (button payloads such as ``show_entry`` have none); the labels' order.

    >>> trainable_intents(_DOMAIN)["ask_policy_loan"]
    '保单贷款'
    >>> "show_entry" in trainable_intents(_DOMAIN)
    False
    """
    known = set(domain_intents(domain_path))
    return {code: name for code, name in labels("intents").items() if code in known}


class ReviewStore:
    """Decisions on users' messages, one row each, in the app database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        migrations.apply(db)

    @classmethod
    def open(cls, path: str | Path) -> ReviewStore:
        return cls(open_database(path))

    def decide(
        self,
        message: Message,
        decision: str,
        by: str,
        intents: Collection[str],
        intent: str = "",
    ) -> Decision:
        """Record ``by``'s decision on ``message``: ``confirmed`` (its predicted intent is
        right), ``corrected`` to ``intent``, or ``not_useful``. ``intents`` are those the
        bot can learn (:func:`trainable_intents`)."""
        if decision not in DECISIONS:
            raise ReviewRefused("decision")
        if decision == CONFIRMED:
            intent = message.intent
            if intent not in intents:
                raise ReviewRefused("not_trainable")
        elif decision == CORRECTED:
            if intent not in intents:
                raise ReviewRefused("intent")
        else:
            intent = ""
        row = {
            "event_id": message.event_id,
            "sender_id": message.sender_id,
            "text": redact(message.text).text,
            "predicted_intent": message.intent,
            "confidence": message.confidence,
            "channel": message.channel,
            "message_time": message.time,
            "decision": decision,
            "intent": intent,
            "by": by,
            "at": utc_now(),
        }
        with self.db.atomic():
            row_id = self.db["nlu_reviews"].insert(row).last_pk
        return Decision(row_id, message.event_id, decision, intent, by, row["at"])

    def latest(self, event_ids: Iterable[int] | None = None) -> dict[int, Decision]:
        """The decision that counts for each message (of ``event_ids``, or all)."""
        sql = """
            SELECT r.id, r.event_id, r.decision, r.intent, r.by, r.at FROM nlu_reviews r
            JOIN (SELECT event_id, MAX(id) AS id FROM nlu_reviews GROUP BY event_id) last
              ON r.id = last.id
        """
        params: list[Any] = []
        if event_ids is not None:
            sql += " WHERE r.event_id IN (SELECT value FROM json_each(?))"
            params.append(json.dumps(list(event_ids)))
        rows = self.db.execute(sql, params).fetchall()
        return {row[1]: Decision(*row) for row in rows}

    def history(self, event_id: int) -> list[dict[str, Any]]:
        """Every decision on one message, oldest first (the audit)."""
        return list(self.db["nlu_reviews"].rows_where("event_id = ?", [event_id], order_by="id"))

    def decided_ids(self) -> list[int]:
        return [row[0] for row in self.db.execute("SELECT DISTINCT event_id FROM nlu_reviews")]

    def teaching_examples(self) -> list[tuple[str, str]]:
        """(redacted text, intent) of every message whose latest decision teaches an intent
        (confirmed or corrected), the most recent decision first."""
        sql = """
            SELECT r.text, r.intent FROM nlu_reviews r
            JOIN (SELECT event_id, MAX(id) AS id FROM nlu_reviews GROUP BY event_id) last
              ON r.id = last.id
            WHERE r.decision IN (?, ?) ORDER BY r.id DESC
        """
        return [(t, i) for t, i in self.db.execute(sql, [CONFIRMED, CORRECTED])]


# -- Reading the tracker --------------------------------------------------------------------

_TEXT = "json_extract(data, '$.text')"
_INTENT = "COALESCE(intent_name, json_extract(data, '$.parse_data.intent.name'), '')"
_CONFIDENCE = "json_extract(data, '$.parse_data.intent.confidence')"
_CHANNEL = "COALESCE(json_extract(data, '$.input_channel'), '')"
#: Typed messages: user events with a text that is not a button payload, and not taken
#: back: Rasa's two-stage fallback rewinds a rephrased message and replays it, so the same
#: message would otherwise be listed twice.
_TYPED = (
    f"type_name = 'user' AND TRIM(COALESCE({_TEXT}, '')) <> '' AND LTRIM({_TEXT}) NOT LIKE '/%'"
    " AND NOT EXISTS (SELECT 1 FROM events r WHERE r.sender_id = events.sender_id"
    " AND r.type_name = 'rewind' AND r.id > events.id AND r.id < COALESCE((SELECT MIN(u.id)"
    " FROM events u WHERE u.sender_id = events.sender_id AND u.type_name = 'user'"
    " AND u.id > events.id), 9e18))"
)
_FALLBACK_FIRST = (
    f"CASE WHEN {_INTENT} = :fallback OR ({_INTENT} = 'out_of_scope' AND "
    f"COALESCE({_CONFIDENCE}, 0) < :low) THEN 0 ELSE 1 END"
)


def _has_events(tracker_db: Database | None) -> bool:
    return tracker_db is not None and tracker_db["events"].exists()


def _epoch(day: str, time_zone: str, days_after: int = 0) -> float:
    """Unix seconds at 00:00, in ``time_zone``, ``days_after`` days after ``day``."""
    date = _dt.date.fromisoformat(day) + _dt.timedelta(days=days_after)
    return day_start(date, zone(time_zone))


def _where(filters: InboxFilter, decided: list[int]) -> tuple[str, dict[str, Any]]:
    clauses = [_TYPED]
    params: dict[str, Any] = {"fallback": FALLBACK, "low": LOW_CONFIDENCE}
    if filters.channel:
        clauses.append(f"{_CHANNEL} = :channel")
        params["channel"] = filters.channel
    if filters.intent:
        clauses.append(f"{_INTENT} = :intent")
        params["intent"] = filters.intent
    if iso_date(filters.date_from):
        clauses.append("timestamp >= :start")
        params["start"] = _epoch(filters.date_from, filters.time_zone)
    if iso_date(filters.date_to):
        clauses.append("timestamp < :end")
        params["end"] = _epoch(filters.date_to, filters.time_zone, days_after=1)
    if filters.state in (PENDING, DONE):
        negate = "NOT " if filters.state == PENDING else ""
        clauses.append(f"id {negate}IN (SELECT value FROM json_each(:decided))")
        params["decided"] = json.dumps(decided)
    return " AND ".join(clauses), params


def _message(row: tuple) -> Message:
    event_id, sender_id, raw, intent = row
    data = json.loads(raw)
    parse = data.get("parse_data") or {}
    confidence = (parse.get("intent") or {}).get("confidence")
    ranking = [r.get("name") for r in parse.get("intent_ranking") or [] if isinstance(r, dict)]
    guess = next((name for name in ranking if name and name != FALLBACK), "")
    return Message(
        event_id=event_id,
        sender_id=sender_id,
        text=redact(str(data.get("text") or "")).text,
        intent=intent or "",
        confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
        channel=str(data.get("input_channel") or ""),
        time=data.get("timestamp"),
        best_guess=guess if intent == FALLBACK else "",
    )


def inbox(
    tracker_db: Database | None,
    store: ReviewStore,
    filters: InboxFilter = InboxFilter(),
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> list[Message]:
    """One page of the inbox: fallbacks first, then the lowest confidence, then the newest;
    each message with its latest decision."""
    if not _has_events(tracker_db):
        return []
    where, params = _where(filters, store.decided_ids())
    sql = f"""
        SELECT id, sender_id, data, {_INTENT} FROM events NOT INDEXED WHERE {where}
        ORDER BY {_FALLBACK_FIRST}, COALESCE({_CONFIDENCE}, 0), timestamp DESC, id DESC
        LIMIT :limit OFFSET :offset
    """
    rows = tracker_db.execute(sql, {**params, "limit": limit, "offset": offset}).fetchall()
    messages = [_message(row) for row in rows]
    latest = store.latest([m.event_id for m in messages])
    return [_with_decision(m, latest.get(m.event_id)) for m in messages]


def _with_decision(message: Message, decision: Decision | None) -> Message:
    return replace(message, decision=decision)


def inbox_count(
    tracker_db: Database | None, store: ReviewStore, filters: InboxFilter = InboxFilter()
) -> int:
    """How many messages match ``filters`` (the default: all those awaiting review)."""
    if not _has_events(tracker_db):
        return 0
    where, params = _where(filters, store.decided_ids())
    return tracker_db.execute(f"SELECT COUNT(*) FROM events WHERE {where}", params).fetchone()[0]


def message(tracker_db: Database | None, event_id: int) -> Message | None:
    """One typed user message by its event id, or ``None`` (no such message, a payload)."""
    if not _has_events(tracker_db):
        return None
    sql = f"SELECT id, sender_id, data, {_INTENT} FROM events WHERE id = ? AND {_TYPED}"
    row = tracker_db.execute(sql, [event_id]).fetchone()
    return _message(row) if row else None


def choices(tracker_db: Database | None) -> tuple[list[str], list[str]]:
    """The channels and the predicted intents found among typed messages, for the filters."""
    if not _has_events(tracker_db):
        return [], []
    found = tracker_db.execute(
        f"SELECT DISTINCT {_CHANNEL}, {_INTENT} FROM events NOT INDEXED WHERE {_TYPED}"
    ).fetchall()
    return sorted({c for c, _ in found if c}), sorted({i for _, i in found if i})

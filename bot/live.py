"""Agents answer in the handed-off conversation itself.

An agent's message passes the 质检 rules (:mod:`bot.inspection`) or is confirmed, is
redacted, stored with who wrote it, and written into the conversation in Rasa: a bot event
in the tracker with the author in its metadata. The first reply takes the conversation:
Rasa pauses it, so the bot stays silent while a person holds it. Releasing or closing
resumes it and tells the user so in one line. Channels deliver what is stored; the web chat
page polls :meth:`LiveDesk.messages_for`.

    >>> from sqlite_utils import Database
    >>> from bot.handoff import IS_OPEN, QUEUE_ORDER, HandoffStore
    >>> db = Database(memory=True)
    >>> h, _ = HandoffStore(db).request("web:u1", "rest", "user_request", "low", [], [])
    >>> rasa = RecordingConversations()
    >>> desk = LiveDesk(db, rasa)
    >>> desk.reply(h.id, "您好，我是工作人员小林，您说的情况我看到了。", by="lin").author
    'lin'
    >>> desk.holder("web:u1"), rasa.events
    ('lin', [('web:u1', 'pause'), ('web:u1', 'bot')])
    >>> desk.reply(h.id, "请把验证码发给我", by="lin")
    Traceback (most recent call last):
    ...
    bot.live.InspectionFailed: asks_personal_data
    >>> desk.close(h.id, by="lin")
    >>> [m.kind for m in desk.messages_for("web:u1")], desk.holder("web:u1")
    (['agent', 'system'], None)
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import httpx
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.db import open_database, utc_now
from bot.handoff import IS_OPEN, QUEUE_ORDER, HandoffStore
from bot.inspection import Finding, inspect
from bot.labels import label
from bot.privacy import redact

logger = logging.getLogger(__name__)
migrations = Migrations("policyguard.live")
#: Longest agent message, in characters (one chat bubble, one WeChat message).
MAX_CHARS = 1000


@migrations()
def m001_create_live(db: Database) -> None:
    db["agent_messages"].create(
        {
            "id": int,
            "handoff_id": int,
            "conversation_id": str,
            "author": str,
            "kind": str,  # agent (typed by a person) or system (the desk's own line)
            "text": str,  # redacted
            "overrides": str,  # JSON: the 质检 rules the agent confirmed past
            "created_at": str,
        },
        pk="id",
    )
    db["agent_messages"].create_index(["conversation_id", "id"])
    db["conversation_holds"].create(
        {"conversation_id": str, "handoff_id": int, "agent": str, "since": str},
        pk="conversation_id",
    )


class LiveError(ValueError):
    """A reply or a change the desk refuses; nothing was sent or changed. ``code`` names
    why (the console says it in the words of the ``live_errors`` labels)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code


class InspectionFailed(LiveError):
    """The message breaks 质检 rules; the agent must edit it or confirm."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("inspection", ", ".join(f.rule for f in findings))
        self.findings = findings


class Conversations(Protocol):
    """Where the conversation lives (Rasa): pause, resume, and say something in it."""

    def pause(self, conversation_id: str) -> None: ...
    def resume(self, conversation_id: str) -> None: ...
    def say(self, conversation_id: str, text: str, author: str) -> None: ...
    def end_handoff(self, conversation_id: str) -> None: ...


class RasaConversations:
    """Rasa's HTTP API on the loopback interface, with its token."""

    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
        self.base_url, self.token, self.timeout = base_url.rstrip("/"), token, timeout

    def _post(self, conversation_id: str, event: dict[str, Any]) -> None:
        url = f"{self.base_url}/conversations/{quote(conversation_id, safe=':@')}/tracker/events"
        try:
            response = httpx.post(
                url, params={"token": self.token}, json=event, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise LiveError(
                "unreachable", f"the bot cannot be reached ({type(exc).__name__})"
            ) from None
        if response.status_code != 200:
            raise LiveError("refused", f"the bot refused the event (HTTP {response.status_code})")

    def pause(self, conversation_id: str) -> None:
        self._post(conversation_id, {"event": "pause"})

    def resume(self, conversation_id: str) -> None:
        self._post(conversation_id, {"event": "resume"})

    def say(self, conversation_id: str, text: str, author: str) -> None:
        self._post(conversation_id, {"event": "bot", "text": text, "metadata": {"agent": author}})

    def end_handoff(self, conversation_id: str) -> None:
        # The bot no longer answers 「有人吗」 with the waiting status (actions/handoff.py).
        self._post(conversation_id, {"event": "slot", "name": "handoff_open", "value": False})


class Delivery(Protocol):
    """A channel that must be sent an agent's message (WeChat's 客服 messages); the web chat
    page needs none, it asks. Raises :class:`LiveError` when the channel refuses it."""

    def deliver(self, conversation_id: str, text: str) -> None: ...


class RecordingConversations:
    """A stand-in that records what it was asked to do (tests, the doctest above)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def pause(self, conversation_id: str) -> None:
        self.events.append((conversation_id, "pause"))

    def resume(self, conversation_id: str) -> None:
        self.events.append((conversation_id, "resume"))

    def say(self, conversation_id: str, text: str, author: str) -> None:
        self.events.append((conversation_id, "bot"))

    def end_handoff(self, conversation_id: str) -> None:
        self.events.append((conversation_id, "end_handoff"))


@dataclass(frozen=True)
class AgentMessage:
    id: int
    handoff_id: int
    conversation_id: str
    author: str
    kind: str
    text: str
    overrides: tuple[str, ...]
    created_at: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AgentMessage:
        return cls(**{**row, "overrides": tuple(json.loads(row["overrides"] or "[]"))})


def holder(db: Database, conversation_id: str) -> str | None:
    """The agent holding a conversation, if one is."""
    if not db["conversation_holds"].exists():
        return None
    row = db.execute(
        "SELECT agent FROM conversation_holds WHERE conversation_id = ?", [conversation_id]
    ).fetchone()
    return row[0] if row else None


def messages_for(db: Database, conversation_id: str, after: int = 0, limit: int = 50):
    """What agents (and the desk) said in a conversation after message ``after``, oldest
    first; nothing when no agent ever wrote (the table is made on the first write)."""
    if not db["agent_messages"].exists():
        return []
    rows = db.execute(
        "SELECT * FROM agent_messages WHERE conversation_id = ? AND id > ? ORDER BY id LIMIT ?",
        [conversation_id, after, limit],
    )
    columns = [c[0] for c in rows.description]
    return [AgentMessage.from_row(dict(zip(columns, r, strict=True))) for r in rows]


def waiting_sql(db: Database) -> str:
    """The SQL condition of an open handoff that no agent holds yet (the queue's waiting)."""
    if not db["conversation_holds"].exists():
        return IS_OPEN
    return (
        f"{IS_OPEN} AND NOT EXISTS (SELECT 1 FROM conversation_holds ch"
        " WHERE ch.conversation_id = handoffs.conversation_id)"
    )


def queue_position(db: Database, conversation_id: str) -> int | None:
    """Where the conversation's open handoff stands among those no agent holds yet (1 is
    next, in the queue's order), or ``None`` when it has none or an agent holds it."""
    if not db["handoffs"].exists():
        return None
    sql = f"SELECT conversation_id FROM handoffs WHERE {waiting_sql(db)} ORDER BY {QUEUE_ORDER}"
    queue = [row[0] for row in db.execute(sql)]
    return queue.index(conversation_id) + 1 if conversation_id in queue else None


class LiveDesk:
    def __init__(
        self, db: Database, conversations: Conversations, delivery: Delivery | None = None
    ) -> None:
        self.db, self.conversations, self.delivery = db, conversations, delivery
        self.handoffs = HandoffStore(db)
        migrations.apply(db)

    @classmethod
    def open(
        cls, path: str | Path, conversations: Conversations, delivery: Delivery | None = None
    ) -> LiveDesk:
        return cls(open_database(path), conversations, delivery)

    def holder(self, conversation_id: str) -> str | None:
        """The agent holding the conversation, if one is."""
        return holder(self.db, conversation_id)

    def reply(
        self, handoff_id: int, text: str, *, by: str, confirmed: bool = False
    ) -> AgentMessage:
        """Send an agent's message into the conversation (taking it if no one holds it).
        Raises :class:`InspectionFailed` unless it passes 质检 or is ``confirmed``."""
        text = (text or "").strip()
        if not text:
            raise LiveError("empty", "a reply needs text")
        if len(text) > MAX_CHARS:
            raise LiveError("too_long", f"a reply has at most {MAX_CHARS} characters")
        findings = inspect(text)
        if findings and not confirmed:
            raise InspectionFailed(findings)
        handoff = self._open_handoff(handoff_id)
        holder = self.holder(handoff.conversation_id)
        if holder not in (None, by):
            raise LiveError("held", f"{holder} is answering this conversation")
        if holder is None:
            self.take(handoff_id, by=by)
        safe = redact(text).text
        if self.delivery is not None:  # WeChat first: if it refuses, nothing is stored
            self.delivery.deliver(handoff.conversation_id, safe)
        self.conversations.say(handoff.conversation_id, safe, by)
        return self._store(handoff, by, "agent", safe, [f.rule for f in findings])

    def take(self, handoff_id: int, *, by: str) -> None:
        """Hold the conversation: the bot steps aside (Rasa pauses it)."""
        handoff = self._open_handoff(handoff_id)
        if self.holder(handoff.conversation_id) not in (None, by):
            raise LiveError("held", "another agent is answering this conversation")
        self.conversations.pause(handoff.conversation_id)
        self.db["conversation_holds"].upsert(
            {
                "conversation_id": handoff.conversation_id,
                "handoff_id": handoff.id,
                "agent": by,
                "since": utc_now(),
            },
            pk="conversation_id",
        )
        if handoff.status == "new":
            self.handoffs.set_status(handoff.id, "in_review", by=by)

    def release(self, handoff_id: int, *, by: str) -> None:
        """Hand the conversation back to the bot; the handoff stays open for others."""
        self._hand_back(handoff_id, by, "released")

    def close(self, handoff_id: int, *, by: str) -> None:
        """Hand the conversation back to the bot and resolve the handoff."""
        self._hand_back(handoff_id, by, "closed")
        self.conversations.end_handoff(self.handoffs.get(handoff_id).conversation_id)
        self.handoffs.set_status(handoff_id, "resolved", by=by)

    def messages_for(self, conversation_id: str, after: int = 0) -> list[AgentMessage]:
        """What agents (and the desk) said in the conversation after message ``after``."""
        return messages_for(self.db, conversation_id, after)

    def _hand_back(self, handoff_id: int, by: str, how: str) -> None:
        handoff = self.handoffs.get(handoff_id)
        if self.holder(handoff.conversation_id) is not None:
            self.conversations.resume(handoff.conversation_id)
            self.db["conversation_holds"].delete(handoff.conversation_id)
        line = label("live", how)
        if self.delivery is not None:
            try:
                self.delivery.deliver(handoff.conversation_id, line)
            except LiveError as exc:  # the hand-back stands; the user hears it when back
                logger.warning("live: the hand-back line was not delivered (%s)", exc.code)
        self.conversations.say(handoff.conversation_id, line, "system")
        self._store(handoff, by, "system", line, [])

    def _open_handoff(self, handoff_id: int):
        handoff = self.handoffs.get(handoff_id)  # LookupError when there is none
        if handoff.status == "resolved":
            raise LiveError("closed", "this handoff is closed")
        return handoff

    def _store(self, handoff, by: str, kind: str, text: str, overrides: list[str]) -> AgentMessage:
        row = {
            "handoff_id": handoff.id,
            "conversation_id": handoff.conversation_id,
            "author": by,
            "kind": kind,
            "text": text,
            "overrides": json.dumps(overrides),
            "created_at": utc_now(),
        }
        pk = self.db["agent_messages"].insert(row).last_pk
        return AgentMessage.from_row({"id": pk, **row})

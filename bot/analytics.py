"""Usage records for the supervisor dashboard: which knowledge entries the bot served.

    >>> from sqlite_utils import Database
    >>> db = Database(memory=True)
    >>> record_served(db, "loan", "ask_policy_loan", "web:42", now="2025-03-01T08:00:00+00:00")
    >>> row = db.execute("SELECT entry_id, intent, conversation_id, served_at, channel "
    ...                  "FROM served_answers").fetchone()
    >>> row[:2], row[2] == conversation_hash("web:42"), row[3:]
    (('loan', 'ask_policy_loan'), True, ('2025-03-01T08:00:00+00:00', 'web'))

Only the entry, the intent, the channel (:func:`bot.channels.channel_for`) and a short hash
of the conversation id are kept: never what the user wrote, and never the raw sender id.
Answers recorded before the channel was (``channel`` NULL) count only when the dashboard
shows every channel.
"""

from __future__ import annotations

import hashlib

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.channels import channel_for
from bot.db import utc_now

migrations = Migrations("policyguard.analytics")

#: Hex digits of SHA-256 kept for a conversation id (64 bits: enough to count distinct ones).
HASH_LENGTH = 16


@migrations()
def m001_create_served_answers(db: Database) -> None:
    db["served_answers"].create(
        {
            "id": int,
            "entry_id": str,
            "intent": str,
            "conversation_id": str,
            "served_at": str,
        },
        pk="id",
    )
    db["served_answers"].create_index(["served_at"])
    db["served_answers"].create_index(["entry_id"])


@migrations()
def m002_add_channel(db: Database) -> None:
    db["served_answers"].add_column("channel", str)


def conversation_hash(sender_id: str) -> str:
    """A short, stable SHA-256 hash of a conversation id.

    >>> conversation_hash("user-42") == conversation_hash("user-42") != conversation_hash("x")
    True
    >>> len(conversation_hash("user-42"))
    16
    """
    return hashlib.sha256(sender_id.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def ensure_schema(db: Database) -> None:
    """Create or upgrade the analytics tables (safe to call repeatedly)."""
    if migrations.pending(db):
        migrations.apply(db)


def record_served(
    db: Database,
    entry_id: str,
    intent: str,
    conversation_id: str,
    *,
    now: str | None = None,
) -> None:
    """Record that entry ``entry_id`` answered ``intent`` in conversation ``conversation_id``
    (the raw sender id: it is hashed here). ``served_at`` is ISO 8601 UTC.

    Raises the database's errors; callers that must not fail catch them.
    """
    ensure_schema(db)
    db["served_answers"].insert(
        {
            "entry_id": entry_id,
            "intent": intent,
            "conversation_id": conversation_hash(conversation_id),
            "served_at": now or utc_now(),
            "channel": channel_for(conversation_id),
        }
    )

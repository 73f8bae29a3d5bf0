"""Handoffs to a human: a record per conversation with its redacted transcript.

    >>> from sqlite_utils import Database
    >>> store = HandoffStore(Database(memory=True))
    >>> h, created = store.request("c1", "rest", "user_request", "low", ["elderly"],
    ...                            [{"role": "user", "text": "电话13812345678"}])
    >>> created, h.status, h.transcript[0]["text"]
    (True, 'new', '电话[手机号]')
    >>> store.request("c1", "rest", "proxy_surrender", "high", ["paid_fee"], [])[0].risk_level
    'high'

A second request in the same conversation updates the open record instead of adding one.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.knowledge.store import open_database
from bot.privacy import redact

migrations = Migrations("policyguard.handoffs")

RISK_LEVELS = ("low", "medium", "high")
STATUSES = ("new", "in_review", "resolved")
OPEN_STATUSES = ("new", "in_review")


@migrations()
def m001_create_handoffs(db: Database) -> None:
    db["handoffs"].create(
        {
            "id": int,
            "conversation_id": str,
            "channel": str,
            "reason": str,
            "risk_level": str,
            "flags": str,
            "status": str,
            "created_at": str,
            "updated_at": str,
            "transcript": str,
        },
        pk="id",
    )
    db["handoffs"].create_index(["conversation_id"])
    db["handoffs"].create_index(["status"])


@dataclass(frozen=True)
class Handoff:
    id: int
    conversation_id: str
    channel: str
    reason: str
    risk_level: str
    flags: tuple[str, ...]
    status: str
    created_at: str
    updated_at: str
    transcript: list[dict[str, Any]]


def redact_transcript(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of ``turns`` with every text field redacted."""
    out = []
    for turn in turns:
        turn = dict(turn)
        if isinstance(turn.get("text"), str):
            turn["text"] = redact(turn["text"]).text
        out.append(turn)
    return out


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class HandoffStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        migrations.apply(db)

    @classmethod
    def open(cls, path: str | Path) -> HandoffStore:
        return cls(open_database(path))

    def request(
        self,
        conversation_id: str,
        channel: str,
        reason: str,
        risk_level: str,
        flags: list[str] | tuple[str, ...],
        transcript: list[dict[str, Any]],
    ) -> tuple[Handoff, bool]:
        """Open a handoff, or update the conversation's open one. Returns (handoff, created)."""
        if risk_level not in RISK_LEVELS:
            raise ValueError(f"risk_level must be one of {RISK_LEVELS}")
        turns = redact_transcript(transcript)
        now = _now()
        with self.db.atomic():
            row = self.db.execute(
                "SELECT id, risk_level, flags, reason FROM handoffs WHERE conversation_id = ? "
                "AND status IN ('new', 'in_review') ORDER BY id DESC LIMIT 1",
                [conversation_id],
            ).fetchone()
            if row is None:
                handoff_id = (
                    self.db["handoffs"]
                    .insert(
                        {
                            "conversation_id": conversation_id,
                            "channel": channel,
                            "reason": reason,
                            "risk_level": risk_level,
                            "flags": json.dumps(sorted(set(flags))),
                            "status": "new",
                            "created_at": now,
                            "updated_at": now,
                            "transcript": json.dumps(turns, ensure_ascii=False),
                        }
                    )
                    .last_pk
                )
                return self.get(handoff_id), True
            handoff_id, old_risk, old_flags, old_reason = row
            risk = max(old_risk, risk_level, key=RISK_LEVELS.index)
            merged = sorted(set(json.loads(old_flags)) | set(flags))
            # The most serious reason wins; the first one is kept on equal risk.
            new_reason = (
                reason
                if RISK_LEVELS.index(risk_level) > RISK_LEVELS.index(old_risk)
                else old_reason
            )
            self.db["handoffs"].update(
                handoff_id,
                {
                    "risk_level": risk,
                    "flags": json.dumps(merged),
                    "reason": new_reason,
                    "updated_at": now,
                    "transcript": json.dumps(turns, ensure_ascii=False),
                },
            )
            return self.get(handoff_id), False

    def get(self, handoff_id: int) -> Handoff:
        row = self.db.execute("SELECT * FROM handoffs WHERE id = ?", [handoff_id]).fetchone()
        if row is None:
            raise LookupError(f"no handoff {handoff_id}")
        return self._to_handoff(row)

    def list(self, status: str | None = None) -> list[Handoff]:
        """Handoffs, highest risk first, then oldest first."""
        sql = "SELECT * FROM handoffs" + (" WHERE status = ?" if status else "")
        sql += (
            " ORDER BY CASE risk_level WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,"
            " created_at, id"
        )
        return [self._to_handoff(r) for r in self.db.execute(sql, [status] if status else [])]

    @staticmethod
    def _to_handoff(row: tuple) -> Handoff:
        (hid, conv, channel, reason, risk, flags, status, created, updated, transcript) = row
        return Handoff(
            id=hid,
            conversation_id=conv,
            channel=channel,
            reason=reason,
            risk_level=risk,
            flags=tuple(json.loads(flags)),
            status=status,
            created_at=created,
            updated_at=updated,
            transcript=json.loads(transcript),
        )


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
            turns.append({"role": "bot", "text": event.get("text") or "", "time": at})
        elif kind == "action" and event.get("name") not in (None, "action_listen"):
            turns.append({"role": "action", "name": event.get("name"), "time": at})
    return redact_transcript(turns)

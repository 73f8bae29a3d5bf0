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
Reviewers move a handoff through ``new → in_review → resolved`` and add notes, tags and
an outcome; every change is logged with who and when:

    >>> store.set_status(h.id, "in_review", by="wang").status_label
    '处理中'
    >>> [(e["by"], e["action"]) for e in store.log(h.id)]
    [('wang', 'status')]

A change the review rules refuse raises :class:`ReviewError`, whose ``code`` says which rule:

    >>> store.add_note(h.id, "  ", by="wang")
    Traceback (most recent call last):
    ...
    bot.handoff.ReviewError: a note needs text
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.db import open_database, utc_now
from bot.labels import label, labels
from bot.local_time import day_start_iso, zone
from bot.privacy import redact
from bot.transcript import redact_transcript

migrations = Migrations("policyguard.handoffs")

#: Lowest to highest; a conversation's handoff keeps the highest risk it was given.
RISK_LEVELS = ("low", "medium", "high")
#: The queue's order (SQL): open ones first, highest risk first, then the longest waiting.
QUEUE_ORDER = (
    "CASE status WHEN 'resolved' THEN 1 ELSE 0 END,"
    " CASE risk_level WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, created_at, id"
)
#: The review workflow, in order.
STATUSES = ("new", "in_review", "resolved")
OPEN_STATUSES = ("new", "in_review")
#: A handoff still waiting or being handled, as SQL.
IS_OPEN = "status IN ({})".format(", ".join(f"'{s}'" for s in OPEN_STATUSES))
#: A :class:`HandoffFilter` status that matches every open (not resolved) handoff.
OPEN = "open"
#: How a reviewed conversation ended: the codes of the ``handoff_outcomes`` labels.
REVIEW_OUTCOMES = tuple(labels("handoff_outcomes"))
MAX_NOTE = 2000
MAX_TAGS = 10
MAX_TAG = 20


class ReviewError(ValueError):
    """A review change the store refuses; nothing was changed.

    ``code`` names the rule: ``"choice"`` (not a status or outcome), ``"note"`` (empty or
    longer than :data:`MAX_NOTE`), ``"tags"`` (more than :data:`MAX_TAGS`, or one longer than
    :data:`MAX_TAG`) or ``"open_elsewhere"`` (the conversation has another open handoff).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


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


@migrations()
def m002_review(db: Database) -> None:
    db["handoffs"].add_column("tags", str, not_null_default="[]")
    db["handoffs"].add_column("outcome", str, not_null_default="")
    db["handoff_notes"].create(
        {"id": int, "handoff_id": int, "by": str, "at": str, "text": str},
        pk="id",
        foreign_keys=[("handoff_id", "handoffs", "id")],
    )
    db["handoff_notes"].create_index(["handoff_id"])
    db["handoff_log"].create(
        {"id": int, "handoff_id": int, "by": str, "at": str, "action": str, "detail": str},
        pk="id",
        foreign_keys=[("handoff_id", "handoffs", "id")],
    )
    db["handoff_log"].create_index(["handoff_id"])
    db["handoffs"].create_index(["created_at"])


@migrations()
def m003_request_ids(db: Database) -> None:
    # The id of each request that carried one (the actions give each one an id), so a
    # request replayed from the outbox (bot/outbox.py) is stored once.
    db["handoff_requests"].create(
        {"request_id": str, "handoff_id": int, "received_at": str},
        pk="request_id",
        not_null={"request_id", "received_at"},
        foreign_keys=[("handoff_id", "handoffs", "id")],
    )
    db["handoff_requests"].create_index(["request_id"], unique=True)


@dataclass(frozen=True)
class HandoffFilter:
    """What the review queue shows; empty fields do not filter."""

    status: str = ""  # one of STATUSES, or OPEN for new and in_review
    reason: str = ""
    flag: str = ""
    channel: str = ""
    risk_level: str = ""
    date_from: str = ""  # YYYY-MM-DD, inclusive, a day in ``time_zone``
    date_to: str = ""  # YYYY-MM-DD, inclusive
    text: str = ""  # in the (redacted) transcript, notes and tags
    #: The zone the dates are days in (the console passes ``TIME_ZONE``).
    time_zone: str = field(default="UTC", repr=False)


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
    tags: tuple[str, ...] = ()
    outcome: str = ""

    @property
    def outcome_label(self) -> str:
        return label("handoff_outcomes", self.outcome)

    @property
    def status_label(self) -> str:
        return label("handoff_status", self.status)


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
        request_id: str | None = None,
    ) -> tuple[Handoff, bool]:
        """Open a handoff, or update the conversation's open one. Returns (handoff, created).

        A request with a ``request_id`` is applied once: the same id again changes nothing
        and returns the handoff it went to (``created`` False)."""
        if risk_level not in RISK_LEVELS:
            raise ValueError(f"risk_level must be one of {RISK_LEVELS}")
        turns = redact_transcript(transcript)
        now = utc_now()
        with self.db.atomic():
            # The id is claimed first, so the write lock is taken before anything is read.
            if request_id is not None and (seen := self._claim(request_id, now)) is not None:
                return self.get(seen), False
            row = self.db.execute(
                "SELECT id, risk_level, flags, reason FROM handoffs WHERE conversation_id = ? "
                f"AND {IS_OPEN} ORDER BY id DESC LIMIT 1",
                [conversation_id],
            ).fetchone()
            created = row is None
            if created:
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
            else:
                handoff_id, old_risk, old_flags, old_reason = row
                risk = max(old_risk, risk_level, key=RISK_LEVELS.index)
                merged = sorted(set(json.loads(old_flags)) | set(flags))
                # The most serious reason wins; the first one is kept on equal risk.
                higher = RISK_LEVELS.index(risk_level) > RISK_LEVELS.index(old_risk)
                self.db["handoffs"].update(
                    handoff_id,
                    {
                        "risk_level": risk,
                        "flags": json.dumps(merged),
                        "reason": reason if higher else old_reason,
                        "updated_at": now,
                        "transcript": json.dumps(turns, ensure_ascii=False),
                    },
                )
            if request_id is not None:
                self.db.execute(
                    "UPDATE handoff_requests SET handoff_id = ? WHERE request_id = ?",
                    [handoff_id, request_id],
                )
            return self.get(handoff_id), created

    def _claim(self, request_id: str, now: str) -> int | None:
        """Record ``request_id``; if it was already there, the handoff it went to."""
        sql = "INSERT OR IGNORE INTO handoff_requests (request_id, received_at) VALUES (?, ?)"
        if self.db.execute(sql, [request_id, now]).rowcount == 1:
            return None
        sql = "SELECT handoff_id FROM handoff_requests WHERE request_id = ?"
        return self.db.execute(sql, [request_id]).fetchone()[0]

    def get(self, handoff_id: int) -> Handoff:
        rows = list(self.db.query("SELECT * FROM handoffs WHERE id = ?", [handoff_id]))
        if not rows:
            raise LookupError(f"no handoff {handoff_id}")
        return self._to_handoff(rows[0])

    def list(self, status: str | None = None) -> list[Handoff]:
        """Handoffs in queue order (open first, highest risk, then oldest first)."""
        return self.search(HandoffFilter(status=status or ""))

    def search(self, query: HandoffFilter, limit: int = 1000, offset: int = 0) -> list[Handoff]:
        """Handoffs matching ``query`` in queue order: open ones first, each part highest
        risk first, then the longest waiting (oldest) first. ``limit`` and ``offset`` page
        through them in SQL.

        Every value is a bound parameter; ``%`` and ``_`` in ``query.text`` match literally.
        """
        where, params = self._where(query)
        sql = f"SELECT * FROM handoffs{where} ORDER BY {QUEUE_ORDER} LIMIT ? OFFSET ?"
        rows = self.db.query(sql, [*params, max(limit, 0), max(offset, 0)])
        return [self._to_handoff(r) for r in rows]

    def count(self, query: HandoffFilter) -> int:
        """How many handoffs match ``query``."""
        where, params = self._where(query)
        return self.db.execute(f"SELECT COUNT(*) FROM handoffs{where}", params).fetchone()[0]

    @staticmethod
    def _where(query: HandoffFilter) -> tuple[str, list[Any]]:
        """The ``WHERE`` clause (with its leading space, or empty) and its parameters."""
        where: list[str] = []
        params: list[Any] = []
        if query.status == OPEN:
            where.append(IS_OPEN)
        elif query.status:
            where.append("status = ?")
            params.append(query.status)
        for column in ("reason", "channel", "risk_level"):
            value = getattr(query, column)
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if query.flag:
            where.append("EXISTS (SELECT 1 FROM json_each(handoffs.flags) WHERE value = ?)")
            params.append(query.flag)
        tz = zone(query.time_zone)
        if query.date_from:
            where.append("created_at >= ?")
            params.append(day_start_iso(_dt.date.fromisoformat(query.date_from), tz))
        if query.date_to:
            where.append("created_at < ?")
            after = _dt.date.fromisoformat(query.date_to) + _dt.timedelta(days=1)
            params.append(day_start_iso(after, tz))
        if query.text:
            escaped = query.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            like = f"%{escaped}%"
            where.append(
                "(transcript LIKE ? ESCAPE '\\' OR tags LIKE ? ESCAPE '\\' OR EXISTS ("
                "SELECT 1 FROM handoff_notes n WHERE n.handoff_id = handoffs.id "
                "AND n.text LIKE ? ESCAPE '\\'))"
            )
            params += [like, like, like]
        return (" WHERE " + " AND ".join(where) if where else ""), params

    def reasons(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT reason FROM handoffs ORDER BY 1")]

    def channels(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT channel FROM handoffs ORDER BY 1")]

    # --- review --------------------------------------------------------------------------

    def set_status(self, handoff_id: int, status: str, *, by: str) -> Handoff:
        if status not in STATUSES:
            raise ReviewError("choice", f"status must be one of {STATUSES}")
        if status in OPEN_STATUSES:
            handoff = self.get(handoff_id)
            other = self.db.execute(
                f"SELECT 1 FROM handoffs WHERE conversation_id = ? AND id != ? AND {IS_OPEN}",
                [handoff.conversation_id, handoff_id],
            ).fetchone()
            if other:
                raise ReviewError("open_elsewhere", "the conversation has another open handoff")
        return self._change(handoff_id, by, "status", status)

    def set_outcome(self, handoff_id: int, outcome: str, *, by: str) -> Handoff:
        if outcome and outcome not in REVIEW_OUTCOMES:
            raise ReviewError("choice", f"outcome must be one of {REVIEW_OUTCOMES}")
        return self._change(handoff_id, by, "outcome", outcome)

    def set_tags(self, handoff_id: int, tags: list[str] | tuple[str, ...], *, by: str) -> Handoff:
        """Replace the tags. Tags are short labels, redacted like any other text."""
        clean: list[str] = []
        for tag in tags:
            tag = redact(tag.strip()).text
            if tag and tag not in clean:
                clean.append(tag)
        if len(clean) > MAX_TAGS or any(len(t) > MAX_TAG for t in clean):
            raise ReviewError("tags", f"at most {MAX_TAGS} tags of {MAX_TAG} characters")
        stored = json.dumps(clean, ensure_ascii=False)
        return self._change(handoff_id, by, "tags", tuple(clean), stored=stored)

    def add_note(self, handoff_id: int, text: str, *, by: str) -> dict[str, Any]:
        """Add a redacted note; returns it."""
        text = (text or "").strip()
        if not text:
            raise ReviewError("note", "a note needs text")
        if len(text) > MAX_NOTE:
            raise ReviewError("note", f"a note has at most {MAX_NOTE} characters")
        note = {"handoff_id": handoff_id, "by": by, "at": utc_now(), "text": redact(text).text}
        with self.db.atomic():
            self.get(handoff_id)
            note["id"] = self.db["handoff_notes"].insert(note).last_pk
            self._log(handoff_id, by, "note", {"note_id": note["id"]})
        return note

    def notes(self, handoff_id: int) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT * FROM handoff_notes WHERE handoff_id = ? ORDER BY id", [handoff_id]
            )
        )

    def log(self, handoff_id: int) -> list[dict[str, Any]]:
        rows = self.db.query(
            "SELECT * FROM handoff_log WHERE handoff_id = ? ORDER BY id", [handoff_id]
        )
        return [{**r, "detail": json.loads(r["detail"])} for r in rows]

    def _change(
        self, handoff_id: int, by: str, field: str, value: Any, stored: str | None = None
    ) -> Handoff:
        """Set ``field`` to ``value`` (written as ``stored`` when given); log any change."""
        with self.db.atomic():
            old = getattr(self.get(handoff_id), field)
            written = value if stored is None else stored
            self.db["handoffs"].update(handoff_id, {field: written, "updated_at": utc_now()})
            if old != value:
                self._log(handoff_id, by, field, {"from": {field: old}, "to": {field: value}})
        return self.get(handoff_id)

    def _log(self, handoff_id: int, by: str, action: str, detail: dict[str, Any]) -> None:
        self.db["handoff_log"].insert(
            {
                "handoff_id": handoff_id,
                "by": by,
                "at": utc_now(),
                "action": action,
                "detail": json.dumps(detail, ensure_ascii=False),
            }
        )

    @staticmethod
    def _to_handoff(row: dict[str, Any]) -> Handoff:
        return Handoff(
            id=row["id"],
            conversation_id=row["conversation_id"],
            channel=row["channel"],
            reason=row["reason"],
            risk_level=row["risk_level"],
            flags=tuple(json.loads(row["flags"])),
            status=row["status"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            transcript=json.loads(row["transcript"]),
            tags=tuple(json.loads(row.get("tags") or "[]")),
            outcome=row.get("outcome") or "",
        )

"""质检 over stored conversations: the rules of :mod:`bot.inspection` run again over what
agents (``agent_messages``) and the bot (Rasa's tracker) said, for the supervisor's panel.

The work is in pure functions over rows; the database reading around them is thin:

    >>> turns = [
    ...     Turn("web:u1", "lin", "请把验证码发给我", "2026-11-22T08:00:00+00:00", 7,
    ...          ("asks_personal_data",)),
    ...     Turn("web:u1", "lin", "您好，我是小林", "2026-11-22T08:01:00+00:00", 7),
    ...     Turn("web:u2", "bot", "我们明天给您打个电话", "2026-11-22T09:00:00+00:00"),
    ... ]
    >>> [(f.who, f.rule, f.overridden) for f in flags_of(turns)]
    [('bot', 'promises_call', False), ('lin', 'asks_personal_data', True)]
    >>> s = summarise(flags_of(turns), {"web:u1": (7, "high")})
    >>> [(a.key, a.findings, a.overridden) for a in s.per_author]
    [('bot', 1, 0), ('lin', 1, 1)]
    >>> [(c.key, c.handoff_id) for c in s.per_conversation]
    [('web:u2', None), ('web:u1', 7)]
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from sqlite_utils import Database

from bot.inspection import RULES, inspect
from bot.privacy import redact

#: The author of the bot's own replies.
BOT = "bot"
#: Stored messages read per source (agents, bot) at most, newest first: the page stays fast.
MAX_ROWS = 5000
DEFAULT_DAYS = 30
#: Characters of context either side of the clause in an excerpt.
CONTEXT = 30


@dataclass(frozen=True)
class Turn:
    """One stored message to inspect; ``time`` is ISO 8601 UTC."""

    conversation_id: str
    who: str  # an agent's name, or BOT
    text: str
    time: str
    handoff_id: int | None = None
    overrides: tuple[str, ...] = ()  # rules the agent confirmed past 质检


@dataclass(frozen=True)
class Flag:
    """One finding in a stored message. ``before + clause + after`` is a redacted excerpt."""

    conversation_id: str
    handoff_id: int | None
    who: str
    rule: str
    clause: str
    before: str
    after: str
    time: str
    overridden: bool


@dataclass(frozen=True)
class Count:
    key: str  # a rule, an author or a conversation id
    findings: int = 0
    overridden: int = 0
    conversations: int = 0
    handoff_id: int | None = None  # per conversation: its highest-risk handoff
    risk_level: str = ""
    last: str = ""  # the newest finding's time


@dataclass(frozen=True)
class Summary:
    per_rule: list[Count]
    per_author: list[Count]
    per_conversation: list[Count]


def excerpt(text: str, clause: str, context: int = CONTEXT) -> tuple[str, str, str]:
    """``text`` redacted, cut to the clause and ``context`` characters either side.

    >>> excerpt("您好。请把验证码发给我，谢谢", "请把验证码发给我", context=3)
    ('您好。', '请把验证码发给我', '，谢谢')
    >>> excerpt("x" * 50, "", context=3)
    ('xxx…', '', '')
    """
    safe, mark = redact(text).text, redact(clause).text if clause else ""
    at = safe.find(mark) if mark else -1
    if at < 0:
        return (safe[:context] + ("…" if len(safe) > context else ""), "", "")
    start, end = max(0, at - context), at + len(mark) + context
    before = ("…" if start else "") + safe[start:at]
    after = safe[at + len(mark) : end] + ("…" if end < len(safe) else "")
    return before, mark, after


@functools.lru_cache(maxsize=4096)
def _inspected(text: str) -> tuple[tuple[str, str], ...]:
    """The rules and clauses ``text`` breaks (the bot says the same replies many times)."""
    return tuple((f.rule, f.clause) for f in inspect(text))


def flags_of(turns: Iterable[Turn]) -> list[Flag]:
    """The findings of ``turns``, newest first. A rule the agent confirmed counts even when
    redaction has since hidden what broke it (an ID number stored as ``[身份证号]``)."""
    flags = []
    for turn in turns:
        findings = list(_inspected(turn.text))
        findings += [(r, "") for r in turn.overrides if r in RULES and r not in dict(findings)]
        for rule, clause in findings:
            before, mark, after = excerpt(turn.text, clause)
            flags.append(
                Flag(
                    turn.conversation_id,
                    turn.handoff_id,
                    turn.who,
                    rule,
                    mark,
                    before,
                    after,
                    turn.time,
                    rule in turn.overrides,
                )
            )
    return sorted(flags, key=lambda f: f.time, reverse=True)


def summarise(flags: list[Flag], handoffs: Mapping[str, tuple[int, str]]) -> Summary:
    """Counts per rule (in :data:`RULES` order), per author (most findings first) and per
    conversation (newest first, with its highest-risk handoff from ``handoffs``)."""

    def count(key_of) -> dict[str, Count]:
        groups: dict[str, list[Flag]] = {}
        for flag in flags:
            groups.setdefault(key_of(flag), []).append(flag)
        return {
            key: Count(
                key,
                len(group),
                sum(f.overridden for f in group),
                len({f.conversation_id for f in group}),
                last=max(f.time for f in group),
            )
            for key, group in groups.items()
        }

    rules = count(lambda f: f.rule)
    authors = count(lambda f: f.who)
    conversations = [
        Count(c.key, c.findings, c.overridden, 1, *handoffs.get(c.key, (None, "")), last=c.last)
        for c in count(lambda f: f.conversation_id).values()
    ]
    return Summary(
        [rules[r] for r in RULES if r in rules],
        sorted(authors.values(), key=lambda c: (-c.findings, c.key)),
        sorted(conversations, key=lambda c: c.last, reverse=True),
    )


def _bounds(
    start: _dt.date, end: _dt.date, tz: _dt.tzinfo = _dt.timezone.utc
) -> tuple[_dt.datetime, _dt.datetime]:
    """From 00:00 of ``start`` to 00:00 of the day after ``end``, in ``tz``."""
    first = _dt.datetime.combine(start, _dt.time.min, tz)
    return first, _dt.datetime.combine(end + _dt.timedelta(1), _dt.time.min, tz)


def _iso(moment: _dt.datetime) -> str:
    return moment.astimezone(_dt.timezone.utc).isoformat(timespec="seconds")


def agent_turns(
    db: Database,
    start: _dt.date,
    end: _dt.date,
    limit: int = MAX_ROWS,
    tz: _dt.tzinfo = _dt.timezone.utc,
) -> list[Turn]:
    """What agents typed between ``start`` and ``end`` (days in ``tz``, inclusive), newest
    first."""
    if not db["agent_messages"].exists():
        return []
    first, after = _bounds(start, end, tz)
    rows = db.execute(
        "SELECT conversation_id, author, text, created_at, handoff_id, overrides"
        " FROM agent_messages WHERE kind = 'agent' AND created_at >= ? AND created_at < ?"
        " ORDER BY created_at DESC, id DESC LIMIT ?",
        [_iso(first), _iso(after), limit],
    ).fetchall()
    turns = []
    for conversation_id, author, text, created_at, handoff_id, overrides in rows:
        try:
            confirmed = tuple(str(r) for r in json.loads(overrides or "[]"))
        except (TypeError, ValueError):
            confirmed = ()
        turns.append(Turn(conversation_id, author, text or "", created_at, handoff_id, confirmed))
    return turns


def bot_turns(
    tracker_db: Database | None,
    start: _dt.date,
    end: _dt.date,
    limit: int = MAX_ROWS,
    tz: _dt.tzinfo = _dt.timezone.utc,
) -> list[Turn]:
    """The bot's own replies in Rasa's tracker between ``start`` and ``end``, newest first
    (agents' messages and the desk's lines there have an ``agent`` in their metadata)."""
    if tracker_db is None or not tracker_db["events"].exists():
        return []
    first, after = _bounds(start, end, tz)
    rows = tracker_db.execute(
        "SELECT sender_id, timestamp, data FROM events WHERE type_name = 'bot'"
        " AND timestamp >= ? AND timestamp < ?"
        " AND CASE WHEN json_valid(data) THEN json_extract(data, '$.metadata.agent') END IS NULL"
        " ORDER BY id DESC LIMIT ?",
        [first.timestamp(), after.timestamp(), limit],
    ).fetchall()
    turns = []
    for sender, timestamp, data in rows:
        try:
            event = json.loads(data)
        except (TypeError, ValueError):
            continue
        text = event.get("text") if isinstance(event, dict) else None
        if isinstance(text, str) and text and isinstance(timestamp, (int, float)):
            moment = _dt.datetime.fromtimestamp(timestamp, _dt.timezone.utc)
            turns.append(Turn(sender, BOT, text, _iso(moment)))
    return turns


def riskiest_handoffs(db: Database, conversation_ids: Iterable[str]) -> dict[str, tuple[int, str]]:
    """Each conversation's highest-risk handoff (the newest among equals): id and risk."""
    ids = json.dumps(sorted(set(conversation_ids)))
    if ids == "[]" or not db["handoffs"].exists():
        return {}
    rows = db.execute(
        "SELECT conversation_id, id, risk_level FROM handoffs"
        " WHERE conversation_id IN (SELECT value FROM json_each(?))"
        " ORDER BY CASE risk_level WHEN 'high' THEN 2 WHEN 'medium' THEN 1 ELSE 0 END, id",
        [ids],
    )
    return {conversation_id: (id_, risk) for conversation_id, id_, risk in rows}


def stored_flags(
    db: Database,
    tracker_db: Database | None,
    start: _dt.date,
    end: _dt.date,
    limit: int = MAX_ROWS,
    tz: _dt.tzinfo = _dt.timezone.utc,
) -> tuple[list[Flag], dict[str, tuple[int, str]], bool]:
    """The findings in agents' and the bot's messages between ``start`` and ``end``, the
    conversations' riskiest handoffs, and whether a source hit ``limit`` (only its newest
    messages were read). A bot finding links to its conversation's riskiest handoff."""
    agents = agent_turns(db, start, end, limit, tz)
    bots = bot_turns(tracker_db, start, end, limit, tz)
    flags = flags_of([*agents, *bots])
    handoffs = riskiest_handoffs(db, (f.conversation_id for f in flags))
    flags = [
        replace(f, handoff_id=handoffs[f.conversation_id][0])
        if f.handoff_id is None and f.conversation_id in handoffs
        else f
        for f in flags
    ]
    return flags, handoffs, limit in (len(agents), len(bots))

"""Figures for the supervisor dashboard, read from the Rasa tracker store and the app DB.

Pure queries: nothing here writes to either database, and the tracker store (Rasa's own
``events`` table) gets no indexes from us.

    >>> import datetime as dt
    >>> from sqlite_utils import Database
    >>> figures = dashboard(Database(memory=True), None, dt.date(2025, 3, 1), dt.date(2025, 3, 3))
    >>> figures.days[0], figures.surrenders_per_day, figures.fallback_rate
    (datetime.date(2025, 3, 1), [0, 0, 0], None)

Periods are whole days **in the configured time zone** (:class:`Scope`, Beijing time by
default; ``UTC`` in these examples), ``start`` and ``end`` both included. Weeks run Monday to
Sunday and are named by their Monday; the first and last week of a period only count the
days inside the period. Every day and week of the period is in the series, with zeros.

Only the conversations of the scope's channels count (:mod:`bot.channels`: the chat page,
WeChat, or the REST API that tests and scripts use); the dashboard leaves REST out unless
asked.

Surrenders are counted **once per conversation per day**: a conversation (Rasa sender id)
with one or more ``request_surrender`` messages on a day counts 1 that day. Its outcome
looks at everything the conversation did after its first such message that day (also after
the period's end):

- ``alternative``: the user asked about a loan, partial withdrawal or reduced cover, or
  ``action_keep_policy`` ran;
- ``handoff``: otherwise, the conversation has a handoff record (of any date), or
  ``action_request_human`` / ``action_request_callback`` / ``action_default_fallback`` ran;
- ``left``: neither.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from sqlite_utils import Database

from bot.console.periods import (
    EVERYTHING,
    Scope,
    check_period,
    days_between,
    json_list,
    weeks_between,
)
from bot.handoff import STATUSES

TOP_ENTRIES = 10

SURRENDER_INTENT = "request_surrender"
ALTERNATIVE_INTENTS = ("ask_policy_loan", "ask_partial_withdrawal", "ask_reduce_coverage")
ALTERNATIVE_ACTIONS = ("action_keep_policy",)
HANDOFF_ACTIONS = ("action_request_human", "action_request_callback", "action_default_fallback")
SURRENDER_OUTCOMES = ("alternative", "handoff", "left")
SCAM_INTENTS = (
    "proxy_surrender",
    "policy_switch_pitch",
    "fraud_high_return",
    "personal_info_request",
)
#: Rasa's DEFAULT_NLU_FALLBACK_INTENT_NAME (the console does not import Rasa; a test checks).
FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class TopEntry:
    """A knowledge entry and how often it was served in the period."""

    entry_id: str
    #: The entry's current title; ``None`` when it is no longer in the knowledge base.
    title: str | None
    served: int
    #: Distinct conversations it was served in.
    conversations: int


@dataclass(frozen=True)
class Dashboard:
    """Every series of the dashboard; lists run parallel to ``days`` or ``weeks``."""

    start: _dt.date
    end: _dt.date
    #: The channels counted (:data:`bot.channels.CHANNELS`).
    channels: tuple[str, ...]
    #: Every day from ``start`` to ``end``.
    days: list[_dt.date]
    #: The Monday of every week touching the period.
    weeks: list[_dt.date]
    #: Conversations with a surrender request, per day.
    surrenders_per_day: list[int]
    #: The same split by outcome (keys :data:`SURRENDER_OUTCOMES`); they add up to the above.
    surrender_outcomes_per_day: dict[str, list[int]]
    #: Totals over the period, per outcome.
    surrender_outcomes: dict[str, int]
    #: Conversations reporting each scam, per week (keys :data:`SCAM_INTENTS`).
    scam_reports_per_week: dict[str, list[int]]
    #: Handoffs created in the period: ``{reason: {status: count}}``, every status present.
    handoffs_by_reason_status: dict[str, dict[str, int]]
    #: Handoffs per reason, most first.
    handoffs_by_reason: dict[str, int]
    #: Handoffs per status, in workflow order (new, in_review, resolved), zeros included.
    handoffs_by_status: dict[str, int]
    #: User messages per day, and those classified ``nlu_fallback``.
    user_messages_per_day: list[int]
    fallbacks_per_day: list[int]
    #: Share of fallbacks per day (0-1); ``None`` on a day without user messages.
    fallback_rate_per_day: list[float | None]
    #: Over the whole period; ``None`` without user messages.
    fallback_rate: float | None
    #: The entries served most, most first, at most :data:`TOP_ENTRIES`.
    top_entries: list[TopEntry]
    #: False when there was no tracker store to read (the tracker series are all zeros).
    tracker_available: bool


# --- databases -------------------------------------------------------------------------


def _has_table(db: Database | None, table: str) -> bool:
    return db is not None and db[table].exists()


# --- tracker store ---------------------------------------------------------------------


def _surrender_rows(tracker_db: Database, days: list[_dt.date], scope: Scope) -> list[tuple]:
    """(sender_id, day, asked_alternative, handoff_action) per conversation and day.

    Two scans of ``events`` and no lookups per conversation. ``NOT INDEXED``: grouping by
    walking the sender_id index fetches the rows in random order, several times slower.
    """
    sql = f"""
        WITH asked AS (
            SELECT sender_id, {scope.day_sql(days[0], days[-1])} AS day,
                MIN(timestamp) AS first_at
            FROM events NOT INDEXED
            WHERE type_name = 'user' AND intent_name = :surrender_intent
              AND timestamp >= :start AND timestamp < :end
              AND {scope.sql_channels("sender_id")}
            GROUP BY sender_id, day
        ),
        alt_intents AS (SELECT value FROM json_each(:alternative_intents)),
        alt_actions AS (SELECT value FROM json_each(:alternative_actions)),
        handoff_actions AS (SELECT value FROM json_each(:handoff_actions)),
        later AS (
            SELECT sender_id,
                MAX(CASE WHEN type_name = 'user' OR action_name IN alt_actions
                    THEN timestamp END) AS last_alternative,
                MAX(CASE WHEN type_name = 'action' AND action_name IN handoff_actions
                    THEN timestamp END) AS last_handoff
            FROM events NOT INDEXED
            WHERE timestamp >= :start
              AND ((type_name = 'user' AND intent_name IN alt_intents)
                OR (type_name = 'action'
                    AND (action_name IN alt_actions OR action_name IN handoff_actions)))
            GROUP BY sender_id
        )
        SELECT asked.sender_id, asked.day,
            COALESCE(later.last_alternative > asked.first_at, 0),
            COALESCE(later.last_handoff > asked.first_at, 0)
        FROM asked LEFT JOIN later ON later.sender_id = asked.sender_id
    """
    params = {
        **scope.params(),
        "surrender_intent": SURRENDER_INTENT,
        "start": scope.epoch(days[0]),
        "end": scope.epoch(days[-1] + _dt.timedelta(days=1)),
        "alternative_intents": json_list(ALTERNATIVE_INTENTS),
        "alternative_actions": json_list(ALTERNATIVE_ACTIONS),
        "handoff_actions": json_list(HANDOFF_ACTIONS),
    }
    return tracker_db.execute(sql, params).fetchall()


def _with_handoff_record(app_db: Database, conversation_ids: set[str]) -> set[str]:
    """Those of ``conversation_ids`` that have a handoff record."""
    if not conversation_ids or not _has_table(app_db, "handoffs"):
        return set()
    sql = (
        "SELECT DISTINCT conversation_id FROM handoffs "
        "WHERE conversation_id IN (SELECT value FROM json_each(:ids))"
    )
    return {row[0] for row in app_db.execute(sql, {"ids": json_list(sorted(conversation_ids))})}


def surrender_outcomes(
    app_db: Database, tracker_db: Database | None, days: list[_dt.date], scope: Scope = EVERYTHING
) -> dict[str, list[int]]:
    """Conversations with a surrender request per day, by outcome (see the module doc).

    >>> import datetime as dt
    >>> from sqlite_utils import Database
    >>> surrender_outcomes(Database(memory=True), None, [dt.date(2025, 3, 1)])
    {'alternative': [0], 'handoff': [0], 'left': [0]}
    """
    out = {outcome: [0] * len(days) for outcome in SURRENDER_OUTCOMES}
    if not days or not _has_table(tracker_db, "events"):
        return out
    rows = _surrender_rows(tracker_db, days, scope)
    handed_off = _with_handoff_record(app_db, {row[0] for row in rows})
    index = {day.isoformat(): i for i, day in enumerate(days)}
    for sender_id, day, alternative, handoff_action in rows:
        if alternative:
            outcome = "alternative"
        elif handoff_action or sender_id in handed_off:
            outcome = "handoff"
        else:
            outcome = "left"
        out[outcome][index[day]] += 1
    return out


def scam_reports_per_week(
    tracker_db: Database | None, start: _dt.date, end: _dt.date, scope: Scope = EVERYTHING
) -> dict[str, list[int]]:
    """Conversations reporting each scam intent, per week (one per conversation, week and
    intent); only messages from ``start`` to ``end`` count."""
    weeks = weeks_between(start, end)
    out = {intent: [0] * len(weeks) for intent in SCAM_INTENTS}
    if not _has_table(tracker_db, "events"):
        return out
    sql = f"""
        SELECT {scope.week_sql(start, end)} AS week, intent_name, COUNT(DISTINCT sender_id)
        FROM events NOT INDEXED
        WHERE type_name = 'user' AND intent_name IN (SELECT value FROM json_each(:intents))
          AND timestamp >= :start AND timestamp < :end
          AND {scope.sql_channels("sender_id")}
        GROUP BY week, intent_name
    """
    params = {
        **scope.params(),
        "intents": json_list(SCAM_INTENTS),
        "start": scope.epoch(start),
        "end": scope.epoch(end + _dt.timedelta(days=1)),
    }
    index = {week.isoformat(): i for i, week in enumerate(weeks)}
    for week, intent, count in tracker_db.execute(sql, params):
        out[intent][index[week]] = count
    return out


def user_messages_per_day(
    tracker_db: Database | None, days: list[_dt.date], scope: Scope = EVERYTHING
) -> tuple[list[int], list[int]]:
    """(user messages, of which ``nlu_fallback``) per day."""
    messages, fallbacks = [0] * len(days), [0] * len(days)
    if not days or not _has_table(tracker_db, "events"):
        return messages, fallbacks
    sql = f"""
        SELECT {scope.day_sql(days[0], days[-1])} AS day, COUNT(*), SUM(intent_name = :fallback)
        FROM events NOT INDEXED
        WHERE type_name = 'user' AND timestamp >= :start AND timestamp < :end
          AND {scope.sql_channels("sender_id")}
        GROUP BY day
    """
    params = {
        **scope.params(),
        "fallback": FALLBACK_INTENT,
        "start": scope.epoch(days[0]),
        "end": scope.epoch(days[-1] + _dt.timedelta(days=1)),
    }
    index = {day.isoformat(): i for i, day in enumerate(days)}
    for day, total, fallback in tracker_db.execute(sql, params):
        messages[index[day]], fallbacks[index[day]] = total, fallback or 0
    return messages, fallbacks


def rate(part: int, whole: int) -> float | None:
    """``part / whole``, or ``None`` when ``whole`` is 0.

    >>> rate(1, 4), rate(0, 0)
    (0.25, None)
    """
    return part / whole if whole else None


# --- app database ----------------------------------------------------------------------


def handoffs_by_reason_status(
    app_db: Database, start: _dt.date, end: _dt.date, scope: Scope = EVERYTHING
) -> dict[str, dict[str, int]]:
    """Handoffs created in the period, ``{reason: {status: count}}``, most frequent first.

    >>> import datetime as dt
    >>> from sqlite_utils import Database
    >>> handoffs_by_reason_status(Database(memory=True), dt.date(2025, 3, 1), dt.date(2025, 3, 1))
    {}
    """
    if not _has_table(app_db, "handoffs"):
        return {}
    sql = f"""
        SELECT reason, status, COUNT(*) FROM handoffs
        WHERE created_at >= :start AND created_at < :end
          AND {scope.sql_channels("conversation_id")}
        GROUP BY reason, status
    """
    params = {**scope.iso_bounds(start, end), **scope.params()}
    out: dict[str, dict[str, int]] = {}
    for reason, status, count in app_db.execute(sql, params):
        counts = out.setdefault(reason or "", dict.fromkeys(STATUSES, 0))
        counts[status] = counts.get(status, 0) + count
    return dict(sorted(out.items(), key=lambda item: (-sum(item[1].values()), item[0])))


def top_entries(
    app_db: Database,
    start: _dt.date,
    end: _dt.date,
    limit: int = TOP_ENTRIES,
    scope: Scope = EVERYTHING,
) -> list[TopEntry]:
    """The knowledge entries served most in the period (ties by entry id), with titles.
    An answer recorded without its channel (before they were) counts for every channel."""
    if not _has_table(app_db, "served_answers"):
        return []
    has_channel = "channel" in app_db["served_answers"].columns_dict
    channels = (
        "1"
        if scope.every_channel or not has_channel
        else "channel IN (SELECT value FROM json_each(:channels))"
    )
    sql = f"""
        SELECT entry_id, COUNT(*) AS served, COUNT(DISTINCT conversation_id)
        FROM served_answers
        WHERE served_at >= :start AND served_at < :end AND {channels}
        GROUP BY entry_id
        ORDER BY served DESC, entry_id
        LIMIT :limit
    """
    params = {**scope.iso_bounds(start, end), **scope.params(), "limit": limit}
    rows = app_db.execute(sql, params).fetchall()
    titles = entry_titles(app_db, [row[0] for row in rows])
    return [
        TopEntry(entry_id, titles.get(entry_id), served, conversations)
        for entry_id, served, conversations in rows
    ]


def entry_titles(app_db: Database, entry_ids: list[str]) -> dict[str, str]:
    """The current titles (questions) of the entries ``entry_ids`` that exist."""
    if not entry_ids or not _has_table(app_db, "entries"):
        return {}
    sql = "SELECT id, title FROM entries WHERE id IN (SELECT value FROM json_each(:ids))"
    return dict(app_db.execute(sql, {"ids": json_list(entry_ids)}).fetchall())


# --- everything ------------------------------------------------------------------------


def first_day(
    app_db: Database, tracker_db: Database | None, scope: Scope = EVERYTHING
) -> _dt.date | None:
    """The first day (in the scope's zone) with a user message, a handoff or a served
    answer of the scope's channels; ``None`` without any.

    >>> from sqlite_utils import Database
    >>> first_day(Database(memory=True), None) is None
    True
    """
    moments: list[float] = []
    if _has_table(tracker_db, "events"):
        sql = f"""SELECT MIN(timestamp) FROM events NOT INDEXED
            WHERE type_name = 'user' AND {scope.sql_channels("sender_id")}"""
        moments += [row[0] for row in tracker_db.execute(sql, scope.params())]
    if _has_table(app_db, "handoffs"):
        sql = f"""SELECT MIN(created_at) FROM handoffs
            WHERE {scope.sql_channels("conversation_id")}"""
        moments += [_seconds(row[0]) for row in app_db.execute(sql, scope.params())]
    known = [m for m in moments if isinstance(m, (int, float))]
    if not known:
        return None
    return _dt.datetime.fromtimestamp(min(known), _dt.timezone.utc).astimezone(scope.tz).date()


def _seconds(iso: str | None) -> float | None:
    try:
        return _dt.datetime.fromisoformat(iso).timestamp() if iso else None
    except ValueError:
        return None


def dashboard(
    app_db: Database,
    tracker_db: Database | None,
    start: _dt.date,
    end: _dt.date,
    scope: Scope = EVERYTHING,
) -> Dashboard:
    """Every dashboard series for the days ``start``..``end`` (both included) of the
    scope's time zone, counting the scope's channels.

    ``tracker_db`` is ``None`` (or has no ``events`` table) before the bot has talked to
    anyone: its series are zeros then. Raises ``ValueError`` for an empty or too long period.
    """
    check_period(start, end)
    days = days_between(start, end)
    outcomes = surrender_outcomes(app_db, tracker_db, days, scope)
    messages, fallbacks = user_messages_per_day(tracker_db, days, scope)
    handoffs = handoffs_by_reason_status(app_db, start, end, scope)
    by_status = dict.fromkeys(STATUSES, 0)
    for counts in handoffs.values():
        for status, count in counts.items():
            by_status[status] = by_status.get(status, 0) + count
    return Dashboard(
        start=start,
        end=end,
        channels=tuple(scope.channels),
        days=days,
        weeks=weeks_between(start, end),
        surrenders_per_day=[sum(day) for day in zip(*outcomes.values(), strict=True)],
        surrender_outcomes_per_day=outcomes,
        surrender_outcomes={outcome: sum(series) for outcome, series in outcomes.items()},
        scam_reports_per_week=scam_reports_per_week(tracker_db, start, end, scope),
        handoffs_by_reason_status=handoffs,
        handoffs_by_reason={reason: sum(c.values()) for reason, c in handoffs.items()},
        handoffs_by_status=by_status,
        user_messages_per_day=messages,
        fallbacks_per_day=fallbacks,
        fallback_rate_per_day=[
            rate(fallback, total) for fallback, total in zip(fallbacks, messages, strict=True)
        ],
        fallback_rate=rate(sum(fallbacks), sum(messages)),
        top_entries=top_entries(app_db, start, end, scope=scope),
        tracker_available=_has_table(tracker_db, "events"),
    )

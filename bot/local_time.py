"""Times as the people here read them: in the configured time zone (``TIME_ZONE``, Beijing
time by default). Everything is stored in UTC (Rasa's unix seconds, our ISO strings); a
time is turned into local time only to be shown, and a day people type (``2026-11-22``)
means that day in the configured zone.

    >>> beijing = zone()
    >>> local_time(0, beijing).isoformat(), local_time("2026-11-22T20:45:11+00:00", beijing).day
    ('1970-01-01T08:00:00+08:00', 23)
    >>> day_start(dt.date(2026, 11, 23), beijing), day_start_iso(dt.date(2026, 11, 23), beijing)
    (1795363200.0, '2026-11-22T16:00:00+00:00')
    >>> today(beijing, now=dt.datetime(2026, 11, 22, 17, 0, tzinfo=dt.timezone.utc))
    datetime.date(2026, 11, 23)
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: The time zone when ``TIME_ZONE`` is not set.
DEFAULT_ZONE = "Asia/Shanghai"


@cache
def zone(name: str = DEFAULT_ZONE) -> dt.tzinfo:
    """The time zone called ``name`` (``UTC`` too); a ValueError for an unknown one."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"TIME_ZONE: unknown time zone {name!r}") from None


def local_time(value: Any, tz: dt.tzinfo) -> dt.datetime | None:
    """``value`` (unix seconds, or an ISO string; one without an offset is UTC) in ``tz``;
    ``None`` for anything else."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value, dt.timezone.utc).astimezone(tz)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
        return moment.astimezone(tz)
    return None


def today(tz: dt.tzinfo, now: dt.datetime | None = None) -> dt.date:
    """Today's date in ``tz``."""
    return (now or dt.datetime.now(dt.timezone.utc)).astimezone(tz).date()


def day_start(day: dt.date, tz: dt.tzinfo) -> float:
    """Unix seconds at 00:00 of ``day`` in ``tz``."""
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).timestamp()


def day_start_iso(day: dt.date, tz: dt.tzinfo) -> str:
    """00:00 of ``day`` in ``tz``, as our tables store a time (ISO, UTC, to the second): a
    stored time is on or after it exactly when it compares so as text."""
    moment = dt.datetime.fromtimestamp(day_start(day, tz), dt.timezone.utc)
    return moment.isoformat(timespec="seconds")


def local_day_sql(seconds: str, start: dt.date, end: dt.date, tz: dt.tzinfo) -> str:
    """An SQLite expression for the local day (``YYYY-MM-DD`` in ``tz``) of ``seconds`` (an
    SQL expression of unix seconds), right for the days ``start``..``end``.

    Days of 24 hours with one UTC offset share ``date(seconds + offset, 'unixepoch')``; a
    day of 23 or 25 hours (summer time begins or ends) is named by its bounds. In a zone
    without summer time the expression is a single ``date()``.

    >>> local_day_sql("t", dt.date(2026, 3, 1), dt.date(2026, 3, 31), zone())
    "date(t + 28800, 'unixepoch')"
    >>> print(local_day_sql("t", dt.date(2026, 3, 28), dt.date(2026, 3, 30),
    ...                     zone("Europe/London")))  # doctest: +NORMALIZE_WHITESPACE
    CASE WHEN t < 1774742400 THEN date(t + 0, 'unixepoch')
    WHEN t < 1774825200 THEN '2026-03-29' ELSE date(t + 3600, 'unixepoch') END
    """
    whens: list[str] = []
    day = start
    while True:
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=tz)
        offset = int((midnight.utcoffset() or dt.timedelta()).total_seconds())
        regular = f"date({seconds} + {offset}, 'unixepoch')"
        if day >= end:
            break
        following = day + dt.timedelta(days=1)
        next_midnight = int(day_start(following, tz))
        if next_midnight - int(midnight.timestamp()) != 86400:
            whens.append(f"WHEN {seconds} < {int(midnight.timestamp())} THEN {regular}")
            whens.append(f"WHEN {seconds} < {next_midnight} THEN '{day.isoformat()}'")
        day = following
    if not whens:
        return regular
    return "CASE " + " ".join(whens) + f" ELSE {regular} END"

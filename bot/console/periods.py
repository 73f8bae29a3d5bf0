"""The dashboard's periods and scope: whole days in the configured time zone, and the
channels whose conversations count (:mod:`bot.channels`).

    >>> import datetime as dt
    >>> from bot.local_time import zone
    >>> scope = Scope(zone("Asia/Shanghai"), ("web", "wechat"))
    >>> scope.iso_bounds(dt.date(2026, 11, 22), dt.date(2026, 11, 22))
    {'start': '2026-11-21T16:00:00+00:00', 'end': '2026-11-22T16:00:00+00:00'}
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass

from bot.channels import CHANNELS, PREFIXED, channel_sql
from bot.local_time import day_start, day_start_iso, local_day_sql

#: The longest period a dashboard covers (a year, leap or not).
MAX_DAYS = 366
#: An event's time in whole seconds: SQLite rounds to the millisecond, which would move
#: 23:59:59.9996 to the next day.
_SECONDS = "CAST(timestamp AS INTEGER)"
#: The channels a dashboard shows unless asked: people's, not tests'.
DEFAULT_CHANNELS = PREFIXED


@dataclass(frozen=True)
class Scope:
    """Whose conversations count, and in which time zone days are counted.

    >>> Scope(channels=("web",)).sql_channels("sender_id")  # doctest: +ELLIPSIS
    "CASE WHEN ... END IN (SELECT value FROM json_each(:channels))"
    >>> Scope().sql_channels("sender_id")
    '1'
    """

    tz: _dt.tzinfo = _dt.timezone.utc
    channels: tuple[str, ...] = CHANNELS

    @property
    def every_channel(self) -> bool:
        return set(CHANNELS) <= set(self.channels)

    def sql_channels(self, column: str) -> str:
        """A condition: the sender id in ``column`` is of one of the channels (parameter
        ``:channels``, :meth:`params`)."""
        if self.every_channel:
            return "1"
        return f"{channel_sql(column)} IN (SELECT value FROM json_each(:channels))"

    def params(self) -> dict[str, str]:
        return {"channels": json_list(self.channels)}

    def day_sql(self, start: _dt.date, end: _dt.date) -> str:
        """An event's local day (``YYYY-MM-DD``), for events from ``start`` to ``end``."""
        return local_day_sql(_SECONDS, start, end, self.tz)

    def week_sql(self, start: _dt.date, end: _dt.date) -> str:
        """The Monday of an event's local week."""
        return f"date({self.day_sql(start, end)}, 'weekday 0', '-6 days')"

    def epoch(self, day: _dt.date) -> float:
        """Unix seconds at 00:00 of ``day`` in the zone."""
        return day_start(day, self.tz)

    def iso_bounds(self, start: _dt.date, end: _dt.date) -> dict[str, str]:
        """``:start`` and ``:end`` for our ISO timestamps: ``:start <= value < :end``
        compares as text."""
        return {
            "start": day_start_iso(start, self.tz),
            "end": day_start_iso(end + _dt.timedelta(days=1), self.tz),
        }


#: Every channel, in UTC days: what the query functions count unless given a scope.
EVERYTHING = Scope()


def days_between(start: _dt.date, end: _dt.date) -> list[_dt.date]:
    """Every day from ``start`` to ``end``, both included.

    >>> import datetime as dt
    >>> [d.day for d in days_between(dt.date(2025, 2, 27), dt.date(2025, 3, 1))]
    [27, 28, 1]
    """
    return [start + _dt.timedelta(days=i) for i in range((end - start).days + 1)]


def week_start(day: _dt.date) -> _dt.date:
    """The Monday of ``day``'s week.

    >>> import datetime as dt
    >>> week_start(dt.date(2025, 3, 2)), week_start(dt.date(2025, 3, 3))
    (datetime.date(2025, 2, 24), datetime.date(2025, 3, 3))
    """
    return day - _dt.timedelta(days=day.weekday())


def weeks_between(start: _dt.date, end: _dt.date) -> list[_dt.date]:
    """The Mondays of every week touching ``start``..``end``.

    >>> import datetime as dt
    >>> [str(w) for w in weeks_between(dt.date(2025, 3, 2), dt.date(2025, 3, 10))]
    ['2025-02-24', '2025-03-03', '2025-03-10']
    """
    first, last = week_start(start), week_start(end)
    return [first + _dt.timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]


def last_days(days: int, today: _dt.date | None = None) -> tuple[_dt.date, _dt.date]:
    """The period of ``days`` days ending ``today`` (default: today in UTC).

    >>> import datetime as dt
    >>> last_days(7, dt.date(2025, 3, 10))
    (datetime.date(2025, 3, 4), datetime.date(2025, 3, 10))
    """
    end = today or _dt.datetime.now(_dt.timezone.utc).date()
    return end - _dt.timedelta(days=days - 1), end


def check_period(start: _dt.date, end: _dt.date) -> None:
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValueError(f"a dashboard covers at most {MAX_DAYS} days")


def json_list(values: object) -> str:
    """``values`` as JSON text for one named parameter, read back in SQL with
    ``IN (SELECT value FROM json_each(:name))``: one parameter however many values."""
    return json.dumps(list(values), ensure_ascii=False)

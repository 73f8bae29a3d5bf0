"""When staff answer in the chat: the service hours, in the configured time zone (Beijing
time by default), and the words that tell a user when staff are back.

    >>> import datetime as dt
    >>> hours = ServiceHours.parse("mon-fri 09:00-18:00")
    >>> friday_evening = dt.datetime(2026, 12, 4, 19, 30, tzinfo=hours.zone)
    >>> hours.is_open(friday_evening), hours.is_open(friday_evening.replace(hour=10))
    (False, True)
    >>> hours.next_opening(friday_evening).isoformat()
    '2026-12-07T09:00:00+08:00'
    >>> hours.back_words(friday_evening)
    '周一上午9点'
    >>> ServiceHours.parse("daily 08:30-20:00").back_words(friday_evening)
    '明天上午8点半'
    >>> hours.words()
    '周一到周五上午9点到下午6点'

The spec is ``SERVICE_HOURS``: days (``mon-fri``, ``mon,wed,sat``, ``daily``) and a time
range; ``24:00`` closes at midnight, so ``daily 00:00-24:00`` is always open.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.labels import labels
from bot.local_time import DEFAULT_ZONE
from bot.local_time import zone as _zone

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPEC = re.compile(r"\s*([a-z,\-]+)\s+([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})\s*")
DEFAULT = "daily 09:00-18:00"


def _days(text: str) -> frozenset[int]:
    if text == "daily":
        return frozenset(range(7))
    days: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"SERVICE_HOURS: unknown day {part!r} (use mon … sun, or daily)")
        start, end = DAYS.index(first), DAYS.index(last or first)
        days.update(range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)])
    return frozenset(days)


@dataclass(frozen=True)
class ServiceHours:
    days: frozenset[int]  # 0 is Monday
    opens: int  # minutes after midnight
    closes: int  # minutes after midnight, up to 24 * 60
    zone: dt.tzinfo

    @classmethod
    def parse(cls, spec: str = DEFAULT, zone: str = DEFAULT_ZONE) -> ServiceHours:
        """``spec`` as in ``SERVICE_HOURS``; a ValueError that names the mistake otherwise."""
        match = _SPEC.fullmatch((spec or DEFAULT).lower())
        if not match:
            raise ValueError(f"SERVICE_HOURS must look like 'mon-fri 09:00-18:00', got {spec!r}")
        h1, m1, h2, m2 = (int(x) for x in match.groups()[1:])
        opens, closes = h1 * 60 + m1, h2 * 60 + m2
        if not (m1 < 60 and m2 < 60 and 0 <= opens < closes <= 24 * 60):
            raise ValueError(f"SERVICE_HOURS: the range must be within one day, got {spec!r}")
        return cls(_days(match.group(1)), opens, closes, _zone(zone))

    def _local(self, now: dt.datetime | None) -> dt.datetime:
        return (now or dt.datetime.now(dt.timezone.utc)).astimezone(self.zone)

    def is_open(self, now: dt.datetime | None = None) -> bool:
        local = self._local(now)
        minute = local.hour * 60 + local.minute
        return local.weekday() in self.days and self.opens <= minute < self.closes

    def next_opening(self, now: dt.datetime | None = None) -> dt.datetime:
        """The next time staff start, after ``now`` (today's opening if it is still ahead)."""
        local = self._local(now)
        for ahead in range(8):
            day = local.date() + dt.timedelta(days=ahead)
            start = dt.datetime.combine(day, dt.time(), self.zone) + dt.timedelta(
                minutes=self.opens
            )
            if day.weekday() in self.days and start > local:
                return start
        raise ValueError("no service day")  # parse never makes an empty set of days

    def back_words(self, now: dt.datetime | None = None) -> str:
        """When staff are back, as a person says it: 「明天上午9点」, 「周一下午1点半」."""
        local = self._local(now)
        start = self.next_opening(local)
        words = labels("time_words")
        ahead = (start.date() - local.date()).days
        day = words["today"] if ahead == 0 else words["tomorrow"] if ahead == 1 else ""
        day = day or labels("weekdays")[DAYS[start.weekday()]]
        return day + clock_words(start.hour * 60 + start.minute)

    def words(self) -> str:
        """The hours as a person says them: 「每天上午9点到下午6点」, 「周六、周日上午10点到
        中午12点」."""
        words = labels("time_words")
        days = sorted(self.days)
        names = [labels("weekdays")[DAYS[d]] for d in days]
        if len(days) == 7:
            when = words["daily"]
        elif len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
            when = names[0] + words["to"] + names[-1]
        else:
            when = words["and"].join(names)
        if (self.opens, self.closes) == (0, 24 * 60):
            return when + words["all_day"]
        return when + clock_words(self.opens) + words["to"] + clock_words(self.closes)


def clock_words(minutes: int) -> str:
    """A time of day as a person says it: 「上午9点」, 「下午1点半」, 「晚上12点」 (midnight)."""
    words = labels("time_words")
    hour, minute = divmod(minutes, 60)
    part = "morning" if hour < 12 else "noon" if hour < 13 else "afternoon"
    part = "evening" if hour >= 19 else "night" if hour < 6 else part
    clock = hour if hour <= 12 else hour - 12
    extra = f"{minute}{words['minutes']}" if minute else ""
    extra = words["half"] if minute == 30 else extra
    return f"{words[part]}{clock}{words['oclock']}{extra}"

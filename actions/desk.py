"""What the bot says about the staff desk: a handoff made, and where a waiting one stands.

Honest words only: staff answer here, in this chat, never by a call; outside the service
hours (bot/service_hours.py) the user hears when staff are back, where their reply will
appear, and to call the hotline on their own policy for anything urgent. Both end with the
line that staff never ask for money, a password or an SMS code. The words are decided by
pure functions over what is known (open now, when staff are back, the place in the queue):

    >>> handed_off(True, "", "rest")
    [('utter_handoff_in_hours', {}), ('utter_handoff_never_ask', {})]
    >>> for name, values in handed_off(False, "明天上午9点", "wechat"):
    ...     print(name, values)
    utter_handoff_after_hours {'back': '明天上午9点'}
    utter_handoff_after_hours_wechat {}
    utter_handoff_urgent_call {}
    utter_handoff_never_ask {}
    >>> for name, values in waiting(True, "", 3, pings=0, hours="每天上午9点到下午6点"):
    ...     print(name, values)
    utter_handoff_position {'position': 3, 'hours': '每天上午9点到下午6点'}
    utter_handoff_waiting {}
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlite_utils import Database

from bot.db import open_database
from bot.live import queue_position
from bot.service_hours import ServiceHours
from bot.settings import Settings

logger = logging.getLogger(__name__)
PINGS = "handoff_pings"
#: The second line of a status, in turn: never the same text twice in a row.
WAITING = ("utter_handoff_waiting", "utter_handoff_waiting_again", "utter_handoff_waiting_menu")
#: The status at the first ping, then in other words (responses ``…_again``, ``…_later``).
AGAIN = ("", "_again", "_later")
Lines = list[tuple[str, dict[str, Any]]]


def service_hours() -> ServiceHours:
    """The factory for the actions' service hours; tests replace it."""
    return Settings.from_env().service_hours


def open_app_db() -> Database:
    """The factory for the app database the queue is read from; tests replace it. No
    database yet means no queue (FileNotFoundError), not a new file."""
    path = Settings.from_env().db_path
    if not path.is_file():
        raise FileNotFoundError(path)
    return open_database(path, busy_timeout=2.0)


def handed_off(open_now: bool, back: str, channel: str) -> Lines:
    """What a user is told when a handoff is made."""
    if open_now:
        lines: Lines = [("utter_handoff_in_hours", {})]
    else:
        where = "wechat" if channel == "wechat" else "web"
        lines = [
            ("utter_handoff_after_hours", {"back": back}),
            (f"utter_handoff_after_hours_{where}", {}),
            ("utter_handoff_urgent_call", {}),
        ]
    return [*lines, ("utter_handoff_never_ask", {})]


def waiting(open_now: bool, back: str, position: int | None, pings: int, hours: str = "") -> Lines:
    """Where a waiting handoff stands (a ping: 「有人吗」), with the service hours, then one
    of the waiting lines; each in other words at the next ping, so three pings never hear
    the same sentence three times."""
    turn = AGAIN[pings % len(AGAIN)]
    if not open_now:
        status = (f"utter_handoff_closed_now{turn}", {"back": back})
    elif position:
        status = (f"utter_handoff_position{turn}", {"position": position, "hours": hours})
    else:
        status = (f"utter_handoff_in_queue{turn}", {"hours": hours})
    return [status, (WAITING[pings % len(WAITING)], {})]


def say(dispatcher: CollectingDispatcher, lines: Lines) -> None:
    for response, values in lines:
        dispatcher.utter_message(response=response, **values)


def tell_handed_off(dispatcher: CollectingDispatcher, hours: ServiceHours, channel: str) -> None:
    say(dispatcher, handed_off(hours.is_open(), hours.back_words(), channel))


def tell_waiting(
    dispatcher: CollectingDispatcher, tracker: Tracker, hours: ServiceHours, db_factory
) -> list[dict[str, Any]]:
    """The status of the conversation's handoff; the events that count the ping."""
    pings = int(tracker.get_slot(PINGS) or 0)
    position, open_now = None, hours.is_open()
    if open_now:
        try:
            position = queue_position(db_factory(), tracker.sender_id)
        except Exception as exc:  # the place in the queue is a nicety: the status stands
            logger.warning("queue position unavailable (%s)", type(exc).__name__)
    say(dispatcher, waiting(open_now, hours.back_words(), position, pings, hours.words()))
    return [SlotSet(PINGS, pings + 1)]

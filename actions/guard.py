"""One way for an action to fail: logged (redacted), told to the user in one short reply.

An exception that escapes an action reaches rasa-sdk's endpoint, which answers with a 500
whose body echoes the whole tracker (and Rasa then logs it), while the user gets no reply.
Every action that touches the app database wraps its ``run`` with :func:`guarded`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection

from bot.db import STORE_ERRORS
from bot.logs import redacted_traceback

logger = logging.getLogger(__name__)

#: A short apology and the insurer's official hotline (domain.yml).
SERVICE_TROUBLE = "utter_service_trouble"

Run = Callable[[Any, CollectingDispatcher, Tracker, dict[str, Any]], Awaitable[list[dict]]]


def guarded(run: Run) -> Run:
    """Wrap an action's ``run``: any failure (the app database locked, read-only, missing
    or broken, or a bug) is logged with a redacted traceback, the user gets
    :data:`SERVICE_TROUBLE` after whatever was already said, and no event is returned.

    A form's :class:`ActionExecutionRejection` is Rasa's own signal and passes through.
    """

    @functools.wraps(run)
    async def guarded_run(
        self: Action, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            return await run(self, dispatcher, tracker, domain)
        except ActionExecutionRejection:
            raise
        except Exception as exc:
            what = "the app database failed" if isinstance(exc, STORE_ERRORS) else "failed"
            logger.error("%s: %s\n%s", self.name(), what, redacted_traceback(exc))
            dispatcher.utter_message(response=SERVICE_TROUBLE)
            return []

    guarded_run.guarded = True  # type: ignore[attr-defined]
    return guarded_run


def is_guarded(action: type[Action]) -> bool:
    """Whether ``action``'s ``run`` (or the one it builds on) is wrapped by :func:`guarded`."""
    return any(getattr(cls.__dict__.get("run"), "guarded", False) for cls in action.__mro__)

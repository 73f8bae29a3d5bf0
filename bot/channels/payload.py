"""A chat message's body, ``{"sender": "…", "message": "…"}``, checked the same way wherever
it arrives: Rasa's REST channel (:mod:`bot.channels.rest`) and the console's chat page
(:mod:`bot.console.chat`). Each entry point sets its own limits and words its own errors:

    >>> rules = PayloadRules(
    ...     sender=r"[a-z0-9]{2,8}",
    ...     max_chars=5,
    ...     errors={"body": "not an object", "sender": "bad sender",
    ...             "message": "no text", "too_long": "too long",
    ...             "unencodable": "not UTF-8"},
    ... )
    >>> rules.parse({"sender": "u1", "message": "退保"})
    Payload(sender='u1', message='退保')
    >>> rules.parse({"sender": "u1\\n", "message": "退保"})
    Traceback (most recent call last):
    ...
    bot.channels.payload.PayloadError: bad sender
    >>> rules.parse({"sender": "u1", "message": "\\ud800"})
    Traceback (most recent call last):
    ...
    bot.channels.payload.PayloadError: not UTF-8

The whole sender id must match (``re.fullmatch``: a trailing newline is refused too). Text
that cannot be encoded as UTF-8 (a lone surrogate, which JSON's ``"\\ud800"`` decodes to) is
refused: it would fail later, in the tracker store or the HTTP client, as a 500.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Control characters a tidy entry point drops from the message (not tab, newline, CR).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: The longest message any entry point takes: what the chat page allows.
MAX_MESSAGE_CHARS = 1000


class PayloadError(ValueError):
    """The body is not a chat message this entry point accepts; the text says why."""


@dataclass(frozen=True)
class Payload:
    sender: str
    message: str


@dataclass(frozen=True)
class PayloadRules:
    """What one entry point accepts, and what it says when it refuses."""

    #: A regular expression the whole sender id must match.
    sender: str
    #: The longest message, in characters (after tidying).
    max_chars: int
    #: The error text for each problem: ``body`` (not a JSON object), ``sender``, ``message``
    #: (not text; with ``tidy``, also empty), ``too_long`` and ``unencodable`` (not UTF-8).
    errors: Mapping[str, str]
    #: Drop control characters and surrounding spaces, and refuse an empty message.
    tidy: bool = False

    def parse(self, body: Any) -> Payload:
        """Check a decoded request body; raise :class:`PayloadError` saying what is wrong."""
        if not isinstance(body, dict):
            raise PayloadError(self.errors["body"])
        sender, message = body.get("sender"), body.get("message")
        if not isinstance(sender, str) or not re.fullmatch(self.sender, sender):
            raise PayloadError(self.errors["sender"])
        if not isinstance(message, str):
            raise PayloadError(self.errors["message"])
        if not encodable(message):
            raise PayloadError(self.errors["unencodable"])
        if self.tidy:
            message = _CONTROL.sub("", message).strip()
            if not message:
                raise PayloadError(self.errors["message"])
        if len(message) > self.max_chars:
            raise PayloadError(self.errors["too_long"])
        return Payload(sender, message)


def encodable(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8 (a lone surrogate cannot).

    >>> encodable("退保 😀"), encodable("\\udc80")
    (True, False)
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

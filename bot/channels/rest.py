"""The REST channel with strict input checks: a bad request is a 400, never a 500, and no
two anonymous users ever share a conversation.

In ``credentials.yml``::

    bot.channels.rest.PolicyGuardRestInput:

It keeps Rasa's URL, ``POST /webhooks/rest/webhook`` with ``{"sender": "…", "message": "…"}``.
The checks are a pure function::

    >>> parse_payload({"sender": "u1", "message": "我想退保"})
    Payload(sender='u1', message='我想退保')
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from bot.channels.payload import MAX_MESSAGE_CHARS, Payload, PayloadError, PayloadRules

RULES = PayloadRules(
    sender=r"[\w.:@\-]{1,128}",
    max_chars=MAX_MESSAGE_CHARS,
    errors={
        "body": 'the body must be a JSON object: {"sender": "...", "message": "..."}',
        "sender": "'sender' is required: 1-128 letters, digits or . : @ - _ identifying the "
        "conversation",
        "message": "'message' is required and must be text",
        "too_long": f"'message' is longer than {MAX_MESSAGE_CHARS} characters",
        "unencodable": "'message' must be Unicode text that can be encoded as UTF-8 "
        "(no lone surrogates such as \\ud800)",
    },
)


def parse_payload(body: Any) -> Payload:
    """Check a decoded request body; raise :class:`PayloadError` saying what is wrong."""
    return RULES.parse(body)


def channel_for(sender: str) -> str:
    """The channel name recorded for a conversation.

    >>> channel_for("web:3f2a9c1e"), channel_for("u1")
    ('web', 'rest')
    """
    return "web" if sender.startswith("web:") else "rest"


class PolicyGuardRestInput(RestInput):
    """Rasa's REST channel, with :func:`parse_payload` in front."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @staticmethod
    def _payload(req: Request) -> Payload:
        try:
            body = req.json
        except Exception:  # sanic raises on undecodable JSON
            body = None
        try:
            return parse_payload(body)
        except PayloadError as exc:
            raise InvalidUsage(str(exc)) from None

    async def _extract_sender(self, req: Request) -> str:
        return self._payload(req).sender

    def _extract_message(self, req: Request) -> str:
        return self._payload(req).message

    def _extract_input_channel(self, req: Request) -> str:
        # The client does not choose its channel; the console's chat page is told apart
        # by the sender prefix it adds, so reviewers see "web" for it.
        return channel_for(self._payload(req).sender)

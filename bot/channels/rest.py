"""The REST channel with strict input checks: a bad request is a 400, never a 500, and no
two anonymous users ever share a conversation; and never silent: a message that got no
reply at all (the action server down, an action failed) gets ``utter_service_trouble``.

In ``credentials.yml``::

    bot.channels.rest.PolicyGuardRestInput:

It keeps Rasa's URL, ``POST /webhooks/rest/webhook`` with ``{"sender": "…", "message": "…"}``.
The checks are a pure function::

    >>> parse_payload({"sender": "u1", "message": "我想退保"})
    Payload(sender='u1', message='我想退保')
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import yaml
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from bot.channels import channel_for
from bot.channels.payload import MAX_MESSAGE_CHARS, Payload, PayloadError, PayloadRules
from bot.logs import clean, redacted_traceback
from bot.settings import Settings

logger = logging.getLogger(__name__)

#: The apology and the insurer's official hotline, from the domain (never written here).
TROUBLE_RESPONSE = "utter_service_trouble"
#: What a channel message can show besides its text.
_VISIBLE = ("buttons", "quick_replies", "image", "attachment", "custom", "elements")
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


def shows_something(message: Mapping[str, Any]) -> bool:
    """Whether a message sent to the channel shows the user anything."""
    text = message.get("text")
    return bool(isinstance(text, str) and text.strip()) or any(message.get(k) for k in _VISIBLE)


def needs_apology(sent: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the reply to a user's message showed nothing, so the apology must be added.

    >>> needs_apology([])
    True
    >>> needs_apology([{"recipient_id": "u1", "text": " "}])
    True
    >>> needs_apology([{"recipient_id": "u1", "text": "您好"}])
    False
    """
    return not any(shows_something(m) for m in sent)


async def held_by_a_person(agent: Any, sender_id: str) -> bool:
    """Whether the conversation is paused because an agent holds it (bot/live.py)."""
    try:
        tracker = await agent.tracker_store.retrieve(sender_id)
    except Exception as exc:  # no agent (tests) or the store failed: not known to be held
        logger.warning(
            "rest: could not read whether %s is held (%s)", "the conversation", clean(exc)
        )
        return False
    return bool(tracker and tracker.is_paused())


async def trouble_messages(agent: Any, sender_id: str, channel: str) -> list[dict[str, Any]]:
    """``utter_service_trouble`` as the agent's NLG renders it; from the domain file when
    the agent cannot (no model loaded)."""
    try:
        tracker = DialogueStateTracker(sender_id, agent.domain.slots)
        message = await agent.nlg.generate(TROUBLE_RESPONSE, tracker, channel)
        if message:
            return [message]
    except Exception as exc:  # no agent, no model, no such response: try the file
        logger.warning("rest: %s not rendered by the agent (%s)", TROUBLE_RESPONSE, clean(exc))
    return [dict(m) for m in _domain_file_response(str(Settings.from_env().domain_path))]


@functools.cache
def _domain_file_response(path: str) -> tuple[dict[str, Any], ...]:
    try:
        with open(path, encoding="utf-8") as file:
            variations = yaml.safe_load(file)["responses"][TROUBLE_RESPONSE]
        return (dict(variations[0]),)
    except Exception as exc:
        logger.error("rest: no %s in %s (%s)", TROUBLE_RESPONSE, path, clean(exc))
        return ()


class PolicyGuardRestInput(RestInput):
    """Rasa's REST channel, with :func:`parse_payload` in front and never silent."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def answered(message: UserMessage) -> None:
            try:
                apps = list(webhook.apps)
            except Exception:  # not registered with an app (only in tests)
                apps = []
            agent = getattr(apps[0].ctx, "agent", None) if apps else None
            await self.answer(on_new_message, message, agent)

        webhook = super().blueprint(answered)
        return webhook

    async def answer(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        message: UserMessage,
        agent: Any,
    ) -> None:
        """Let Rasa handle ``message``; if the user was shown nothing, send the apology.

        Rasa's own failure (an action server that is down, an action that failed) is logged
        redacted. A streamed reply (``?stream=true``) is left as it is."""
        try:
            await on_new_message(message)
        except Exception as exc:
            logger.error("rest: the message was not handled\n%s", redacted_traceback(exc))
        output = message.output_channel
        sent = getattr(output, "messages", None)
        if not isinstance(sent, list) or not needs_apology(sent):
            return
        if await held_by_a_person(agent, message.sender_id):
            return  # the bot stepped aside (bot/live.py): the agent answers, not the bot
        for reply in await trouble_messages(agent, message.sender_id, output.name()):
            await output.send_response(message.sender_id, reply)

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

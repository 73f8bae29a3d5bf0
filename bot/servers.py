"""Rasa's server and rasa-sdk's action server, started with this process's logs redacted.

``python -m bot rasa …`` and ``python -m bot actions …`` (see :mod:`bot.cli`) call these:
each installs :func:`bot.logs.install_redacting_logs` first, then runs the real server
with the arguments given. The action server also answers an unhandled error without
echoing the request: rasa-sdk's own error reply carries the whole tracker as
``request_body``, which Rasa then logs.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import pluggy

from bot.logs import install_redacting_logs, redacted_traceback

logger = logging.getLogger(__name__)
hookimpl = pluggy.HookimplMarker("rasa_sdk")

#: Given to rasa-sdk before the user's arguments (a later ``--actions`` wins).
ACTION_DEFAULTS = ("--actions", "actions")


def run_rasa(args: Sequence[str]) -> None:
    """Rasa's own command line (``rasa run …``, ``rasa shell …``) with ``args``."""
    install_redacting_logs()
    from rasa.__main__ import main

    args = list(args)
    if args[:1] == ["run"] and "--enable-api" not in args:
        # Rasa's HTTP API, for the live desk (bot/live.py): on loopback, behind a token.
        from bot.settings import Settings

        args += ["--enable-api", "--auth-token", Settings.from_env().rasa_token]
    sys.argv = ["rasa", *args]
    main()


async def quiet_error(request: Any, exception: Exception) -> Any:
    """The action server's reply to an unhandled error: its status and a short phrase,
    never the request; the error is logged with a redacted traceback."""
    from sanic import response
    from sanic.exceptions import SanicException

    if isinstance(exception, SanicException):
        status = exception.status_code
    else:
        status = 500
        logger.error("action server: unhandled error\n%s", redacted_traceback(exception))
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return response.json({"error": phrase}, status=status)


class QuietErrors:
    """A rasa-sdk plugin: :func:`quiet_error` replaces rasa-sdk's error handler."""

    @hookimpl
    def attach_sanic_app_extensions(self, app: Any) -> None:
        app.error_handler.add(Exception, quiet_error)


QUIET_ERRORS = QuietErrors()


def register_quiet_errors() -> None:
    """Make rasa-sdk's action server use :func:`quiet_error` (idempotent)."""
    from rasa_sdk.plugin import plugin_manager

    manager = plugin_manager()
    if not manager.is_registered(QUIET_ERRORS):
        manager.register(QUIET_ERRORS)


def run_actions(args: Sequence[str]) -> None:
    """rasa-sdk's action server (``rasa run actions`` without Rasa) with ``args``; it
    listens on loopback only (rasa-sdk's own default is every interface): only Rasa calls it."""
    install_redacting_logs()
    os.environ["SANIC_HOST"] = "127.0.0.1"
    from rasa_sdk.__main__ import main_from_args
    from rasa_sdk.endpoint import create_argument_parser

    register_quiet_errors()
    parser = create_argument_parser()
    parser.prog = "python -m bot actions"
    main_from_args(parser.parse_args([*ACTION_DEFAULTS, *args]))

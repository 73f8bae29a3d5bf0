"""The server entry points: redacted logs in every process, and an action server whose error
replies never echo the tracker (bot/servers.py, bot/cli)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

import pytest
import requests
from click.testing import CliRunner

from bot.cli import cli
from bot.logs import install_redacting_logs, is_installed
from bot.servers import QUIET_ERRORS, quiet_error
from tests.conftest import ROOT
from tests.live_servers import free_port, wait_for

PHONE = "13812345678"


@pytest.fixture
def argv(monkeypatch):
    monkeypatch.setattr(sys, "argv", list(sys.argv))


def test_rasa_gets_every_argument_and_redacted_logs(monkeypatch, argv):
    import rasa.__main__

    seen = {}
    monkeypatch.setattr(
        rasa.__main__, "main", lambda: seen.update(argv=list(sys.argv), redacting=is_installed())
    )
    monkeypatch.setenv("RASA_TOKEN", "t0ken")
    args = ["run", "--model", "models", "--port", "5005", "--help", "-vv"]
    result = CliRunner().invoke(cli, ["rasa", *args])
    assert result.exit_code == 0, result.output
    # `run` also opens Rasa's HTTP API for the live desk, behind the token (bot/live.py).
    api = ["--enable-api", "--auth-token", "t0ken"]
    assert seen == {"argv": ["rasa", *args, *api], "redacting": True}
    result = CliRunner().invoke(cli, ["rasa", "shell", "--help"])
    assert seen["argv"] == ["rasa", "shell", "--help"]


def test_action_server_loads_our_actions_bound_to_host_with_quiet_errors(monkeypatch):
    import rasa_sdk.__main__
    from rasa_sdk.plugin import plugin_manager

    seen = {}

    def main_from_args(args):
        seen.update(actions=args.actions, port=args.port, redacting=is_installed())

    monkeypatch.setattr(rasa_sdk.__main__, "main_from_args", main_from_args)
    monkeypatch.setenv("HOST", "0.0.0.0")  # the console's; the action server stays on loopback
    monkeypatch.setenv("SANIC_HOST", "0.0.0.0")
    result = CliRunner().invoke(cli, ["actions", "--port", "6055"])
    assert result.exit_code == 0, result.output
    assert seen == {"actions": "actions", "port": 6055, "redacting": True}
    assert os.environ["SANIC_HOST"] == "127.0.0.1"
    assert plugin_manager().is_registered(QUIET_ERRORS)
    CliRunner().invoke(cli, ["actions", "--actions", "other"])
    assert seen["actions"] == "other"


def test_console_logs_are_redacted(monkeypatch, tmp_path):
    import uvicorn

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(redacting=is_installed()))
    result = CliRunner().invoke(cli, ["console", "--port", "18000"])
    assert result.exit_code == 0, result.output
    assert seen == {"redacting": True}


def test_quiet_errors_replace_rasa_sdks_error_reply(monkeypatch):
    from rasa_sdk.endpoint import create_app
    from sanic import Sanic

    monkeypatch.setattr(Sanic, "test_mode", True)
    app = create_app("actions")
    QUIET_ERRORS.attach_sanic_app_extensions(app)
    assert app.error_handler.lookup(RuntimeError(), None) is quiet_error


def test_an_unhandled_error_is_answered_without_the_request(caplog):
    from sanic.exceptions import NotFound

    install_redacting_logs()
    reply = asyncio.run(quiet_error(None, RuntimeError(f"tracker said {PHONE}")))
    assert (reply.status, json.loads(reply.body)) == (500, {"error": "Internal Server Error"})
    assert "RuntimeError" in caplog.text and PHONE not in caplog.text
    missing = asyncio.run(quiet_error(None, NotFound("no such page")))
    assert (missing.status, json.loads(missing.body)) == (404, {"error": "Not Found"})


def test_the_real_action_server_never_echoes_the_tracker(tmp_path):
    port = free_port()
    env = {**os.environ, "POLICYGUARD_DB": str(tmp_path / "pg.db"), "HOST": "127.0.0.1"}
    env.pop("SANIC_HOST", None)
    log = tmp_path / "actions.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "actions", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(f"http://127.0.0.1:{port}/health", proc, timeout=60)
        # A tracker rasa-sdk cannot read makes it fail inside its endpoint.
        call = {"next_action": "action_request_human", "tracker": f"电话{PHONE}", "domain": {}}
        reply = requests.post(f"http://127.0.0.1:{port}/webhook", json=call, timeout=10)
        assert reply.status_code == 500
        assert reply.json() == {"error": "Internal Server Error"}
        deadline = time.monotonic() + 10
        while "unhandled error" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    text = log.read_text()
    assert "action server: unhandled error" in text and "Traceback" in text
    assert PHONE not in text

"""Never silent: with the action server unreachable, the real Rasa server (started with
``python -m bot rasa run``) still answers every message, and its logs hold no personal data."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
import requests

from bot.settings import quiet_env
from tests.conftest import ROOT, load_yaml
from tests.live_servers import free_port, wait_for

pytestmark = pytest.mark.slow
PHONE = "13812345678"
TROUBLE_TEXT = load_yaml(ROOT / "domain.yml")["responses"]["utter_service_trouble"][0]["text"]


def start_rasa(model, folder):
    """Rasa on a free port whose action endpoint is a closed port; returns (url, log, proc)."""
    port, closed = free_port(), free_port()
    endpoints = folder / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{closed}/webhook"\n', encoding="utf-8"
    )
    log = folder / "rasa.log"
    command = [
        *(sys.executable, "-m", "bot", "rasa", "run", "--interface", "127.0.0.1"),
        *("--port", str(port), "--model", str(model), "--credentials", "credentials.yml"),
        *("--endpoints", str(endpoints), "--debug"),  # Rasa logs each message's text
    ]
    env = {**os.environ, **quiet_env()}
    with open(log, "w") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_for(f"http://127.0.0.1:{port}/", proc)
    return f"http://127.0.0.1:{port}", log, proc


@pytest.fixture(scope="module")
def rasa_without_actions(trained_model, tmp_path_factory):
    url, log, proc = start_rasa(trained_model, tmp_path_factory.mktemp("silent"))
    try:
        yield url, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def say(url: str, text: str) -> list[dict]:
    reply = requests.post(
        url + "/webhooks/rest/webhook",
        json={"sender": uuid.uuid4().hex, "message": text},
        timeout=60,
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_a_human_request_with_the_action_server_down_gets_the_apology(rasa_without_actions):
    url, log = rasa_without_actions
    assert [m.get("text") for m in say(url, f"转人工，我的电话是{PHONE}")] == [TROUBLE_TEXT]
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "action_request_human" in text and "[手机号]" in text  # logged in detail, …
    assert PHONE not in text  # … without the personal data


def test_a_reply_that_needs_no_action_gets_no_apology(rasa_without_actions):
    url, _ = rasa_without_actions
    texts = [m.get("text") for m in say(url, "谢谢")]  # answered by Rasa alone
    assert texts and TROUBLE_TEXT not in texts

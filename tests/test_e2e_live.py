"""A person answers in the conversation (issue 14), end to end on the real servers: a web
conversation asks for a human, an agent replies through the command line, the bot stays
silent while the agent holds it and answers again after closing. The agent's words are in
Rasa's tracker, redacted, with the author."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
import requests

from bot.handoff import HandoffStore
from bot.live import LiveDesk, RasaConversations
from bot.settings import Settings
from tests.test_e2e_rest import say, texts

pytestmark = pytest.mark.slow


def tracker_events(servers, conversation: str) -> list[dict]:
    token = Settings.from_env(servers["live"].env).rasa_token
    response = requests.get(
        f"{servers['rasa']}/conversations/{conversation}/tracker",
        params={"token": token},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["events"]


def cli(servers, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", "handoffs", *args, "--db", str(servers["db"])],
        env=servers["live"].env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_agent_answers_the_bot_steps_aside_and_comes_back(servers):
    conversation = "web:" + uuid.uuid4().hex
    say(servers, "转人工", conversation)
    (handoff,) = [
        h for h in HandoffStore.open(servers["db"]).list() if h.conversation_id == conversation
    ]

    text = "您好，我是工作人员小林。您的电话13812345678我不需要。"
    held = cli(servers, "reply", str(handoff.id), text, "--by", "lin")
    assert held.returncode != 0 and "质检" in held.stderr  # an unredacted number: held back
    sent = cli(servers, "reply", str(handoff.id), text, "--by", "lin", "--confirm")
    assert sent.returncode == 0, sent.stderr
    events = tracker_events(servers, conversation)
    agent = [e for e in events if (e.get("metadata") or {}).get("agent")]
    assert [e["metadata"]["agent"] for e in agent] == ["lin"]
    assert "13812345678" not in agent[0]["text"] and "工作人员小林" in agent[0]["text"]

    # While the agent holds the conversation, the bot says nothing.
    assert say(servers, "我想退保", conversation) == []
    refused = cli(servers, "reply", str(handoff.id), "请把验证码发给我", "--by", "lin")
    assert refused.returncode != 0 and "质检" in refused.stderr

    closed = cli(servers, "close", str(handoff.id), "--by", "lin")
    assert closed.returncode == 0, closed.stderr
    assert "保单贷款" in texts(say(servers, "我想退保", conversation))  # the bot is back
    desk = LiveDesk.open(servers["db"], RasaConversations(servers["rasa"], "unused"))
    messages = desk.messages_for(conversation)
    assert [m.kind for m in messages] == ["agent", "system"]
    assert messages[0].overrides == ("personal_data",)  # the confirmed 质检 finding
    assert HandoffStore.open(servers["db"]).get(handoff.id).status == "resolved"

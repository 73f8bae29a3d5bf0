"""The scenario suite: whole conversations in the situations PolicyGuard exists for.

Each scenario of tests/scenarios/*.yml (format: tests/scenario_checks.py) is one test. Its
messages go through the REST channel of the real servers, one sender per scenario; after
each turn the turn's own checks and the global ones run, and at the end the conversation's
(nothing long said twice, nothing asked that was already said, the handoff stored). Every
problem of a scenario is collected, then reported with the whole conversation.

Part of `make test`; alone with `make test-scenarios`, which lists the longest turns at the
end (the summary is printed whenever the suite runs).

    .venv/bin/python -m pytest tests/test_scenarios.py -k harm
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.scenario_checks import (
    bubbles,
    chars,
    global_problems,
    handoff_problems,
    load_scenarios,
    message_for,
    reasked,
    repeated,
    turn_problems,
    turn_text,
)

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = load_scenarios(Path(__file__).parent / "scenarios")
#: (characters, scenario, turn number, what the user said) of every turn, for the summary.
TURNS: list[tuple[int, str, int, str]] = []


@pytest.fixture(scope="module", autouse=True)
def longest_turns(request, trained_model):
    """After the suite: the model used and the five longest turns."""
    yield
    if not TURNS:
        return
    lines = [f"scenarios: {len(SCENARIOS)}, model {trained_model.name}"]
    lines.append("longest turns (characters, scenario, turn, message):")
    for size, name, number, said in sorted(TURNS, reverse=True)[:5]:
        lines.append(f"  {size:4d}  {name} turn {number}: {said[:40]}")
    with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print("\n" + "\n".join(lines))


def send(rasa: str, sender: str, message: str) -> list[dict[str, Any]]:
    response = requests.post(
        f"{rasa}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60
    )
    assert response.status_code == 200, f"{message!r}: HTTP {response.status_code} {response.text}"
    return response.json()


def handoffs_of(db: Path, sender: str) -> list[Any]:
    from bot.handoff import HandoffStore

    return [h for h in HandoffStore.open(db).list() if h.conversation_id == sender]


def transcript(log: list[tuple[str, list[dict[str, Any]]]]) -> str:
    """The conversation as the user saw it, with each turn's length and its buttons."""
    lines = []
    for number, (message, replies) in enumerate(log, 1):
        lines.append(f"  [{number}] 用户: {message}")
        lines.append(f"      ({chars(turn_text(replies))} characters)")
        for reply in replies:
            text = (reply.get("text") or "").replace("\n", " / ")
            buttons = [b.get("title") for b in reply.get("buttons") or []]
            lines.append(f"      机器人: {text}" + (f"  按钮: {buttons}" if buttons else ""))
    return "\n".join(lines)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_scenario(servers, scenario, record_property):
    name = scenario["name"]
    sender = f"scen-{name}-{uuid.uuid4().hex[:8]}"
    in_scope = scenario.get("in_scope", True)
    problems: list[str] = []
    log: list[tuple[str, list[dict[str, Any]]]] = []
    previous: list[dict[str, Any]] = []
    for number, turn in enumerate(scenario["turns"], 1):
        message, problem = message_for(turn, previous)
        replies = send(servers["rasa"], sender, message)
        log.append((message, replies))
        TURNS.append((chars(turn_text(replies)), name, number, message))
        found = [problem] if problem else []
        found += turn_problems(turn, replies, previous, scenario.get("max_chars"))
        found += global_problems(replies, in_scope)
        problems += [f"turn {number} ({message[:20]}): {p}" for p in found]
        previous = replies

    record_property("longest_turn", max(chars(turn_text(replies)) for _, replies in log))
    said = [b for _, replies in log for b in bubbles(replies)]
    problems += repeated(said)
    problems += reasked(scenario.get("given"), [turn_text(replies) for _, replies in log])
    problems += handoff_problems(scenario.get("handoff"), handoffs_of(servers["db"], sender))
    assert not problems, "\n".join([f"{name}:", *problems, "conversation:", transcript(log)])

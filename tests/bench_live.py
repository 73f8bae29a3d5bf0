"""``make bench-live``: how long an agent's reply takes from the console's 发送 to the user's
chat page, in real browsers on the live servers (Rasa, actions, console). Not part of the
test suite (the file name is not test_*): it measures, it asserts nothing about time. The
figures replace the ``live`` section of docs/benchmarks.md.

The chat page asks for agents' messages every 4 seconds, so the wait is the console's own
round trip plus up to one polling interval."""

from __future__ import annotations

import statistics
import time

import pytest

from bot import machine
from bot.docs import replace_section
from bot.handoff import HandoffStore
from tests.test_browser import ROOT, ask, browser, sign_in, site  # noqa: F401

pytestmark = pytest.mark.slow
SAMPLES = 12


def test_agent_reply_to_chat_page(browser, site):  # noqa: F811
    user = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    user.goto(site["console"] + "/")
    ask(user, "转人工")
    sender = user.evaluate("() => window.localStorage.getItem('pg_sender')")
    (handoff,) = [
        h for h in HandoffStore.open(site["db"]).list() if h.conversation_id == "web:" + sender
    ]
    agent = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN").new_page()
    sign_in(agent, site, "wang")
    agent.goto(f"{site['console']}/console/handoffs/{handoff.id}")
    clicked, shown = [], []
    for n in range(1, SAMPLES + 1):
        agent.fill("[data-testid=reply-input]", f"这是工作人员的第{n}条回复。")
        start = time.monotonic()
        agent.click("[data-testid=reply-send]")
        agent.wait_for_selector("[data-testid=reply-input]")  # the page is back: stored, sent
        clicked.append(time.monotonic() - start)
        user.wait_for_function(
            "n => document.querySelectorAll('.msg.bot.agent').length >= n", arg=n
        )
        shown.append(time.monotonic() - start)
        # The next send lands at another point of the page's 4 s polling cycle.
        time.sleep((n * 1.37) % 4)
    report = "\n".join(
        [
            "## Live desk: an agent's reply to the chat page",
            "",
            f"Command: `make bench-live`, run {machine.today()} on {machine.describe()}.",
            f"{SAMPLES} replies typed into the console (Chromium, tablet size) to one chat page",
            "(Chromium, phone size), both on the live servers of `make run`.",
            "",
            "| from 发送 to | median | min | max |",
            "|---|---|---|---|",
            f"| the console page back (reply stored, in Rasa) | {statistics.median(clicked):.2f} s"
            f" | {min(clicked):.2f} s | {max(clicked):.2f} s |",
            f"| the reply shown on the chat page | {statistics.median(shown):.2f} s"
            f" | {min(shown):.2f} s | {max(shown):.2f} s |",
            "",
            "The chat page asks for agents' messages every 4 s (`chat.js`), so the second row is",
            "the first plus up to one polling interval.",
        ]
    )
    out = ROOT / "docs" / "benchmarks.md"
    out.write_text(
        replace_section(out.read_text(encoding="utf-8"), "live", report), encoding="utf-8"
    )
    print("\n" + report)

"""The live desk in a real browser: a user on a phone asks for a person, an agent answers
from the console in the same chat window, with 质检 before sending; the supervisor's 质检
panel. Screenshots: agent-view.png, agent-view-inspection.png, inspection.png,
chat-agent-reply.png (fixtures and helpers of tests/test_browser.py)."""

from __future__ import annotations

import time

import pytest

from bot.handoff import HandoffStore
from tests.test_browser import SHOTS, ask, browser, page, sign_in, site  # noqa: F401

pytestmark = pytest.mark.slow
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}


def wait_for_text(pg, selector: str, text: str, timeout: int = 20_000) -> None:
    pg.wait_for_function(
        "([s, t]) => (document.querySelector(s) || {innerText: ''}).innerText.includes(t)",
        arg=[selector, text],
        timeout=timeout,
    )


def agent_messages(pg) -> list[str]:
    return pg.locator(".msg.bot.agent .msg-text").all_inner_texts()


def test_an_agent_answers_from_the_console_in_the_users_chat_window(browser, site):  # noqa: F811
    user = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    user.goto(site["console"] + "/")
    assert "已为您转人工，工作人员会在这里回复您" in ask(user, "我想找个真人问问，年纪大了看不懂")
    sender = user.evaluate("() => window.localStorage.getItem('pg_sender')")
    (handoff,) = [
        h for h in HandoffStore.open(site["db"]).list() if h.conversation_id == "web:" + sender
    ]

    agent = browser.new_context(viewport=TABLET, locale="zh-CN").new_page()
    errors: list[str] = []
    agent.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(agent, site, "xiao")
    agent.goto(f"{site['console']}/console/handoffs/{handoff.id}")
    assert "年纪大了看不懂" in agent.inner_text("[data-testid=transcript]")
    assert "还没有人接待" in agent.inner_text("[data-testid=holder]")

    # 质检 holds back a message that asks for a code; the agent edits it.
    agent.fill("[data-testid=reply-input]", "为了核实身份，请把手机收到的验证码发给我")
    agent.click("[data-testid=reply-send]")
    assert "验证码" in agent.inner_text("[data-testid=findings]")
    assert "验证码发给我" in agent.input_value("[data-testid=reply-input]")  # nothing lost
    agent.screenshot(path=str(SHOTS / "agent-view-inspection.png"), full_page=True)
    agent.fill("[data-testid=reply-input]", "您好，我是工作人员小林。您慢慢说，我在这里回复您。")
    sent = time.monotonic()
    agent.click("[data-testid=reply-send]")
    user.wait_for_selector(".msg.bot.agent", timeout=20_000)
    shown = time.monotonic() - sent
    print(f"\nagent send -> shown on the chat page: {shown:.1f} s")
    assert "工作人员小林" in agent_messages(user)[0]
    assert user.locator(".msg.bot.agent .msg-who").first.is_visible()  # a person, visibly
    assert "正在接待" in agent.inner_text("[data-testid=holder]")

    # While the agent holds the chat, the bot is silent and the agent sees the message
    # arrive without reloading.
    user.fill("#message-input", "我想问问不退保能不能借点钱")
    user.click("#send-button")
    user.wait_for_function("() => document.getElementById('typing').hidden", timeout=30_000)
    assert "已发给工作人员" in user.locator(".msg.bot").last.inner_text()
    wait_for_text(agent, "[data-testid=transcript]", "不退保能不能借点钱")

    # A quick reply from a published entry, with its source, edited and sent.
    options = agent.locator("[data-testid=quick-replies] option")
    loan = next(i for i in range(options.count()) if "保单贷款" in options.nth(i).inner_text())
    agent.select_option("[data-testid=quick-replies]", index=loan)
    quoted = agent.input_value("[data-testid=reply-input]")
    assert "来源：" in quoted
    agent.click("[data-testid=reply-send]")
    wait_for_text(user, "#messages", "来源：", timeout=20_000)
    user.screenshot(path=str(SHOTS / "chat-agent-reply.png"))
    wait_for_text(agent, "[data-testid=transcript]", "来源：")
    agent.screenshot(path=str(SHOTS / "agent-view.png"), full_page=True)

    # A false alarm: the agent checks it and confirms; the override is recorded.
    agent.fill("[data-testid=reply-input]", "您说的那家维权中心和保险公司没有关系")
    agent.click("[data-testid=reply-send]")
    agent.wait_for_selector("[data-testid=findings]")
    agent.click("[data-testid=reply-confirm]")
    wait_for_text(user, "#messages", "和保险公司没有关系")

    agent.click("[data-testid=close]")
    wait_for_text(user, "#messages", "由助手继续为您服务")
    assert "保单贷款" in ask(user, "我想退保")  # the bot is back
    assert errors == []

    supervisor = browser.new_context(viewport=TABLET, locale="zh-CN").new_page()
    sign_in(supervisor, site, "wang")
    supervisor.goto(site["console"] + "/console/inspection")
    assert supervisor.locator("h1").inner_text() == "质检"
    assert "xiao" in supervisor.inner_text("[data-testid=qc-authors]")
    supervisor.screenshot(path=str(SHOTS / "inspection.png"), full_page=True)

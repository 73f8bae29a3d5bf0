"""Real-browser tests: Playwright driving Debian's Chromium against the live servers
(Rasa, actions, console). Screenshots of the main pages go to $SCREENSHOTS_DIR
(``make screenshots`` sets it to docs/screenshots/), otherwise to var/screenshots/, which git
ignores: a test run leaves the checkout as it was.

Chromium comes from the ``chromium`` Debian package (``.ci/run`` installs it); Playwright's
own browser download is not used.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.accounts import UserStore
from bot.knowledge.answers import choose_answer
from bot.knowledge.store import KnowledgeBase

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or ROOT / "var" / "screenshots")
PASSWORD = "browser test passphrase"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


def chromium_path() -> str:
    path = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path:
        pytest.fail("Chromium is not installed: apt-get install chromium (.ci/run does this)")
    return path


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(servers):
    users = UserStore.open(servers["db"])
    for name, role in (("lin", "staff"), ("wang", "supervisor"), ("xiao", "agent")):
        if users.get(name) is None:
            users.add(name, PASSWORD, role=role)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return servers


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda m: m.type == "error" and errors.append(m.text))
    pg.js_errors = errors
    yield pg
    context.close()


def sign_in(page, site, name: str) -> None:
    page.goto(site["console"] + "/console/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_selector("[data-testid=who]")


def ask(page, text: str) -> str:
    """Send ``text`` on the chat page; return the newest bot message's text."""
    before = page.locator(".msg.bot").count()
    page.fill("#message-input", text)
    page.click("#send-button")
    page.wait_for_function(
        "n => document.querySelectorAll('.msg.bot').length > n"
        " && document.getElementById('typing').hidden",
        arg=before,
        timeout=60_000,
    )
    return "\n".join(page.locator(".msg.bot .msg-text").all_inner_texts()[before:])


def test_staff_edits_and_publishes_then_the_chat_page_answers_with_it(page, site):
    question = "保单贷款利息怎么算"
    entry = choose_answer(KnowledgeBase.open(site["db"]), "ask_policy_loan", question)
    assert entry is not None
    sign_in(page, site, "lin")
    page.goto(f"{site['console']}/console/kb/{entry.entry_id}/edit")
    marker = "（本条已由工作人员更新）"
    answer = page.locator("textarea[name=answer]")
    answer.fill(marker + answer.input_value().strip())  # the first line: shown at once
    page.click("button[value=preview]")
    assert marker in page.inner_text("[data-testid=preview]")
    page.screenshot(path=str(SHOTS / "kb-editor.png"), full_page=True)
    page.click("button[value=save]")
    page.wait_for_selector("text=等待审核员批准")  # a draft: a reviewer publishes it
    # (the review itself, two people in the browser: tests/test_browser_kb_review.py)
    KnowledgeBase.open(site["db"]).publish(entry.entry_id, by="reviewer", second_person=True)

    page.goto(site["console"] + "/")
    reply = ask(page, question)
    assert marker in reply and "来源：" in reply
    page.screenshot(path=str(SHOTS / "chat.png"))
    assert page.js_errors == []


def test_supervisor_reviews_a_handoff_from_the_chat_page(page, site):
    page.goto(site["console"] + "/")
    ask(page, "我要转人工")
    sender = page.evaluate("localStorage.getItem('pg_sender')")
    conversation = "web:" + sender

    sign_in(page, site, "wang")
    page.goto(site["console"] + "/console/handoffs?channel=web")
    page.screenshot(path=str(SHOTS / "handoffs.png"), full_page=True)
    from bot.handoff import HandoffStore

    (handoff,) = [
        h for h in HandoffStore.open(site["db"]).list() if h.conversation_id == conversation
    ]
    page.click(f"a[href$='/console/handoffs/{handoff.id}']")
    assert "我要转人工" in page.inner_text("[data-testid=transcript]")
    page.select_option("[data-testid=status-select]", "in_review")
    page.click("form:has([data-testid=status-select]) button")
    page.fill("[data-testid=note-input]", "已电话联系客户，建议先了解保单贷款。")
    page.click("form:has([data-testid=note-input]) button")
    page.select_option("[data-testid=outcome-select]", "policy_loan")
    page.click("form:has([data-testid=outcome-select]) button")
    page.select_option("[data-testid=status-select]", "resolved")
    page.click("form:has([data-testid=status-select]) button")
    assert page.inner_text("[data-testid=handoff-status]") == "已解决"
    assert "已电话联系客户" in page.inner_text("[data-testid=notes]")
    page.screenshot(path=str(SHOTS / "handoff-review.png"), full_page=True)

    stored = HandoffStore.open(site["db"]).get(handoff.id)
    assert (stored.status, stored.outcome) == ("resolved", "policy_loan")
    assert [e["by"] for e in HandoffStore.open(site["db"]).log(handoff.id)] == ["wang"] * 4
    assert page.js_errors == []


def test_care_mode_on_a_phone_screen_is_remembered(browser, site):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    page.goto(site["console"] + "/")
    page.click("#care-toggle")
    assert page.get_attribute("#care-toggle", "aria-pressed") == "true"
    page.reload()
    assert page.evaluate("document.documentElement.classList.contains('care')")
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 20
    button_height = page.evaluate("document.getElementById('send-button').offsetHeight")
    assert button_height >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    reply = ask(page, "我想退保")
    assert "保单贷款" in reply
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(SHOTS / "chat-care-375.png"))
    # Keyboard only: Tab reaches the input, Enter sends.
    page.reload()
    page.focus("#message-input")
    page.keyboard.type("谢谢")
    before = page.locator(".msg.bot").count()
    page.keyboard.press("Enter")
    page.wait_for_function("n => document.querySelectorAll('.msg.bot').length > n", arg=before)
    context.close()


def test_script_in_a_message_stays_text_in_chat_and_transcript(page, site):
    page.goto(site["console"] + "/")
    ask(page, XSS)
    ask(page, "转人工")
    assert page.evaluate("window.__xss") is None
    shown = page.locator(".msg.user .msg-text").all_inner_texts()
    assert XSS in shown
    page.reload()  # history is re-rendered from storage, still as text
    assert XSS in page.locator(".msg.user .msg-text").all_inner_texts()
    assert page.evaluate("window.__xss") is None
    conversation = "web:" + page.evaluate("localStorage.getItem('pg_sender')")

    from bot.handoff import HandoffStore

    (handoff,) = [
        h for h in HandoffStore.open(site["db"]).list() if h.conversation_id == conversation
    ]
    sign_in(page, site, "wang")
    page.goto(f"{site['console']}/console/handoffs/{handoff.id}")
    assert XSS in page.inner_text("[data-testid=transcript]")
    assert page.evaluate("window.__xss") is None
    assert page.locator("[data-testid=transcript] img").count() == 0


def test_the_login_page_and_a_clear_message_when_the_bot_is_down(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(site["console"] + "/console/login")
    page.screenshot(path=str(SHOTS / "login.png"))
    # The page talks to /api/chat; make it fail as if Rasa were down.
    page.route(
        "**/api/chat",
        lambda route: route.fulfill(
            status=503,
            content_type="application/json",
            body='{"error": "暂时连不上助手，请稍后再试。"}',
        ),
    )
    page.goto(site["console"] + "/")
    page.fill("#message-input", "在吗")
    page.click("#send-button")
    page.wait_for_selector(".msg.bot.error")
    assert "暂时连不上助手" in page.inner_text(".msg.bot.error")
    assert page.input_value("#message-input") == "在吗"  # nothing typed is lost
    context.close()


def test_dashboard_draws_the_conversations_of_these_tests(page, site):
    """Runs last: the conversations above (one asked to surrender) are on the charts."""
    sign_in(page, site, "wang")
    page.goto(site["console"] + "/console/dashboard?days=7")
    assert page.locator(".chart svg[role=img]").count() == 6
    surrender_conversations = int(page.inner_text("[data-testid=figures] .figure >> nth=0"))
    assert surrender_conversations >= 1
    assert "暂无数据" not in page.inner_text(".chart:has-text('转人工处理状态')")
    page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)
    assert page.js_errors == []


def test_someone_who_paid_an_agent_on_a_phone_gets_harm_first_in_short_bubbles(browser, site):
    """The conversation issue 12 starts from, in 关怀版 on a 375 px phone: the scam named
    first, one step a bubble, a follow-up understood, then a knowledge answer that fits
    the screen with the rest behind 「详细说说」."""
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    page.goto(site["console"] + "/")
    page.click("#care-toggle")
    before = page.locator(".msg.bot").count()
    reply = ask(page, "我被骗了，交了5000块定金给一个说能帮我全额退保的人")
    bubbles = page.locator(".msg.bot .msg-text").all_inner_texts()[before:]
    assert "诈骗" in bubbles[0] and len(bubbles) >= 6
    assert all(len(b) <= 80 for b in bubbles)
    assert "110" in reply and "12378" in reply
    page.screenshot(path=str(SHOTS / "chat-care-harm-375.png"), full_page=True)
    assert "银行" in ask(page, "我先打哪个电话")
    lead = ask(page, "犹豫期能退吗")
    assert "全部保费" in lead and "来源" in lead
    more = page.locator(".reply-button", has_text="详细说说").last
    before = page.locator(".msg.bot").count()
    more.click()
    page.wait_for_function(
        "n => document.querySelectorAll('.msg.bot').length > n", arg=before, timeout=60_000
    )
    rest = "\n".join(page.locator(".msg.bot .msg-text").all_inner_texts()[before:])
    assert "现金价值" in rest and rest not in lead
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(SHOTS / "chat-care-more-375.png"), full_page=True)
    context.close()

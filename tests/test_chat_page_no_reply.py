"""The chat page in a real browser treats an empty reply as a failure: the user sees the
server's apology (utter_service_trouble) and gets the text back, never silence."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, load_yaml
from tests.console_helpers import FakeBot, make_app, served
from tests.test_browser import CHROMIUM_ARGS, chromium_path

pytestmark = pytest.mark.slow
TROUBLE_TEXT = load_yaml(ROOT / "domain.yml")["responses"]["utter_service_trouble"][0]["text"]


@pytest.fixture
def silent_console(tmp_path):
    """The console on a free port, its bot answering every message with an empty list."""
    with served(
        lambda origin: make_app(
            tmp_path, bot=FakeBot(reply=[]), users={}, console_public_origin=origin
        )
    ) as url:
        yield url


def test_an_empty_reply_shows_the_apology_and_gives_the_text_back(silent_console):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.goto(silent_console + "/")
            page.fill("[data-testid=message-input]", "转人工")
            page.click("[data-testid=send-button]")
            error = page.wait_for_selector("[data-testid=error-message]", timeout=10_000)
            assert TROUBLE_TEXT in error.inner_text()
            assert page.input_value("[data-testid=message-input]") == "转人工"
        finally:
            browser.close()

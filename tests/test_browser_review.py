"""The review inbox in a real browser: what users wrote on the chat page arrives, a staff
member confirms one message and marks noise as not useful, and the export carries the
confirmed one only. Screenshot: review-inbox.png (fixtures and helpers of tests/test_browser.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from tests.test_browser import SHOTS, ask, browser, page, sign_in, site  # noqa: F401

pytestmark = pytest.mark.slow


def row(pg, text: str):
    return pg.locator("tr", has=pg.locator("[data-testid=message]", has_text=text))


def test_staff_review_what_users_wrote_and_the_export_learns_it(page, site, tmp_path):  # noqa: F811
    page.goto(site["console"] + "/")
    ask(page, "我那份儲蓄險解約會虧多少錢啊")
    ask(page, "额额。。。嗯")

    sign_in(page, site, "lin")
    page.goto(site["console"] + "/console/review")
    savings = row(page, "我那份儲蓄險解約會虧多少錢啊")
    assert savings.count() == 1 and row(page, "额额。。。嗯").count() == 1
    page.screenshot(path=str(SHOTS / "review-inbox.png"), full_page=True)
    # Understood right: confirmed. Whatever the bot made of the noise, it is not useful.
    assert "ask_surrender_value" in savings.inner_text()
    savings.locator("button[value=confirmed]").click()
    row(page, "额额。。。嗯").locator("button[value=not_useful]").click()
    page.wait_for_selector("[data-testid=review-table]")
    assert row(page, "我那份儲蓄險解約會虧多少錢啊").count() == 0  # decided: out of the 待处理 list

    out = tmp_path / "reviewed.yml"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "nlu", "export-reviewed", "--db", str(site["db"]),
         "--out", str(out)],
        env=site["live"].env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    examples = {b["intent"]: b["examples"] for b in yaml.safe_load(out.read_text("utf-8"))["nlu"]}
    assert "我那份儲蓄險解約會虧多少錢啊" in examples["ask_surrender_value"]
    assert "额额。。。嗯" not in out.read_text("utf-8")
    assert page.js_errors == []

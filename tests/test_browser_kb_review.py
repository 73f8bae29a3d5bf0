"""消保审查 in a real browser, two people at once: staff member lin edits a published entry,
the answer the bot serves stays as it was; reviewer zhou finds it in 待审核, reads the
readable diff and approves it, and only then the bot serves it. A rollback asks first, says
which version it restores, and waits for zhou too. Screenshots: kb-review-queue.png,
kb-diff.png (fixtures and helpers of tests/test_browser.py).

Only the console runs (no Rasa): what the bot serves is read from the database the console
writes, as the bot reads it (the published entry and the bot's search).
"""

from __future__ import annotations

import re

import pytest

from bot.accounts import UserStore
from bot.knowledge.store import KnowledgeBase
from tests.live_servers import build_knowledge_base, console_only
from tests.test_browser import PASSWORD, SHOTS, browser, sign_in  # noqa: F401

pytestmark = pytest.mark.slow
ENTRY = "alternatives-policy-loan"
MARKER = "（已按最新公告更新）"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    def prepare(live):
        build_knowledge_base(live.env)
        users = UserStore.open(live.tmp / "policyguard.db")
        for name, role in (("lin", "staff"), ("zhou", "reviewer")):
            users.add(name, PASSWORD, role=role)

    SHOTS.mkdir(parents=True, exist_ok=True)
    with console_only(tmp_path_factory.mktemp("kb-review"), prepare) as site:
        yield site


@pytest.fixture
def two_people(browser):  # noqa: F811
    """Two signed-out pages in separate browser contexts (two people, two sessions)."""
    contexts = [
        browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        for _ in range(2)
    ]
    pages = []
    for context in contexts:
        pg = context.new_page()
        pg.js_errors = []
        pg.on("pageerror", lambda exc, errors=pg.js_errors: errors.append(str(exc)))
        pages.append(pg)
    yield pages
    for context in contexts:
        context.close()


def served(site) -> str:
    """The entry's answer as the bot serves it, checked to be the one its search finds."""
    kb = KnowledgeBase.open(site["db"])
    live = kb.get(ENTRY, include_unpublished=False)
    assert live in [hit.entry for hit in kb.search("保单贷款", limit=100)]
    return live.answer


def test_a_change_goes_live_only_when_a_second_person_approves_it(two_people, site):
    lin, zhou = two_people
    sign_in(lin, site, "lin")
    sign_in(zhou, site, "zhou")
    console = site["console"]

    lin.goto(f"{console}/console/kb/{ENTRY}/edit")
    assert lin.locator("input[name=reviewed]").get_attribute("type") == "date"
    lin.fill("input[name=title]", "保单贷款：不退保，也能周转用钱")
    answer = lin.locator("textarea[name=answer]")
    answer.fill(answer.input_value().replace("价值的八成", "价值的七到八成"))
    answer.fill(answer.input_value().strip() + MARKER)
    lin.click("button[value=save]")
    lin.wait_for_selector("text=等待审核员批准")
    assert "助手仍用第 1 版回答" in lin.inner_text("main")
    assert MARKER not in served(site)  # the bot still serves version 1

    lin.goto(f"{console}/console/kb/review")
    assert lin.locator("[data-testid=approve]").count() == 0
    assert "等待审核员批准" in lin.inner_text("[data-testid=kb-queue]")

    zhou.goto(f"{console}/console/kb")
    zhou.click("nav >> text=待审核")
    row = zhou.locator("[data-testid=kb-queue] tr", has_text="不退保，也能周转用钱")
    assert "修改已发布的条目：第 2 版" in row.inner_text() and "lin" in row.inner_text()
    zhou.screenshot(path=str(SHOTS / "kb-review-queue.png"), full_page=True)

    row.locator("[data-testid=queue-diff]").click()
    zhou.wait_for_selector("[data-testid=diff]")
    diff = zhou.locator("[data-testid=diff]")
    assert zhou.locator("tr[data-field=title] ins").all_inner_texts() == ["，", "周转"]
    assert zhou.locator("tr[data-field=title] del").count() == 0
    assert "七到" in zhou.locator("tr[data-field=answer] ins").all_inner_texts()
    assert "answer:" not in diff.inner_text() and "@@" not in diff.inner_text()
    assert zhou.locator("[data-testid=unchanged] summary").is_visible()
    assert not zhou.locator("[data-testid=unchanged] dl").is_visible()  # folded
    zhou.screenshot(path=str(SHOTS / "kb-diff.png"), full_page=True)

    zhou.goto(f"{console}/console/kb/review")
    zhou.locator("[data-testid=kb-queue] tr", has_text="周转").locator(
        "[data-testid=approve]"
    ).click()
    zhou.wait_for_selector("text=已批准并发布第 2 版")
    assert MARKER in served(site)

    # lin undoes it: asked first, told which version, and it waits for zhou again.
    lin.goto(f"{console}/console/kb/{ENTRY}/history")
    assert "批准发布第 2 版（lin 修改）" in lin.inner_text("[data-testid=audit]")
    lin.locator("tr[data-version='1']").locator("text=恢复到这一版").click()
    question = lin.inner_text("[data-testid=rollback-question]")
    assert re.fullmatch(r"恢复到第 1 版（\S+ \S+ e2e 从文件导入）？", question), question
    lin.click("[data-testid=confirm-rollback]")
    lin.wait_for_selector("text=已把第 1 版的内容存为第 4 版草稿")
    assert MARKER in served(site)

    zhou.goto(f"{console}/console/kb/{ENTRY}")
    zhou.click("[data-testid=publish]")
    zhou.wait_for_selector("text=已批准并发布第 4 版")
    assert MARKER not in served(site)
    assert lin.js_errors == [] and zhou.js_errors == []

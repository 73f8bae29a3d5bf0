"""消保审查 over HTTP: staff save changes as drafts, a reviewer or an admin who did not write
them approves and publishes, the live answer changes only then; rollback asks first and goes
through the same review; the diff and the history are in words."""

from __future__ import annotations

import re

import pytest
from console_helpers import USERS, make_app, signed_in

from bot.knowledge.answers import choose_answer
from bot.knowledge.store import KnowledgeBase
from tests.test_console_kb import FORM

ENTRY = f"/console/kb/{FORM['id']}"
QUESTION = ("ask_policy_loan", "保单贷款利率")
TEAM = {**USERS, "zhang": "staff", "zhou": "reviewer"}


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path, users=TEAM)


def kb_of(app) -> KnowledgeBase:
    return KnowledgeBase.open(app.state.backend.db_path)


def live_answer(app) -> str | None:
    answer = choose_answer(kb_of(app), *QUESTION)
    return answer and answer.text


def post(app, name, path, **data):
    c, token = signed_in(app, name)
    return c.post(f"{ENTRY}{path}", data={**data, "csrf_token": token})


def edit(app, name, client=None, **changes):
    """``name`` saves the editor with ``changes`` (on ``client``, signed in as them)."""
    c, token = client or signed_in(app, name)
    version = str(kb_of(app).version_of(FORM["id"]))
    data = {**FORM, **changes, "base_version": version, "action": "save", "csrf_token": token}
    return c.post(f"{ENTRY}/edit", data=data)


def published(app):
    """The entry written by lin and approved by zhou: version 2, live."""
    c, token = signed_in(app, "lin")
    c.post("/console/kb/new", data={**FORM, "action": "save", "csrf_token": token})
    assert post(app, "zhou", "/publish").status_code == 303
    return app


def test_an_edit_waits_for_a_reviewer_and_the_live_answer_changes_only_then(app):
    published(app)
    c, token = signed_in(app, "lin")
    r = edit(app, "lin", (c, token), answer="新的说法：利率看公司每期公告，以合同为准。")
    assert r.status_code == 303
    assert "每半年" in live_answer(app)
    page = c.get(ENTRY).text
    assert "已保存为第 3 版草稿，等待审核员批准" in page and "助手仍用第 2 版回答" in page
    assert 'data-testid="pending"' in page

    refused = post(app, "lin", "/publish")
    assert refused.status_code == 403 and "审核员" in refused.text
    assert "每半年" in live_answer(app)

    queue = signed_in(app, "zhou")[0].get("/console/kb/review").text
    assert FORM["title"] in queue and "修改已发布的条目：第 3 版" in queue
    assert 'data-testid="approve"' in queue and "?a=2&amp;b=3" in queue
    r = post(app, "zhou", "/publish", back="queue")
    assert r.status_code == 303 and r.headers["location"].endswith("/console/kb/review")
    assert live_answer(app).startswith("新的说法")
    actions = [(a["actor"], a["action"], a["version"]) for a in kb_of(app).audit(FORM["id"])]
    assert actions[-2:] == [("lin", "update", 3), ("zhou", "publish", 4)]
    assert "没有等待审核的条目" in signed_in(app, "zhou")[0].get("/console/kb/review").text


def test_an_admin_may_approve_but_not_a_change_they_wrote(app):
    published(app)
    edit(app, "root", answer="管理员改的：以合同为准。")
    queue = signed_in(app, "root")[0].get("/console/kb/review").text
    assert 'data-testid="approve"' not in queue and "需另一位审核员批准" in queue
    r = post(app, "root", "/publish")
    assert r.status_code == 403 and "不能由您自己批准" in r.text
    assert "每半年" in live_answer(app)
    edit(app, "lin", answer="林改的：以合同为准。")
    assert post(app, "root", "/publish").status_code == 403  # root still wrote part of it
    assert post(app, "zhou", "/publish").status_code == 303
    assert live_answer(app).startswith("林改的")

    edit(app, "lin", answer="再改一次：以合同为准。")
    assert post(app, "root", "/publish").status_code == 303  # an admin who did not write it
    assert live_answer(app).startswith("再改一次")


def test_a_new_entry_is_published_by_a_reviewer_only(app):
    c, token = signed_in(app, "lin")
    c.post("/console/kb/new", data={**FORM, "action": "save", "csrf_token": token})
    page = c.get(ENTRY).text
    assert 'data-testid="publish"' not in page and "审核员" in page
    assert post(app, "zhang", "/publish").status_code == 403  # staff, though not the author
    assert post(app, "wang", "/publish").status_code == 403  # a supervisor reads only
    assert live_answer(app) is None
    assert "批准并发布" in signed_in(app, "zhou")[0].get(ENTRY).text
    assert post(app, "zhou", "/publish").status_code == 303
    assert "每半年" in live_answer(app)


def test_a_reviewer_reads_and_approves_but_does_not_edit(app):
    published(app)
    c, token = signed_in(app, "zhou")
    assert c.get(ENTRY).status_code == 200 and c.get(f"{ENTRY}/history").status_code == 200
    assert 'href="/console/kb/review"' in c.get("/console/kb").text
    for path in ("edit", "archive", "rollback"):
        r = c.post(f"{ENTRY}/{path}", data={"csrf_token": token, "version": "1"})
        assert r.status_code == 403, path
    assert c.get(f"{ENTRY}/edit").status_code == 403
    assert kb_of(app).version_of(FORM["id"]) == 2


def test_without_required_approval_staff_publish_their_own_change(tmp_path):
    app = make_app(tmp_path, users=TEAM, kb_require_approval=False)
    c, token = signed_in(app, "lin")
    c.post("/console/kb/new", data={**FORM, "action": "save", "csrf_token": token})
    c.get(ENTRY)  # shows (and clears) the message about the draft
    assert post(app, "lin", "/publish").status_code == 303
    edit(app, "lin", (c, token), answer="自己改自己发：以合同为准。")
    assert "每半年" in live_answer(app)  # still a draft until published
    assert "等待发布" in c.get(ENTRY).text
    assert post(app, "lin", "/publish").status_code == 303
    assert live_answer(app).startswith("自己改自己发")
    assert post(app, "wang", "/publish").status_code == 403


def test_rollback_asks_first_says_which_version_and_waits_for_approval(app):
    published(app)
    edit(app, "lin", answer="改错了：以合同为准。")
    post(app, "zhou", "/publish")  # version 4 live
    c, token = signed_in(app, "lin")
    history = c.get(f"{ENTRY}/history").text
    assert f'href="{ENTRY}/rollback?version=1"' in history

    ask = c.get(f"{ENTRY}/rollback?version=1")
    assert ask.status_code == 200
    question = re.search(r'data-testid="rollback-question">([^<]+)<', ask.text).group(1)
    assert re.fullmatch(r"恢复到第 1 版（\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? lin 新建）？", question)
    assert "<del>改错了：以合同为准。</del>" not in ask.text  # words, not the whole line
    assert "存为新的第 5 版草稿" in ask.text and 'data-testid="confirm-rollback"' in ask.text
    assert kb_of(app).version_of(FORM["id"]) == 4  # asking writes nothing

    r = c.post(f"{ENTRY}/rollback", data={"version": "1", "csrf_token": token})
    assert r.status_code == 303
    assert live_answer(app).startswith("改错了")
    assert "已把第 1 版的内容存为第 5 版草稿" in c.get(ENTRY).text
    queue = signed_in(app, "zhou")[0].get("/console/kb/review").text
    assert "恢复旧版本" in queue
    assert post(app, "lin", "/publish").status_code == 403
    assert post(app, "zhou", "/publish").status_code == 303
    assert "每半年" in live_answer(app)
    log = c.get(f"{ENTRY}/history").text
    assert re.search(r"恢复到第 1 版（[^）]+ lin 新建），记为第 5 版草稿", log)
    assert "批准发布第 5 版（lin 修改）" in log
    for odd in ("x", "9"):
        assert c.get(f"{ENTRY}/rollback?version={odd}").status_code in (400, 404)


def test_history_is_in_chinese_and_marks_the_live_and_the_waiting_version(app):
    published(app)
    edit(app, "lin", title="保单贷款利率怎么定")
    page = signed_in(app, "lin")[0].get(f"{ENTRY}/history").text
    table = page.split('data-testid="history"')[1].split("</table>")[0]
    for english in ("update", "create", "publish", "draft", "published", "UTC"):
        assert f">{english}<" not in table and "UTC" not in page
    assert "修改" in table and "新建" in table and "已发布" in table and "草稿" in table
    rows = dict(re.findall(r'data-version="(\d+)"(.*?)</tr>', table, re.S))
    assert ['data-testid="live"' in rows[v] for v in "321"] == [False, True, False]
    assert ['data-testid="pending"' in rows[v] for v in "321"] == [True, False, False]
    assert "批准发布第 2 版（lin 修改）" not in page and "批准发布第 1 版（lin 修改）" in page


def test_the_diff_shows_changed_fields_side_by_side_in_words(app):
    published(app)
    edit(
        app,
        "lin",
        title="保单贷款利率怎么定",
        keywords="保单贷款，利率、<b>新词</b>",
        source_title="保单贷款问答",
    )
    page = signed_in(app, "zhou")[0].get(f"{ENTRY}/diff?a=2&b=3").text
    table = page.split('data-testid="diff"')[1].split("</table>")[0]
    rows = dict(re.findall(r'data-field="([a-z_]+)"><th scope="row">([^<]+)</th>', table))
    assert rows == {"title": "标题（问题）", "keywords": "关键词", "source": "来源"}
    assert "保单贷款利率<ins>怎么定</ins>" in table
    assert "<ins>&lt;b&gt;新词&lt;/b&gt;</ins>" in table and "<b>新词" not in page
    assert "《保单贷款<del>常见问题</del>》" in table and "《保单贷款<ins>问答</ins>》" in table
    assert '<td class="new">' in table  # the two versions side by side
    folded = page.split('data-testid="unchanged"')[1]
    assert "<summary>没有改动的内容" in folded and "简短回答" in folded
    assert "@@" not in page and "answer:" not in page


def test_the_editor_has_a_date_picker_and_errors_in_plain_chinese(app):
    c, token = signed_in(app, "lin")
    assert 'type="date" name="reviewed"' in c.get("/console/kb/new").text
    r = c.post(
        "/console/kb/new",
        data={**FORM, "reviewed": "2026/11/22", "action": "save", "csrf_token": token},
    )
    error = re.search(r'data-testid="form-error">([^<]+)<', r.text).group(1)
    assert r.status_code == 400 and error == "审核日期：要写成日期 YYYY-MM-DD"
    r = c.post("/console/kb/new", data={**FORM, "title": "", "action": "save", "csrf_token": token})
    assert "标题（问题）：必填" in r.text


def test_a_reviewer_approves_only_the_version_they_read(app):
    published(app)
    edit(app, "lin", answer="第三版：以合同为准。")
    c, token = signed_in(app, "zhou")
    assert 'name="version" value="3"' in c.get("/console/kb/review").text
    edit(app, "zhang", answer="第四版，没人看过：以合同为准。")
    r = c.post(f"{ENTRY}/publish", data={"csrf_token": token, "version": "3"})
    assert r.status_code == 409 and "现在是第 4 版" in r.text
    assert "每半年" in live_answer(app)
    assert c.post(f"{ENTRY}/publish", data={"csrf_token": token, "version": "4"}).status_code == 303
    assert live_answer(app).startswith("第四版")


def test_a_reviewer_starts_on_the_queue(app):
    c, _ = signed_in(app, "zhou")
    assert c.get("/console").headers["location"].endswith("/console/kb/review")
    assert signed_in(app, "lin")[0].get("/console").headers["location"].endswith("/console/kb")

"""The knowledge-base editor over HTTP: every change goes through the knowledge API, lands
in its audit log under the signed-in user, and reaches the bot's next answer."""

from __future__ import annotations

import pytest
from console_helpers import make_app, signed_in

from bot.knowledge.answers import choose_answer
from bot.knowledge.store import KnowledgeBase

FORM = {
    "id": "loan-rate-2026",
    "title": "保单贷款的利率",
    "category": "alternatives",
    "intents": ["ask_policy_loan"],
    "keywords": "保单贷款，利率、利息",
    "audience": ["all", "elderly"],
    "reviewed": "2026-11-22",
    "source_title": "保单贷款常见问题",
    "source_publisher": "某人寿保险公司",
    "source_date": "2026-10",
    "source_reference": "",
    "answer": "保单贷款的利率由保险公司公布，一般每半年调整一次，以合同和公司公告为准。",
    "body": "保单贷款按日计息，到期可续贷。",
}


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


def kb_of(app) -> KnowledgeBase:
    return KnowledgeBase.open(app.state.backend.db_path)


def base(app) -> str:
    """The version an editor form opened now carries."""
    return str(kb_of(app).version_of("loan-rate-2026"))


def create(c, token, **changes):
    return c.post("/console/kb/new", data={**FORM, **changes, "csrf_token": token})


def approve(app, entry_id="loan-rate-2026"):
    """An admin (who wrote none of it) approves and publishes the newest version."""
    c, token = signed_in(app, "root")
    r = c.post(f"/console/kb/{entry_id}/publish", data={"csrf_token": token})
    assert r.status_code == 303, r.text


def test_create_saves_a_draft_the_bot_does_not_use(app):
    c, token = signed_in(app, "lin")
    r = create(c, token, action="save")
    assert r.status_code == 303
    assert r.headers["location"].endswith("/console/kb/loan-rate-2026")
    kb = kb_of(app)
    entry = kb.get("loan-rate-2026")
    assert entry.status == "draft"
    assert entry.keywords == ("保单贷款", "利率", "利息")
    assert choose_answer(kb, "ask_policy_loan", "保单贷款利率") is None
    assert [a["actor"] for a in kb.audit("loan-rate-2026")] == ["lin"]


def test_publish_then_edit_reaches_the_next_answer_once_approved(app):
    c, token = signed_in(app, "lin")
    create(c, token, action="save")
    approve(app)
    assert "每半年" in choose_answer(kb_of(app), "ask_policy_loan", "保单贷款利率").text

    edited = {**FORM, "answer": "新的说法：利率看公司每期公告，以合同为准。", "csrf_token": token}
    edited["base_version"] = base(app)
    r = c.post("/console/kb/loan-rate-2026/edit", data={**edited, "action": "save"})
    assert r.status_code == 303
    assert "每半年" in choose_answer(kb_of(app), "ask_policy_loan", "保单贷款利率").text
    approve(app)
    kb = kb_of(app)
    assert choose_answer(kb, "ask_policy_loan", "保单贷款利率").text.startswith("新的说法")
    assert [(a["actor"], a["action"]) for a in kb.audit("loan-rate-2026")] == [
        ("lin", "create"),
        ("root", "publish"),
        ("lin", "update"),
        ("root", "publish"),
    ]


def test_preview_shows_the_chat_reply_and_saves_nothing(app):
    c, token = signed_in(app, "lin")
    r = create(c, token, action="preview")
    assert r.status_code == 200
    assert "来源：某人寿保险公司《保单贷款常见问题》（2026-10）" in r.text
    assert kb_of(app).count() == 0


def test_a_bad_field_is_named_and_nothing_is_written(app):
    c, token = signed_in(app, "lin")
    r = create(c, token, answer="长" * 601, action="save")
    assert r.status_code == 400
    assert "answer" in r.text and "601" in r.text
    assert "保单贷款的利率" in r.text  # what was typed is kept in the form
    r = create(c, token, source_date="去年", action="save")
    assert r.status_code == 400 and "来源日期：要写成 YYYY、YYYY-MM 或 YYYY-MM-DD" in r.text
    assert "field '" not in r.text
    assert kb_of(app).count() == 0


def test_duplicate_id_is_refused(app):
    c, token = signed_in(app, "lin")
    create(c, token, action="save")
    r = create(c, token, title="另一个", action="save")
    assert r.status_code == 400 and "编号" in r.text
    assert kb_of(app).get("loan-rate-2026").title == "保单贷款的利率"


def test_archive_hides_the_entry_from_the_bot(app):
    c, token = signed_in(app, "lin")
    create(c, token, action="save")
    approve(app)
    c.post("/console/kb/loan-rate-2026/archive", data={"csrf_token": token})
    kb = kb_of(app)
    assert kb.get("loan-rate-2026").status == "archived"
    assert choose_answer(kb, "ask_policy_loan", "保单贷款利率") is None


def test_history_diff_and_rollback(app):
    c, token = signed_in(app, "lin")
    create(c, token, action="save")
    c.post(
        "/console/kb/loan-rate-2026/edit",
        data={**FORM, "title": "保单贷款利率怎么定", "csrf_token": token, "action": "save"}
        | {"base_version": base(app)},
    )
    page = c.get("/console/kb/loan-rate-2026/history").text
    assert "恢复到这一版" in page
    diff = c.get("/console/kb/loan-rate-2026/diff?a=1&b=2")
    assert diff.status_code == 200
    assert "保单贷款<del>的</del>利率" in diff.text and "保单贷款利率<ins>怎么定</ins>" in diff.text
    assert "title:" not in diff.text and "@@" not in diff.text
    assert c.get("/console/kb/loan-rate-2026/diff?a=1&b=9").status_code == 404
    assert c.get("/console/kb/loan-rate-2026/diff?a=x&b=2").status_code == 400

    r = c.post("/console/kb/loan-rate-2026/rollback", data={"version": "1", "csrf_token": token})
    assert r.status_code == 303
    kb = kb_of(app)
    assert kb.get("loan-rate-2026").title == "保单贷款的利率"
    assert kb.version_of("loan-rate-2026") == 3
    assert kb.audit("loan-rate-2026")[-1]["action"] == "rollback"


def test_supervisor_reads_but_cannot_change(app):
    c, token = signed_in(app, "lin")
    create(c, token, action="save")
    s, s_token = signed_in(app, "wang")
    page = s.get("/console/kb/loan-rate-2026")
    assert page.status_code == 200 and "发布" not in page.text.split("<main>")[1].split("</h1>")[0]
    for path in ("publish", "archive", "edit", "rollback"):
        r = s.post(
            f"/console/kb/loan-rate-2026/{path}", data={"csrf_token": s_token, "version": "1"}
        )
        assert r.status_code == 403, path
    assert kb_of(app).get("loan-rate-2026").status == "draft"


@pytest.mark.parametrize(
    "query",
    ["保单贷款", "保單貸款", "'; DROP TABLE entries; --", '"全额" NEAR(退保*)', "贷", "<b>"],
)
def test_search_uses_the_bots_search_and_takes_any_text(app, query):
    c, token = signed_in(app, "lin")
    create(c, token, action="save")
    r = c.get("/console/kb", params={"q": query})
    assert r.status_code == 200
    if query in ("保单贷款", "保單貸款", "贷"):
        assert "loan-rate-2026" in r.text


def test_filters_by_category_and_status(app):
    c, token = signed_in(app, "lin")
    create(c, token, action="save")
    assert "loan-rate-2026" in c.get("/console/kb?status=draft").text
    assert "loan-rate-2026" not in c.get("/console/kb?status=published").text
    assert "loan-rate-2026" not in c.get("/console/kb?category=fraud").text
    assert c.get("/console/kb?category=<x>&status=nonsense").status_code == 200


def test_entry_text_is_escaped(app):
    c, token = signed_in(app, "lin")
    create(c, token, title="<script>alert(1)</script>", action="save")
    page = c.get("/console/kb/loan-rate-2026").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_rollback_of_a_published_entry_waits_for_approval_and_refuses_odd_versions(app):
    c, token = signed_in(app, "lin")
    create(c, token, action="save")
    approve(app)
    c.post(
        "/console/kb/loan-rate-2026/edit",
        data={**FORM, "answer": "改错了。以合同为准。", "csrf_token": token, "action": "save"}
        | {"base_version": base(app)},
    )
    approve(app)
    for odd in ("²", "9" * 30, "-1", ""):
        r = c.post(
            "/console/kb/loan-rate-2026/rollback", data={"version": odd, "csrf_token": token}
        )
        assert r.status_code == 400, odd
    c.post("/console/kb/loan-rate-2026/rollback", data={"version": "1", "csrf_token": token})
    kb = kb_of(app)
    assert kb.get("loan-rate-2026").answer.startswith("改错了")  # still live until approved
    approve(app)
    entry = kb_of(app).get("loan-rate-2026")
    assert entry.status == "published" and "每半年" in entry.answer


def test_an_id_longer_than_the_limit_is_refused_when_created(app):
    c, token = signed_in(app, "lin")
    r = create(c, token, id="a" * 81, action="save")
    assert r.status_code == 400 and "80" in r.text
    assert kb_of(app).count() == 0


def test_a_save_over_someone_elses_newer_version_is_stopped_then_confirmed(app):
    c, token = signed_in(app, "lin")
    create(c, token, action="save")
    opened = base(app)  # lin opens the editor at version 1
    other, other_token = signed_in(app, "root")
    other.post(
        "/console/kb/loan-rate-2026/edit",
        data={**FORM, "title": "root 的标题", "csrf_token": other_token, "action": "save"}
        | {"base_version": opened},
    )
    mine = {**FORM, "title": "lin 的标题", "csrf_token": token, "action": "save"}
    r = c.post("/console/kb/loan-rate-2026/edit", data={**mine, "base_version": opened})
    assert r.status_code == 409 and "别人改过" in r.text
    assert kb_of(app).get("loan-rate-2026").title == "root 的标题"
    again = hidden_value(r.text, "base_version")
    r = c.post("/console/kb/loan-rate-2026/edit", data={**mine, "base_version": again})
    assert r.status_code == 303
    assert kb_of(app).get("loan-rate-2026").title == "lin 的标题"


def hidden_value(html: str, name: str) -> str:
    import re

    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)

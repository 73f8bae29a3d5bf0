"""A handoff's transcript as a supervisor reads it, over HTTP: button presses by the titles
the user saw (never their payloads), internal steps behind 显示系统动作, and who said each
turn marked; the CSV export with Chinese headers, the outcome and the notes, redacted."""

from __future__ import annotations

import csv
import io
import re

import pytest
from console_helpers import TrackerEvents, make_app, signed_in
from kb_helpers import entry

from bot.handoff import HandoffStore
from bot.knowledge.store import KnowledgeBase

T = 1.8e9
SHOW_LOAN = '/show_entry{"entry_id": "loan"}'
SHOW_COOL = '/show_entry{"entry_id": "cooling"}'
EVENTS = [
    {"event": "action", "name": "action_session_start", "timestamp": T},
    {"event": "bot", "text": "您想先了解哪一项？", "timestamp": T + 1,
     "data": {"buttons": [{"title": "急用钱时可以先借", "payload": SHOW_LOAN}]}},
    {"event": "user", "text": SHOW_LOAN, "timestamp": T + 2,
     "parse_data": {"intent": {"name": "show_entry", "confidence": 1.0}}},
    {"event": "action", "name": "action_show_entry", "timestamp": T + 3},
    {"event": "user", "text": SHOW_COOL, "timestamp": T + 4},
    {"event": "user", "text": "/affirm", "timestamp": T + 5},
    {"event": "user", "text": "电话13812345678", "timestamp": T + 6,
     "parse_data": {"intent": {"name": "request_human", "confidence": 0.9}}},
    {"event": "bot", "text": "您好，我是小林", "timestamp": T + 7, "metadata": {"agent": "lin"}},
    {"event": "user", "text": "嗯嗯", "timestamp": T + 8,
     "parse_data": {"intent": {"name": "nlu_fallback", "confidence": 0.2}}},
]  # fmt: skip


def cooling_entry(app) -> None:
    kb = KnowledgeBase.open(app.state.backend.db_path)
    kb.create(entry("cooling", title="买了保险后悔了，多少天内能全额退？"), by="lin")


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    store = HandoffStore.open(app.state.backend.db_path)
    store.request("web:a", "web", "user_request", "high", ["paid_fee"], [])
    saved = [
        {"role": "user", "text": "/deny", "time": T},
        {"role": "bot", "text": "好的", "time": T},
    ]
    store.request("web:saved", "web", "user_request", "low", [], saved)
    tracker = TrackerEvents(tmp_path / "tracker.db")
    for event in EVENTS:
        tracker.add("web:a", event)
    return app


def turns_of(html: str) -> list[tuple[str, str]]:
    """(role, text) of every turn in the page's transcript that people said."""
    found = []
    for item in html.split('<li class="turn ')[1:]:
        role = item.split('"')[0]
        text = re.search(r'<p class="text">(.*?)</p>', item.split("</li>")[0], re.DOTALL)
        if text:
            found.append((role, re.sub(r"<[^>]+>", "", text.group(1)).strip()))
    return found


def test_button_presses_show_their_titles_never_payloads(app):
    cooling_entry(app)
    c, _ = signed_in(app, "wang")
    html = c.get("/console/handoffs/1").text
    assert turns_of(html) == [
        ("bot", "您想先了解哪一项？"),
        ("user", "急用钱时可以先借"),  # the title of the button the user saw
        ("user", "买了保险后悔了，多少天内能全额退？"),  # the entry's question
        ("user", "是的"),  # the intent's label
        ("user", "电话[手机号]"),
        ("agent", "您好，我是小林"),
        ("user", "嗯嗯"),
    ]
    transcript = html.split('data-testid="transcript"')[1].split("</ol>")[0]
    assert "show_entry{" not in transcript and "/affirm" not in transcript
    assert "entry_id" not in transcript and "13812345678" not in transcript
    assert transcript.count("点了按钮") == 3


def test_a_saved_transcript_names_its_presses_too(app):
    c, _ = signed_in(app, "wang")
    html = c.get("/console/handoffs/2").text
    assert ("user", "不是") in turns_of(html) and "/deny" not in html


def test_internal_steps_are_behind_a_toggle(app):
    c, _ = signed_in(app, "wang")
    html = c.get("/console/handoffs/1").text
    assert 'id="show-actions"' in html and "显示系统动作" in html and "共 2 条" in html
    # The steps are in the page (for the toggle), marked as such and hidden by the style.
    assert html.count('data-testid="action-turn"') == 2
    css = c.get("/static/console.css").text
    assert re.search(r"\.turn\.action \{[^}]*display: none", css)
    assert "input.show-actions:checked ~ .transcript .turn.action { display: block; }" in css
    # The live refresh returns the same marked steps.
    part = c.get("/console/handoffs/1/transcript").text
    assert part.count('data-testid="action-turn"') == 2 and "show_entry{" not in part


def test_each_speaker_is_labelled_and_intents_are_in_words(app):
    c, _ = signed_in(app, "wang")
    html = c.get("/console/handoffs/1").text
    assert '<span title="request_human">理解为「找人工客服」</span>（90%）' in html
    assert '<span title="nlu_fallback">理解为「没听懂」</span>（20%）' in html
    assert re.search(r'class="turn user".*?<span class="speaker">用户</span>', html, re.S)
    assert re.search(r'class="turn bot".*?<span class="speaker">助手</span>', html, re.S)
    assert re.search(r'class="turn agent".*?<span class="speaker">工作人员 lin</span>', html, re.S)


def test_csv_has_chinese_headers_outcome_and_redacted_notes(app):
    c, token = signed_in(app, "wang")
    post = lambda **data: c.post("/console/handoffs/1", data={**data, "csrf_token": token})  # noqa: E731
    post(what="outcome", outcome="police")
    post(what="note", note="已报警，用户电话13812345678")
    post(what="note", note="=SUM(A1)")
    r = c.get("/console/handoffs.csv?status=all")
    assert r.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0] == [
        "编号", "开始时间（北京时间）", "更新时间（北京时间）", "风险", "原因", "标记",
        "渠道", "状态", "结果", "标签", "备注",
    ]  # fmt: skip
    row = dict(zip(rows[0], next(r for r in rows[1:] if r[0] == "1"), strict=True))
    assert row["结果"] == "已报警" and row["渠道"] == "网页" and row["标记"] == "已付费"
    notes = row["备注"].split("\n")
    assert len(notes) == 2 and notes[0].endswith("wang：已报警，用户电话[手机号]")
    assert notes[1].endswith("wang：=SUM(A1)")  # not at the cell's start: no formula
    assert "13812345678" not in r.text

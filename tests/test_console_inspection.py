"""The supervisor's 质检 panel over HTTP: findings in agents' messages (with their confirmed
overrides) and in the bot's replies, counted per rule, per agent and per conversation,
the filters, who may see it, and an empty start."""

from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest
from console_helpers import TrackerEvents, make_app, signed_in

from bot.handoff import HandoffStore
from bot.live import migrations as live_migrations

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
#: Days are days in the configured time zone (Beijing time by default).
LOCAL_NOW = NOW.astimezone(ZoneInfo("Asia/Shanghai"))
TODAY = LOCAL_NOW.date().isoformat()
USERS = {"lin": "staff", "li": "agent", "wang": "supervisor", "root": "admin"}


def agent_message(db, handoff, author, text, overrides=(), at=NOW):
    live_migrations.apply(db)
    db["agent_messages"].insert(
        {
            "handoff_id": handoff.id,
            "conversation_id": handoff.conversation_id,
            "author": author,
            "kind": "agent",
            "text": text,
            "overrides": json.dumps(list(overrides)),
            "created_at": at.isoformat(timespec="seconds"),
        }
    )


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path, users=USERS)
    backend = app.state.backend
    store = HandoffStore.open(backend.db_path)
    c1, _ = store.request("web:c1", "web", "proxy_surrender", "high", [], [])
    c2, _ = store.request("web:c2", "web", "user_request", "low", [], [])
    agent_message(backend.db, c1, "li", "请把验证码发给我", ["asks_personal_data"])
    agent_message(backend.db, c1, "li", "您好，我是小李，您说的情况我看到了。")
    agent_message(backend.db, c2, "zhao", "别担心，保证全额退", at=NOW - dt.timedelta(days=3))
    tracker = TrackerEvents(tmp_path / "tracker.db")
    for sender, text, meta in [
        ("web:c3", "我们明天给您打个电话", None),
        ("web:c3", "您可以在犹豫期内退保。", None),
        ("web:c1", "请把验证码发给我", {"agent": "li"}),  # the agent's message, counted once
    ]:
        data = {"event": "bot", "text": text, "timestamp": NOW.timestamp()}
        tracker.add(sender, {**data, "metadata": meta} if meta else data)
    return app


def rows(html: str, testid: str) -> list[str]:
    """The rows of a table, as their text without tags."""
    match = re.search(rf'data-testid="{testid}">(.*?)</table>', html, re.S)
    if not match:
        return []
    body = match.group(1).split("<tbody>")[1]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip()
        for r in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_findings_per_rule_agent_and_conversation(app):
    c, _ = signed_in(app, "wang")
    r = c.get("/console/inspection")
    assert r.status_code == 200
    html = r.text
    assert rows(html, "qc-rules") == [
        "承诺收益或结果 1 0",
        "索要个人信息 1 1",
        "承诺打电话 1 0",
    ]
    assert rows(html, "qc-authors") == ["助手 1 0 1", "li 1 1 1", "zhao 1 0 1"]
    conversations = rows(html, "qc-conversations")
    assert conversations == ["web:c1 1 #1 高", "web:c3 1 —", "web:c2 1 #2 低"]
    assert 'href="/console/handoffs/1"' in html
    findings = rows(html, "qc-findings")
    assert len(findings) == 3
    assert any("li" in f and "请把验证码发给我" in f and "已确认发送" in f for f in findings)
    assert "<mark>请把验证码发给我</mark>" in html
    assert "我是小李" not in html and "犹豫期" not in html  # clean messages are not listed


def test_the_risk_labels_are_the_handoffs(app):
    c, _ = signed_in(app, "wang")
    html = c.get("/console/inspection").text
    assert 'class="badge risk-high"' in html


@pytest.mark.parametrize(
    ("query", "authors"),
    [
        ("author=li", ["li"]),
        ("author=bot", ["助手"]),
        ("rule=promises_returns", ["zhao"]),
        ("author=li&rule=promises_call", []),
        (f"date_from={TODAY}", ["li", "助手"]),
        (f"date_to={(LOCAL_NOW - dt.timedelta(days=1)).date()}", ["zhao"]),
        ("date_from=2000-01-01&date_to=2000-01-31", []),
        ("author=<script>&rule=nonsense&date_from=2026-02-30&date_to=9999-12-31", None),
        ("date_from=%C2%B2&author=" + "x" * 200, None),
    ],
)
def test_filters(app, query, authors):
    c, _ = signed_in(app, "wang")
    r = c.get(f"/console/inspection?{query}")
    assert r.status_code == 200
    found = [row.split()[2] for row in rows(r.text, "qc-findings")]
    if authors is None:  # junk is ignored: everything from the last 30 days
        assert sorted(found) == ["li", "zhao", "助手"]
        assert f'name="date_to" value="{TODAY}"' in r.text
    else:
        assert sorted(found) == sorted(authors)
        if not authors:
            assert "这段时间没有发现问题" in r.text


@pytest.mark.parametrize("name", ["lin", "li"])
def test_staff_and_agents_may_not_see_it(app, name):
    c, _ = signed_in(app, name)
    r = c.get("/console/inspection")
    assert r.status_code == 403
    assert 'href="/console/inspection"' not in c.get("/console/kb").text


def test_the_menu_links_it_for_supervisors(app):
    c, _ = signed_in(app, "wang")
    assert 'href="/console/inspection">质检</a>' in c.get("/console/kb").text


def test_nothing_stored_yet(tmp_path):
    app = make_app(tmp_path, users=USERS)  # no tracker.db, no agent_messages table
    c, _ = signed_in(app, "root")
    r = c.get("/console/inspection")
    assert r.status_code == 200
    assert "这段时间没有发现问题" in r.text
    assert 'data-testid="no-tracker"' in r.text


def test_a_tracker_without_tables_and_agent_messages_without_findings(tmp_path):
    app = make_app(tmp_path, users=USERS)
    (tmp_path / "tracker.db").write_bytes(b"")
    backend = app.state.backend
    handoff, _ = HandoffStore(backend.db).request("web:x", "web", "user_request", "low", [], [])
    agent_message(backend.db, handoff, "li", "您好")
    c, _ = signed_in(app, "wang")
    r = c.get("/console/inspection")
    assert r.status_code == 200 and "这段时间没有发现问题" in r.text

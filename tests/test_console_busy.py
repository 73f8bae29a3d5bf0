"""The console's event loop is never held up by the database or by redaction, and a database
that stays locked is a 503 that says so, with what was typed kept on the page."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import httpx
import pytest
from console_helpers import TrackerEvents, make_app, signed_in

import bot.console.handoffs
from bot.db import open_database, write_transaction
from bot.handoff import HandoffStore
from bot.knowledge.store import KnowledgeBase

SENDER = "3f2a9c1e-77aa-4c1b"
#: The editor's fields for a new entry.
FORM = {
    "id": "loan-rate-2026",
    "title": "保单贷款的利率",
    "category": "alternatives",
    "intents": ["ask_policy_loan"],
    "keywords": "保单贷款，利率",
    "audience": ["all"],
    "reviewed": "2026-11-22",
    "source_title": "保单贷款常见问题",
    "source_publisher": "某人寿保险公司",
    "source_date": "2026-10",
    "answer": "保单贷款的利率由保险公司公布，以合同和公司公告为准。",
    "body": "保单贷款按日计息。",
}


def create(c, token, **changes):
    return c.post("/console/kb/new", data={**FORM, **changes, "csrf_token": token})


class Locked:
    """Another connection holding the app database's write lock until :meth:`release`."""

    def __init__(self, path) -> None:
        self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        if self.conn is not None:
            self.conn.execute("ROLLBACK")
            self.conn.close()
            self.conn = None


@pytest.fixture
def lock():
    held: list[Locked] = []

    def take(path) -> Locked:
        held.append(Locked(path))
        return held[-1]

    yield take
    for locked in held:
        locked.release()


async def until(event: threading.Event) -> None:
    """Wait on the event loop (not blocking it) until a worker thread sets ``event``."""
    for _ in range(1000):
        if event.is_set():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the slow request never started")


def chat_while(app, signed_in_client, path, started: threading.Event, release) -> tuple:
    """Start ``path`` (a POST when it is a tuple of path and form), wait until it is stuck
    in its slow part, send a chat message, then ``release()`` the slow part. Returns the
    chat reply, whether the slow request was still running when the chat reply came, and
    the slow request's response."""

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        session = {"pg_session": signed_in_client.cookies.get("pg_session")}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", cookies=session
        ) as ac:
            if isinstance(path, tuple):
                slow = asyncio.create_task(ac.post(path[0], data=path[1]))
            else:
                slow = asyncio.create_task(ac.get(path))
            await until(started)
            chat = await ac.post("/api/chat", json={"sender": SENDER, "message": "在吗"})
            still_running = not slow.done()
            release()
            return chat, still_running, await slow

    return asyncio.run(scenario())


def test_a_long_transcript_being_redacted_does_not_hold_up_chat(tmp_path, monkeypatch):
    app = make_app(tmp_path)
    handoff, _ = HandoffStore.open(app.state.backend.db_path).request(
        "c-1", "web", "user_request", "high", [], []
    )
    TrackerEvents(tmp_path / "tracker.db").user("c-1", "request_human", 1.8e9)
    started, released = threading.Event(), threading.Event()
    redact = bot.console.handoffs.transcript_from_events

    def slow_redaction(events):
        started.set()
        released.wait(timeout=5)  # on the event loop, this would stall everything
        return redact(events)

    monkeypatch.setattr(bot.console.handoffs, "transcript_from_events", slow_redaction)
    c, _ = signed_in(app, "wang")
    chat, still_running, page = chat_while(
        app, c, f"/console/handoffs/{handoff.id}", started, released.set
    )
    assert chat.status_code == 200 and chat.json()["replies"] == [{"text": "您好"}]
    assert still_running, "the chat reply waited for the transcript"
    assert page.status_code == 200


def test_a_publish_waiting_for_a_locked_database_does_not_hold_up_chat(tmp_path, monkeypatch, lock):
    app = make_app(tmp_path, db_busy_timeout=5)
    c, token = signed_in(app, "lin")
    assert create(c, token, action="save").status_code == 303
    c, token = signed_in(app, "root")  # lin wrote it: another person approves and publishes
    started = threading.Event()
    publish = KnowledgeBase.publish

    def publish_and_tell(self, *args, **kwargs):
        started.set()
        return publish(self, *args, **kwargs)

    monkeypatch.setattr(KnowledgeBase, "publish", publish_and_tell)
    held = lock(app.state.backend.db_path)
    chat, still_running, published = chat_while(
        app,
        c,
        ("/console/kb/loan-rate-2026/publish", {"csrf_token": token}),
        started,
        held.release,
    )
    assert chat.status_code == 200
    assert still_running, "the chat reply waited for the database lock"
    assert published.status_code == 303  # it waited for the lock, then went through
    assert KnowledgeBase.open(app.state.backend.db_path).get("loan-rate-2026").status == (
        "published"
    )


@pytest.fixture
def busy_app(tmp_path):
    """The console with a database that gives up waiting for a lock after 0.1 s."""
    return make_app(tmp_path, db_busy_timeout=0.1)


def test_publish_while_the_database_stays_locked_is_a_503_page(busy_app, lock):
    c, token = signed_in(busy_app, "lin")
    create(c, token, action="save")
    c, token = signed_in(busy_app, "root")  # lin wrote it: another person publishes
    held = lock(busy_app.state.backend.db_path)
    r = c.post("/console/kb/loan-rate-2026/publish", data={"csrf_token": token})
    assert r.status_code == 503
    assert "系统繁忙" in r.text and "没有完成" in r.text
    assert "Traceback" not in r.text and "locked" not in r.text
    assert r.headers["retry-after"] == "5"
    held.release()
    assert c.post("/console/kb/loan-rate-2026/publish", data={"csrf_token": token}).status_code == (
        303
    )


def test_an_edit_the_busy_database_cannot_save_is_shown_again_in_full(busy_app, lock):
    c, token = signed_in(busy_app, "lin")
    held = lock(busy_app.state.backend.db_path)
    r = create(c, token, action="save", answer="这段回答写了很久，不能丢。")
    assert r.status_code == 503
    assert "系统繁忙，请稍后再试。您填写的内容没有丢失。" in r.text
    assert "这段回答写了很久，不能丢。" in r.text and FORM["source_title"] in r.text
    held.release()
    assert create(c, token, action="save").status_code == 303
    version = str(KnowledgeBase.open(busy_app.state.backend.db_path).version_of(FORM["id"]))
    held = lock(busy_app.state.backend.db_path)
    r = c.post(
        f"/console/kb/{FORM['id']}/edit",
        data={**FORM, "answer": "改过的回答。", "base_version": version, "csrf_token": token},
    )
    assert r.status_code == 503 and "改过的回答。" in r.text
    assert f'name="base_version" value="{version}"' in r.text


def test_a_note_the_busy_database_cannot_save_stays_in_its_box(busy_app, lock):
    handoff, _ = HandoffStore.open(busy_app.state.backend.db_path).request(
        "c-1", "web", "user_request", "high", [], []
    )
    c, token = signed_in(busy_app, "wang")
    held = lock(busy_app.state.backend.db_path)
    r = c.post(
        f"/console/handoffs/{handoff.id}",
        data={"csrf_token": token, "what": "note", "note": "已回电，客户说明天再联系"},
    )
    assert r.status_code == 503
    assert "您填写的内容没有丢失" in r.text
    assert 'data-testid="note-input">已回电，客户说明天再联系</textarea>' in r.text
    r = c.post(
        f"/console/handoffs/{handoff.id}",
        data={"csrf_token": token, "what": "status", "status": "resolved"},
    )
    assert r.status_code == 503 and "没有完成" in r.text
    held.release()
    assert HandoffStore.open(busy_app.state.backend.db_path).notes(handoff.id) == []


def test_a_new_user_the_busy_database_cannot_add_keeps_name_and_role_not_password(busy_app, lock):
    c, token = signed_in(busy_app, "root")
    lock(busy_app.state.backend.db_path)
    password = "a brand new passphrase"
    r = c.post(
        "/console/users",
        data={"csrf_token": token, "name": "zhao", "password": password, "role": "supervisor"},
    )
    assert r.status_code == 503 and "系统繁忙" in r.text
    assert 'value="zhao"' in r.text and '<option value="supervisor" selected>' in r.text
    assert password not in r.text


def test_sign_in_while_the_database_stays_locked_is_a_503_keeping_the_name(busy_app, lock):
    from console_helpers import PASSWORD, client, csrf_from

    c = client(busy_app)
    token = csrf_from(c.get("/console/login").text)
    held = lock(busy_app.state.backend.db_path)
    r = c.post("/console/login", data={"csrf_token": token, "name": "lin", "password": PASSWORD})
    assert r.status_code == 503 and "系统繁忙" in r.text and 'value="lin"' in r.text
    held.release()
    r = c.post("/console/login", data={"csrf_token": token, "name": "lin", "password": PASSWORD})
    assert r.status_code == 303


def test_every_write_transaction_takes_the_lock_when_it_begins(tmp_path):
    path = tmp_path / "app.db"
    db = open_database(path)
    db["t"].insert({"x": 1})
    other = sqlite3.connect(str(path), timeout=0, isolation_level=None)
    for transaction in (db.atomic, lambda: write_transaction(db)):
        with transaction():
            # Nothing written yet, but the lock is taken: no one can change what was read.
            db.execute("SELECT x FROM t").fetchall()
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")


def test_the_busy_timeout_is_the_settings(tmp_path):
    app = make_app(tmp_path, db_busy_timeout=0.25)
    assert app.state.backend.db.execute("PRAGMA busy_timeout").fetchone()[0] == 250
    assert open_database(tmp_path / "other.db").execute("PRAGMA busy_timeout").fetchone()[0] == (
        10_000
    )


def test_sign_out_while_the_database_stays_locked_still_signs_this_browser_out(busy_app, lock):
    c, token = signed_in(busy_app, "wang")
    held = lock(busy_app.state.backend.db_path)
    r = c.post("/console/logout", data={"csrf_token": token})
    assert r.status_code == 503 and "没有完成" in r.text
    held.release()
    assert c.get("/console/handoffs").status_code == 303

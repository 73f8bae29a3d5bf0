"""Faults on started servers: the action server killed mid-form, the app database locked or
read-only, the tracker database locked. Every message still gets a reply, no turn is lost,
every handoff lands exactly once, and nothing typed is found raw in any file."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
import time
import uuid
from contextlib import contextmanager

import pytest
import requests

from bot.handoff import HandoffStore
from tests.live_servers import LiveServers, build_knowledge_base

pytestmark = pytest.mark.slow
ID_NUMBER = "11010519491231002X"


@pytest.fixture(scope="module")
def live(trained_model, tmp_path_factory):
    servers = LiveServers(tmp_path_factory.mktemp("faults"), trained_model)
    build_knowledge_base(servers.env)
    servers.start()
    yield servers
    servers.stop_all()


def say(live, sender: str, text: str) -> str:
    response = requests.post(
        live.url("rasa") + "/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        timeout=90,
    )
    assert response.status_code == 200, response.text
    replies = "\n".join(r.get("text", "") for r in response.json())
    assert replies.strip(), f"no reply to {text!r}"
    return replies


def user_turns(live, sender: str) -> list[str]:
    with sqlite3.connect(live.tmp / "tracker.db") as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id",
            (sender,),
        ).fetchall()
    return [row[0] for row in rows]


def handoffs_of(live, sender: str) -> list:
    return [
        h
        for h in HandoffStore.open(live.tmp / "policyguard.db").list()
        if h.conversation_id == sender
    ]


@contextmanager
def locked(path, seconds: float):
    """Hold the write lock of the SQLite database at ``path`` for ``seconds`` from a thread."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(seconds, lambda: db.execute("COMMIT"))
    timer.start()
    try:
        yield
    finally:
        timer.join()
        db.close()


@contextmanager
def read_only(path):
    """Make the database (and its WAL files, where writes land first) read-only, even for
    root: the tests run as root in CI."""
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.fail("chattr is needed to make a file read-only for root (Debian: e2fsprogs)")
    files = [str(p) for p in path.parent.glob(path.name + "*")]
    subprocess.run([chattr, "+i", *files], check=True)
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", *files], check=True)


def new_sender() -> str:
    return f"fault-{uuid.uuid4().hex[:10]}"


def test_killing_the_action_server_mid_form_loses_no_turn(live):
    sender = new_sender()
    assert "减保" in say(live, sender, "我想退保")
    live.stop("actions", kill=True)
    try:
        say(live, sender, "急用钱")  # answered, if only with the apology
    finally:
        live.start("actions")
    say(live, sender, "分红险")
    assert len(user_turns(live, sender)) == 3


def test_a_handoff_while_the_app_database_is_locked_lands_exactly_once(live):
    sender, later = new_sender(), new_sender()
    say(live, sender, f"他要了我的身份证号{ID_NUMBER}")
    with locked(live.tmp / "policyguard.db", seconds=5):
        reply = say(live, sender, "转人工")
        assert list((live.tmp / "outbox").glob("*.json"))  # waiting, durably
    assert "记下" in reply
    assert "电话联系" not in reply
    say(live, later, "转人工")  # the next handoff stores the waiting one first
    say(live, later, "转人工")
    assert len(handoffs_of(live, sender)) == 1
    assert len(handoffs_of(live, later)) == 1
    assert not list((live.tmp / "outbox").glob("*.json"))


def test_a_handoff_while_the_app_database_is_read_only_lands_exactly_once(live):
    sender, later = new_sender(), new_sender()
    with read_only(live.tmp / "policyguard.db"):
        reply = say(live, sender, "转人工")
        assert list((live.tmp / "outbox").glob("*.json"))
    assert "记下" in reply
    say(live, later, "转人工")
    assert len(handoffs_of(live, sender)) == 1
    assert not list((live.tmp / "outbox").glob("*.json"))


def test_a_locked_tracker_database_delays_but_loses_no_turn(live):
    senders = [new_sender(), new_sender()]
    replies: dict[str, str] = {}
    started = time.monotonic()
    with locked(live.tmp / "tracker.db", seconds=4):
        threads = [
            threading.Thread(
                target=lambda s=s: replies.update({s: say(live, s, "保单贷款利息多少")})
            )
            for s in senders
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
    assert set(replies) == set(senders)
    assert time.monotonic() - started < 60
    for sender in senders:
        assert len(user_turns(live, sender)) == 1
        assert "贷款" in replies[sender]


def test_nothing_typed_in_these_faults_is_found_raw_in_any_file(live):
    files = [p for p in live.tmp.rglob("*") if p.is_file()]
    found = [p.name for p in files if ID_NUMBER.encode() in p.read_bytes()]
    assert not found

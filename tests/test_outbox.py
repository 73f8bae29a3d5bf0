"""The handoff outbox: durable files, drained exactly once (bot/outbox.py, bot/handoff.py)."""

from __future__ import annotations

import json
import sqlite3
import stat
import time

import pytest
from sqlite_utils import Database
from starlette.testclient import TestClient

from bot.db import open_database
from bot.handoff import HandoffStore
from bot.outbox import REJECTED, Outbox, drain, drain_folder, handoff_request, store_request
from bot.settings import Settings

PHONE = "13812345678"


def item(conversation="c1", risk="low"):
    turns = [{"role": "user", "text": f"转人工，电话{PHONE}"}]
    return handoff_request(conversation, "rest", "user_request", risk, ["elderly"], turns)


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "var" / "policyguard.db"
    HandoffStore.open(path).db.close()  # created, migrated, in WAL mode
    return path


@pytest.fixture
def locked(db_path):
    """The app database with another writer holding the write lock."""
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield db_path
    other.execute("ROLLBACK")
    other.close()


def impatient_store(path) -> HandoffStore:
    return HandoffStore(open_database(path, busy_timeout=0.05))


def records(path) -> list:
    return HandoffStore.open(path).list()


def test_put_writes_one_whole_private_redacted_file(tmp_path):
    outbox = Outbox(tmp_path / "outbox")
    path = outbox.put(item())
    assert outbox.pending() == [path]
    assert [p.name for p in outbox.folder.iterdir()] == [path.name]  # no temporary file left
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_text(encoding="ascii")
    data = json.loads(raw)
    assert PHONE not in raw and data["transcript"][0]["text"] == "转人工，电话[手机号]"
    assert data["request_id"] in path.name


def test_files_drain_oldest_first(tmp_path):
    outbox = Outbox(tmp_path / "outbox")
    first, second = item("c1"), item("c2")
    outbox.put(first)
    time.sleep(0.001)
    outbox.put(second)
    assert [json.loads(p.read_text())["conversation_id"] for p in outbox.pending()] == ["c1", "c2"]


def test_a_locked_database_keeps_the_file_and_stores_nothing(locked, tmp_path):
    outbox = Outbox(tmp_path / "outbox")
    outbox.put(item())
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        drain(outbox, impatient_store(locked))
    assert len(outbox.pending()) == 1


def test_database_back_stores_it_exactly_once_however_often_drained(db_path, tmp_path):
    outbox = Outbox(tmp_path / "outbox")
    outbox.put(item())
    store = HandoffStore.open(db_path)
    assert drain(outbox, store) == 1
    assert drain(outbox, store) == 0
    assert drain_folder(outbox.folder, db_path) == 0
    (handoff,) = records(db_path)
    assert handoff.conversation_id == "c1" and handoff.flags == ("elderly",)
    assert PHONE not in str(handoff.transcript)
    assert outbox.pending() == []


def test_a_crash_between_insert_and_delete_never_duplicates(db_path, tmp_path, monkeypatch):
    outbox = Outbox(tmp_path / "outbox")
    outbox.put(item())

    def crash(self, path):
        raise KeyboardInterrupt  # the process dies right after the insert was committed

    monkeypatch.setattr(Outbox, "remove", crash)
    with pytest.raises(KeyboardInterrupt):
        drain(outbox, HandoffStore.open(db_path))
    assert len(outbox.pending()) == 1 and len(records(db_path)) == 1
    monkeypatch.undo()
    assert drain(outbox, HandoffStore.open(db_path)) == 1  # the restarted drain
    assert len(records(db_path)) == 1 and outbox.pending() == []


def test_a_replayed_request_changes_nothing_even_after_review():
    store = HandoffStore(Database(memory=True))
    first, _ = store.request("c1", "rest", "user_request", "low", [], [])
    waiting = item("c1", risk="high")
    updated, created = store_request(store, waiting)  # merged into the open handoff
    assert not created and updated.id == first.id and updated.risk_level == "high"
    store.set_status(first.id, "resolved", by="wang")
    again, created = store_request(store, waiting)  # without its id it would open a new one
    assert not created and again.id == first.id and again.status == "resolved"
    assert len(store.list()) == 1


def test_request_ids_are_a_unique_column():
    store = HandoffStore(Database(memory=True))
    store_request(store, item())
    table = store.db["handoff_requests"]
    assert table.pks == ["request_id"]
    assert any(i.unique and i.columns == ["request_id"] for i in table.indexes)
    (row,) = table.rows
    with pytest.raises(sqlite3.IntegrityError):
        store.db.execute(
            "INSERT INTO handoff_requests (request_id, received_at) VALUES (?, 'now')",
            [row["request_id"]],
        )


def test_a_file_that_can_never_be_stored_is_moved_aside_and_the_rest_drained(db_path, tmp_path):
    outbox = Outbox(tmp_path / "outbox")
    outbox.folder.mkdir()
    (outbox.folder / "00000000000000000001-broken.json").write_text("{not json")
    refused = item()
    refused["risk_level"] = "extreme"
    outbox.put(refused)
    outbox.put(item("c2"))
    assert drain(outbox, HandoffStore.open(db_path)) == 1
    assert [h.conversation_id for h in records(db_path)] == ["c2"]
    assert outbox.pending() == []
    assert len(list((outbox.folder / REJECTED).iterdir())) == 2  # kept for a person to see


def test_draining_an_empty_outbox_opens_no_database(tmp_path):
    assert drain_folder(tmp_path / "outbox", tmp_path / "nothing" / "app.db") == 0
    assert not (tmp_path / "nothing").exists()


def test_put_refuses_an_item_without_a_request_id(tmp_path):
    with pytest.raises(ValueError):
        Outbox(tmp_path).put({**item(), "request_id": "../../etc/passwd"})


def test_the_console_drains_the_outbox_when_it_starts(db_path):
    from bot.console.app import create_app

    settings = Settings(db_path=db_path, tracker_db_path=db_path.parent / "tracker.db")
    Outbox(settings.outbox_dir).put(item())
    app = create_app(settings, bot=None, secret="test")
    with TestClient(app):
        deadline = time.monotonic() + 10
        while Outbox(settings.outbox_dir).pending() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert Outbox(settings.outbox_dir).pending() == []
    assert len(records(db_path)) == 1

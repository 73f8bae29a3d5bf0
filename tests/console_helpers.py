"""Builders for console tests: an app on a temporary database, signed-in clients, a fake bot,
and a tracker database as Rasa writes it."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlite_utils import Database
from starlette.testclient import TestClient

from bot.accounts import UserStore
from bot.console.app import create_app
from bot.console.chat import BotUnavailable
from bot.live import RecordingConversations
from bot.settings import Settings

PASSWORD = "correct horse battery"
USERS = {"lin": "staff", "wang": "supervisor", "root": "admin"}


class FakeBot:
    """Records what the console forwards and answers with ``reply`` (or fails)."""

    def __init__(self, reply: list[dict[str, Any]] | None = None, fail: bool = False) -> None:
        self.reply = reply if reply is not None else [{"text": "您好"}]
        self.fail = fail
        self.sent: list[tuple[str, str]] = []

    async def send(self, sender: str, message: str) -> list[dict[str, Any]]:
        self.sent.append((sender, message))
        if self.fail:
            raise BotUnavailable("down")
        return self.reply


def make_app(
    tmp_path: Path, bot: FakeBot | None = None, users: dict[str, str] = USERS, **settings: Any
):
    """The console on a database in ``tmp_path`` with ``users`` (password ``PASSWORD``), as
    the test client's ``http://testserver`` (``settings`` overrides any other setting)."""
    settings = Settings(
        **{
            "db_path": tmp_path / "pg.db",
            "tracker_db_path": tmp_path / "tracker.db",
            "console_public_origin": "http://testserver",
            **settings,
        }
    )
    store = UserStore.open(settings.db_path)
    for name, role in users.items():
        store.add(name, PASSWORD, role=role)
    # Agents' replies and the end of a waiting go to a recorder, never to a running Rasa.
    return create_app(
        settings, bot=bot or FakeBot(), secret="test-secret", conversations=RecordingConversations()
    )


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def client(app) -> TestClient:
    return TestClient(app, follow_redirects=False)


def signed_in(app, name: str) -> tuple[TestClient, str]:
    """A client signed in as ``name`` and its session's CSRF token."""
    c = client(app)
    token = csrf_from(c.get("/console/login").text)
    r = c.post("/console/login", data={"csrf_token": token, "name": name, "password": PASSWORD})
    assert r.status_code == 303, r.text
    # Every signed-in page carries the token in its sign-out form.
    return c, csrf_from(c.get("/console/kb").text)


class TrackerEvents:
    """Rasa's tracker database at ``path``: the ``events`` table made by Rasa's own
    SQLTrackerStore, with rows added directly (thousands of them in a blink)."""

    def __init__(self, path: Path) -> None:
        SQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(path)).engine.dispose()
        self.db = Database(path)

    def add(self, sender: str, data: dict[str, Any], intent=None, action=None) -> TrackerEvents:
        """One event as Rasa serialises it (``data`` holds its ``event`` and ``timestamp``)."""
        self.db.execute(
            "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, "
            "data) VALUES (?, ?, ?, ?, ?, ?)",
            [
                sender,
                data["event"],
                data.get("timestamp"),
                intent,
                action,
                json.dumps(data, ensure_ascii=False),
            ],
        )
        self.db.conn.commit()
        return self

    def user(self, sender: str, intent: str, at: float) -> TrackerEvents:
        data = {
            "event": "user",
            "text": "…",
            "timestamp": at,
            "parse_data": {"intent": {"name": intent}},
        }
        return self.add(sender, data, intent=intent)

    def message(
        self,
        sender: str,
        text: str,
        intent: str,
        confidence: float,
        at: float,
        channel: str = "web",
        ranking: list[dict[str, Any]] | None = None,
    ) -> int:
        """A user's message as the NLU parsed it; its event id."""
        data = {
            "event": "user",
            "text": text,
            "timestamp": at,
            "input_channel": channel,
            "parse_data": {
                "intent": {"name": intent, "confidence": confidence},
                "intent_ranking": ranking or [{"name": intent, "confidence": confidence}],
            },
        }
        self.add(sender, data, intent=intent)
        return self.db.execute("SELECT MAX(id) FROM events").fetchone()[0]

    def action(self, sender: str, name: str, at: float) -> TrackerEvents:
        return self.add(sender, {"event": "action", "name": name, "timestamp": at}, action=name)

    def bot(self, sender: str, at: float) -> TrackerEvents:
        return self.add(sender, {"event": "bot", "timestamp": at})


@contextlib.contextmanager
def served(make: Callable[[str], Any]):
    """The app ``make(origin)`` builds, served by uvicorn on a free loopback port; yields its
    URL once ``/healthz`` answers."""
    import threading
    import time

    import requests
    import uvicorn

    from tests.live_servers import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(make(url), host="127.0.0.1", port=port, log_level="warning", ws="none")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=1).ok:
                break
        except requests.RequestException:
            time.sleep(0.1)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)

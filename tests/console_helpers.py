"""Builders for console tests: an app on a temporary database, signed-in clients, a fake bot."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from bot.accounts import UserStore
from bot.console.app import create_app
from bot.console.chat import BotUnavailable
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


def make_app(tmp_path: Path, bot: FakeBot | None = None, users: dict[str, str] = USERS):
    settings = Settings(db_path=tmp_path / "pg.db", tracker_db_path=tmp_path / "tracker.db")
    store = UserStore.open(settings.db_path)
    for name, role in users.items():
        store.add(name, PASSWORD, role=role)
    return create_app(settings, bot=bot or FakeBot(), secret="test-secret")


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

"""What the WeChat channel remembers, in the app database: each message it has taken (so a
retry never makes a second turn), and per user the numbered options shown last, the pages
waiting for 「更多」, and when the user last wrote (WeChat's 48-hour window for 客服 messages).

    >>> from sqlite_utils import Database
    >>> state = WeChatState(Database(memory=True))
    >>> state.claim("605476", "o_user", now=100.0), state.claim("605476", "o_user", now=101.0)
    (True, False)
    >>> state.answered("605476", "passive", ["您好"])
    >>> state.turn("605476")
    ('passive', ['您好'])
    >>> [state.within_window("o_user", now=100 + hours * 3600) for hours in (47, 49)]
    [True, False]
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.db import open_database

migrations = Migrations("policyguard.wechat")
#: How long WeChat lets an account write to a user after the user's last message.
WINDOW_SECONDS = 48 * 3600
#: Taken messages are kept this long: WeChat retries within seconds.
KEEP_SECONDS = 24 * 3600


@migrations()
def m001_create_wechat(db: Database) -> None:
    db["wechat_turns"].create(
        {"key": str, "openid": str, "status": str, "texts": str, "created": float}, pk="key"
    )
    db["wechat_turns"].create_index(["created"])
    db["wechat_users"].create(
        {"openid": str, "last_message": float, "options": str, "more": str}, pk="openid"
    )


class WeChatState:
    def __init__(self, db: Database, migrate: bool = True) -> None:
        """``migrate=False`` where the tables are known to exist: the channel makes one of
        these per request, and two first requests at once must not both create them."""
        self.db = db
        if migrate:
            migrations.apply(db)

    @classmethod
    def open(cls, path: str | Path) -> WeChatState:
        return cls(open_database(path))

    def claim(self, key: str, openid: str, now: float | None = None) -> bool:
        """Take the message ``key`` (its MsgId, or an event's user and time): True the first
        time, False for a retry. Atomic: two deliveries at once, one of them wins. Taking a
        message counts as the user writing (the 48-hour window opens again)."""
        now = time.time() if now is None else now
        with self.db.conn:
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO wechat_turns (key, openid, status, texts, created) "
                "VALUES (?, ?, 'working', '[]', ?)",
                [key, openid, now],
            )
            taken = cursor.rowcount == 1
            if taken:
                self.db.execute(
                    "INSERT INTO wechat_users (openid, last_message, options, more) "
                    "VALUES (?, ?, '[]', '[]') ON CONFLICT(openid) DO UPDATE SET "
                    "last_message = excluded.last_message",
                    [openid, now],
                )
                self.db.execute("DELETE FROM wechat_turns WHERE created < ?", [now - KEEP_SECONDS])
        return taken

    def answered(self, key: str, status: str, texts: list[str]) -> None:
        """How the message was answered: ``passive`` (in the HTTP reply, ``texts`` kept for a
        retry) or ``kefu`` (by 客服 messages, later)."""
        with self.db.conn:
            self.db.execute(
                "UPDATE wechat_turns SET status = ?, texts = ? WHERE key = ?",
                [status, json.dumps(texts, ensure_ascii=False), key],
            )

    def turn(self, key: str) -> tuple[str, list[str]] | None:
        row = self.db.execute(
            "SELECT status, texts FROM wechat_turns WHERE key = ?", [key]
        ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def within_window(self, openid: str, now: float | None = None) -> bool:
        """Whether WeChat still lets us write to the user (they wrote in the last 48 hours)."""
        now = time.time() if now is None else now
        row = self.db.execute(
            "SELECT last_message FROM wechat_users WHERE openid = ?", [openid]
        ).fetchone()
        return bool(row) and now - row[0] < WINDOW_SECONDS

    def remember(self, openid: str, options: list[dict[str, Any]], more: list[str]) -> None:
        """The numbered options last shown to the user and the pages behind 「更多」."""
        with self.db.conn:
            self.db.execute(
                "UPDATE wechat_users SET options = ?, more = ? WHERE openid = ?",
                [
                    json.dumps(options, ensure_ascii=False),
                    json.dumps(more, ensure_ascii=False),
                    openid,
                ],
            )

    def recalled(self, openid: str) -> tuple[list[dict[str, Any]], list[str]]:
        row = self.db.execute(
            "SELECT options, more FROM wechat_users WHERE openid = ?", [openid]
        ).fetchone()
        return (json.loads(row[0]), json.loads(row[1])) if row else ([], [])

"""The app database (SQLite through sqlite-utils) and the one clock its rows are stamped with.

>>> import tempfile, pathlib
>>> db = open_database(pathlib.Path(tempfile.mkdtemp()) / "app.db", busy_timeout=0.5)
>>> db.journal_mode, db.execute("PRAGMA busy_timeout").fetchone()[0]
('wal', 500)
>>> utc_now()[-6:]
'+00:00'

A write waits up to ``busy_timeout`` seconds for another connection's write to finish, then
fails with ``sqlite3.OperationalError: database is locked`` (the console answers that with
"系统繁忙" and keeps what was typed). Every transaction that writes takes the write lock
when it begins (``BEGIN IMMEDIATE``), so what it read cannot change under it before it
commits, and a busy database makes it wait at the start, where waiting is safe.
"""

from __future__ import annotations

import datetime as _dt
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

#: Seconds a connection waits for another connection's lock (``POLICYGUARD_DB_TIMEOUT``).
BUSY_TIMEOUT = 10.0
#: What a failure of the app database looks like: locked, read-only, missing, full, broken.
STORE_ERRORS = (sqlite3.Error, OSError)


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """One transaction that takes the write lock at once (``BEGIN IMMEDIATE``); inside a
    transaction already open, a savepoint (sqlite-utils' ``atomic``)."""
    if db.conn.in_transaction:
        with Database.atomic(db):
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.conn.commit()
    except BaseException:
        db.conn.rollback()
        raise


class AppDatabase(Database):
    """sqlite-utils' ``Database`` whose ``atomic()`` is a :func:`write_transaction`."""

    def atomic(self) -> Iterator[Database]:  # type: ignore[override]
        return write_transaction(self)


def open_database(path: str | Path, busy_timeout: float = BUSY_TIMEOUT) -> Database:
    """Open (creating if needed) the app database at ``path`` in WAL mode."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level: the transactions Python opens by itself, before an INSERT, UPDATE
    # or DELETE outside ``atomic()``, take the write lock at once too.
    conn = sqlite3.connect(
        str(path), timeout=busy_timeout, check_same_thread=False, isolation_level="IMMEDIATE"
    )
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    db = AppDatabase(conn)
    db.enable_wal()
    return db


def is_busy(error: BaseException) -> bool:
    """Whether SQLite gave up waiting for another connection's lock.

    >>> is_busy(sqlite3.OperationalError("database is locked")), is_busy(ValueError("locked"))
    (True, False)
    >>> is_busy(sqlite3.OperationalError("no such table: entries"))
    False
    """
    text = str(error)
    return isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def utc_now() -> str:
    """The current UTC time as stored in every table, to the second."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_date(value: str) -> str:
    """``value`` when it is a real ``YYYY-MM-DD`` date, else ``""``.

    >>> iso_date("2026-02-28"), iso_date("2026-02-30"), iso_date("²")
    ('2026-02-28', '', '')
    """
    if not _DATE.fullmatch(value):
        return ""
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return ""
    return value

"""The app database (SQLite through sqlite-utils) and the one clock its rows are stamped with.

>>> import tempfile, pathlib
>>> db = open_database(pathlib.Path(tempfile.mkdtemp()) / "app.db")
>>> db.journal_mode
'wal'
>>> utc_now()[-6:]
'+00:00'
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from pathlib import Path

from sqlite_utils import Database

#: What a failure of the app database looks like: locked, read-only, missing, full, broken.
STORE_ERRORS = (sqlite3.Error, OSError)


def open_database(path: str | Path, timeout: float = 10) -> Database:
    """Open (creating if needed) the app database at ``path`` in WAL mode; a write waits up
    to ``timeout`` seconds for another writer."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=timeout, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    db = Database(conn)
    db.enable_wal()
    return db


def utc_now() -> str:
    """The current UTC time as stored in every table, to the second."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")

"""Handoffs that the app database cannot take right now wait here, and are never lost.

When the database is locked or read-only, the action writes the handoff to the outbox
(``var/outbox/``, next to the database): one JSON file per handoff, already redacted,
written to a temporary file, flushed to disk and renamed into place, so a file is either
whole or absent. :func:`drain` stores the files in the handoff table once the database is
back: each carries a unique ``request_id`` that the table records with the handoff, so
the insert is ignored when it was already done, and the file is deleted only after it; a
crash between the two never stores a handoff twice::

    >>> import tempfile
    >>> from sqlite_utils import Database
    >>> from bot.handoff import HandoffStore
    >>> outbox = Outbox(Path(tempfile.mkdtemp()) / "outbox")
    >>> item = handoff_request("c1", "rest", "user_request", "low", [],
    ...                        [{"role": "user", "text": "电话13812345678"}])
    >>> item["transcript"][0]["text"]
    '电话[手机号]'
    >>> _ = outbox.put(item)
    >>> store = HandoffStore(Database(memory=True))
    >>> drain(outbox, store), drain(outbox, store), len(store.list())
    (1, 0, 1)

It is drained before each later handoff is written (``actions/handoff.py``) and every
minute by the console (:func:`draining`, started with the console's app).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.db import STORE_ERRORS, utc_now
from bot.handoff import HandoffStore
from bot.logs import clean
from bot.transcript import redact_transcript

log = logging.getLogger(__name__)

#: What :meth:`HandoffStore.request` takes from an item (besides its ``request_id``).
FIELDS = ("conversation_id", "channel", "reason", "risk_level", "flags", "transcript")
#: Where files that can never be stored (unreadable, or refused by the store) are moved,
#: for a person to look at; they are not retried.
REJECTED = "rejected"
#: How often the console drains the outbox, in seconds.
DRAIN_EVERY = 60.0
_REQUEST_ID = re.compile(r"[0-9a-f]{32}")


def handoff_request(
    conversation_id: str,
    channel: str,
    reason: str,
    risk_level: str,
    flags: list[str] | tuple[str, ...],
    transcript: list[dict[str, Any]],
) -> dict[str, Any]:
    """A handoff as the outbox keeps it: the transcript redacted, a new unique id."""
    return {
        "request_id": uuid.uuid4().hex,
        "queued_at": utc_now(),
        "conversation_id": conversation_id,
        "channel": channel,
        "reason": reason,
        "risk_level": risk_level,
        "flags": sorted(set(flags)),
        "transcript": redact_transcript(transcript),
    }


def store_request(store: HandoffStore, item: dict[str, Any]) -> tuple[Any, bool]:
    """Store ``item`` (a :func:`handoff_request`) once; returns what ``store.request`` does."""
    return store.request(**{name: item[name] for name in FIELDS}, request_id=item["request_id"])


class Outbox:
    """A folder of waiting handoffs, oldest first by file name."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def put(self, item: dict[str, Any]) -> Path:
        """Write ``item`` durably (temporary file, fsync, atomic rename); returns its path."""
        if not _REQUEST_ID.fullmatch(str(item.get("request_id"))):
            raise ValueError("an outbox item needs the request_id of handoff_request()")
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{item['request_id']}.json"
        final, temporary = self.folder / name, self.folder / f".{name}.tmp"
        # ASCII JSON: any text (a lone surrogate included) can be written and read back.
        data = json.dumps(item, sort_keys=True).encode("ascii")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, final)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        _fsync_folder(self.folder)  # the rename itself survives a power cut
        return final

    def pending(self) -> list[Path]:
        """The waiting files, oldest first (temporary files are never listed)."""
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob("*.json"))

    def remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)  # another process may have drained it already

    def reject(self, path: Path) -> None:
        """Move a file that can never be stored aside, for a person to look at."""
        rejected = self.folder / REJECTED
        rejected.mkdir(mode=0o700, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, rejected / path.name)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read(path: Path) -> dict[str, Any]:
    item = json.loads(path.read_text(encoding="ascii"))
    if not isinstance(item, dict) or not {"request_id", *FIELDS} <= item.keys():
        raise ValueError("not an outbox item")
    return item


def drain(outbox: Outbox, store: HandoffStore) -> int:
    """Store every waiting handoff once, oldest first, deleting each file after its insert.

    Returns how many files were drained. A store failure (the database still locked) stops
    the drain and is raised, leaving the rest for later; a file that can never be stored is
    moved to ``rejected/`` and logged.
    """
    drained = 0
    for path in outbox.pending():
        try:
            item = _read(path)
            store_request(store, item)
        except FileNotFoundError:
            continue  # drained by another process meanwhile
        except STORE_ERRORS:
            raise
        except Exception as exc:  # malformed, or refused by the store: retrying won't help
            log.error("outbox: %s cannot be stored (%s), moved aside", path.name, clean(exc))
            outbox.reject(path)
            continue
        outbox.remove(path)
        drained += 1
    return drained


def drain_folder(folder: str | Path, db_path: str | Path) -> int:
    """Drain the outbox ``folder`` into the database at ``db_path``; opens nothing when
    no handoff is waiting."""
    outbox = Outbox(folder)
    if not outbox.pending():
        return 0
    store = HandoffStore.open(db_path)
    try:
        return drain(outbox, store)
    finally:
        store.db.close()


async def drain_periodically(folder: Path, db_path: Path, every: float = DRAIN_EVERY) -> None:
    """Drain now and then every ``every`` seconds, until cancelled; failures are logged."""
    while True:
        try:
            drained = await asyncio.to_thread(drain_folder, folder, db_path)
            if drained:
                log.warning("outbox: %d waiting handoff(s) stored", drained)
        except Exception as exc:
            log.warning("outbox: not drained yet (%s)", clean(exc))
        await asyncio.sleep(every)


@contextlib.asynccontextmanager
async def draining(folder: Path, db_path: Path, every: float = DRAIN_EVERY) -> AsyncIterator[None]:
    """Run :func:`drain_periodically` for as long as the block lasts (a server's lifespan)."""
    task = asyncio.create_task(drain_periodically(folder, db_path, every))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

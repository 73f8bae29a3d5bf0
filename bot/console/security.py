"""Console security helpers: rate limits, CSRF tokens and the session secret.

>>> limiter = RateLimiter(limit=2, window=60)
>>> [limiter.hit("ip:1", now=0) for _ in range(3)]
[True, True, False]
>>> limiter.hit("ip:1", now=61)
True
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from pathlib import Path

from bot.settings import secret_in


class RateLimiter:
    """At most ``limit`` hits per ``window`` seconds per key (a sliding window, in memory).

    One console process serves all requests, so memory is the right place; a restart
    forgets the counts, which errs on the side of letting people in.
    """

    max_keys = 10_000

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> bool:
        """Count a hit for ``key``; ``False`` when it is over the limit (not counted)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > self.max_keys:
                self._forget_idle(now)
            return True

    def _forget_idle(self, now: float) -> None:
        """Drop keys with no hit inside the window, so memory stays bounded."""
        idle = [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]
        for key in idle:
            del self._hits[key]

    def blocked(self, key: str, now: float | None = None) -> bool:
        """Whether ``key`` is at its limit, without counting a hit."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.get(key, ())
            return sum(1 for t in hits if t > now - self.window) >= self.limit

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)

    def __len__(self) -> int:
        """How many keys are counted now: idle ones are forgotten beyond ``max_keys``."""
        with self._lock:
            return len(self._hits)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing token never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def session_secret(path: Path, configured: str = "") -> str:
    """The key that signs session cookies: ``configured`` (``CONSOLE_SECRET``) if set, else
    a random key kept in ``path`` (created once, readable by the owner only), so sessions
    survive a restart."""
    return secret_in(path, configured)

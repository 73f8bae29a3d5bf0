"""Rate limiter, CSRF token comparison and the session secret file."""

from __future__ import annotations

import stat

from bot.console.security import RateLimiter, session_secret, tokens_match


def test_limit_is_per_key_and_slides():
    limiter = RateLimiter(limit=2, window=10)
    assert limiter.hit("a", now=0) and limiter.hit("a", now=1)
    assert not limiter.hit("a", now=2)
    assert limiter.hit("b", now=2)
    assert limiter.blocked("a", now=9) and not limiter.blocked("a", now=10.5)
    assert limiter.hit("a", now=11)


def test_idle_keys_are_forgotten():
    limiter = RateLimiter(limit=1, window=10)
    limiter.max_keys = 100
    for i in range(100):
        limiter.hit(f"name:{i}", now=0)
    limiter.hit("busy", now=15)
    limiter.hit("fresh", now=20)
    assert len(limiter) == 2  # the hundred idle keys are gone
    assert limiter.blocked("busy", now=20)  # a key hit inside the window is kept


def test_tokens_match_needs_both_and_equal():
    assert tokens_match("abc", "abc")
    assert not tokens_match("abc", "abd")
    assert not tokens_match("", "")
    assert not tokens_match(None, "abc")


def test_session_secret_is_made_once_and_private(tmp_path):
    path = tmp_path / "var" / "console_secret"
    first = session_secret(path)
    assert len(first) >= 48 and session_secret(path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert session_secret(path, "from-the-environment") == "from-the-environment"

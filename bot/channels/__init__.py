"""Rasa input channels of PolicyGuard, and which channel a conversation came in by.

A conversation's channel is told by the prefix of its sender id: the console's chat page
sends ``web:…``, the WeChat account ``wechat:…``; anything else came straight to the REST
API (tests, scripts, load tests).

    >>> channel_for("web:3f2a9c1e"), channel_for("wechat:oAbc_1"), channel_for("u1")
    ('web', 'wechat', 'rest')
    >>> channel_sql("sender_id")  # doctest: +NORMALIZE_WHITESPACE
    "CASE WHEN substr(sender_id, 1, 4) = 'web:' THEN 'web'
     WHEN substr(sender_id, 1, 7) = 'wechat:' THEN 'wechat' ELSE 'rest' END"
"""

from __future__ import annotations

#: Channels told by a sender-id prefix; every other sender is ``REST``.
PREFIXED = ("web", "wechat")
REST = "rest"
CHANNELS = (*PREFIXED, REST)


def channel_for(sender: str) -> str:
    """The channel of the conversation with sender id ``sender``."""
    for prefix in PREFIXED:
        if sender.startswith(prefix + ":"):
            return prefix
    return REST


def channel_sql(column: str) -> str:
    """An SQLite expression for the channel of the sender id in ``column``, as
    :func:`channel_for` tells it."""
    whens = " ".join(
        f"WHEN substr({column}, 1, {len(p) + 1}) = '{p}:' THEN '{p}'" for p in PREFIXED
    )
    return f"CASE {whens} ELSE '{REST}' END"

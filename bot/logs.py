"""Logs without personal data: every record is redacted when it is made, in every process.

:func:`install_redacting_logs` puts a log record factory in front of the standard one, so
records from every logger pass through it, whichever handlers Rasa, Sanic, structlog or
uvicorn add later. The message is merged with its arguments and redacted once, and the
traceback is formatted once and redacted too (an exception's message can quote what the user
typed)::

    >>> import logging
    >>> record = logging.LogRecord(
    ...     "demo", logging.ERROR, __file__, 1, "user said %s", ("电话13812345678",), None
    ... )
    >>> redact_record(record).getMessage()
    'user said 电话[手机号]'

Importing this module changes nothing; the ``python -m bot`` commands install it (see
:mod:`bot.cli`). What it cannot reach: fields passed as ``extra=`` (set after the factory
ran); our code never passes user text that way.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable
from typing import Any

from bot.privacy import redact

#: Marks our factory, so installing twice (or over a wrapped copy) is a no-op.
_MARK = "_policyguard_redacting"
#: Escaped characters, as JSON (Rasa's structlog lines) and repr() write them.
_CHAR_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})")
_BYTE_ESCAPES = re.compile(r"(?:\\x[0-9a-fA-F]{2})+")


def unescape(text: str) -> str:
    r"""``text`` with escaped non-ASCII characters written as themselves.

    Redaction must see ``话13812345678`` where a JSON log line has ``\u8bdd13812345678``
    (the escape's last hex digit would otherwise hide where the number starts). ASCII
    escapes (quotes, control characters) are kept, so JSON stays JSON.

    >>> unescape(r'{"text": "\u7535\u8bdd13812345678", "q": "\u0022"}')
    '{"text": "电话13812345678", "q": "\\u0022"}'
    >>> unescape(r"b'\xe7\x94\xb5\xe8\xaf\x9d13812345678'")
    "b'电话13812345678'"
    """
    if "\\" not in text:
        return text

    def char(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if 0x80 <= code <= 0x10FFFF else match.group(0)

    def utf8(match: re.Match[str]) -> str:
        try:
            decoded = bytes.fromhex(match.group(0).replace("\\x", "")).decode("utf-8")
        except UnicodeDecodeError:
            return match.group(0)
        return decoded if all(ord(c) >= 0x80 for c in decoded) else match.group(0)

    text = _BYTE_ESCAPES.sub(utf8, _CHAR_ESCAPE.sub(char, text))
    # Escaped surrogate pairs (emoji in JSON) become one character again.
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")


def clean(value: object) -> str:
    """``value`` as text fit for a log: personal data redacted, lone surrogates escaped.

    >>> clean("卡号 6222 0202 0000 0000 006")
    '卡号 [银行卡号]'
    >>> clean("bad \\udc80 text")
    'bad \\\\udc80 text'
    """
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:  # a broken __str__ must not break logging
        text = f"<unprintable {type(value).__name__}>"
    try:
        text = unescape(text)
        # Text that cannot be encoded (lone surrogates) is shown escaped, never written raw.
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
        return redact(text).text
    except Exception as exc:  # withhold rather than leak if redaction itself fails
        return f"<{len(text)} characters withheld: redaction failed ({type(exc).__name__})>"


def _traceback(exc_info: Any) -> str:
    try:
        return "".join(traceback.format_exception(*exc_info)).rstrip("\n")
    except Exception:
        return f"{getattr(exc_info[0], '__name__', 'error')} (traceback unavailable)"


def redacted_traceback(exc: BaseException) -> str:
    """The exception's traceback (its chained causes included) as redacted text."""
    return clean(_traceback((type(exc), exc, exc.__traceback__)))


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # arguments that do not fit the format: keep both, like logging would
        return f"{record.msg!s} {record.args!r}"


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact a record in place and return it.

    The message is merged with its arguments (later formatting cannot reintroduce what a
    mutable argument holds then) and the traceback and stack are turned into redacted text;
    ``exc_info`` is dropped so no formatter renders the raw exception again. Never raises.
    """
    try:
        record.msg = clean(_message(record))
        record.args = None
        if record.exc_info:
            record.exc_text = record.exc_text or _traceback(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = clean(record.exc_text)
        if record.stack_info:
            record.stack_info = clean(record.stack_info)
    except Exception as exc:  # a record must always be made
        record.msg = f"<log message withheld: redaction failed ({type(exc).__name__})>"
        record.args = None
        record.exc_info = record.exc_text = record.stack_info = None
    return record


def is_installed() -> bool:
    """Whether this process's log records are redacted."""
    return bool(getattr(logging.getLogRecordFactory(), _MARK, False))


def install_redacting_logs() -> None:
    """Redact every log record this process makes from now on (idempotent).

    Forked worker processes (Sanic's) inherit it.
    """
    if is_installed():
        return
    make_record: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(make_record(*args, **kwargs))

    setattr(factory, _MARK, True)
    logging.setLogRecordFactory(factory)

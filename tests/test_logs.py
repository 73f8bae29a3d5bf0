"""Logs without personal data: every record is redacted when it is made (bot/logs.py)."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys

import pytest

from bot.logs import install_redacting_logs, is_installed, redact_record
from tests.conftest import ROOT

PHONE, ID_NUMBER = "13812345678", "11010519491231002X"


@pytest.fixture
def written():
    """A logger whose records are written, UTF-8 strict, to a byte buffer (after install)."""
    install_redacting_logs()
    buffer = io.BytesIO()
    stream = io.TextIOWrapper(buffer, encoding="utf-8", errors="strict", write_through=True)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, lambda: buffer.getvalue().decode("utf-8")
    logger.removeHandler(handler)


def test_phone_number_in_the_message_or_its_arguments_is_redacted(written):
    logger, output = written
    logger.warning(f"user wrote 电话{PHONE}")
    logger.info("user wrote %s", f"我的手机 {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}")
    text = output()
    assert PHONE not in text.replace(" ", "")
    assert text.count("[手机号]") == 2


def test_id_number_is_redacted_from_dict_arguments_too(written):
    logger, output = written
    logger.error("slots %(slots)s", {"slots": {"id": ID_NUMBER}})
    assert ID_NUMBER not in output() and "[身份证号]" in output()


def test_traceback_whose_exception_quotes_user_text_is_redacted(written):
    logger, output = written
    try:
        try:
            raise ValueError(f"cannot parse '身份证{ID_NUMBER}'")
        except ValueError as inner:
            raise RuntimeError(f"message 电话{PHONE} failed") from inner
    except RuntimeError:
        logger.exception("action failed")
    text = output()
    assert "Traceback (most recent call last)" in text
    assert "ValueError" in text and "RuntimeError" in text  # the chain is still there
    assert ID_NUMBER not in text and PHONE not in text
    assert "[身份证号]" in text and "[手机号]" in text


def test_json_and_bytes_escapes_do_not_hide_a_number(written):
    logger, output = written
    # Rasa's structlog lines are ASCII JSON: the number follows the escape's last hex digit.
    logger.debug(json.dumps({"parse_data_text": f"我的电话是{PHONE}", "event": "parse"}))
    logger.debug("body %r", f"身份证{ID_NUMBER}".encode())  # a request body's repr()
    text = output()
    assert PHONE not in text and ID_NUMBER not in text
    assert '"parse_data_text": "我的电话是[手机号]"' in text and "身份证[身份证号]" in text
    json.loads(text.splitlines()[0].removeprefix("DEBUG "))  # still JSON


def test_no_formatter_can_render_the_raw_exception_again():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, None)
    try:
        raise KeyError(PHONE)
    except KeyError:
        record.exc_info = sys.exc_info()
    redact_record(record)
    assert record.exc_info is None
    assert PHONE not in record.exc_text and "KeyError" in record.exc_text
    assert PHONE not in logging.Formatter().format(record)


def test_a_lone_surrogate_neither_crashes_logging_nor_is_written_raw(written, monkeypatch):
    errors = []
    monkeypatch.setattr(logging.Handler, "handleError", lambda self, record: errors.append(record))
    logger, output = written
    logger.warning("user wrote %s", "坏\udc80字")
    logger.warning("raw \ud83d in the message itself")
    assert errors == []  # nothing failed to encode
    text = output()
    assert "坏\\udc80字" in text and "raw \\ud83d in" in text
    assert "\udc80" not in text


def test_arguments_that_do_not_fit_the_format_do_not_raise(written):
    logger, output = written
    logger.info("two %s %s", f"电话{PHONE}")  # one argument missing
    assert PHONE not in output() and "[手机号]" in output()


def test_stack_info_is_redacted(written):
    logger, output = written

    logger.info("here", stack_info=True)  # the stack quotes this line: 电话13812345678
    assert "Stack (most recent call last)" in output()
    assert PHONE not in output() and "电话[手机号]" in output()


def test_installing_is_idempotent_and_chains_the_previous_factory():
    seen = []
    base = logging.getLogRecordFactory()

    def previous(*args, **kwargs):
        seen.append(args[4])
        return base(*args, **kwargs)

    logging.setLogRecordFactory(previous)
    install_redacting_logs()
    install_redacting_logs()
    assert is_installed()
    record = logging.getLogger("x").makeRecord("x", logging.INFO, "f", 1, PHONE, None, None)
    assert seen == [PHONE]  # called once, not twice
    assert record.getMessage() == "[手机号]"


def test_importing_installs_nothing():
    code = (
        "import logging, bot.logs, bot.cli, bot.servers, bot.outbox, actions.handoff;"
        "print(logging.getLogRecordFactory() is logging.LogRecord, bot.logs.is_installed())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["True", "False"]

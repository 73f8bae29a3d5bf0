"""The REST channel's input checks (through the real server: tests/test_e2e_rest.py)."""

import pytest

from bot.channels.rest import MAX_MESSAGE_CHARS, PayloadError, PolicyGuardRestInput, parse_payload


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "text",
        {},
        {"message": "你好"},
        {"sender": "", "message": "你好"},
        {"sender": "a b", "message": "你好"},
        {"sender": "x" * 129, "message": "你好"},
        {"sender": "u1\n", "message": "你好"},
        {"sender": 5, "message": "你好"},
        {"sender": "u1"},
        {"sender": "u1", "message": 123},
        {"sender": "u1", "message": "退" * (MAX_MESSAGE_CHARS + 1)},
    ],
)
def test_bad_payloads_are_refused(body):
    with pytest.raises(PayloadError):
        parse_payload(body)


def test_good_payloads():
    assert parse_payload({"sender": "web:3f2a-9", "message": ""}).message == ""
    assert parse_payload({"sender": "u1", "message": "退" * MAX_MESSAGE_CHARS}).sender == "u1"


def test_channel_keeps_rasas_url_and_its_own_name():
    assert PolicyGuardRestInput.name() == "rest"

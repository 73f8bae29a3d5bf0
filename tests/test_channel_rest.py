"""The REST channel's input checks (through the real server: tests/test_e2e_rest.py)."""

import json

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
        {"sender": "u1", "message": "\ud800"},
        {"sender": "u1", "message": "退保\udc80"},
        {"sender": "u1\ud800", "message": "退保"},
    ],
)
def test_bad_payloads_are_refused(body):
    with pytest.raises(PayloadError):
        parse_payload(body)


def test_a_lone_surrogate_is_refused_saying_why():
    # JSON's "\ud800" decodes to a string UTF-8 cannot hold; Rasa would fail on it later.
    body = json.loads('{"sender": "u1", "message": "\\ud800"}')
    with pytest.raises(PayloadError, match="UTF-8"):
        parse_payload(body)
    assert parse_payload(json.loads('{"sender": "u1", "message": "\\ud83d\\ude00"}')).message == (
        "😀"
    )


def test_messages_are_capped_at_the_chat_pages_length():
    assert MAX_MESSAGE_CHARS == 1000
    with pytest.raises(PayloadError, match="1000 characters"):
        parse_payload({"sender": "u1", "message": "退" * 1001})


def test_good_payloads():
    assert parse_payload({"sender": "web:3f2a-9", "message": ""}).message == ""
    assert parse_payload({"sender": "u1", "message": "退" * MAX_MESSAGE_CHARS}).sender == "u1"


def test_channel_keeps_rasas_url_and_its_own_name():
    assert PolicyGuardRestInput.name() == "rest"

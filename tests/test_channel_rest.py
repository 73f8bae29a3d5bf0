"""The REST channel's input checks and its apology when a message got no reply (through
the real server: tests/test_e2e_rest.py, tests/test_never_silent.py)."""

import asyncio
import functools
import json
import warnings

import pytest

from bot.channels.rest import (
    MAX_MESSAGE_CHARS,
    PayloadError,
    PolicyGuardRestInput,
    needs_apology,
    parse_payload,
)
from bot.logs import install_redacting_logs
from tests.conftest import ROOT, load_yaml

PHONE = "13812345678"


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


# --- never silent ---------------------------------------------------------------------------

TROUBLE_TEXT = load_yaml(ROOT / "domain.yml")["responses"]["utter_service_trouble"][0]["text"]


@functools.cache
def domain_agent():
    """What the channel reads from Rasa's agent: the domain and its response generator."""
    from types import SimpleNamespace

    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain

    with warnings.catch_warnings():  # Rasa's note on slot auto-fill, for every domain
        warnings.simplefilter("ignore", UserWarning)
        domain = Domain.load(str(ROOT / "domain.yml"))
    return SimpleNamespace(domain=domain, nlg=TemplatedNaturalLanguageGenerator(domain.responses))


def handled(rasa_does, agent):
    """What the user gets back when Rasa does ``rasa_does`` with the message."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    output = CollectingOutputChannel()
    message = UserMessage("转人工", output, "u1", input_channel="rest")
    asyncio.run(PolicyGuardRestInput().answer(rasa_does, message, agent))
    return output.messages


async def says_nothing(message):
    return None


async def action_server_down(message):
    raise RuntimeError(f"Failed to execute custom action for 电话{PHONE}")


async def greets(message):
    await message.output_channel.send_text_message(message.sender_id, "您好")


@pytest.mark.parametrize(
    ("sent", "apology"),
    [
        ([], True),
        ([{"recipient_id": "u1", "text": ""}], True),
        ([{"recipient_id": "u1", "text": "  \n"}], True),
        ([{"recipient_id": "u1", "text": "您好"}], False),
        ([{"recipient_id": "u1", "buttons": [{"title": "转人工", "payload": "/x"}]}], False),
        ([{"recipient_id": "u1", "custom": {"kind": "card"}}], False),
        ([{"recipient_id": "u1", "image": "https://example.invalid/a.png"}], False),
    ],
)
def test_the_apology_is_added_only_when_nothing_was_shown(sent, apology):
    assert needs_apology(sent) is apology


def test_a_message_that_got_no_reply_gets_the_apology_from_the_domain():
    assert [m["text"] for m in handled(says_nothing, domain_agent())] == [TROUBLE_TEXT]


def test_a_failure_inside_rasa_is_answered_and_logged_redacted(caplog):
    install_redacting_logs()
    assert [m["text"] for m in handled(action_server_down, domain_agent())] == [TROUBLE_TEXT]
    assert "RuntimeError" in caplog.text and PHONE not in caplog.text


def test_a_real_reply_gets_no_apology():
    assert [m["text"] for m in handled(greets, domain_agent())] == ["您好"]


def test_without_a_model_the_apology_comes_from_the_domain_file():
    assert [m["text"] for m in handled(says_nothing, None)] == [TROUBLE_TEXT]


def test_the_apology_points_to_official_channels_and_promises_no_call():
    assert "请自己拨打保单上印的保险公司官方客服电话" in TROUBLE_TEXT
    assert not any(word in TROUBLE_TEXT for word in ("回电", "联系您", "给您打"))


def test_the_chat_page_shows_the_same_apology_for_an_empty_reply():
    script = (ROOT / "bot" / "console" / "static" / "chat-api.js").read_text(encoding="utf-8")
    assert f"noReply: '{TROUBLE_TEXT}'" in script
    assert "!replies.length" in script  # an empty list is a failure, not silence

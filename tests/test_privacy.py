"""Redaction of personal data on the formats people really type."""

import re
import time
from pathlib import Path

import pytest
import yaml

from bot.privacy import classify_number, id_checksum_ok, luhn_ok, normalise, redact, redact_texts


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("身份证号11010519491231002X", "身份证号[身份证号]", "id_number"),
        ("身份证号11010519491231002x。", "身份证号[身份证号]。", "id_number"),
        ("110105 19491231 002X 是我的", "[身份证号] 是我的", "id_number"),
        ("110105-19491231-002X", "[身份证号]", "id_number"),
        ("老身份证 110105491231002", "老身份证 [身份证号]", "id_number"),
        ("卡号4111111111111111", "卡号[银行卡号]", "bank_card"),
        ("卡号 5555 5555 5555 4444 谢谢", "卡号 [银行卡号] 谢谢", "bank_card"),
        ("6222-0202-0000-0000-006", "[银行卡号]", "bank_card"),
        ("我手机13812345678", "我手机[手机号]", "phone"),
        ("手机 138 1234 5678", "手机 [手机号]", "phone"),
        ("138-1234-5678", "[手机号]", "phone"),
        ("+86 13812345678", "[手机号]", "phone"),
        ("座机 021-51234567", "座机 [电话号码]", "landline"),
        ("发到 wang.ayi@163.com 吧", "发到 [邮箱] 吧", "email"),
        ("全角１３８１２３４５６７８", "全角[手机号]", "phone"),
    ],
)
def test_personal_data_is_redacted(text, expected, kind):
    result = redact(text)
    assert result.text == expected
    assert kind in result.kinds


@pytest.mark.parametrize(
    "text",
    [
        "打12378投诉",
        "客服电话95519",
        "每年交20000元，交了5年",
        "2024年10月1日买的",
        "保额50万",
        "20241001",
        "现金价值是12345.67元",
        "",
    ],
)
def test_ordinary_numbers_are_kept(text):
    result = redact(text)
    assert result.text == text
    assert not result.found


def test_several_items_in_one_message():
    text = "我叫王芳，身份证11010519491231002X，卡4111111111111111，电话13812345678"
    result = redact(text)
    assert result.text == "我叫王芳，身份证[身份证号]，卡[银行卡号]，电话[手机号]"
    assert result.kinds == {"id_number", "bank_card", "phone"}


def test_long_unknown_numbers_are_redacted_to_be_safe():
    assert classify_number("4111111111111112") == "number"  # fails Luhn, still hidden
    assert redact("账号 123456789012345678901").text == "账号 [号码]"


def test_checksums():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert id_checksum_ok("11010519491231002X") and not id_checksum_ok("110105194912310021")


def test_markup_is_left_as_text():
    assert redact("<b>13812345678</b>").text == "<b>[手机号]</b>"


CORPUS = yaml.safe_load((Path(__file__).parent / "data" / "pii_corpus.yml").read_text("utf-8"))


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", normalise(text)[0])


def leaks(secret: str, stored: str) -> bool:
    """Whether ``stored`` still holds ``secret`` as typed, or its digits in a row."""
    digits = digits_of(secret)
    return secret in stored or (len(digits) >= 4 and digits in digits_of(stored))


def test_the_corpus_is_large_and_varied():
    assert len(CORPUS) >= 80
    assert {c["kind"] for c in CORPUS} >= {"phone", "id_number", "bank_card", "email", "code"}


@pytest.mark.parametrize("case", CORPUS, ids=[f"{c['kind']}: {c['how']}" for c in CORPUS])
def test_every_corpus_variant_is_redacted(case):
    messages = case.get("messages") or [case["message"]]
    stored = redact_texts(messages)
    assert not leaks(case["secret"], "\n".join(stored)), stored
    assert all("[" in text for text in stored), stored


@pytest.mark.parametrize(
    "text",
    ["a" * 10_000 + "@", "a@" * 5_000, "1 " * 5_000, "@" * 10_000, "验证码" + "1 " * 4_000],
)
def test_long_hostile_messages_are_redacted_in_linear_time(text):
    started = time.process_time()
    redact(text)
    assert time.process_time() - started < 1.0  # quadratic patterns took seconds here


@pytest.mark.parametrize("text", ['"confidence": 0.5172445393709039', "现金价值 123456.78"])
def test_numbers_with_decimals_are_kept(text):
    assert redact(text).text == text

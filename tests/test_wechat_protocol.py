"""The WeChat protocol layer: signatures, hostile XML, messages, the AES envelope, replies."""

from __future__ import annotations

import pytest

from bot.wechat.protocol import (
    MAX_AGE,
    MAX_BODY,
    Crypto,
    Message,
    WeChatRefused,
    check_signature,
    parse_xml,
    signature,
    text_reply,
)

TOKEN = "tok3n"
NOW = 1_700_000_000


def refused(call, *args, **kwargs) -> WeChatRefused:
    """The WeChatRefused a call raises (any other exception fails the test)."""
    with pytest.raises(WeChatRefused) as info:
        call(*args, **kwargs)
    return info.value


def xml(**fields: str) -> bytes:
    inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return f"<xml>{inner}</xml>".encode()


# --- URL signature -------------------------------------------------------------------------


def test_a_good_signature_passes():
    sig = signature(TOKEN, str(NOW), "n0nce")
    check_signature(TOKEN, str(NOW), "n0nce", sig, now=NOW + MAX_AGE)
    check_signature(TOKEN, str(NOW), "n0nce", sig, now=NOW - MAX_AGE)


@pytest.mark.parametrize(
    "given", ["0" * 40, "", None, "签名", signature("other", str(NOW), "n0nce")]
)
def test_a_bad_signature_is_403(given):
    err = refused(check_signature, TOKEN, str(NOW), "n0nce", given, now=NOW)
    assert (err.status, err.reason) == (403, "signature")


@pytest.mark.parametrize(
    ("timestamp", "now"),
    [(str(NOW), NOW + MAX_AGE + 1), (str(NOW), NOW - MAX_AGE - 1), ("soon", NOW), ("", NOW)],
)
def test_a_stale_or_odd_timestamp_is_403(timestamp, now):
    sig = signature(TOKEN, timestamp, "n0nce")
    err = refused(check_signature, TOKEN, timestamp, "n0nce", sig, now=now)
    assert (err.status, err.reason) == (403, "stale")


def test_the_signature_is_sha1_over_the_sorted_parts():
    # WeChat's documented order: sort the strings, concatenate, SHA1 hex.
    import hashlib

    assert signature("b", "a", "c") == hashlib.sha1(b"abc").hexdigest()


# --- hostile XML -----------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><Content>&lol3;</Content></xml>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><Content>&xxe;</Content></xml>"""
DOCTYPE_ONLY = b'<!DOCTYPE xml SYSTEM "http://example.invalid/x.dtd"><xml><A>1</A></xml>'


@pytest.mark.parametrize(
    ("raw", "status", "reason"),
    [
        (BILLION_LAUGHS, 400, "malformed"),
        (EXTERNAL_ENTITY, 400, "malformed"),
        (DOCTYPE_ONLY, 400, "malformed"),
        (b"<xml><Content>" + b"a" * 70_000 + b"</Content></xml>", 413, "too_large"),
        (b"ToUserName=gh_1&Content=hi", 400, "malformed"),
        (b"", 400, "malformed"),
        (b"<xml><A>1</A>", 400, "malformed"),
        (b"\xff\xfe<xml/>", 400, "malformed"),
        (b"<root><A>1</A></root>", 400, "malformed"),
    ],
    ids=["billion", "xxe", "doctype", "70kB", "not-xml", "empty", "unclosed", "bytes", "root"],
)
def test_hostile_xml_is_refused(raw, status, reason):
    err = refused(parse_xml, raw)
    assert (err.status, err.reason) == (status, reason)
    assert "Traceback" not in str(err)


def test_a_body_of_exactly_max_body_is_read():
    pad = MAX_BODY - len(b"<xml><A></A></xml>")
    assert parse_xml(b"<xml><A>" + b"a" * pad + b"</A></xml>")["A"] == "a" * pad


# --- messages ----------------------------------------------------------------------------------


def test_a_text_message():
    m = Message.from_fields(
        parse_xml(
            b"<xml><ToUserName><![CDATA[gh_1]]></ToUserName>"
            b"<FromUserName><![CDATA[o_user]]></FromUserName><CreateTime>1700000000</CreateTime>"
            b"<MsgType><![CDATA[text]]></MsgType>"
            b"<Content><![CDATA[\xe6\x88\x91\xe6\x83\xb3\xe9\x80\x80\xe4\xbf\x9d]]></Content>"
            b"<MsgId>1234567890123456</MsgId></xml>"
        )
    )
    assert (m.to_user, m.from_user, m.create_time, m.msg_type) == (
        "gh_1",
        "o_user",
        1700000000,
        "text",
    )
    assert m.content == "我想退保"
    assert m.dedup_key == m.msg_id == "1234567890123456"


def test_a_subscribe_event_is_keyed_by_user_time_and_event():
    fields = parse_xml(
        xml(ToUserName="gh_1", FromUserName="o_user", MsgType="event", Event="subscribe").replace(
            b"</xml>", b"<CreateTime>1700000000</CreateTime></xml>"
        )
    )
    m = Message.from_fields(fields)
    assert (m.msg_type, m.event, m.msg_id) == ("event", "subscribe", None)
    assert m.dedup_key == "o_user:1700000000:subscribe"


def test_a_menu_click_keeps_its_key():
    fields = {
        "ToUserName": "gh_1",
        "FromUserName": "o_user",
        "CreateTime": "1700000001",
        "MsgType": "event",
        "Event": "CLICK",
        "EventKey": "MENU_SURRENDER",
    }
    m = Message.from_fields(fields)
    assert (m.event, m.event_key) == ("click", "MENU_SURRENDER")
    assert m.dedup_key == "o_user:1700000001:click"
    # The retry of the same event is the same key; another second is another event.
    assert Message.from_fields(dict(fields)).dedup_key == m.dedup_key
    assert Message.from_fields(fields | {"CreateTime": "1700000002"}).dedup_key != m.dedup_key


def test_a_voice_message_carries_its_recognition():
    fields = {
        "ToUserName": "gh_1",
        "FromUserName": "o_user",
        "CreateTime": "1700000000",
        "MsgType": "voice",
        "MediaId": "media_1",
        "Format": "amr",
        "Recognition": "保单贷款怎么办",
        "MsgId": "99",
    }
    m = Message.from_fields(fields)
    assert (m.msg_type, m.media_id, m.recognition, m.content) == (
        "voice",
        "media_1",
        "保单贷款怎么办",
        "",
    )


@pytest.mark.parametrize("missing", ["ToUserName", "FromUserName", "MsgType", "CreateTime"])
def test_a_message_missing_a_required_field_is_400(missing):
    fields = {"ToUserName": "gh", "FromUserName": "o", "CreateTime": "1", "MsgType": "text"}
    del fields[missing]
    err = refused(Message.from_fields, fields)
    assert (err.status, err.reason) == (400, "malformed")


def test_a_create_time_that_is_not_a_number_is_400():
    fields = {"ToUserName": "gh", "FromUserName": "o", "CreateTime": "now", "MsgType": "text"}
    assert refused(Message.from_fields, fields).status == 400


# --- replies -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["您好", "a]]>b", "]]>", "x]]>]]>y]]", "<b>&amp;</b>", "第一行\n第二行", "🙂"]
)
def test_a_text_reply_round_trips(text):
    back = parse_xml(text_reply("o_user", "gh_1", text, 1700000000).encode())
    assert back == {
        "ToUserName": "o_user",
        "FromUserName": "gh_1",
        "CreateTime": "1700000000",
        "MsgType": "text",
        "Content": text,
    }


def test_a_text_reply_drops_what_xml_cannot_carry():
    back = parse_xml(text_reply("o", "gh", "a\x00b\x1bc", 1).encode())
    assert back["Content"] == "abc"


# --- 安全模式 (AES) ----------------------------------------------------------------------------
# Tencent's published sample for the Official Account message encryption (WXBizMsgCrypt's
# demo, "测试解密接口"), as copied in charlesXu86/Chatbot_CN, Chatbot_Web/impl/weixin/Sample.py
# (commit 7e1cd5c26b67e8679160d65faa35792b9bcf76f6). The same values appear in the Node
# package fotock/WXbizMsgCrypt-Node, README.md, and in several Go ports' tests.

SAMPLE_TOKEN = "spamtest"
SAMPLE_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SAMPLE_APPID = "wx2c2769f8efd9abc2"
SAMPLE_TIMESTAMP = "1409735669"
SAMPLE_NONCE = "1320562132"
SAMPLE_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
SAMPLE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8"
    "PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332j"
    "isa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavj"
    "IQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ"
    "4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
SAMPLE_BODY = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>"
    "<CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId>"
    f"<Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt></xml>"
).encode()
SAMPLE_PLAINTEXT = {
    "ToUserName": "gh_10f6c3c3ac5a",
    "FromUserName": "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
    "CreateTime": "1409735668",
    "MsgType": "text",
    "Content": "abcdteT",
    "MsgId": "6054768590064713728",
}


def sample_crypto() -> Crypto:
    return Crypto(SAMPLE_TOKEN, SAMPLE_KEY, SAMPLE_APPID)


def test_tencents_sample_msg_signature_verifies():
    assert signature(SAMPLE_TOKEN, SAMPLE_TIMESTAMP, SAMPLE_NONCE, SAMPLE_ENCRYPT) == (
        SAMPLE_MSG_SIGNATURE
    )


def test_tencents_sample_decrypts_to_its_plaintext():
    plain = sample_crypto().decrypt(
        SAMPLE_BODY, SAMPLE_MSG_SIGNATURE, SAMPLE_TIMESTAMP, SAMPLE_NONCE
    )
    assert parse_xml(plain) == SAMPLE_PLAINTEXT
    assert Message.from_fields(parse_xml(plain)).dedup_key == "6054768590064713728"


def test_the_sample_with_a_wrong_msg_signature_is_403():
    err = refused(sample_crypto().decrypt, SAMPLE_BODY, "0" * 40, SAMPLE_TIMESTAMP, SAMPLE_NONCE)
    assert (err.status, err.reason) == (403, "signature")


def test_the_sample_for_another_appid_is_400():
    other = Crypto(SAMPLE_TOKEN, SAMPLE_KEY, "wx_someone_else")
    err = refused(other.decrypt, SAMPLE_BODY, SAMPLE_MSG_SIGNATURE, SAMPLE_TIMESTAMP, SAMPLE_NONCE)
    assert (err.status, err.reason) == (400, "malformed")


OUR_KEY = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"


def test_encrypt_then_decrypt_round_trips():
    ours = Crypto(TOKEN, OUR_KEY, "wx_ours")
    reply = text_reply("o_user", "gh_1", "您好]]>🙂", NOW)
    envelope = parse_xml(ours.encrypt(reply, "n0nce", str(NOW)).encode())
    assert set(envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    assert (envelope["TimeStamp"], envelope["Nonce"]) == (str(NOW), "n0nce")
    assert envelope["MsgSignature"] == signature(TOKEN, str(NOW), "n0nce", envelope["Encrypt"])
    body = xml(ToUserName="gh_1", Encrypt=envelope["Encrypt"])
    assert ours.decrypt(body, envelope["MsgSignature"], str(NOW), "n0nce").decode() == reply


@pytest.mark.parametrize(
    "encrypted", ["not base64 at all!", "AAAA", "", "aGVsbG8gd29ybGQ="], ids=str
)
def test_a_broken_ciphertext_is_400_never_another_exception(encrypted):
    ours = Crypto(TOKEN, OUR_KEY, "wx_ours")
    body = xml(Encrypt=encrypted)
    err = refused(ours.decrypt, body, signature(TOKEN, str(NOW), "n", encrypted), str(NOW), "n")
    assert (err.status, err.reason) == (400, "malformed")


def test_hostile_outer_xml_never_reaches_wechatpy():
    err = refused(sample_crypto().decrypt, BILLION_LAUGHS, SAMPLE_MSG_SIGNATURE, "1", "2")
    assert err.status == 400
    assert refused(sample_crypto().decrypt, b"<xml/>", "x", "1", "2").status == 400


def test_a_reply_nonce_that_could_break_the_envelope_is_refused():
    ours = Crypto(TOKEN, OUR_KEY, "wx_ours")
    assert refused(ours.encrypt, "<xml/>", "a]]>b", str(NOW)).status == 400
    assert refused(ours.encrypt, "<xml/>", "n0nce", "soon").status == 400


def test_a_bad_encoding_aes_key_is_a_configuration_error():
    with pytest.raises(ValueError, match="EncodingAESKey") as info:
        Crypto(TOKEN, "too-short", "wx_ours")
    assert not isinstance(info.value, WeChatRefused)

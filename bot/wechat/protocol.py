"""WeChat's callback protocol, as pure functions: signatures, safe XML, messages, AES, replies.

Every refusal is a :class:`WeChatRefused` carrying the HTTP status to answer with and a short
English reason for the log, never a traceback::

    >>> sig = signature("token", "1700000000", "nonce")
    >>> check_signature("token", "1700000000", "nonce", sig, now=1700000010)
    >>> check_signature("token", "1700000000", "nonce", "0" * 40, now=1700000010)
    Traceback (most recent call last):
    ...
    bot.wechat.protocol.WeChatRefused: signature
    >>> parse_xml(b"<xml><MsgType><![CDATA[text]]></MsgType></xml>")
    {'MsgType': 'text'}
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

#: Largest request body read, in bytes (WeChat's messages are a few hundred bytes).
MAX_BODY = 64 * 1024
#: How far (seconds, either direction) a request's timestamp may be from our clock.
MAX_AGE = 300

# Characters XML 1.0 cannot carry at all, not even in CDATA.
_PLAIN = re.compile("[0-9A-Za-z]{1,64}")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class WeChatRefused(ValueError):
    """A request refused: ``status`` is the HTTP status to answer, ``reason`` a short code.

    >>> err = WeChatRefused(413, "too_large")
    >>> (err.status, err.reason, str(err))
    (413, 'too_large', 'too_large')
    """

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _malformed() -> WeChatRefused:
    return WeChatRefused(400, "malformed")


def signature(token: str, *parts: str) -> str:
    """WeChat's SHA1 signature: the token and the parts sorted, joined, hashed (hex).

    The URL ``signature`` is over token/timestamp/nonce, ``msg_signature`` adds the Encrypt.

    >>> signature("b", "c", "a") == hashlib.sha1(b"abc").hexdigest()
    True
    """
    joined = "".join(sorted([token, *parts]))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()


def _same(expected: str, given: str | None) -> bool:
    """Constant-time comparison of two signatures (any text, never an exception).

    >>> _same("abc", "abc"), _same("abc", None), _same("abc", "é")
    (True, False, False)
    """
    given_bytes = (given or "").encode("utf-8", "replace")
    return hmac.compare_digest(expected.encode("utf-8"), given_bytes)


def check_signature(
    token: str, timestamp: str, nonce: str, given: str | None, *, now: float | None = None
) -> None:
    """Refuse (403) a request whose ``signature`` is wrong or whose timestamp is stale.

    >>> sig = signature("t", "100", "n")
    >>> check_signature("t", "100", "n", sig, now=100 + MAX_AGE + 1)
    Traceback (most recent call last):
    ...
    bot.wechat.protocol.WeChatRefused: stale
    """
    if not _same(signature(token, timestamp or "", nonce or ""), given):
        raise WeChatRefused(403, "signature")
    _check_fresh(timestamp, now)


def _check_fresh(timestamp: str, now: float | None) -> None:
    """Refuse (403 "stale") a timestamp that is not an integer or too far from ``now``.

    >>> _check_fresh("1000", now=1299.0)
    >>> _check_fresh("1e3", now=1000.0)
    Traceback (most recent call last):
    ...
    bot.wechat.protocol.WeChatRefused: stale
    """
    text = (timestamp or "").strip()
    if not text.isascii() or not text.isdigit():
        raise WeChatRefused(403, "stale")
    current = time.time() if now is None else now
    if abs(current - int(text)) > MAX_AGE:
        raise WeChatRefused(403, "stale")


def parse_xml(raw: bytes) -> dict[str, str]:
    """The direct children of a WeChat ``<xml>`` body as ``{tag: text}``; hostile XML refused.

    Bodies over :data:`MAX_BODY` are 413; a DOCTYPE, an entity, an external reference,
    anything not well formed or not rooted at ``<xml>`` is 400. A repeated tag keeps its
    first value.

    >>> parse_xml(b"<xml><A>1</A><B/></xml>")
    {'A': '1', 'B': ''}
    >>> parse_xml(b"<root/>")
    Traceback (most recent call last):
    ...
    bot.wechat.protocol.WeChatRefused: malformed
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > MAX_BODY:
        raise WeChatRefused(413, "too_large")
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError, ValueError, TypeError, UnicodeError):
        raise _malformed() from None
    if root.tag != "xml":
        raise _malformed()
    fields: dict[str, str] = {}
    for child in root:
        if isinstance(child.tag, str):
            fields.setdefault(child.tag, child.text or "")
    return fields


@dataclass(frozen=True)
class Message:
    """One message or event WeChat pushed, as the channel reads it.

    >>> m = Message.from_fields({"ToUserName": "gh_1", "FromUserName": "o_user",
    ...     "CreateTime": "1700000000", "MsgType": "event", "Event": "subscribe"})
    >>> (m.msg_type, m.event, m.msg_id, m.dedup_key)
    ('event', 'subscribe', None, 'o_user:1700000000:subscribe')
    """

    to_user: str
    from_user: str
    create_time: int
    msg_type: str
    msg_id: str | None = None
    content: str = ""
    event: str = ""
    event_key: str = ""
    recognition: str = ""
    media_id: str = ""

    @classmethod
    def from_fields(cls, d: dict[str, str]) -> Message:
        """Build from :func:`parse_xml`'s fields; 400 when a required field is missing.

        >>> Message.from_fields({"MsgType": "text"})
        Traceback (most recent call last):
        ...
        bot.wechat.protocol.WeChatRefused: malformed
        """

        def field(name: str) -> str:
            return (d.get(name) or "").strip()

        to_user, from_user, msg_type = field("ToUserName"), field("FromUserName"), field("MsgType")
        create_time = field("CreateTime")
        if not (to_user and from_user and msg_type and create_time):
            raise _malformed()
        if not create_time.isascii() or not create_time.isdigit():
            raise _malformed()
        return cls(
            to_user=to_user,
            from_user=from_user,
            create_time=int(create_time),
            msg_type=msg_type.lower(),
            msg_id=field("MsgId") or None,
            content=d.get("Content") or "",
            event=field("Event").lower(),
            event_key=field("EventKey"),
            recognition=field("Recognition"),
            media_id=field("MediaId"),
        )

    @property
    def dedup_key(self) -> str:
        """What identifies a retry: the MsgId, or for events FromUserName + CreateTime + Event.

        >>> Message("gh", "o", 5, "text", msg_id="42").dedup_key
        '42'
        """
        if self.msg_id:
            return self.msg_id
        return f"{self.from_user}:{self.create_time}:{self.event}"


class Crypto:
    """安全模式: the AES envelope of WeChat's messages (wechatpy's cipher, our checks).

    The outer XML is parsed by :func:`parse_xml` first, so hostile XML never reaches
    wechatpy, and ``msg_signature`` is compared in constant time before anything is decrypted.

    >>> c = Crypto("token", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx_app")
    >>> outer = parse_xml(c.encrypt("<xml><A>1</A></xml>", "nonce1", "1700000000").encode())
    >>> c.decrypt(b"<xml><Encrypt>" + outer["Encrypt"].encode() + b"</Encrypt></xml>",
    ...           outer["MsgSignature"], "1700000000", "nonce1")
    b'<xml><A>1</A></xml>'
    """

    def __init__(self, token: str, encoding_aes_key: str, appid: str) -> None:
        from wechatpy.crypto import WeChatCrypto

        try:
            self._crypto = WeChatCrypto(token, encoding_aes_key, appid)
        except Exception:
            # A configuration mistake, not a request to refuse: no WeChatRefused.
            raise ValueError("the EncodingAESKey is not 43 characters of base64") from None
        self._token = token

    def decrypt(self, raw: bytes, msg_signature: str, timestamp: str, nonce: str) -> bytes:
        """The plaintext XML inside an encrypted body; 403 bad signature, 400 anything else."""
        from wechatpy.exceptions import InvalidSignatureException

        encrypted = parse_xml(raw).get("Encrypt", "").strip()
        if not encrypted:
            raise _malformed()
        expected = signature(self._token, timestamp or "", nonce or "", encrypted)
        if not _same(expected, msg_signature):
            raise WeChatRefused(403, "signature")
        try:
            # A dict, not the XML text: wechatpy then skips its own (xmltodict) parse.
            plain = self._crypto.decrypt_message(
                {"Encrypt": encrypted}, msg_signature, timestamp, nonce
            )
        except InvalidSignatureException:
            raise WeChatRefused(403, "signature") from None
        except Exception:
            # Bad base64, bad padding, wrong appid, bad UTF-8: all just a broken message.
            raise _malformed() from None
        return plain.encode("utf-8")

    def encrypt(self, reply_xml: str, nonce: str, timestamp: str) -> str:
        """The encrypted envelope (Encrypt, MsgSignature, TimeStamp, Nonce) of a reply."""
        # Both go into the envelope as they are: plain digits and letters only.
        if not (_PLAIN.fullmatch(nonce) and timestamp.isascii() and timestamp.isdigit()):
            raise _malformed()
        return self._crypto.encrypt_message(reply_xml, nonce, timestamp)


def _cdata(text: str) -> str:
    """``text`` as CDATA that any text survives: ``]]>`` is split across two sections.

    >>> _cdata("a]]>b")
    '<![CDATA[a]]]]><![CDATA[>b]]>'
    """
    text = _XML_ILLEGAL.sub("", text)
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to_user: str, from_user: str, text: str, create_time: int) -> str:
    """The passive reply XML of one text message.

    >>> text_reply("o_user", "gh_1", "a]]>b", 1700000000)[:62]
    '<xml><ToUserName><![CDATA[o_user]]></ToUserName><FromUserName>'
    >>> parse_xml(text_reply("o_user", "gh_1", "a]]>b", 1700000000).encode())["Content"]
    'a]]>b'
    """
    return (
        f"<xml><ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime>"
        f"<MsgType>{_cdata('text')}</MsgType>"
        f"<Content>{_cdata(text)}</Content></xml>"
    )

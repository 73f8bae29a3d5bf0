"""Play WeChat's server against the local bot, so the WeChat path can be tried without an
account (``python -m bot wechat simulate``) and tested end to end.

:class:`WeChatServer` does what WeChat does with what a user sends: it signs the request,
encrypts the body in 安全模式, posts it to ``/wechat``, and resends the same message when no
answer came within 5 seconds (three tries in all), then reads the passive reply, decrypted.

    >>> server = WeChatServer("http://127.0.0.1:9/wechat", "tok", "wx_app", LOCAL_AES_KEY)
    >>> server.text_fields("o_user", "我想退保", msg_id="1")["MsgId"]
    '1'
    >>> query = server.signed_query("1700000000", "123")
    >>> query["signature"] == signature("tok", "1700000000", "123"), query["encrypt_type"]
    (True, 'aes')
"""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field

import httpx

from bot.wechat.protocol import Crypto, parse_xml, signature

#: A 安全模式 key for local use only (43 characters of base64, as WeChat makes them).
LOCAL_AES_KEY = "PolicyGuardLocalSimulatorKey0123456789abcde"
LOCAL_TOKEN = "policyguard-local"
LOCAL_APPID = "wx-local-simulator"
LOCAL_SECRET = "local-simulator-secret"
#: WeChat waits 5 seconds for an answer, then resends; three tries in all.
WECHAT_WAIT = 5.0
WECHAT_TRIES = 3


@dataclass
class Delivery:
    """What one message got: the passive reply texts (``[]`` for ``success``), the HTTP
    status of the last try, how many tries it took and how long the answering one took."""

    texts: list[str] = field(default_factory=list)
    status: int = 0
    tries: int = 0
    seconds: float = 0.0


class WeChatServer:
    def __init__(
        self,
        url: str,
        token: str,
        appid: str,
        aes_key: str = "",
        account: str = "gh_policyguard",
        wait: float = WECHAT_WAIT,
    ) -> None:
        self.url, self.token, self.account, self.wait = url, token, account, wait
        self.crypto = Crypto(token, aes_key, appid) if aes_key else None
        self._ids = itertools.count(int(time.time() * 1000))

    def signed_query(self, timestamp: str, nonce: str) -> dict[str, str]:
        query = {
            "signature": signature(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
        }
        if self.crypto is not None:
            query["encrypt_type"] = "aes"
        return query

    def text_fields(self, openid: str, content: str, msg_id: str | None = None) -> dict[str, str]:
        return {
            "ToUserName": self.account,
            "FromUserName": openid,
            "CreateTime": str(int(time.time())),
            "MsgType": "text",
            "Content": content,
            "MsgId": msg_id or str(next(self._ids)),
        }

    def event_fields(self, openid: str, event: str, key: str = "") -> dict[str, str]:
        fields = {
            "ToUserName": self.account,
            "FromUserName": openid,
            "CreateTime": str(int(time.time())),
            "MsgType": "event",
            "Event": event,
        }
        return {**fields, "EventKey": key} if key else fields

    def voice_fields(self, openid: str, recognition: str = "") -> dict[str, str]:
        fields = {
            **self.text_fields(openid, ""),
            "MsgType": "voice",
            "MediaId": "media-" + secrets.token_hex(4),
            "Format": "amr",
        }
        fields.pop("Content")
        return {**fields, "Recognition": recognition} if recognition else fields

    def body(self, fields: dict[str, str], timestamp: str, nonce: str) -> tuple[bytes, dict]:
        """The request body and the extra query of 安全模式 (``msg_signature``)."""
        inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
        plain = f"<xml>{inner}</xml>"
        if self.crypto is None:
            return plain.encode(), {}
        envelope = parse_xml(self.crypto.encrypt(plain, nonce, timestamp).encode())
        encrypted = envelope["Encrypt"]
        outer = f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
        outer += f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        msg_signature = signature(self.token, timestamp, nonce, encrypted)
        return outer.encode(), {"msg_signature": msg_signature}

    def read_reply(self, response: httpx.Response, timestamp: str, nonce: str) -> list[str]:
        text = response.text
        if response.status_code != 200 or text.strip() in ("", "success"):
            return []
        raw = text.encode()
        if self.crypto is not None:
            envelope = parse_xml(raw)
            raw = self.crypto.decrypt(
                raw, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
            )
        content = parse_xml(raw).get("Content", "")
        return [content] if content else []

    def push(self, fields: dict[str, str], client: httpx.Client | None = None) -> Delivery:
        """Deliver ``fields`` as WeChat does, retrying after :attr:`wait` seconds."""
        own = client is None
        client = client or httpx.Client()
        delivery = Delivery()
        try:
            for attempt in range(1, WECHAT_TRIES + 1):
                timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**9))
                body, extra = self.body(fields, timestamp, nonce)
                query = {**self.signed_query(timestamp, nonce), **extra}
                started = time.monotonic()
                try:
                    response = client.post(self.url, params=query, content=body, timeout=self.wait)
                except httpx.TimeoutException:
                    continue  # WeChat resends the same message
                delivery.tries, delivery.status = attempt, response.status_code
                delivery.seconds = time.monotonic() - started
                delivery.texts = self.read_reply(response, timestamp, nonce)
                return delivery
            delivery.tries = WECHAT_TRIES
            return delivery
        finally:
            if own:
                client.close()

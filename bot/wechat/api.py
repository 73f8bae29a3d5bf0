"""WeChat's server API, as the Official Account channel uses it: the access token, customer
service messages and the custom menu.

One :class:`WeChatAPI` per process holds the access token and shares it between its callers::

    >>> import asyncio, httpx
    >>> def wechat(request):
    ...     if request.url.path == "/cgi-bin/stable_token":
    ...         return httpx.Response(200, json={"access_token": "T1", "expires_in": 7200})
    ...     return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})
    >>> async def demo():
    ...     async with httpx.AsyncClient(transport=httpx.MockTransport(wechat)) as client:
    ...         api = WeChatAPI("wx-app", "app-secret", client=client)
    ...         await api.send_text("openid-1", "hello")
    ...         return await api.token()
    >>> asyncio.run(demo())
    'T1'

What WeChat's documentation says, as checked for this module (developers.weixin.qq.com,
doc/service/api/base/api_getstableaccesstoken, doc/service/api/customer/message/
api_sendcustommessage, doc/subscription/api/custommenu/api_createcustommenu; the error
names as in wechatpy's constants.py):

- ``POST /cgi-bin/stable_token`` with JSON ``grant_type`` (``client_credential``), ``appid``,
  ``secret``, ``force_refresh`` answers ``access_token`` and ``expires_in`` (seconds, at most
  7200), or ``errcode``/``errmsg``. In normal mode a token still valid is handed out again
  (the platform starts handing out the next one 5 minutes before expiry); force mode
  invalidates the previous token at once and is limited to 20 calls a day, 30 s apart.
- ``POST /cgi-bin/message/custom/send?access_token=…`` with ``touser``, ``msgtype`` ``text``
  and ``text.content`` answers ``errcode`` 0. It may be sent only within 48 hours of the
  user's last message (5 messages per user message since June 2023; 3 within a minute of a
  menu click, a subscription or a QR scan): past that, 45015 (out of response time limit),
  and past the count 45047 (out of response count limit).
- ``POST /cgi-bin/menu/create?access_token=…`` takes ``{"button": [...]}``: at most 3
  buttons, each with at most 5 ``sub_button``; a ``click`` button carries the ``key`` that
  comes back in the click event.
- 40001 (invalid credential), 40014 (invalid access_token) and 42001 (access_token expired)
  mean the token must be replaced.

Neither the secret nor a token is ever logged, and httpx's request log lines (which show the
URL, token included) have the token masked once a :class:`WeChatAPI` exists.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable

import httpx

logger = logging.getLogger(__name__)

#: The error codes that mean the access token must be replaced.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
#: The user has not written for 48 hours (or unsubscribed): no customer message may be sent.
WINDOW_CLOSED = 45015
#: The customer messages allowed since the user last wrote are used up.
QUOTA = 45047
#: Seconds before WeChat's expiry at which a cached token is replaced.
EXPIRY_MARGIN = 300

_TOKEN_IN_URL = re.compile(r"(access_token=)[^&\s\"']+")


class WeChatAPIError(RuntimeError):
    """WeChat refused a call, or could not be reached.

    ``code`` is WeChat's errcode (an int), or ``"network"`` (no answer) or ``"http"`` (an
    answer that is not WeChat's JSON with status 200).

    >>> error = error_for(45015, "response out of time limit")
    >>> error.code, error.window_closed, error.quota, isinstance(error, WindowClosed)
    (45015, True, False, True)
    >>> str(WeChatAPIError("network", "ConnectError"))
    'WeChat API network: ConnectError'
    """

    def __init__(self, code: int | str, message: str = "") -> None:
        super().__init__(f"WeChat API {code}: {message}" if message else f"WeChat API {code}")
        self.code = code

    @property
    def window_closed(self) -> bool:
        """The user has not written for 48 hours: wait until they write again."""
        return self.code == WINDOW_CLOSED

    @property
    def quota(self) -> bool:
        """The messages allowed since the user last wrote are used up."""
        return self.code == QUOTA


class WindowClosed(WeChatAPIError):
    """errcode 45015: the 48-hour window for customer messages is closed."""


class QuotaExceeded(WeChatAPIError):
    """errcode 45047: no more customer messages until the user writes again."""


def error_for(code: int | str, message: str = "") -> WeChatAPIError:
    """The error for WeChat's ``code``, of the subclass that names it where there is one."""
    kind = {WINDOW_CLOSED: WindowClosed, QUOTA: QuotaExceeded}.get(code, WeChatAPIError)
    return kind(code, message)


def token_lifetime(expires_in: float) -> float:
    """How long a token is used: WeChat's ``expires_in`` less 5 minutes, at least half of it.

    >>> token_lifetime(7200), token_lifetime(400)
    (6900, 200.0)
    """
    return max(expires_in - EXPIRY_MARGIN, expires_in / 2)


def mask_token(text: str) -> str:
    """``text`` with the value of any ``access_token=`` parameter hidden.

    >>> mask_token("POST https://api.weixin.qq.com/cgi-bin/menu/create?access_token=T1&x=1")
    'POST https://api.weixin.qq.com/cgi-bin/menu/create?access_token=***&x=1'
    """
    return _TOKEN_IN_URL.sub(r"\1***", text)


class _MaskTokens(logging.Filter):
    """Hides access tokens in the records of the logger it is on (httpx's)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # leave a record that cannot be formatted to logging's own handling
            return True
        if "access_token=" in message:
            record.msg, record.args = mask_token(message), None
        return True


def hide_tokens_in_logs() -> None:
    """Mask tokens in httpx's request log lines (idempotent)."""
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, _MaskTokens) for f in httpx_logger.filters):
        httpx_logger.addFilter(_MaskTokens())


class WeChatAPI:
    """The calls the channel makes to WeChat, with the access token cached and renewed."""

    def __init__(
        self,
        appid: str,
        secret: str,
        base: str = "https://api.weixin.qq.com",
        *,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 5.0,
    ) -> None:
        self.appid = appid
        self._secret = secret
        self.base = base.rstrip("/")
        self.timeout = timeout
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout)
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        hide_tokens_in_logs()

    def __repr__(self) -> str:
        return f"WeChatAPI(appid={self.appid!r}, base={self.base!r})"

    async def __aenter__(self) -> WeChatAPI:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client, if this object made it."""
        if self._own_client:
            await self._client.aclose()

    # The access token

    def _fresh(self) -> bool:
        return self._token is not None and self._clock() < self._expires_at

    async def token(self, force: bool = False) -> str:
        """The access token: the cached one while it is fresh, else a new one from WeChat.

        Callers that find the cache cold wait for one request instead of each making theirs.
        ``force`` asks WeChat to invalidate the current token and issue another (limited to
        20 a day; the retry of :meth:`send_text` tries without it first).
        """
        if not force and self._fresh():
            return self._token  # type: ignore[return-value]
        async with self._lock:
            if not force and self._fresh():
                return self._token  # type: ignore[return-value]
            return await self._fetch(force)

    async def _replace(self, stale: str) -> str:
        """A token other than ``stale``, which WeChat refused.

        Normal mode first: when another process forced a refresh, or the token expired,
        WeChat hands out the current one, and forcing would invalidate the token the other
        processes (Rasa, the console) share. Force only when WeChat hands back ``stale``.
        """
        async with self._lock:
            if self._fresh() and self._token != stale:
                return self._token  # type: ignore[return-value]  # replaced meanwhile
            token = await self._fetch(force=False)
            if token == stale:
                token = await self._fetch(force=True)
            return token

    async def _fetch(self, force: bool) -> str:
        started = self._clock()
        payload = {
            "grant_type": "client_credential",
            "appid": self.appid,
            "secret": self._secret,
            "force_refresh": force,
        }
        answer = await self._post("/cgi-bin/stable_token", payload)
        code = _errcode(answer)
        if code:
            raise error_for(code, str(answer.get("errmsg", "")))
        token, expires_in = answer.get("access_token"), answer.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int | float):
            raise WeChatAPIError("http", "stable_token answered without a token")
        self._token, self._expires_at = token, started + token_lifetime(expires_in)
        logger.info("WeChat access token renewed (valid %ss)", expires_in)
        return token

    # The calls

    async def send_text(self, openid: str, text: str) -> None:
        """Send a text customer message to the user ``openid``.

        Raises :class:`WindowClosed` when the user has not written for 48 hours,
        :class:`QuotaExceeded` when the messages allowed are used up, and
        :class:`WeChatAPIError` for any other refusal or when WeChat cannot be reached.
        """
        message = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        await self._call("/cgi-bin/message/custom/send", message)

    async def create_menu(self, menu: dict) -> None:
        """Replace the account's custom menu by ``menu`` (``{"button": [...]}``)."""
        await self._call("/cgi-bin/menu/create", menu)

    async def _call(self, path: str, payload: dict) -> None:
        """POST ``payload`` with the token; a refused token is replaced and the call made
        once more."""
        token = await self.token()
        answer = await self._post(path, payload, token)
        code = _errcode(answer)
        if code in TOKEN_ERRORS:
            logger.info("WeChat refused the access token (errcode %s): renewing it", code)
            answer = await self._post(path, payload, await self._replace(token))
            code = _errcode(answer)
        if code == 0:
            return
        if code in (WINDOW_CLOSED, QUOTA):
            logger.warning("WeChat refused a customer message: errcode %s", code)
        raise error_for(code, str(answer.get("errmsg", "")))

    async def _post(self, path: str, payload: dict, token: str | None = None) -> dict:
        # UTF-8 as it is, not \uXXXX escapes (as wechatpy sends it; escaped menus and
        # messages have been reported to come out garbled).
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            response = await self._client.post(
                self.base + path,
                params={"access_token": token} if token else None,
                content=body,
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            # Not chained: the cause's text could quote the URL, and with it the token.
            raise WeChatAPIError("network", type(exc).__name__) from None
        if response.status_code != 200:
            raise WeChatAPIError("http", f"status {response.status_code} from {path}")
        try:
            answer = json.loads(response.content)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise WeChatAPIError("http", f"{path} answered something other than a JSON object")
        return answer


def _errcode(answer: dict) -> int:
    code = answer.get("errcode", 0)
    if isinstance(code, bool) or not isinstance(code, int):
        raise WeChatAPIError("http", "errcode is not a number")
    return code

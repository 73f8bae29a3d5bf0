"""A fake of WeChat's server API on 127.0.0.1, for the tests and the local simulator.

It answers the three calls :mod:`bot.wechat.api` makes, as WeChat does (tokens in normal and
force mode, the errcodes of a refused token, a closed window, a used-up quota) and records
what it was sent. Knobs make it refuse the way WeChat can::

    >>> import asyncio
    >>> from bot.wechat.api import WeChatAPI
    >>> fake = FakeWeChatAPI()
    >>> with serve(fake) as base:
    ...     api = WeChatAPI(fake.appid, fake.secret, base)
    ...     asyncio.run(api.send_text("openid-1", "hello"))
    ...     fake.wait_for("openid-1", 1)
    ['hello']
    >>> fake.token_requests
    1

The handlers run in the server's thread; the records and knobs are guarded by one lock, so
a test may read them and turn the knobs from its own thread.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from bot.wechat.api import QUOTA, WINDOW_CLOSED

_WINDOW_MESSAGE = "response out of time limit or subscription is canceled"


def _error(code: int, message: str) -> JSONResponse:
    return JSONResponse({"errcode": code, "errmsg": message})


class FakeWeChatAPI:
    """WeChat's ``stable_token``, ``message/custom/send`` and ``menu/create``, in memory.

    Records: ``sent`` (dicts with ``openid``, ``text`` and ``at``, a :func:`time.time`),
    ``menus`` (each menu posted) and ``token_requests`` (how many token calls came).
    Tokens are ``fake-token-1``, ``fake-token-2``, … and last ``expires_in`` seconds.
    """

    def __init__(
        self, appid: str = "wx-fake-app", secret: str = "fake-secret", expires_in: int = 7200
    ) -> None:
        self.appid, self.secret, self.expires_in = appid, secret, expires_in
        self.sent: list[dict] = []
        self.menus: list[dict] = []
        self.token_requests = 0
        self._changed = threading.Condition()
        self._issued = 0
        self._token: str | None = None
        self._token_expires = 0.0
        self._expire_next_send = False
        self._failing_tokens = 0
        self._closed: set[str] = set()
        self._exhausted: set[str] = set()
        self.app = Starlette(
            routes=[
                Route("/", self._health),
                Route("/cgi-bin/stable_token", self._stable_token, methods=["POST"]),
                Route("/cgi-bin/message/custom/send", self._send, methods=["POST"]),
                Route("/cgi-bin/menu/create", self._menu, methods=["POST"]),
            ]
        )

    # Knobs

    def expire_next_send(self) -> None:
        """The next send answers 42001 (token expired) once, and the token is dropped, so the
        next token request, in normal mode too, issues a new one."""
        with self._changed:
            self._expire_next_send = True

    def close_window(self, openid: str) -> None:
        """Sends to ``openid`` answer 45015, as 48 hours after the user last wrote."""
        with self._changed:
            self._closed.add(openid)

    def exhaust_quota(self, openid: str) -> None:
        """Sends to ``openid`` answer 45047, as when the messages allowed are used up."""
        with self._changed:
            self._exhausted.add(openid)

    def open_window(self, openid: str) -> None:
        """``openid`` wrote again: sends to them are accepted again."""
        with self._changed:
            self._closed.discard(openid)
            self._exhausted.discard(openid)

    def fail_tokens(self, n: int) -> None:
        """The next ``n`` token requests answer errcode -1 (system busy)."""
        with self._changed:
            self._failing_tokens = n

    # Reading what was sent

    def texts(self, openid: str) -> list[str]:
        """The texts sent to ``openid`` so far, in order."""
        with self._changed:
            return [m["text"] for m in self.sent if m["openid"] == openid]

    def wait_for(self, openid: str, count: int, timeout: float = 5.0) -> list[str]:
        """The texts sent to ``openid``, once there are at least ``count`` of them.

        Raises :class:`TimeoutError` (saying what did arrive) after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                texts = [m["text"] for m in self.sent if m["openid"] == openid]
                left = deadline - time.monotonic()
                if len(texts) >= count or left <= 0:
                    break
                self._changed.wait(left)
        if len(texts) < count:
            raise TimeoutError(f"{len(texts)} of {count} messages to {openid}: {texts!r}")
        return texts

    # The handlers

    async def _health(self, request: Request) -> PlainTextResponse:
        return PlainTextResponse("fake WeChat API")

    async def _json(self, request: Request) -> dict | None:
        try:
            body = json.loads((await request.body()).decode("utf-8"))
        except ValueError:  # not UTF-8, or not JSON
            return None
        return body if isinstance(body, dict) else None

    async def _stable_token(self, request: Request) -> JSONResponse:
        body = await self._json(request)
        with self._changed:
            self.token_requests += 1
            if self._failing_tokens > 0:
                self._failing_tokens -= 1
                return _error(-1, "system error")
            if body is None:
                return _error(47001, "data format error")
            if body.get("grant_type") != "client_credential":
                return _error(40002, "invalid grant_type")
            if body.get("appid") != self.appid:
                return _error(40013, "invalid appid")
            if body.get("secret") != self.secret:
                return _error(40125, "invalid appsecret")
            now = time.monotonic()
            if (
                body.get("force_refresh") is True
                or self._token is None
                or (now >= self._token_expires)
            ):
                self._issued += 1
                self._token = f"fake-token-{self._issued}"
                self._token_expires = now + self.expires_in
            left = max(1, round(self._token_expires - now))
            return JSONResponse({"access_token": self._token, "expires_in": left})

    def _token_error(self, request: Request) -> JSONResponse | None:
        """The answer to a call whose token is missing, not the current one, or expired."""
        token = request.query_params.get("access_token")
        if not token:
            return _error(41001, "access_token missing")
        if self._expire_next_send:
            self._expire_next_send = False
            self._token = None
            return _error(42001, "access_token expired")
        if token != self._token:
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        if time.monotonic() >= self._token_expires:
            return _error(42001, "access_token expired")
        return None

    async def _send(self, request: Request) -> JSONResponse:
        body = await self._json(request)
        with self._changed:
            refused = self._token_error(request)
            if refused is not None:
                return refused
            if body is None:
                return _error(47001, "data format error")
            openid, text = body.get("touser"), (body.get("text") or {}).get("content")
            if body.get("msgtype") != "text" or not isinstance(text, str):
                return _error(40008, "invalid message type")
            if not isinstance(openid, str) or not openid:
                return _error(40003, "invalid openid")
            if openid in self._closed:
                return _error(WINDOW_CLOSED, _WINDOW_MESSAGE)
            if openid in self._exhausted:
                return _error(QUOTA, "out of response count limit")
            self.sent.append({"openid": openid, "text": text, "at": time.time()})
            self._changed.notify_all()
            return _error(0, "ok")

    async def _menu(self, request: Request) -> JSONResponse:
        body = await self._json(request)
        with self._changed:
            refused = self._token_error(request)
            if refused is not None:
                return refused
            if body is None:
                return _error(47001, "data format error")
            buttons = body.get("button")
            if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
                return _error(40016, "invalid button size")
            self.menus.append(body)
            return _error(0, "ok")


def serve(fake: FakeWeChatAPI, timeout: float = 10.0) -> contextlib.AbstractContextManager[str]:
    """Run ``fake`` on a free port of 127.0.0.1 in a daemon thread; yield its base URL."""
    return serve_app(fake.app, timeout)


@contextlib.contextmanager
def serve_app(app, timeout: float = 10.0, lifespan: str = "off") -> Iterator[str]:
    """Run an ASGI ``app`` on a free port of 127.0.0.1 in a daemon thread; yield its base URL
    (the fake API, or the simulator's own console).

    The socket is bound before the server starts (no other process can take the port
    between choosing and binding it); the server is stopped on leaving the block.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # The process's logging left as it is; no websockets (Rasa's pinned websockets is too old
    # for uvicorn's).
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan=lifespan,
        ws="none",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="wechat-local-server", daemon=True
    )
    thread.start()
    try:
        _wait_until_up(base, thread, timeout)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()


def _wait_until_up(base: str, thread: threading.Thread, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError(f"the fake WeChat API at {base} stopped")
        try:
            if httpx.get(base + "/", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"the fake WeChat API at {base} did not answer")

"""What every console page shares: the backend, the signed-in user, roles, CSRF, rendering.

A page is a plain function wrapped by :func:`page`, which checks the session and the role
before the page runs, and on every POST the form's size, text and CSRF token; the page reads
the checked form as ``ctx.form``::

    @page("kb_write")
    def kb_publish(request, ctx):
        entry_id = ctx.form.get("id")
        ...

The page runs in a worker thread (Starlette's ``run_in_threadpool``), never on the event
loop: its database calls, and the redaction of a long transcript, cannot hold up a
policyholder's chat message. Links and redirects are paths on this site (:func:`path_for`),
never URLs built from the request's ``Host`` header.
"""

from __future__ import annotations

import datetime as _dt
import functools
import inspect
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jinja2 import Environment, FileSystemLoader, pass_context
from sqlite_utils import Database
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates
from starlette.types import Message

from bot.accounts import SignInAttempts, User, UserStore
from bot.console.security import new_token, tokens_match
from bot.db import BUSY_TIMEOUT, open_database
from bot.handoff import HandoffStore
from bot.knowledge.store import KnowledgeBase
from bot.labels import label, labels
from bot.local_time import DEFAULT_ZONE, local_time, zone
from bot.nlu_review import ReviewStore
from bot.transcript import open_tracker_db

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"
MAX_FORM_BYTES = 200_000
#: A number as people type it in a URL or form: ASCII digits only (str.isdigit also
#: accepts "²"), short enough for SQLite.
DIGITS = re.compile(r"[0-9]{1,12}")
#: A form the database was too busy to save: shown above the form, which keeps its text.
BUSY_FORM = "系统繁忙，请稍后再试。您填写的内容没有丢失。"
#: A change the database was too busy to make, where there was no text to keep.
BUSY_CHANGE = "系统繁忙，这次操作没有完成，请稍后再试。"
#: Text that is not UTF-8 (a lone surrogate, say) in a form or a URL.
UNREADABLE_FORM = "表单里有无法识别的字符，请删掉后重新提交。"
UNREADABLE_URL = "网址里有无法识别的字符，请检查后重试。"


class Backend:
    """The console's stores over one SQLite file (one connection per thread)."""

    def __init__(
        self,
        db_path: Path,
        tracker_db_path: Path | None = None,
        busy_timeout: float = BUSY_TIMEOUT,
    ) -> None:
        self.db_path = db_path
        self.tracker_db_path = tracker_db_path
        self.busy_timeout = busy_timeout
        self._local = threading.local()

    @property
    def db(self) -> Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = open_database(self.db_path, self.busy_timeout)
            self._local.stores = {}
        return db

    def _store(self, cls: type) -> Any:
        db = self.db
        stores = self._local.stores
        if cls not in stores:
            stores[cls] = cls(db)
        return stores[cls]

    @property
    def kb(self) -> KnowledgeBase:
        return self._store(KnowledgeBase)

    @property
    def handoffs(self) -> HandoffStore:
        return self._store(HandoffStore)

    @property
    def users(self) -> UserStore:
        return self._store(UserStore)

    @property
    def sign_ins(self) -> SignInAttempts:
        return self._store(SignInAttempts)

    @property
    def reviews(self) -> ReviewStore:
        return self._store(ReviewStore)

    def tracker_db(self) -> Database | None:
        """Rasa's tracker store, read-only; ``None`` before the first conversation."""
        db = getattr(self._local, "tracker", None)
        if db is None and self.tracker_db_path is not None:
            db = self._local.tracker = open_tracker_db(self.tracker_db_path)
        return db


@dataclass
class Context:
    """The signed-in user and helpers for one request."""

    request: Request
    user: User
    backend: Backend
    #: The POSTed form, checked by :func:`page` (empty for a GET).
    form: FormData = field(default_factory=FormData)

    def render(self, template: str, status_code: int = 200, **values: Any) -> Response:
        return render(self.request, template, status_code, user=self.user, **values)

    @property
    def time_zone(self) -> str:
        """The configured time zone's name (``TIME_ZONE``): times are shown there, and a
        day people type is that day there."""
        settings = getattr(self.request.app.state, "settings", None)
        return settings.time_zone if settings is not None else DEFAULT_ZONE

    @property
    def zone(self) -> _dt.tzinfo:
        return zone(self.time_zone)

    def redirect(self, name: str, **params: Any) -> Response:
        """See other: the named page, by its path on this site."""
        return RedirectResponse(path_for(self.request, name, **params), status_code=303)


def templates(time_zone: str = DEFAULT_ZONE) -> Jinja2Templates:
    """Jinja2 with autoescaping on for every template: user text is never HTML. Templates
    show codes by the tables of :mod:`bot.labels`: ``labels("roles")`` for a whole table,
    ``role|label("roles")`` for one code; ``time|fmt_time`` shows a time in ``time_zone``."""
    tz = zone(time_zone)
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt_time"] = lambda value: fmt_time(value, tz)
    env.globals["time_zone"] = label("time_zones", time_zone)
    env.filters["label"] = lambda name, table: label(table, name)
    env.globals["labels"] = labels
    # Starlette's own url_for builds absolute URLs from the Host header; ours gives paths.
    env.globals["url_for"] = pass_context(
        lambda context, name, /, **params: path_for(context["request"], name, **params)
    )
    return Jinja2Templates(env=env)


#: Paths answered in JSON, errors included (a 401 is JSON too, never the sign-in page).
JSON_PREFIXES = ("/api/", "/console/api/")


def site_path(request: Request) -> str:
    """The request's path below the app's ``root_path`` (a console mounted under a prefix
    answers the same way)."""
    path = request.scope.get("path", "")
    root = request.scope.get("root_path", "")
    if root and path.startswith(root + "/"):
        path = path[len(root) :]
    return path


def wants_json(request: Request) -> bool:
    """Whether the request is for the chat API or the console's JSON (a script's fetch)."""
    return site_path(request).startswith(JSON_PREFIXES)


def is_console(request: Request) -> bool:
    """Whether the request is for the staff console (``/console…``), not the public side."""
    path = site_path(request)
    return path == "/console" or path.startswith("/console/")


def path_for(request: Request, name: str, /, **params: Any) -> str:
    """The path of the route called ``name`` on this site. Links, form actions and
    redirects use it: a path cannot point at whatever host a request claimed to be for."""
    return request.scope.get("root_path", "") + request.app.url_path_for(name, **params)


def fmt_time(value: Any, tz: _dt.tzinfo | None = None) -> str:
    """A time as ``YYYY-MM-DD HH:MM:SS`` in ``tz`` (the configured zone, Beijing time by
    default): Rasa's unix seconds or our ISO strings (UTC).

    >>> fmt_time(0), fmt_time("2026-11-22T20:45:11+00:00"), fmt_time(None), fmt_time("x")
    ('1970-01-01 08:00:00', '2026-11-23 04:45:11', '', 'x')
    >>> fmt_time(0, zone("UTC"))
    '1970-01-01 00:00:00'
    """
    if value is None or value == "":
        return ""
    moment = local_time(value, tz or zone())
    if moment is None:
        return value if isinstance(value, str) else ""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = new_token()
    return token


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> Response:
    values.setdefault("user", None)
    values["csrf_token"] = csrf_token(request)
    values["flashes"] = pop_flash(request)
    return request.app.state.templates.TemplateResponse(
        request, template, values, status_code=status_code
    )


def is_utf8(raw: bytes, urlencoded: bool = False) -> bool:
    """Whether ``raw`` is UTF-8 text throughout, after %-decoding when ``urlencoded``. A
    lone surrogate (``"\\ud800"``) is not: Starlette would decode it as Latin-1 or U+FFFD.

    >>> is_utf8("退保".encode()), is_utf8(b"q=%E9%80%80%E4%BF%9D&x=", urlencoded=True)
    (True, True)
    >>> is_utf8(b"note=%ED%A0%80", urlencoded=True), is_utf8(b"\\xed\\xa0\\x80")
    (False, False)
    """
    try:
        text = raw.decode("utf-8")
        if urlencoded:
            parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        return False
    return True


async def read_at_most(request: Request, limit: int) -> bytes | None:
    """The request body, or ``None`` as soon as it is longer than ``limit`` bytes (a
    declared length is checked first; a chunked body is read only up to the limit)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


async def checked_form(request: Request) -> FormData:
    """The POSTed form, after checking its size (413), that it is UTF-8 text (400) and its
    CSRF token (403)."""
    raw = await read_at_most(request, MAX_FORM_BYTES)
    if raw is None:
        raise HTTPException(413, "表单内容太大")
    urlencoded = request.headers.get("content-type", "").startswith("application/x-www-form")
    if not is_utf8(raw, urlencoded=urlencoded):
        raise HTTPException(400, UNREADABLE_FORM)

    async def replay() -> Message:
        return {"type": "http.request", "body": raw, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=0, max_fields=200)
    except Exception:  # malformed bodies: python-multipart raises several kinds
        raise HTTPException(400, "表单格式不正确") from None
    if not tokens_match(request.session.get("csrf"), str(form.get("csrf_token") or "")):
        raise HTTPException(403, "页面已过期或来源不明（CSRF 校验失败），请刷新页面后重试")
    return form


#: A session ends this long after sign-in, however busy it has been.
SESSION_SECONDS = 8 * 3600


def current_user(request: Request) -> User | None:
    """The active user the session names. Roles are read fresh on every request; a
    session ends 8 hours after sign-in, at sign-out and when the password changes."""
    name = request.session.get("user")
    if not name:
        return None
    user = request.app.state.backend.users.get(name)
    since = request.session.get("since")
    fresh = isinstance(since, int) and 0 <= time.time() - since < SESSION_SECONDS
    if (
        user is None
        or not user.active
        or not fresh
        or request.session.get("epoch") != user.session_epoch
    ):
        request.session.clear()
        return None
    return user


Page = Callable[[Request, Context], Response]


def page(permission: str | None) -> Callable[[Page], Callable[[Request], Awaitable[Response]]]:
    """Wrap a console page: sign-in required, then ``permission`` (403 without it), then for
    a POST the form (:func:`checked_form`: 413 too large, 400 malformed, 403 bad CSRF). The
    page is a plain function and runs in a worker thread."""

    def wrap(fn: Page) -> Callable[[Request], Awaitable[Response]]:
        if inspect.iscoroutinefunction(fn):
            raise TypeError(f"{fn.__name__}: a console page is a plain function (not async)")

        @functools.wraps(fn)
        async def endpoint(request: Request) -> Response:
            user = await run_in_threadpool(current_user, request)
            if user is None:
                if request.method == "GET" and not wants_json(request):
                    login = path_for(request, "login")
                    return RedirectResponse(
                        f"{login}?{urlencode({'next': request.url.path})}", status_code=303
                    )
                raise HTTPException(401, "请先登录")
            if permission and not user.can(permission):
                raise HTTPException(403, "您的账号没有权限打开这个页面")
            form = await checked_form(request) if request.method == "POST" else FormData()
            ctx = Context(request, user, request.app.state.backend, form)
            return await run_in_threadpool(fn, request, ctx)

        return endpoint

    return wrap


def client_address(request: Request) -> str:
    """The address a request came from, as rate limits count it."""
    return request.client.host if request.client else "unknown"


def int_param(request: Request, name: str) -> int:
    """A path parameter that must be a positive integer (404 otherwise)."""
    raw = str(request.path_params.get(name, ""))
    if not DIGITS.fullmatch(raw):
        raise HTTPException(404, "找不到这条记录")
    return int(raw)


def flash(request: Request, message: str, kind: str = "ok") -> None:
    # Assigned, not appended in place: the session notices assignments only.
    request.session["flash"] = [*request.session.get("flash", []), {"kind": kind, "text": message}]


def pop_flash(request: Request) -> list[dict[str, str]]:
    return request.session.pop("flash", [])

"""The console's Starlette app: routes, sessions, trusted hosts, security headers and error
pages (a busy database is a 503 that says so, never a bare 500).

    >>> from bot.settings import Settings
    >>> app = create_app(Settings(), bot=None, secret="test")
    >>> [r.path for r in app.routes][:3]
    ['/', '/api/chat', '/api/chat/inbox']

``create_app`` takes its backends as arguments so tests can pass their own; nothing is
opened until the first request.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.console import (
    auth,
    chat,
    dashboard,
    handoffs,
    kb,
    kb_review,
    live,
    quality,
    queue,
    review,
    users,
)
from bot.console.chat import Bot, RasaBot
from bot.console.security import RateLimiter, session_secret
from bot.console.web import (
    BUSY_CHANGE,
    SESSION_SECONDS,
    UNREADABLE_URL,
    Backend,
    current_user,
    is_console,
    is_utf8,
    path_for,
    render,
    templates,
    wants_json,
)
from bot.db import is_busy
from bot.live import Conversations, RasaConversations
from bot.outbox import draining
from bot.settings import Settings
from bot.wechat.endpoint import wechat_endpoint

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; object-src 'none'; "
        b"base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
#: Pages, downloads and chat replies may hold personal data: no copy in any cache. Only
#: the static files (scripts, styles, icons) may be kept.
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    """Adds the CSP and friends to every response, and ``no-store`` to all but static files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k for k, _ in message.get("headers", [])}
                wanted = SECURITY_HEADERS
                if not scope["path"].startswith("/static/"):
                    wanted = [*wanted, NO_STORE]
                extra = [(k, v) for k, v in wanted if k not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RefuseUnreadableQuery:
    """A query string that is not UTF-8 (``?q=%ED%A0%80``, a lone surrogate) is a 400 with
    the usual error page, before any page reads it; Starlette would turn it into U+FFFD."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not is_utf8(scope["query_string"], urlencoded=True):
            request = Request(scope, receive)
            response = await http_error(request, HTTPException(400, UNREADABLE_URL))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def console_home(request: Request) -> Response:
    user = await run_in_threadpool(current_user, request)
    if user is None:
        return RedirectResponse(path_for(request, "login"), status_code=303)
    return RedirectResponse(auth.home_for(request, user), status_code=303)


async def health(request: Request) -> Response:
    return PlainTextResponse("ok")


MESSAGES = {
    400: "请求的格式不对。",
    401: "请先登录。",
    403: "您的账号没有权限打开这个页面。",
    404: "找不到这个页面。",
    405: "不支持这种操作。",
    413: "内容太大了。",
    429: "操作太频繁了，请稍后再试。",
    500: "系统出了点问题，我们会尽快处理。请稍后再试。",
    503: "系统繁忙，请稍后再试。",
}


def _wants_json(request: Request) -> bool:
    """The chat API (``/api/``) and the console's JSON (``/console/api/``) get their
    errors, 401 and 403 included, as JSON: a script cannot read a sign-in page."""
    return wants_json(request)


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else ""
    message = detail if detail and detail != _default_phrase(status) else MESSAGES.get(status, "")
    message = message or MESSAGES[500]
    return await error_page(request, status, message)


async def error_page(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """The error as JSON for the chat API, as the console's page with its menu under
    ``/console``, else as a public page that leads back to the chat."""
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    if not is_console(request):
        response = render(request, "public_error.html", status, status=status, message=message)
        response.headers.update(headers or {})
        return response
    if status == 401 and request.method == "GET":
        return RedirectResponse(path_for(request, "login"), status_code=303)
    try:
        user = await run_in_threadpool(current_user, request)
    except Exception:  # the error page must render even when the database is the problem
        user = None
    response = render(request, "error.html", status, status=status, message=message, user=user)
    response.headers.update(headers or {})
    return response


async def database_error(request: Request, exc: Exception) -> Response:
    """A database still locked after the busy timeout is a 503 that says so; any other
    database error is a 500."""
    if not is_busy(exc):
        log.error("console: database error on %s", request.url.path, exc_info=exc)
        return await error_page(request, 500, MESSAGES[500])
    log.warning("console: the database stayed busy on %s", request.url.path)
    message = MESSAGES[503] if request.method == "GET" else BUSY_CHANGE
    return await error_page(request, 503, message, headers={"Retry-After": "5"})


async def server_error(request: Request, exc: Exception) -> Response:
    log.error("console: unhandled %s on %s", type(exc).__name__, request.url.path)
    if _wants_json(request):
        return JSONResponse({"error": MESSAGES[500]}, status_code=500)
    return PlainTextResponse(MESSAGES[500], status_code=500)


def _default_phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def routes() -> list:
    return [
        Route("/", chat.chat_page, name="chat_page"),
        Route("/api/chat", chat.chat_api, methods=["POST"], name="chat_api"),
        Route("/api/chat/inbox", chat.chat_inbox, name="chat_inbox"),
        Route("/api/chat/recent", chat.chat_recent, name="chat_recent"),
        Route("/healthz", health, name="health"),
        Route("/wechat", wechat_endpoint, methods=["GET", "POST"], name="wechat"),
        Route("/console", console_home, name="console_home"),
        Route("/console/", console_home),
        Route("/console/login", auth.login, methods=["GET", "POST"], name="login"),
        Route("/console/logout", auth.logout, methods=["POST"], name="logout"),
        Route("/console/kb", kb.kb_list, name="kb_list"),
        Route("/console/kb/new", kb.kb_new, methods=["GET", "POST"], name="kb_new"),
        Route("/console/kb/review", kb_review.kb_queue, name="kb_queue"),
        Route("/console/kb/{entry_id}", kb.kb_view, name="kb_view"),
        Route("/console/kb/{entry_id}/edit", kb.kb_edit, methods=["GET", "POST"], name="kb_edit"),
        Route(
            "/console/kb/{entry_id}/publish",
            kb_review.kb_publish,
            methods=["POST"],
            name="kb_publish",
        ),
        Route("/console/kb/{entry_id}/archive", kb.kb_archive, methods=["POST"], name="kb_archive"),
        Route("/console/kb/{entry_id}/history", kb.kb_history, name="kb_history"),
        Route("/console/kb/{entry_id}/diff", kb_review.kb_diff, name="kb_diff"),
        Route(
            "/console/kb/{entry_id}/rollback",
            kb_review.kb_rollback,
            methods=["GET", "POST"],
            name="kb_rollback",
        ),
        Route("/console/api/queue", queue.queue_api, name="queue_api"),
        Route("/console/handoffs", handoffs.handoff_list, name="handoffs"),
        Route("/console/handoffs.csv", handoffs.handoff_csv, name="handoffs_csv"),
        Route("/console/handoffs/{handoff_id}", handoffs.handoff_view, name="handoff_view"),
        Route(
            "/console/handoffs/{handoff_id}",
            handoffs.handoff_update,
            methods=["POST"],
            name="handoff_update",
        ),
        Route(
            "/console/handoffs/{handoff_id}/reply",
            live.live_reply,
            methods=["POST"],
            name="live_reply",
        ),
        Route(
            "/console/handoffs/{handoff_id}/live",
            live.live_action,
            methods=["POST"],
            name="live_action",
        ),
        Route(
            "/console/handoffs/{handoff_id}/transcript",
            live.live_transcript,
            name="live_transcript",
        ),
        Route("/console/dashboard", dashboard.dashboard_page, name="dashboard"),
        Route("/console/inspection", quality.inspection_page, name="inspection"),
        Route("/console/review", review.review_page, name="review"),
        Route("/console/review", review.review_decide, methods=["POST"], name="review_decide"),
        Route("/console/users", users.user_list, name="user_list"),
        Route("/console/users", users.user_add, methods=["POST"], name="user_add"),
        Route("/console/users/{name}", users.user_update, methods=["POST"], name="user_update"),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def create_app(
    settings: Settings,
    *,
    bot: Bot | None = None,
    backend: Backend | None = None,
    secret: str | None = None,
    conversations: Conversations | None = None,
) -> Starlette:
    """The console app. ``bot`` defaults to Rasa's REST channel at ``settings.rasa_url``,
    ``conversations`` (where agents' replies go) to Rasa's HTTP API there. It answers only
    to ``settings.trusted_hosts``; the session cookie is ``Secure`` when the public origin
    is https."""
    secret = secret or session_secret(
        settings.db_path.parent / "console_secret", settings.console_secret
    )
    app = Starlette(
        routes=routes(),
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=settings.trusted_hosts),
            Middleware(
                SessionMiddleware,
                secret_key=secret,
                session_cookie="pg_session",
                max_age=SESSION_SECONDS,
                same_site="strict",
                https_only=settings.https,
            ),
            Middleware(RefuseUnreadableQuery),
        ],
        exception_handlers={
            HTTPException: http_error,
            sqlite3.OperationalError: database_error,
            500: server_error,
        },
        # The console owns the app database's edge: it stores waiting handoffs every minute.
        lifespan=lambda _: draining(settings.outbox_dir, settings.db_path),
    )
    app.state.backend = backend or Backend(
        settings.db_path, settings.tracker_db_path, settings.db_busy_timeout
    )
    app.state.bot = bot if bot is not None else RasaBot(settings.rasa_url)
    # Made on first use: the token is a file in var/ (bot/settings.py).
    app.state.conversations = conversations or (
        lambda: RasaConversations(settings.rasa_url, settings.rasa_token)
    )
    app.state.settings = settings
    app.state.templates = templates(settings.time_zone)
    app.state.chat_limit = RateLimiter(limit=20, window=60)
    app.state.chat_ip_limit = RateLimiter(limit=120, window=60)
    return app

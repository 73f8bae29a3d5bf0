"""Sign in and out. Failed attempts are limited per name and per address, in the app
database (:class:`bot.accounts.SignInAttempts`): each attempt is counted before its password
is checked, so parallel guesses cannot slip past the limit."""

from __future__ import annotations

import logging
import sqlite3
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.accounts import LockedOut, User, sign_in
from bot.console.security import new_token
from bot.console.web import (
    checked_form,
    client_address,
    current_user,
    path_for,
    render,
)
from bot.db import is_busy

log = logging.getLogger(__name__)
TOO_MANY = "登录失败次数太多，请 15 分钟后再试。"
#: Only the name is kept: a password is never written back into a page.
BUSY_LOGIN = "系统繁忙，请稍后再试。请重新输入密码。"


def home_for(request: Request, user: User | None) -> str:
    """Where a user lands after signing in: the page their role starts on."""
    if user and user.can("handoffs"):
        return path_for(request, "handoffs")
    if user and user.can("kb_publish") and not user.can("kb_write"):
        return path_for(request, "kb_queue")  # a reviewer starts on what waits for them
    if user and user.can("kb_read"):
        return path_for(request, "kb_list")
    return path_for(request, "chat_page")


def safe_next(value: str) -> str:
    """Only a path on this site (``/console/…``) is followed after signing in.

    >>> safe_next("/console/kb"), safe_next("//evil.example/x"), safe_next("https://x")
    ('/console/kb', '', '')
    """
    if value.startswith("/console/") and not value.startswith("//") and "\\" not in value:
        return value
    return ""


async def login(request: Request) -> Response:
    if request.method == "GET":
        user = await run_in_threadpool(current_user, request)
        if user:
            return RedirectResponse(home_for(request, user), status_code=303)
        return render(request, "login.html", next=safe_next(request.query_params.get("next", "")))

    form = await checked_form(request)
    name = str(form.get("name") or "").strip()[:64]
    password = str(form.get("password") or "")[:256]
    next_url = safe_next(str(form.get("next") or ""))
    backend = request.app.state.backend
    address = client_address(request)
    try:
        # argon2 takes a tenth of a second, and the database may wait for a lock: both off
        # the event loop, so chat is not held up.
        user = await run_in_threadpool(
            lambda: sign_in(backend.users, backend.sign_ins, name, password, address)
        )
    except LockedOut:
        return render(request, "login.html", 429, error=TOO_MANY, name=name, next=next_url)
    except sqlite3.OperationalError as exc:
        if not is_busy(exc):
            raise
        return render(request, "login.html", 503, error=BUSY_LOGIN, name=name, next=next_url)
    if user is None:
        log.info("console: failed sign-in")
        return render(
            request, "login.html", 401, error="用户名或密码不对。", name=name, next=next_url
        )
    request.session.clear()  # a fresh session: no fixation
    request.session.update(
        {
            "user": user.name,
            "csrf": new_token(),
            "since": int(time.time()),
            "epoch": user.session_epoch,
        }
    )
    return RedirectResponse(next_url or home_for(request, user), status_code=303)


async def logout(request: Request) -> Response:
    """Sign out everywhere: a copy of the session cookie stops working too."""
    await checked_form(request)

    def end_sessions() -> None:
        user = current_user(request)
        # This browser is signed out even if the database is too busy to end the others
        # (the page then says the sign-out did not finish).
        request.session.clear()
        if user is not None:
            request.app.state.backend.users.end_sessions(user.name)

    await run_in_threadpool(end_sessions)
    return RedirectResponse(path_for(request, "login"), status_code=303)

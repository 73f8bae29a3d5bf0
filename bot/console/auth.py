"""Sign in and out. Failed attempts are limited per name and per address."""

from __future__ import annotations

import logging
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.console.security import new_token
from bot.console.web import checked_form, client_address, current_user, render

log = logging.getLogger(__name__)
TOO_MANY = "登录失败次数太多，请 15 分钟后再试。"


def home_for(request: Request) -> str:
    """Where a user lands after signing in: the page their role starts on."""
    user = current_user(request)
    if user and user.can("handoffs"):
        return str(request.url_for("handoffs"))
    if user and user.can("kb_read"):
        return str(request.url_for("kb_list"))
    return str(request.url_for("chat_page"))


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
        if current_user(request):
            return RedirectResponse(home_for(request), status_code=303)
        return render(request, "login.html", next=safe_next(request.query_params.get("next", "")))

    form = await checked_form(request)
    name = str(form.get("name") or "").strip()[:64]
    password = str(form.get("password") or "")[:256]
    next_url = safe_next(str(form.get("next") or ""))
    limits = request.app.state.login_limit
    keys = (f"ip:{client_address(request)}", f"name:{name.lower()}")
    if any(limits.blocked(k) for k in keys):
        return render(request, "login.html", 429, error=TOO_MANY, name=name, next=next_url)
    # argon2 takes a tenth of a second: off the event loop, so chat is not held up.
    user = await run_in_threadpool(request.app.state.backend.users.authenticate, name, password)
    if user is None:
        for key in keys:
            limits.hit(key)
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
    limits.reset(f"name:{name.lower()}")
    return RedirectResponse(next_url or home_for(request), status_code=303)


async def logout(request: Request) -> Response:
    """Sign out everywhere: a copy of the session cookie stops working too."""
    await checked_form(request)
    user = current_user(request)
    if user is not None:
        request.app.state.backend.users.end_sessions(user.name)
    request.session.clear()
    return RedirectResponse(request.url_for("login"), status_code=303)

"""User management for admins: add a user, change a role, switch an account on or off.

The last active admin cannot lock themselves or everyone else out.
"""

from __future__ import annotations

import logging
import sqlite3

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.accounts import ROLES, AccountError, UserStore
from bot.console.web import Context, flash, page
from bot.db import is_busy

log = logging.getLogger(__name__)
#: The new user's name and role are shown again; a password is never written into a page.
BUSY_ADD = "系统繁忙，用户还没有添加，请稍后再试（需要重新输入初始密码）。"


def _is_last_admin(users: UserStore, name: str) -> bool:
    admins = [u for u in users.list() if u.role == "admin" and u.active]
    return [u.name for u in admins] == [name]


def _users_page(ctx: Context, status_code: int = 200, **values: str) -> Response:
    return ctx.render("users.html", status_code, users=ctx.backend.users.list(), **values)


@page("users")
def user_list(request: Request, ctx: Context) -> Response:
    return _users_page(ctx)


@page("users")
def user_add(request: Request, ctx: Context) -> Response:
    form = ctx.form
    name = str(form.get("name") or "").strip()
    role = str(form.get("role") or "")
    try:
        ctx.backend.users.add(name, str(form.get("password") or ""), role=role)
    except AccountError as exc:
        flash(request, str(exc), "error")
    except sqlite3.OperationalError as exc:
        if not is_busy(exc):
            raise
        return _users_page(ctx, 503, busy=BUSY_ADD, new_name=name, new_role=role)
    else:
        log.info("console: %s added user %s", ctx.user.name, name)
        flash(request, f"已添加用户 {name}。")
    return ctx.redirect("user_list")


@page("users")
def user_update(request: Request, ctx: Context) -> Response:
    users = ctx.backend.users
    name = request.path_params["name"]
    if users.get(name) is None:
        raise HTTPException(404, "没有这个用户")
    form = ctx.form
    role = str(form.get("role") or "")
    active = form.get("active") == "1"
    if _is_last_admin(users, name) and (role != "admin" or not active):
        flash(request, "至少要保留一个可用的管理员账号。", "error")
        return ctx.redirect("user_list")
    try:
        if role not in ROLES:
            raise AccountError("请选择角色")
        users.set_role(name, role)
        users.set_active(name, active)
    except AccountError as exc:
        flash(request, str(exc), "error")
    else:
        log.info("console: %s changed user %s", ctx.user.name, name)
        flash(request, f"已更新用户 {name}。")
    return ctx.redirect("user_list")

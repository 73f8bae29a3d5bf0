"""User management for admins: add a user, change a role, switch an account on or off.

The last active admin cannot lock themselves or everyone else out.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.accounts import ROLES, AccountError, UserStore
from bot.console.web import Context, flash, page

log = logging.getLogger(__name__)


def _is_last_admin(users: UserStore, name: str) -> bool:
    admins = [u for u in users.list() if u.role == "admin" and u.active]
    return [u.name for u in admins] == [name]


@page("users")
async def user_list(request: Request, ctx: Context) -> Response:
    return ctx.render("users.html", users=ctx.backend.users.list())


@page("users")
async def user_add(request: Request, ctx: Context) -> Response:
    form = await ctx.form()
    name = str(form.get("name") or "").strip()
    try:
        ctx.backend.users.add(
            name, str(form.get("password") or ""), role=str(form.get("role") or "")
        )
    except AccountError as exc:
        flash(request, str(exc), "error")
    else:
        log.info("console: %s added user %s", ctx.user.name, name)
        flash(request, f"已添加用户 {name}。")
    return RedirectResponse(request.url_for("user_list"), status_code=303)


@page("users")
async def user_update(request: Request, ctx: Context) -> Response:
    users = ctx.backend.users
    name = request.path_params["name"]
    if users.get(name) is None:
        raise HTTPException(404, "没有这个用户")
    form = await ctx.form()
    role = str(form.get("role") or "")
    active = form.get("active") == "1"
    if _is_last_admin(users, name) and (role != "admin" or not active):
        flash(request, "至少要保留一个可用的管理员账号。", "error")
        return RedirectResponse(request.url_for("user_list"), status_code=303)
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
    return RedirectResponse(request.url_for("user_list"), status_code=303)

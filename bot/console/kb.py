"""The knowledge-base editor: list, search, create, edit, archive, history (publishing,
the diff and rollback are in :mod:`bot.console.kb_review`). Every change goes through
:class:`bot.knowledge.store.KnowledgeBase` and lands in its audit log under the signed-in
user. The editor works on an entry's newest version; while the entry is published, a saved
change is a draft the bot does not serve until it is published.

A form becomes an entry through :func:`entry_from_form`, which reports the first bad field:

    >>> entry_from_form({"id": "x", "title": ""}, status="draft")
    Traceback (most recent call last):
    ...
    bot.knowledge.schema.EntryError: field 'title': 必填

The page names the field as the editor does: 标题（问题）：必填.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import re
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.console.web import BUSY_FORM, DIGITS, Context, flash, page
from bot.db import is_busy
from bot.knowledge.review import awaiting, may_publish
from bot.knowledge.schema import (
    CATEGORIES,
    ENTRY_ID,
    KNOWLEDGE_INTENTS,
    MAX_ANSWER_CHARS,
    MAX_ID_CHARS,
    STATUSES,
    Entry,
    EntryError,
)
from bot.knowledge.store import NotFound, VersionConflict
from bot.labels import labels
from bot.settings import Settings

_SPLIT = re.compile(r"[,，、;；\n]+")


@functools.lru_cache(maxsize=4)
def reply_template(domain_path: Path) -> str:
    """The chat reply format, read from the domain's ``utter_kb_answer`` response."""
    domain = yaml.safe_load(domain_path.read_text(encoding="utf-8"))
    return domain["responses"]["utter_kb_answer"][0]["text"]


def reply_preview(entry: Entry) -> str:
    """The text the bot sends for ``entry``, exactly as in chat."""
    template = reply_template(Settings.from_env().domain_path)
    return template.format(answer=entry.answer.strip(), source=entry.source_line())


def split_list(value: str) -> list[str]:
    """Keywords typed as one line: commas (either width), 、, semicolons or new lines.

    >>> split_list("保单贷款，现金价值、 利息\\n")
    ['保单贷款', '现金价值', '利息']
    """
    return [v.strip() for v in _SPLIT.split(value or "") if v.strip()]


def entry_from_form(form: Mapping[str, Any], *, status: str, getlist: Any = None) -> Entry:
    """Build and check an entry from the editor's fields (raises ``EntryError``)."""
    getlist = getlist or (lambda name: form.get(name) or [])
    data = {
        "id": str(form.get("id") or "").strip(),
        "title": str(form.get("title") or "").strip(),
        "category": str(form.get("category") or ""),
        "intents": list(getlist("intents")),
        "keywords": split_list(str(form.get("keywords") or "")),
        "audience": list(getlist("audience")),
        "status": status,
        "reviewed": str(form.get("reviewed") or "").strip(),
        "source": {
            "title": str(form.get("source_title") or "").strip(),
            "publisher": str(form.get("source_publisher") or "").strip(),
            "date": str(form.get("source_date") or "").strip(),
            "reference": str(form.get("source_reference") or "").strip(),
        },
        "answer": str(form.get("answer") or "").replace("\r\n", "\n").strip(),
        "body": str(form.get("body") or "").replace("\r\n", "\n").strip(),
    }
    return Entry.from_dict(data)


def form_values(entry: Entry | None) -> dict[str, Any]:
    """The editor's field values for ``entry`` (empty for a new one)."""
    if entry is None:
        return {
            "id": "",
            "title": "",
            "category": "",
            "intents": [],
            "keywords": "",
            "audience": ["all"],
            "reviewed": _dt.date.today().isoformat(),
            "source_title": "",
            "source_publisher": "",
            "source_date": "",
            "source_reference": "",
            "answer": "",
            "body": "",
        }
    return {
        "id": entry.id,
        "title": entry.title,
        "category": entry.category,
        "intents": list(entry.intents),
        "keywords": "，".join(entry.keywords),
        "audience": list(entry.audience),
        "reviewed": entry.reviewed,
        "source_title": entry.source.title,
        "source_publisher": entry.source.publisher,
        "source_date": entry.source.date,
        "source_reference": entry.source.reference,
        "answer": entry.answer,
        "body": entry.body,
    }


def _raw_values(form: Any) -> dict[str, Any]:
    values = {k: str(form.get(k) or "") for k in form_values(None)}
    values["intents"] = form.getlist("intents")
    values["audience"] = form.getlist("audience")
    return values


def entry_id_param(request: Request) -> str:
    entry_id = request.path_params["entry_id"]
    if not ENTRY_ID.match(entry_id) or len(entry_id) > MAX_ID_CHARS:
        raise HTTPException(404, "找不到这条知识")
    return entry_id


def entry_or_404(ctx: Context, entry_id: str) -> Entry:
    """The entry's newest version (what the editor works on)."""
    try:
        return ctx.backend.kb.latest(entry_id)
    except NotFound:
        raise HTTPException(404, "找不到这条知识") from None


def _editor(ctx: Context, values: dict[str, Any], **extra: Any) -> Response:
    live = None if extra.get("is_new") else ctx.backend.kb.get(values["id"])
    return ctx.render(
        "kb_edit.html",
        status_code=extra.pop("status_code", 200),
        values=values,
        categories=CATEGORIES,
        intents={i: labels("intents").get(i, i) for i in KNOWLEDGE_INTENTS},
        audiences=labels("audiences"),
        max_answer=MAX_ANSWER_CHARS,
        live_version=live and live.status == "published" and ctx.backend.kb.live_version(live.id),
        **extra,
    )


def second_person(ctx: Context) -> bool:
    """Whether publishing needs someone who did not write the change (the setting)."""
    return ctx.request.app.state.settings.kb_require_approval


def publish_refusal(ctx: Context, entry_id: str) -> str:
    """Why the signed-in user may not publish ``entry_id`` now ('' when they may)."""
    user = ctx.user
    if second_person(ctx):
        if not user.can("kb_publish"):
            return "not_reviewer"
        if not may_publish(ctx.backend.kb, entry_id, user.name, second_person=True):
            return "own_change"
        return ""
    return "" if user.can("kb_publish") or user.can("kb_write") else "not_reviewer"


REFUSALS = {
    "not_reviewer": "发布要由审核员（或管理员）批准：这一版已在待审核列表里。",
    "own_change": "这一版有您写的修改，不能由您自己批准，请另一位审核员批准。",
}


@page("kb_read")
def kb_list(request: Request, ctx: Context) -> Response:
    q = request.query_params.get("q", "").strip()[:200]
    category = request.query_params.get("category", "")
    status = request.query_params.get("status", "")
    category = category if category in CATEGORIES else ""
    status = status if status in STATUSES else ""
    kb = ctx.backend.kb
    if q:
        hits = kb.search(q, category=category or None, include_unpublished=True, limit=100)
        entries = [h.entry for h in hits if not status or h.entry.status == status]
    else:
        entries = kb.list(category=category or None, status=status or None)
    waiting = {w.entry.id: w for w in awaiting(kb)}
    return ctx.render(
        "kb_list.html",
        entries=entries,
        waiting=waiting,
        q=q,
        category=category,
        status=status,
        categories=CATEGORIES,
        statuses=labels("entry_status"),
    )


@page("kb_read")
def kb_view(request: Request, ctx: Context) -> Response:
    entry = entry_or_404(ctx, entry_id_param(request))
    kb = ctx.backend.kb
    live = kb.get(entry.id)
    refusal = publish_refusal(ctx, entry.id)
    return ctx.render(
        "kb_view.html",
        entry=entry,
        version=kb.version_of(entry.id),
        live_version=kb.live_version(entry.id) if live.status == "published" else None,
        authors=sorted(kb.authors(entry.id)),
        refusal=REFUSALS.get(refusal, ""),
        preview=reply_preview(entry),
        intent_names=labels("intents"),
        categories=CATEGORIES,
        statuses=labels("entry_status"),
        audiences=labels("audiences"),
        max_answer=MAX_ANSWER_CHARS,
    )


@page("kb_write")
def kb_new(request: Request, ctx: Context) -> Response:
    if request.method == "GET":
        return _editor(ctx, form_values(None), is_new=True)
    form = ctx.form
    values = _raw_values(form)
    try:
        entry = entry_from_form(form, status="draft", getlist=form.getlist)
    except EntryError as exc:
        return _editor(ctx, values, is_new=True, error=exc, status_code=400)
    if form.get("action") == "preview":
        return _editor(ctx, values, is_new=True, preview=reply_preview(entry))
    try:
        ctx.backend.kb.create(entry, by=ctx.user.name)
    except ValueError:
        error = EntryError("id", "这个编号已经有了，请换一个")
        return _editor(ctx, values, is_new=True, error=error, status_code=400)
    except sqlite3.OperationalError as exc:
        if not is_busy(exc):
            raise
        return _editor(ctx, values, is_new=True, busy=BUSY_FORM, status_code=503)
    flash(request, "已保存为草稿。发布后，助手才会用它回答。")
    return ctx.redirect("kb_view", entry_id=entry.id)


@page("kb_write")
def kb_edit(request: Request, ctx: Context) -> Response:
    entry_id = entry_id_param(request)
    kb = ctx.backend.kb
    if request.method == "GET":
        current = entry_or_404(ctx, entry_id)
        version = kb.version_of(entry_id)
        return _editor(ctx, form_values(current), entry=current, base_version=version)
    form = ctx.form
    current = entry_or_404(ctx, entry_id)
    base = str(form.get("base_version") or "")
    values = {**_raw_values(form), "id": current.id}
    fields = {**{k: form.get(k) for k in form}, "id": current.id}
    try:
        entry = entry_from_form(fields, status=current.status, getlist=form.getlist)
    except EntryError as exc:
        return _editor(ctx, values, entry=current, error=exc, base_version=base, status_code=400)
    if form.get("action") == "preview":
        return _editor(ctx, values, entry=current, preview=reply_preview(entry), base_version=base)
    before = kb.version_of(entry_id)
    try:
        kb.update(
            entry, by=ctx.user.name, expected_version=int(base) if DIGITS.fullmatch(base) else 0
        )
    except VersionConflict as conflict:
        # Someone saved this entry since the form was opened: show it, do not overwrite.
        error = EntryError(
            "base_version",
            f"您编辑期间，这条知识已被别人改过（现在是第 {conflict.current} 版）。"
            "请先看看版本历史；确认后再点保存，会用您的内容覆盖。",
        )
        return _editor(
            ctx, values, entry=current, error=error, base_version=conflict.current, status_code=409
        )
    except sqlite3.OperationalError as exc:
        if not is_busy(exc):
            raise
        return _editor(
            ctx, values, entry=current, busy=BUSY_FORM, base_version=base, status_code=503
        )
    after = kb.version_of(entry_id)
    live = kb.get(entry_id)
    if after == before:
        flash(request, "内容没有变化，未保存新版本。", "info")
    elif live.status == "published":
        review = "等待审核员批准" if second_person(ctx) else "等待发布"
        flash(
            request,
            f"已保存为第 {after} 版草稿，{review}。发布之前，助手仍用第 "
            f"{kb.live_version(entry_id)} 版回答。",
        )
    else:
        flash(request, "已保存。")
    return ctx.redirect("kb_view", entry_id=current.id)


@page("kb_write")
def kb_archive(request: Request, ctx: Context) -> Response:
    entry = entry_or_404(ctx, entry_id_param(request))
    ctx.backend.kb.archive(entry.id, by=ctx.user.name)
    flash(request, "已归档：助手不再使用这条知识。")
    return ctx.redirect("kb_view", entry_id=entry.id)


@page("kb_read")
def kb_history(request: Request, ctx: Context) -> Response:
    entry = entry_or_404(ctx, entry_id_param(request))
    kb = ctx.backend.kb
    versions = kb.history(entry.id)
    live = kb.get(entry.id)
    audit = [{**a, "detail": json.loads(a["detail"] or "{}")} for a in kb.audit(entry.id)]
    return ctx.render(
        "kb_history.html",
        entry=entry,
        versions=list(reversed(versions)),
        by_number={v.version: v for v in versions},
        audit=audit,
        live_version=kb.live_version(entry.id) if live.status == "published" else None,
        statuses=labels("entry_status"),
    )

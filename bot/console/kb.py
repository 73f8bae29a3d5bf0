"""The knowledge-base editor: list, search, create, edit, publish, archive, history, diff,
rollback. Every change goes through :class:`bot.knowledge.store.KnowledgeBase` and lands in
its audit log under the signed-in user.

A form becomes an entry through :func:`entry_from_form`, which reports the first bad field:

    >>> entry_from_form({"id": "x", "title": ""}, status="draft")
    Traceback (most recent call last):
    ...
    bot.knowledge.schema.EntryError: field 'title': 必填
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
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
from bot.knowledge.files import dump_entry
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


def _get(ctx: Context, entry_id: str) -> Entry:
    try:
        return ctx.backend.kb.get(entry_id)
    except NotFound:
        raise HTTPException(404, "找不到这条知识") from None


def _editor(ctx: Context, values: dict[str, Any], **extra: Any) -> Response:
    return ctx.render(
        "kb_edit.html",
        status_code=extra.pop("status_code", 200),
        values=values,
        categories=CATEGORIES,
        intents={i: labels("intents").get(i, i) for i in KNOWLEDGE_INTENTS},
        audiences=labels("audiences"),
        max_answer=MAX_ANSWER_CHARS,
        **extra,
    )


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
    return ctx.render(
        "kb_list.html",
        entries=entries,
        q=q,
        category=category,
        status=status,
        categories=CATEGORIES,
        statuses=labels("entry_status"),
    )


@page("kb_read")
def kb_view(request: Request, ctx: Context) -> Response:
    entry = _get(ctx, entry_id_param(request))
    return ctx.render(
        "kb_view.html",
        entry=entry,
        version=ctx.backend.kb.version_of(entry.id),
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
    if request.method == "GET":
        current = _get(ctx, entry_id)
        version = ctx.backend.kb.version_of(entry_id)
        return _editor(ctx, form_values(current), entry=current, base_version=version)
    form = ctx.form
    current = _get(ctx, entry_id)
    base = str(form.get("base_version") or "")
    values = {**_raw_values(form), "id": current.id}
    fields = {**{k: form.get(k) for k in form}, "id": current.id}
    try:
        entry = entry_from_form(fields, status=current.status, getlist=form.getlist)
    except EntryError as exc:
        return _editor(ctx, values, entry=current, error=exc, base_version=base, status_code=400)
    if form.get("action") == "preview":
        return _editor(ctx, values, entry=current, preview=reply_preview(entry), base_version=base)
    try:
        saved = ctx.backend.kb.update(
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
    if saved is current or saved.content_hash() == current.content_hash():
        flash(request, "内容没有变化，未保存新版本。", "info")
    elif current.status == "published":
        flash(request, "已保存并生效：助手下一次回答就用新内容。")
    else:
        flash(request, "已保存。")
    return ctx.redirect("kb_view", entry_id=current.id)


def _set_status(request: Request, ctx: Context, status: str, message: str) -> Response:
    entry = _get(ctx, entry_id_param(request))
    change = ctx.backend.kb.publish if status == "published" else ctx.backend.kb.archive
    change(entry.id, by=ctx.user.name)
    flash(request, message)
    return ctx.redirect("kb_view", entry_id=entry.id)


@page("kb_write")
def kb_publish(request: Request, ctx: Context) -> Response:
    return _set_status(request, ctx, "published", "已发布：助手下一次回答就会用到它。")


@page("kb_write")
def kb_archive(request: Request, ctx: Context) -> Response:
    return _set_status(request, ctx, "archived", "已归档：助手不再使用这条知识。")


@page("kb_read")
def kb_history(request: Request, ctx: Context) -> Response:
    entry = _get(ctx, entry_id_param(request))
    versions = ctx.backend.kb.history(entry.id)
    audit = ctx.backend.kb.audit(entry.id)
    return ctx.render(
        "kb_history.html", entry=entry, versions=list(reversed(versions)), audit=audit
    )


def diff_lines(old: Entry, new: Entry) -> list[tuple[str, str]]:
    """A line diff of two versions' YAML: (kind, text) with kind in ``+ - @ ' '``."""
    lines = difflib.unified_diff(
        dump_entry(old).splitlines(), dump_entry(new).splitlines(), lineterm="", n=2
    )
    out = []
    for line in list(lines)[2:]:  # skip the ---/+++ header
        kind = line[:1] if line[:1] in "+-@" else " "
        out.append((kind, line[1:] if kind != "@" else line))
    return out


@page("kb_read")
def kb_diff(request: Request, ctx: Context) -> Response:
    entry = _get(ctx, entry_id_param(request))
    versions = {v.version: v for v in ctx.backend.kb.history(entry.id)}
    try:
        a = int(request.query_params.get("a", ""))
        b = int(request.query_params.get("b", ""))
    except ValueError:
        raise HTTPException(400, "请选择两个版本来比较") from None
    if a not in versions or b not in versions:
        raise HTTPException(404, "没有这个版本")
    return ctx.render(
        "kb_diff.html",
        entry=entry,
        a=versions[a],
        b=versions[b],
        lines=diff_lines(versions[a].entry, versions[b].entry),
    )


@page("kb_write")
def kb_rollback(request: Request, ctx: Context) -> Response:
    entry = _get(ctx, entry_id_param(request))
    form = ctx.form
    version = str(form.get("version") or "")
    if not DIGITS.fullmatch(version):
        raise HTTPException(400, "请选择要恢复的版本")
    try:
        ctx.backend.kb.rollback(entry.id, int(version), by=ctx.user.name)
    except NotFound:
        raise HTTPException(404, "没有这个版本") from None
    flash(request, f"已恢复到第 {version} 版的内容（记为新版本）。")
    return ctx.redirect("kb_view", entry_id=entry.id)

"""消保审查 in the knowledge-base editor: the queue of entries waiting to be published, the
publish (an approval when a second person must give it), the readable diff of two versions
and the rollback, which asks first and makes a draft to approve like any change.

Who may publish: with ``KB_REQUIRE_APPROVAL`` on (the default), a ``reviewer`` or an admin
who wrote none of the versions since the last published one; with it off, anyone who may
also edit (``kb_write``).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.console.kb import REFUSALS, entry_id_param, entry_or_404, publish_refusal, second_person
from bot.console.web import DIGITS, Context, flash, page
from bot.knowledge.diff import compare
from bot.knowledge.review import awaiting
from bot.knowledge.store import NotFound, SelfApproval, Version, VersionConflict


@page("kb_read")
def kb_queue(request: Request, ctx: Context) -> Response:
    items = awaiting(ctx.backend.kb)
    return ctx.render(
        "kb_queue.html",
        items=items,
        refusals={i.entry.id: publish_refusal(ctx, i.entry.id) for i in items},
        second_person=second_person(ctx),
    )


@page("kb_read")
def kb_publish(request: Request, ctx: Context) -> Response:
    entry = entry_or_404(ctx, entry_id_param(request))
    refusal = publish_refusal(ctx, entry.id)
    if refusal:
        raise HTTPException(403, REFUSALS[refusal])
    kb = ctx.backend.kb
    seen = str(ctx.form.get("version") or "")
    version = int(seen) if DIGITS.fullmatch(seen) else kb.version_of(entry.id)
    try:
        kb.publish(
            entry.id,
            by=ctx.user.name,
            second_person=second_person(ctx),
            expected_version=version,
        )
    except SelfApproval:  # an edit of theirs landed since the page was shown
        raise HTTPException(403, REFUSALS["own_change"]) from None
    except VersionConflict as conflict:  # approve only what was read
        raise HTTPException(
            409,
            f"这条知识刚被改过（现在是第 {conflict.current} 版），请先看看改了什么再批准。",
        ) from None
    flash(request, f"已批准并发布第 {version} 版的内容：助手下一次回答就用它。")
    if ctx.form.get("back") == "queue":
        return ctx.redirect("kb_queue")
    return ctx.redirect("kb_view", entry_id=entry.id)


def _versions(ctx: Context, entry_id: str) -> dict[int, Version]:
    return {v.version: v for v in ctx.backend.kb.history(entry_id)}


@page("kb_read")
def kb_diff(request: Request, ctx: Context) -> Response:
    entry = entry_or_404(ctx, entry_id_param(request))
    versions = _versions(ctx, entry.id)
    try:
        a = int(request.query_params.get("a", ""))
        b = int(request.query_params.get("b", ""))
    except ValueError:
        raise HTTPException(400, "请选择两个版本来比较") from None
    if a not in versions or b not in versions:
        raise HTTPException(404, "没有这个版本")
    fields = compare(versions[a].entry, versions[b].entry)
    return ctx.render(
        "kb_diff.html",
        entry=ctx.backend.kb.latest(entry.id),
        a=versions[a],
        b=versions[b],
        changed=[f for f in fields if f.changed],
        unchanged=[f for f in fields if not f.changed],
        live_version=ctx.backend.kb.live_version(entry.id),
    )


@page("kb_write")
def kb_rollback(request: Request, ctx: Context) -> Response:
    """GET: what restoring a version would change, and a button to confirm; POST: do it."""
    entry = entry_or_404(ctx, entry_id_param(request))
    kb = ctx.backend.kb
    source = ctx.form if request.method == "POST" else request.query_params
    version = str(source.get("version") or "")
    if not DIGITS.fullmatch(version):
        raise HTTPException(400, "请选择要恢复的版本")
    versions = _versions(ctx, entry.id)
    if int(version) not in versions:
        raise HTTPException(404, "没有这个版本")
    live = kb.get(entry.id).status == "published"
    if request.method == "GET":
        latest = kb.version_of(entry.id)
        fields = compare(versions[latest].entry, versions[int(version)].entry)
        return ctx.render(
            "kb_rollback.html",
            entry=versions[latest].entry,
            target=versions[int(version)],
            latest=latest,
            changed=[f for f in fields if f.changed],
            live=live,
        )
    try:
        kb.rollback(entry.id, int(version), by=ctx.user.name)
    except NotFound:
        raise HTTPException(404, "没有这个版本") from None
    new = kb.version_of(entry.id)
    if live:
        flash(request, f"已把第 {version} 版的内容存为第 {new} 版草稿，审核通过并发布后生效。")
    else:
        flash(request, f"已恢复到第 {version} 版的内容（记为第 {new} 版）。")
    return ctx.redirect("kb_view", entry_id=entry.id)

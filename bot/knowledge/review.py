"""消保审查: the knowledge entries waiting to be approved and published.

An entry waits when its newest version is a draft: a new entry not published yet, or the
change (an edit, a rollback) to a published one that the bot does not serve until it is
published (:meth:`bot.knowledge.store.KnowledgeBase.publish`).

    >>> from sqlite_utils import Database
    >>> from bot.knowledge.store import KnowledgeBase
    >>> from bot.knowledge.schema import Entry
    >>> kb = KnowledgeBase(Database(memory=True))
    >>> e = kb.create(Entry.from_dict({
    ...     "id": "cash-value", "title": "什么是现金价值", "category": "surrender",
    ...     "intents": ["ask_surrender_value"], "keywords": ["现金价值"], "audience": ["all"],
    ...     "status": "published", "reviewed": "2026-11-22",
    ...     "source": {"title": "保险法", "publisher": "全国人大常委会", "date": "2015"},
    ...     "answer": "退保时退还的是现金价值。", "body": "现金价值是保单的价值。"}), by="lin")
    >>> awaiting(kb)
    []
    >>> _ = kb.update(e.with_changes(title="现金价值是什么"), by="zhang")
    >>> [(w.entry.title, w.version, w.live_version, w.authors) for w in awaiting(kb)]
    [('现金价值是什么', 2, 1, ['zhang'])]
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.knowledge.schema import Entry
from bot.knowledge.store import KnowledgeBase


@dataclass(frozen=True)
class Awaiting:
    """An entry's newest version, waiting to be published."""

    entry: Entry
    version: int
    created_at: str
    created_by: str
    action: str
    #: The version the bot serves now, or ``None`` for an entry it does not serve yet.
    live_version: int | None
    #: Who wrote the versions since the last published one (they may not approve it).
    authors: list[str]


_AWAITING = (
    "SELECT v.entry_id, v.version, v.created_at, v.created_by, v.action, v.data, "
    "e.version, e.status FROM entry_versions v JOIN entries e ON e.id = v.entry_id "
    "WHERE v.version = (SELECT max(version) FROM entry_versions WHERE entry_id = v.entry_id) "
    "AND json_extract(v.data, '$.status') = 'draft' ORDER BY v.created_at, v.entry_id"
)


def awaiting(kb: KnowledgeBase) -> list[Awaiting]:
    """The entries waiting to be published, the longest waiting first."""
    out = []
    for entry_id, version, at, by, action, data, live, live_status in kb.db.execute(_AWAITING):
        out.append(
            Awaiting(
                entry=Entry.from_dict(json.loads(data)),
                version=version,
                created_at=at,
                created_by=by,
                action=action,
                live_version=live if live_status == "published" else None,
                authors=sorted(kb.authors(entry_id)),
            )
        )
    return out


def may_publish(kb: KnowledgeBase, entry_id: str, name: str, *, second_person: bool) -> bool:
    """Whether ``name`` (allowed to publish at all) may publish this entry now: not when a
    second person must approve and they wrote part of the change."""
    return not (second_person and name in kb.authors(entry_id))

"""Choose what the bot answers from the knowledge base.

>>> from sqlite_utils import Database
>>> from bot.knowledge.schema import Entry
>>> kb = KnowledgeBase(Database(memory=True))
>>> _ = kb.create(Entry.from_dict({
...     "id": "cash-value", "title": "什么是现金价值", "category": "surrender",
...     "intents": ["ask_surrender_value"], "keywords": ["现金价值", "退保"],
...     "audience": ["all"], "status": "published", "reviewed": "2026-11-22",
...     "source": {"title": "保险法", "publisher": "全国人大常委会", "date": "2015"},
...     "answer": "退保时退还的是保单的现金价值。", "body": "现金价值是保单的价值。"}),
...     by="lin")
>>> choose_answer(kb, "ask_surrender_value", "退保能拿回多少").source
'全国人大常委会《保险法》（2015）'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from bot.knowledge.store import KnowledgeBase, NotFound

#: Intent whose payload names an entry: /show_entry{"entry_id": "…"}.
SHOW_ENTRY_INTENT = "show_entry"
RELATED = 2


@dataclass(frozen=True)
class Answer:
    entry_id: str
    text: str
    source: str
    buttons: list[dict[str, str]] = field(default_factory=list)


def entry_payload(entry_id: str) -> str:
    return "/" + SHOW_ENTRY_INTENT + json.dumps({"entry_id": entry_id}, ensure_ascii=False)


def choose_answer(
    kb: KnowledgeBase, intent: str, text: str, entry_id: str | None = None
) -> Answer | None:
    """The best published entry for ``intent`` ranked against ``text`` (or the entry the
    user picked), with buttons for related entries. ``None`` when nothing fits."""
    candidates = []
    if entry_id:
        try:
            chosen = kb.get(entry_id, include_unpublished=False)
        except NotFound:
            return None
        related = [
            e
            for i in chosen.intents
            for e in kb.for_intent(i, text or chosen.title, limit=RELATED + 1)
        ]
        candidates = [chosen, *related]
    elif intent and intent != SHOW_ENTRY_INTENT:
        candidates = kb.for_intent(intent, text, limit=RELATED + 2)
    if not candidates:
        return None
    if not entry_id:
        # A "以案说险" story makes a good second read, not the first answer.
        candidates.sort(key=lambda e: e.category == "case")
    best = candidates[0]
    others = []
    for entry in candidates[1:]:
        if entry.id != best.id and entry.id not in {o.id for o in others}:
            others.append(entry)
    return Answer(
        entry_id=best.id,
        text=best.answer.strip(),
        source=best.source_line(),
        buttons=[{"title": e.title, "payload": entry_payload(e.id)} for e in others[:RELATED]],
    )

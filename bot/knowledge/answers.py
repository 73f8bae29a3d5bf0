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
import re
from dataclasses import dataclass, field

from bot.knowledge.store import KnowledgeBase, NotFound
from bot.labels import label

#: Intent whose payload names an entry: /show_entry{"entry_id": "…"}.
SHOW_ENTRY_INTENT = "show_entry"
RELATED = 2
#: A first answer fits one phone screen with its source line (about 150 characters in
#: 关怀版); the rest of it is behind the 「详细说说」 button.
LEAD_CHARS = 80
#: The longest 「…为准」 sentence brought along with a lead.
GOVERNS_CHARS = 25
#: The entity of the 「详细说说」 payload: show the rest of the entry.
DETAIL = "detail"
_SENTENCE = re.compile(r"(?<=[。！？；])")


def size(text: str) -> int:
    """Characters as a reader sees them (whitespace not counted)."""
    return len(re.sub(r"\s", "", text))


def split_answer(text: str, limit: int = LEAD_CHARS) -> tuple[str, str]:
    r"""The lead of an answer (whole lines, or sentences of a long first line, up to
    ``limit`` characters) and the rest. The sentence of the rest that says what governs
    (「…为准」) comes along with the lead, so a figure is never shown without it.

    >>> split_answer("一般可借八成。\n期限6个月。具体以合同为准。", limit=8)
    ('一般可借八成。\n具体以合同为准。', '期限6个月。')
    >>> split_answer("短。", limit=8)
    ('短。', '')
    """
    pieces = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if pieces and size(pieces[0]) > limit:
        pieces = [p for p in _SENTENCE.split(pieces[0]) if p] + pieces[1:]
    lead: list[str] = []
    for piece in pieces:
        if lead and size("".join(lead) + piece) > limit:
            break
        lead.append(piece)
    rest = pieces[len(lead) :]
    if rest and not any("为准" in p for p in lead):
        sentences = [s for line in rest for s in _SENTENCE.split(line) if s]
        governs = next((s for s in sentences if "为准" in s and size(s) <= GOVERNS_CHARS), None)
        if governs:
            lead.append(governs)
            rest = [line.replace(governs, "", 1).strip() for line in rest]
    return "\n".join(lead), "\n".join(line for line in rest if line)


@dataclass(frozen=True)
class Answer:
    entry_id: str
    text: str
    source: str
    buttons: list[dict[str, str]] = field(default_factory=list)


def entry_payload(entry_id: str) -> str:
    return "/" + SHOW_ENTRY_INTENT + json.dumps({"entry_id": entry_id}, ensure_ascii=False)


def detail_payload(entry_id: str) -> str:
    fields = {"entry_id": entry_id, DETAIL: "more"}
    return "/" + SHOW_ENTRY_INTENT + json.dumps(fields, ensure_ascii=False)


def choose_answer(
    kb: KnowledgeBase,
    intent: str,
    text: str,
    entry_id: str | None = None,
    detail: bool = False,
) -> Answer | None:
    """The best published entry for ``intent`` ranked against ``text`` (or the entry the
    user picked), with buttons for related entries. ``None`` when nothing fits.

    The answer is the entry's lead (:func:`split_answer`) with a 「详细说说」 button first
    when there is more; with ``detail``, the rest of the entry the user picked."""
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
    lead, rest = split_answer(best.answer)
    buttons = [{"title": e.title, "payload": entry_payload(e.id)} for e in others[:RELATED]]
    if detail and entry_id:
        lead = rest or best.answer.strip()
    elif rest:
        buttons.insert(0, {"title": label("buttons", "more"), "payload": detail_payload(best.id)})
    return Answer(entry_id=best.id, text=lead, source=best.source_line(), buttons=buttons)

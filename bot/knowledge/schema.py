"""Knowledge entries: their fields and how a YAML document is checked.

>>> entry = Entry.from_dict({
...     "id": "cash-value", "title": "什么是现金价值", "category": "surrender",
...     "intents": ["ask_surrender_value"], "keywords": ["现金价值"], "audience": ["all"],
...     "status": "published", "reviewed": "2026-11-22",
...     "source": {"title": "保险法", "publisher": "全国人大常委会", "date": "2015"},
...     "answer": "退保退的是现金价值。", "body": "现金价值是……"})
>>> entry.source_line()
'全国人大常委会《保险法》（2015）'
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

#: Category slug -> label shown to people.
CATEGORIES = {
    "proxy_surrender": "代理退保风险",
    "policy_switch": "退旧投新",
    "privacy": "个人信息安全",
    "fraud": "非法集资与高收益",
    "surrender": "退保与现金价值",
    "alternatives": "保单贷款、部分领取与减保",
    "premium": "交费困难",
    "cooling_off": "犹豫期",
    "complaint": "投诉与纠纷",
    "rights": "消费者权益",
    "claim": "理赔",
    "elderly": "适老与新市民",
    "case": "以案说险",
}

#: Intents a knowledge entry may answer (the NLU contract's knowledge intents).
KNOWLEDGE_INTENTS = (
    "request_surrender",
    "ask_surrender_value",
    "ask_policy_loan",
    "ask_partial_withdrawal",
    "ask_reduce_coverage",
    "premium_hardship",
    "ask_cooling_off",
    "proxy_surrender",
    "policy_switch_pitch",
    "personal_info_request",
    "fraud_high_return",
    "complaint",
    "ask_claim",
    "ask_consumer_rights",
)
AUDIENCES = ("all", "elderly", "new_citizen", "family")
STATUSES = ("draft", "published", "archived")
#: Longest short answer, in characters: one WeChat reply.
MAX_ANSWER_CHARS = 600
#: Longest entry id (it appears in URLs and button payloads).
MAX_ID_CHARS = 80

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
FIELDS = (
    "id",
    "title",
    "category",
    "intents",
    "keywords",
    "audience",
    "status",
    "reviewed",
    "source",
    "answer",
    "body",
)
SOURCE_FIELDS = ("title", "publisher", "date", "reference")


def hash_document(data: dict[str, Any]) -> str:
    """The content hash of an entry's document form (:meth:`Entry.to_dict`)."""
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


class EntryError(ValueError):
    """A knowledge entry is invalid; ``field`` names the offending field."""

    def __init__(self, field: str, message: str, where: str = "") -> None:
        self.field = field
        self.where = where
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}field '{field}': {message}")


@dataclass(frozen=True)
class Source:
    title: str
    publisher: str
    date: str
    reference: str = ""


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    category: str
    intents: tuple[str, ...]
    keywords: tuple[str, ...]
    audience: tuple[str, ...]
    status: str
    reviewed: str
    source: Source
    answer: str
    body: str
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_dict(cls, data: Any, where: str = "") -> Entry:
        """Check ``data`` (a loaded YAML document) and build an entry.

        Raises :class:`EntryError` naming the first bad field.
        """
        if not isinstance(data, dict):
            raise EntryError("(document)", "must be a mapping of fields", where)
        unknown = sorted(set(data) - set(FIELDS))
        if unknown:
            raise EntryError(unknown[0], "unknown field", where)
        for name in FIELDS:
            if name not in data or data[name] in (None, "", []):
                raise EntryError(name, "is required", where)

        def text(name: str, value: Any, limit: int = 0) -> str:
            if isinstance(value, (_dt.date, int)) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str) or not value.strip():
                raise EntryError(name, "must be non-empty text", where)
            if limit and len(value.strip()) > limit:
                raise EntryError(
                    name, f"is {len(value.strip())} characters; at most {limit}", where
                )
            return value

        def strings(name: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
            value = data[name]
            if isinstance(value, str):
                value = [value]
            if isinstance(value, list):
                # YAML reads 12378 as a number; a keyword is text.
                value = [
                    str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value
                ]
            if not isinstance(value, list) or not all(
                isinstance(v, str) and v.strip() for v in value
            ):
                raise EntryError(name, "must be a list of non-empty strings", where)
            if allowed is not None:
                bad = [v for v in value if v not in allowed]
                if bad:
                    raise EntryError(
                        name, f"unknown value {bad[0]!r}; allowed: {', '.join(allowed)}", where
                    )
            if len(set(value)) != len(value):
                raise EntryError(name, "has duplicates", where)
            return tuple(value)

        entry_id = text("id", data["id"])
        if not _ID.match(entry_id):
            raise EntryError("id", "use lowercase letters, digits and single hyphens", where)
        if len(entry_id) > MAX_ID_CHARS:
            raise EntryError("id", f"is {len(entry_id)} characters; at most {MAX_ID_CHARS}", where)
        category = text("category", data["category"])
        if category not in CATEGORIES:
            raise EntryError("category", f"unknown category {category!r}", where)
        status = text("status", data["status"])
        if status not in STATUSES:
            raise EntryError("status", f"must be one of {', '.join(STATUSES)}", where)
        reviewed = text("reviewed", data["reviewed"])
        if not _DATE.match(reviewed):
            raise EntryError("reviewed", "must be a date YYYY-MM-DD", where)

        src = data["source"]
        if not isinstance(src, dict):
            raise EntryError("source", "must be a mapping with title, publisher, date", where)
        unknown = sorted(set(src) - set(SOURCE_FIELDS))
        if unknown:
            raise EntryError(f"source.{unknown[0]}", "unknown field", where)
        for name in ("title", "publisher", "date"):
            text(f"source.{name}", src.get(name))
        source_date = str(src["date"])
        if not _DATE.match(source_date):
            raise EntryError("source.date", "must be YYYY, YYYY-MM or YYYY-MM-DD", where)

        return cls(
            id=entry_id,
            title=text("title", data["title"], 80).strip(),
            category=category,
            intents=strings("intents", KNOWLEDGE_INTENTS),
            keywords=strings("keywords"),
            audience=strings("audience", AUDIENCES),
            status=status,
            reviewed=reviewed,
            source=Source(
                title=str(src["title"]).strip(),
                publisher=str(src["publisher"]).strip(),
                date=source_date,
                reference=str(src.get("reference") or "").strip(),
            ),
            answer=text("answer", data["answer"], MAX_ANSWER_CHARS),
            body=text("body", data["body"]),
        )

    def to_dict(self) -> dict[str, Any]:
        """The YAML document form (the inverse of :meth:`from_dict`), fields in
        :data:`FIELDS` order. Built field by field: ``dataclasses.asdict`` deep-copies
        and costs more than the rest of a 10,000-entry import's bookkeeping."""
        source = {
            "title": self.source.title,
            "publisher": self.source.publisher,
            "date": self.source.date,
        }
        if self.source.reference:
            source["reference"] = self.source.reference
        return {
            "id": self.id,
            "title": self.title,
            "category": self.category,
            "intents": list(self.intents),
            "keywords": list(self.keywords),
            "audience": list(self.audience),
            "status": self.status,
            "reviewed": self.reviewed,
            "source": source,
            "answer": self.answer,
            "body": self.body,
        }

    def content_hash(self) -> str:
        """A digest of every field: equal hashes mean nothing changed."""
        return hash_document(self.to_dict())

    def source_line(self) -> str:
        """The citation shown under an answer, e.g. ``原中国银保监会《…》（2020-04）``."""
        title = self.source.title
        if not title.startswith("《"):
            title = f"《{title}》"
        return f"{self.source.publisher}{title}（{self.source.date}）"

    def with_changes(self, **changes: Any) -> Entry:
        """A checked copy with some fields replaced."""
        data = self.to_dict()
        data.update(changes)
        return Entry.from_dict(data)

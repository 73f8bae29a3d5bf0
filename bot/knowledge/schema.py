"""Knowledge entries: their fields and how a YAML document is checked.

The format is the JSON Schema in ``entry.schema.json``, whose descriptions document every
field; :meth:`Entry.from_dict` checks a document against it and reports the first bad
field in plain Chinese:

>>> entry = Entry.from_dict({
...     "id": "cash-value", "title": "什么是现金价值", "category": "surrender",
...     "intents": ["ask_surrender_value"], "keywords": ["现金价值"], "audience": ["all"],
...     "status": "published", "reviewed": "2026-11-22",
...     "source": {"title": "保险法", "publisher": "全国人大常委会", "date": "2015"},
...     "answer": "退保退的是现金价值。", "body": "现金价值是……"})
>>> entry.source_line()
'全国人大常委会《保险法》（2015）'
>>> entry.with_changes(answer="长" * 601)
Traceback (most recent call last):
...
bot.knowledge.schema.EntryError: field 'answer': 有 601 个字，最多 600 个字
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from bot.labels import label, labels

SCHEMA_FILE = Path(__file__).resolve().parent / "entry.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
_PROPERTIES = SCHEMA["properties"]

#: Category slug -> label shown to people.
CATEGORIES = labels("categories")
AUDIENCES = tuple(labels("audiences"))
STATUSES = tuple(labels("entry_status"))
_PROPERTIES["category"]["enum"] = list(CATEGORIES)
_PROPERTIES["audience"]["items"]["enum"] = list(AUDIENCES)
_PROPERTIES["status"]["enum"] = list(STATUSES)

#: Intents a knowledge entry may answer (the NLU contract's knowledge intents).
KNOWLEDGE_INTENTS = tuple(_PROPERTIES["intents"]["items"]["enum"])
#: Longest short answer, in characters: one WeChat reply.
MAX_ANSWER_CHARS = _PROPERTIES["answer"]["maxLength"]
#: Longest entry id (it appears in URLs and button payloads).
MAX_ID_CHARS = _PROPERTIES["id"]["maxLength"]
#: What an entry id looks like (the console checks ids in URLs with it too).
ENTRY_ID = re.compile(_PROPERTIES["id"]["pattern"])
FIELDS = tuple(_PROPERTIES)

_VALIDATOR = Draft202012Validator(SCHEMA)
_LISTS = ("intents", "keywords", "audience")

#: What staff read for each kind of mistake; a few fields say more.
_MESSAGES = {
    "required": "必填",
    "minItems": "必填",
    "minLength": "必填",
    "additionalProperties": "没有这个字段",
    "uniqueItems": "有重复的值",
}
_PATTERN_MESSAGES = {
    "id": "只能用小写字母、数字和单个横线，例如 policy-loan-rate",
    "reviewed": "要写成日期 YYYY-MM-DD",
    "source.date": "要写成 YYYY、YYYY-MM 或 YYYY-MM-DD",
}
_TYPE_MESSAGES = {
    "object": "要写成“字段: 内容”的形式",
    "array": "要写成一组文字",
    "string": "要写成文字",
}


def hash_document(data: dict[str, Any]) -> str:
    """The content hash of an entry's document form (:meth:`Entry.to_dict`)."""
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


class EntryError(ValueError):
    """A knowledge entry is invalid; ``field`` names the offending field."""

    def __init__(self, field: str, message: str, where: str = "") -> None:
        self.field = field
        #: What is wrong, without the field's name (pages name the field in words).
        self.message = message
        self.where = where
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}field '{field}': {message}")


def _as_text(value: Any) -> Any:
    """YAML reads 2015 as a number and 2026-11-22 as a date; both are text here."""
    if isinstance(value, (_dt.date, int)) and not isinstance(value, bool):
        return str(value)
    return value


def _stripped(value: Any) -> Any:
    value = _as_text(value)
    return value.strip() if isinstance(value, str) else value


def _cleaned(data: Any) -> Any:
    """The document as it is checked and stored: text stripped, numbers and dates as
    text, one value where a list is expected as a list, empty values left out (so they
    count as missing)."""
    if not isinstance(data, dict):
        return data
    out = {}
    for name, value in data.items():
        value = _stripped(value)
        if name in _LISTS and isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            value = [_stripped(v) for v in value]
        elif isinstance(value, dict):
            value = _cleaned(value)
        if value not in (None, "", []):
            out[name] = value
    return out


def _explain(error: ValidationError) -> tuple[str, str]:
    """The field and the Chinese message for a schema error."""
    path = [str(p) for p in error.absolute_path if isinstance(p, str)]
    kind = error.validator
    if kind == "required":
        path.append(next(f for f in error.validator_value if f not in error.instance))
    elif kind == "additionalProperties":
        path.append(sorted(set(error.instance) - set(error.schema["properties"]))[0])
    name = ".".join(path) or "(document)"
    if kind == "maxLength":
        message = f"有 {len(error.instance)} 个字，最多 {error.validator_value} 个字"
    elif kind == "enum":
        allowed = "、".join(error.validator_value)
        message = f"不能是 {error.instance!r}，可选：{allowed}"
    elif kind == "pattern":
        message = _PATTERN_MESSAGES[name]
    elif kind == "type":
        message = _TYPE_MESSAGES[error.validator_value]
    else:
        message = _MESSAGES.get(kind, error.message)
    return name, message


@dataclass(frozen=True)
class Source:
    title: str
    publisher: str
    date: str
    reference: str = ""
    #: An adapted case: the real notice it illustrates (background, not the source).
    background: str = ""


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

    @classmethod
    def from_dict(cls, data: Any, where: str = "") -> Entry:
        """Check ``data`` (a loaded YAML document) and build an entry.

        Raises :class:`EntryError` naming the first bad field: the one nearest the top
        of the document, in the schema's order.
        """
        document = _cleaned(data)
        error = min(
            _VALIDATOR.iter_errors(document), key=lambda e: len(e.absolute_path), default=None
        )
        if error is not None:
            raise EntryError(*_explain(error), where)
        source = document["source"]
        return cls(
            id=document["id"],
            title=document["title"],
            category=document["category"],
            intents=tuple(document["intents"]),
            keywords=tuple(document["keywords"]),
            audience=tuple(document["audience"]),
            status=document["status"],
            reviewed=document["reviewed"],
            source=Source(
                title=source["title"],
                publisher=source["publisher"],
                date=source["date"],
                reference=source.get("reference", ""),
                background=source.get("background", ""),
            ),
            # The answer and the body keep their line breaks as written.
            answer=_as_text(data["answer"]),
            body=_as_text(data["body"]),
        )

    def to_dict(self) -> dict[str, Any]:
        """The YAML document form (the inverse of :meth:`from_dict`), fields in
        :data:`FIELDS` order, without an empty ``source.reference``."""
        source = {
            "title": self.source.title,
            "publisher": self.source.publisher,
            "date": self.source.date,
        }
        if self.source.reference:
            source["reference"] = self.source.reference
        if self.source.background:
            source["background"] = self.source.background
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
        """The citation shown under an answer, e.g. ``原中国银保监会《…》（2020-04）``; for an
        adapted case, what it is and the notice it illustrates."""
        if self.source.background:
            return label("sources", "adapted").format(background=self.source.background)
        title = self.source.title
        if not title.startswith("《"):
            title = f"《{title}》"
        return f"{self.source.publisher}{title}（{self.source.date}）"

    def with_changes(self, **changes: Any) -> Entry:
        """A checked copy with some fields replaced."""
        data = self.to_dict()
        data.update(changes)
        return Entry.from_dict(data)

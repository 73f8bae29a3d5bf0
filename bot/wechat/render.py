"""The bot's replies as WeChat can show them: short texts, at most five, buttons as numbers.

WeChat has no buttons in a chat and caps a text message at 2048 bytes; a user message opens a
quota of five messages back. So the bubbles are joined, the buttons become numbered lines the
user answers with a digit, the text is cut at sentence ends, and what does not fit in five
messages waits for the user to ask for more::

    >>> r = render([{"text": "您好。", "buttons": [{"title": "急用钱", "payload": "/money"}]}])
    >>> print(r.texts[0])
    您好。
    <BLANKLINE>
    回复数字：
    1 急用钱
    >>> choose("1", r.options), choose("急用钱", r.options), choose("2", r.options)
    ('/money', '/money', None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.labels import label
from bot.nlu.normalize import normalize, to_halfwidth

#: Largest text message WeChat delivers, in UTF-8 bytes.
MAX_BYTES = 2048
#: Messages sent back for one user message (the 客服 quota).
MAX_MESSAGES = 5

# A sentence: anything up to a run of sentence-ending marks and the closing quotes after it.
_SENTENCE = re.compile(r".*?(?:[。！？!?；\n]+[”’」』）)\"']*|$)", re.DOTALL)
# Within a sentence too long for one message: clauses, cut after commas, colons or spaces.
_CLAUSE = re.compile(r".*?(?:[，,、：:\s]+|$)", re.DOTALL)
# What may follow a number the user typed: "1." "1、" "1。" "1 ".
_AFTER_NUMBER = re.compile(r"[.、。\s]+$")
_NOT_A_WORD = re.compile(r"[\W_]+")


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _cut(text: str, max_bytes: int) -> list[str]:
    """The last resort: ``text`` cut into pieces of at most ``max_bytes``, between characters.

    >>> _cut("保单贷款", 7)
    ['保单', '贷款']
    """
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        n = _size(char)
        if current and size + n > max_bytes:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += n
    if current:
        pieces.append("".join(current))
    return pieces


def _units(text: str, max_bytes: int) -> list[str]:
    """Sentences of ``text``; one too long split into clauses, a clause too long into pieces.

    >>> _units("好的。真的吗？是！", 100)
    ['好的。', '真的吗？', '是！']
    """
    units: list[str] = []
    for sentence in filter(None, _SENTENCE.findall(text)):
        if _size(sentence) <= max_bytes:
            units.append(sentence)
            continue
        for clause in filter(None, _CLAUSE.findall(sentence)):
            units.extend([clause] if _size(clause) <= max_bytes else _cut(clause, max_bytes))
    return units


def split_text(text: str, max_bytes: int = MAX_BYTES) -> list[str]:
    """``text`` in pieces of at most ``max_bytes`` UTF-8 bytes, cut at sentence ends.

    Whole sentences are packed into each piece; a sentence longer than a piece is cut after a
    comma or a space, and only as a last resort between two characters (never inside one).

    >>> split_text("第一句。第二句！第三句？", max_bytes=30)
    ['第一句。第二句！', '第三句？']
    >>> split_text("  ")
    []
    """
    if max_bytes < 4:
        raise ValueError("max_bytes must hold one character (4 bytes)")
    pieces: list[str] = []
    current, size = "", 0
    for unit in _units(text, max_bytes):
        n = _size(unit)
        if current and size + n > max_bytes:
            pieces.append(current)
            current, size = "", 0
        current += unit
        size += n
    pieces.append(current)
    return [p.strip() for p in pieces if p.strip()]


def options_text(buttons: list[dict]) -> str:
    """The buttons as numbered lines, one option a line, under 「回复数字：」.

    >>> print(options_text([{"title": "急用钱"}, {"title": "交不起保费"}]))
    回复数字：
    1 急用钱
    2 交不起保费
    >>> options_text([])
    ''
    """
    if not buttons:
        return ""
    lines = [label("wechat", "options_intro")]
    lines += [f"{n} {_title(b)}" for n, b in enumerate(buttons, 1)]
    return "\n".join(lines)


def _title(button: dict) -> str:
    return str(button.get("title") or button.get("payload") or "").strip()


@dataclass
class Rendered:
    """What to send now (``texts``), what waits for 「更多」 (``more``), what a digit picks."""

    texts: list[str] = field(default_factory=list)
    more: list[str] = field(default_factory=list)
    options: list[dict] = field(default_factory=list)


def render(messages: list[dict]) -> Rendered:
    """Rasa's REST reply (``[{"text": ..., "buttons": [...]}, ...]``) as WeChat texts.

    The bubbles are joined by a blank line and cut into pieces of :data:`MAX_BYTES`; the last
    message's buttons follow as numbered options, kept together; the pieces are paged by
    :data:`MAX_MESSAGES`.

    >>> yes = {"title": "是", "payload": "/y"}
    >>> r = render([{"text": "一。"}, {"text": "二。", "buttons": [yes]}])
    >>> r.texts
    ['一。\\n\\n二。\\n\\n回复数字：\\n1 是']
    >>> r.options
    [{'number': 1, 'title': '是', 'payload': '/y'}]
    """
    bubbles = [str(m.get("text") or "").strip() for m in messages]
    buttons = list(messages[-1].get("buttons") or []) if messages else []
    options = [
        {"number": n, "title": _title(b), "payload": b.get("payload")}
        for n, b in enumerate(buttons, 1)
    ]
    pieces = split_text("\n\n".join(b for b in bubbles if b))
    if buttons:
        # The options stay in one piece, with the text before them when they fit beside it.
        options_block = options_text(buttons)
        if pieces and _size(pieces[-1] + "\n\n" + options_block) <= MAX_BYTES:
            pieces[-1] += "\n\n" + options_block
        else:
            pieces += split_text(options_block)
    return _page(pieces, options)


def next_page(more: list[str], options: list[dict] | None = None) -> Rendered:
    """The next page of what :func:`render` held back (``options`` carried along).

    >>> next_page(["a", "b"]).texts
    ['a', 'b']
    """
    return _page(list(more), list(options or []))


def _page(pieces: list[str], options: list[dict]) -> Rendered:
    """At most :data:`MAX_MESSAGES` pieces, the last of them ending with the 「更多」 hint."""
    if len(pieces) <= MAX_MESSAGES:
        return Rendered(pieces, [], options)
    suffix = "\n\n" + label("wechat", "more_hint")
    last = split_text(pieces[MAX_MESSAGES - 1], MAX_BYTES - _size(suffix))
    texts = [*pieces[: MAX_MESSAGES - 1], last[0] + suffix]
    return Rendered(texts, last[1:] + pieces[MAX_MESSAGES:], options)


def _key(text: str) -> str:
    """The words of ``text`` without spaces or marks, Simplified, lower case.

    >>> _key(" 保單 貸款！"), _key("More.")
    ('保单贷款', 'more')
    """
    return _NOT_A_WORD.sub("", normalize(text)).lower()


def _number(text: str) -> int | None:
    """The number a reply is, if it is just one: digits, or a Chinese numeral 一..十.

    >>> _number("３、"), _number("十"), _number("1 2"), _number("一百")
    (3, 10, None, None)
    """
    text = _AFTER_NUMBER.sub("", to_halfwidth(text).strip())
    if text.isascii() and text.isdigit() and len(text) <= 3:
        return int(text)
    numerals = label("wechat", "numerals")
    if len(text) == 1 and text in numerals:
        return numerals.index(text) + 1
    return None


def choose(text: str, options: list[dict]) -> str | None:
    """The payload a reply picks: its number (1, １, 1., 一) or exactly the option's words.

    >>> opts = [{"title": "急用钱", "payload": "/a"}, {"title": "交不起保费", "payload": "/b"}]
    >>> choose("２", opts), choose("二、", opts), choose("交不起 保費。", opts), choose("3", opts)
    ('/b', '/b', '/b', None)
    """
    if not text or not options:
        return None
    number = _number(text)
    if number is not None:
        return options[number - 1].get("payload") if 1 <= number <= len(options) else None
    key = _key(text)
    if not key:
        return None
    for option in options:
        if _key(_title(option)) == key:
            return option.get("payload")
    return None


def is_more(text: str) -> bool:
    """Whether the user asks for the rest: 「更多」 or "more", marks and spaces aside.

    >>> is_more("更多"), is_more(" MORE! "), is_more("更多的问题")
    (True, True, False)
    """
    return bool(text) and _key(text) in {_key(label("wechat", "more_word")), "more"}

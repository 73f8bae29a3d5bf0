"""Two versions of an entry compared field by field, in words people read: each field as it
is shown in the editor (问题, 回答, 关键词, 来源 …), with what changed marked.

    >>> from bot.knowledge.schema import Entry
    >>> old = Entry.from_dict({
    ...     "id": "loan", "title": "保单贷款的利率", "category": "alternatives",
    ...     "intents": ["ask_policy_loan"], "keywords": ["保单贷款", "利率"],
    ...     "audience": ["all"], "status": "published", "reviewed": "2026-11-22",
    ...     "source": {"title": "常见问题", "publisher": "某公司", "date": "2026"},
    ...     "answer": "利率每半年调整一次。", "body": "按日计息。"})
    >>> new = old.with_changes(answer="利率每年调整一次。", keywords=["保单贷款", "利息"])
    >>> [(f.label, f.old, f.new) for f in compare(old, new) if f.changed]
    [('关键词', Markup('保单贷款、<del>利率</del>'), Markup('保单贷款、<ins>利息</ins>')), \
('简短回答', Markup('利率每<del>半</del>年调整一次。'), Markup('利率每年调整一次。'))]
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from bot.knowledge.schema import CATEGORIES, Entry
from bot.labels import label, labels

#: A word: a run of Latin letters or digits, or one other character (a Chinese character,
#: a punctuation mark, a line break).
_WORD = re.compile(r"[A-Za-z0-9_.\-/:]+|\s+|.", re.S)


#: Words left alone between two changes that are shown as part of them.
_SHORT = 2


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    old: Markup
    new: Markup
    changed: bool


def field_texts(entry: Entry) -> dict[str, list[str]]:
    """Each field of ``entry`` as the words people read, in the editor's order: one
    string, or the items of a list. The status is not content (the history shows it)."""
    source = entry.source
    return {
        "title": [entry.title],
        "category": [CATEGORIES.get(entry.category, entry.category)],
        "intents": [label("intents", i) for i in entry.intents],
        "keywords": list(entry.keywords),
        "audience": [label("audiences", a) for a in entry.audience],
        "reviewed": [entry.reviewed],
        "source": [entry.source_line()],
        "source_reference": [source.reference] if source.reference else [],
        "answer": [entry.answer.strip()],
        "body": [entry.body.strip()],
    }


def marked(old: list[str], new: list[str]) -> tuple[Markup, Markup]:
    """``old`` and ``new`` HTML-escaped, removed words in ``<del>``, added ones in ``<ins>``.
    Lists are compared item by item, texts word by word.

    >>> marked(["<b>a</b> 退保"], ["<b>a</b> 不退保"])
    (Markup('&lt;b&gt;a&lt;/b&gt; 退保'), Markup('&lt;b&gt;a&lt;/b&gt; <ins>不</ins>退保'))
    """
    if len(old) <= 1 and len(new) <= 1:
        a, b = _WORD.findall(old[0] if old else ""), _WORD.findall(new[0] if new else "")
        joiner = ""
    else:
        a, b, joiner = old, new, "、"
    left: list[Markup] = []
    right: list[Markup] = []
    for op, i1, i2, j1, j2 in _readable(difflib.SequenceMatcher(None, a, b, autojunk=False)):
        removed = escape(joiner.join(a[i1:i2]))
        added = escape(joiner.join(b[j1:j2]))
        if op == "equal":
            left.append(removed)
            right.append(added)
            continue
        if i2 > i1:
            left.append(Markup("<del>{}</del>").format(removed))
        if j2 > j1:
            right.append(Markup("<ins>{}</ins>").format(added))
    return Markup(escape(joiner)).join(left), Markup(escape(joiner)).join(right)


def _readable(matcher: difflib.SequenceMatcher) -> list[tuple[str, int, int, int, int]]:
    """The matcher's opcodes with a word or two kept between two changes made part of
    them when it splits one side's text: 常见问题 -> 问答 reads as one replacement, not as 常见
    and 题 deleted around a 问; 的利率 -> 利率怎么定 stays 的 deleted and 怎么定 added.

    >>> m = difflib.SequenceMatcher(None, "常见问题", "问答", autojunk=False)
    >>> _readable(m)
    [('replace', 0, 4, 0, 2)]
    >>> [op for op, *_ in _readable(difflib.SequenceMatcher(None, "的利率", "利率怎么定"))]
    ['delete', 'equal', 'insert']
    >>> [op for op, *_ in _readable(difflib.SequenceMatcher(None, "保也能用", "保，也能周转用"))]
    ['equal', 'insert', 'equal', 'insert', 'equal']
    """
    codes = matcher.get_opcodes()
    merged: list[list] = []
    for n, (op, i1, i2, j1, j2) in enumerate(codes):
        if op == "equal" and 0 < n < len(codes) - 1 and i2 - i1 <= _SHORT:
            before, after = codes[n - 1][0], codes[n + 1][0]
            old_cut = before != "insert" and after != "insert"  # changes either side in old
            new_cut = before != "delete" and after != "delete"
            # Between two insertions (or two deletions) the words are there on both sides.
            one_sided = before == after and before in ("insert", "delete")
            op = "replace" if (old_cut or new_cut) and not one_sided else op
        if op != "equal" and merged and merged[-1][0] != "equal":
            merged[-1][2], merged[-1][4] = i2, j2
            merged[-1][0] = "replace"
        else:
            merged.append([op, i1, i2, j1, j2])
    return [tuple(code) for code in merged]


def compare(old: Entry, new: Entry) -> list[FieldChange]:
    """Every field of the two versions, in the editor's order, marked where it changed."""
    names = labels("entry_fields")
    before, after = field_texts(old), field_texts(new)
    out = []
    for name, old_words in before.items():
        new_words = after[name]
        changed = old_words != new_words
        if changed:
            left, right = marked(old_words, new_words)
        else:
            left = right = escape("、".join(old_words))
        out.append(FieldChange(name, names.get(name, name), left, right, changed))
    return out

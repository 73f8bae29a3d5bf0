"""Chinese full-text search on SQLite FTS5: segmentation at index and query time.

FTS5's own tokenisers do not split Chinese into words, so text is segmented with jieba
(the same dictionary as the NLU) and stored space-separated. Queries are segmented the
same way and every word is quoted, so user text can never change the query's meaning::

    >>> match_expression('保单贷款 AND "利息" NEAR(*)')
    '"保单贷款" OR "利息"'
"""

from __future__ import annotations

import re

from bot.nlu.normalize import normalize

#: Words too common in questions to help ranking.
STOPWORDS = frozenset(
    (
        "的 了 吗 呢 吧 啊 呀 嘛 么 是 我 你 他 她 它 我们 你们 他们 "
        "这 那 这个 那个 有 没有 在 和 与 或 就 都 也 还 要 想 能 可以 会 "
        "怎么 怎么办 怎样 如何 什么 为什么 多少 哪里 哪 请问 一下 "
        "一个 个 请 谢谢 您 您好 你好 嗯 哦 啦 呗 咋 啥 or and not near"
    ).split()
)
_WORD = re.compile(r"\w", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]")
#: Longest query, in characters, that is searched; the rest is ignored.
MAX_QUERY_CHARS = 200
MAX_TERMS = 24


def index_words(text: str) -> str:
    """Space-separated words for the index: jieba's search mode, which also emits the
    shorter words inside long ones (保单贷款 -> 保单, 贷款, 保单贷款).

    >>> index_words("保單貸款的利息")
    '保单 贷款 保单贷款 的 利息'
    """
    import jieba

    from bot.nlu.segment import load_dictionary

    load_dictionary()
    words = (
        w.strip().lower() for w in jieba.cut_for_search(normalize(text, max_chars=0), HMM=False)
    )
    return " ".join(w for w in words if w and _WORD.search(w))


def index_chars(text: str) -> str:
    """Space-separated single Chinese characters, so one-character queries find entries."""
    return " ".join(dict.fromkeys(_CJK.findall(normalize(text, max_chars=0))))


def query_terms(query: str) -> list[str]:
    """The words of ``query`` worth searching for, lower-cased, without duplicates."""
    from bot.nlu.segment import segment

    text = normalize(query, max_chars=MAX_QUERY_CHARS)
    terms: list[str] = []
    for word in segment(text, hmm=False):
        word = word.strip().lower()
        if not word or not _WORD.search(word) or word in STOPWORDS:
            continue
        # Keep only letters, digits and CJK: quotes and operators are dropped here and
        # every term is quoted below, so no FTS5 syntax survives.
        word = "".join(ch for ch in word if _WORD.match(ch))
        if word and word not in terms:
            terms.append(word)
    if any(len(t) > 1 for t in terms):
        # Single characters ("让", "把") only add noise next to real words.
        terms = [t for t in terms if len(t) > 1]
    if not terms:
        # A query made only of stopwords ("怎么办") still deserves an answer.
        terms = [
            w
            for w in dict.fromkeys(
                "".join(ch for ch in w if _WORD.match(ch)) for w in segment(text)
            )
            if w
        ]
    return terms[:MAX_TERMS]


def quote(term: str) -> str:
    """An FTS5 string literal."""
    return '"' + term.replace('"', '""') + '"'


def _term(term: str) -> str:
    """A quoted word; a one-character Chinese word is searched in the chars column only."""
    if len(term) == 1 and _CJK.match(term):
        return f"(chars : {quote(term)})"
    return quote(term)


def match_expression(query: str) -> str | None:
    """The FTS5 MATCH expression for ``query``: its quoted words joined with OR, so bm25
    ranks entries matching more and rarer words first. ``None`` if nothing is searchable.

    >>> match_expression("犹豫期 险")
    '"犹豫期"'
    >>> match_expression("险")
    '(chars : "险")'
    """
    terms = query_terms(query)
    return " OR ".join(_term(t) for t in terms) if terms else None

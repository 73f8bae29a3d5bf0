"""Chinese full-text search on SQLite FTS5: segmentation at index and query time.

FTS5's own tokenisers do not split Chinese into words, so text is segmented with jieba
(the same dictionary as the NLU) and stored space-separated. Queries are segmented the
same way and every word is quoted, so user text can never change the query's meaning::

    >>> match_expression('保单贷款 AND "利息" NEAR(*)')
    '"保单贷款" OR "利息"'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

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

    The normalised text is segmented piece by piece (:data:`_PIECE_BREAK`) and the
    words of each piece are memoised (:func:`_piece_words`): knowledge entries repeat
    sentences, clauses and keywords such as 以合同约定为准. The words are exactly those
    of segmenting the whole text at once.
    """
    words: list[str] = []
    for piece in _PIECE_BREAK.split(normalize(text, max_chars=0)):
        if piece:
            words.extend(_piece_words(piece))
    return " ".join(words)


#: Where normalised text can be cut without changing its words: whitespace and Chinese
#: or ASCII sentence and clause marks. jieba segments runs of Chinese, letters, digits
#: and ``+#&._%-`` one by one, so it cuts there too, and the marks are never words.
_PIECE_BREAK = re.compile(r"[\s。，、；：！？（）!?,;:()]+")


@lru_cache(maxsize=1 << 15)
def _piece_words(piece: str) -> tuple[str, ...]:
    """The index words of one piece of normalised text (lower-cased, only the words
    with a letter or digit)."""
    import jieba

    from bot.nlu.segment import load_dictionary

    load_dictionary()
    words = jieba.cut_for_search(piece, HMM=False)
    return tuple(w for w in (w.strip().lower() for w in words) if w and _WORD.search(w))


@contextmanager
def memo_disabled() -> Iterator[None]:
    """Segment every piece afresh inside the block, as for text that repeats nothing
    (the benchmark's second import)."""
    global _piece_words
    memoised = _piece_words
    _piece_words = memoised.__wrapped__
    try:
        yield
    finally:
        _piece_words = memoised


def forget_segmented_pieces() -> None:
    """Empty the memo of :func:`index_words` (for benchmarks and tests)."""
    _piece_words.cache_clear()


def index_chars(text: str) -> str:
    """Space-separated single Chinese characters, so one-character queries find entries."""
    return " ".join(dict.fromkeys(_CJK.findall(normalize(text, max_chars=0))))


def query_terms(query: str) -> list[str]:
    """The words of ``query`` worth searching for, lower-cased, without duplicates."""
    return list(_terms_of(normalize(query, max_chars=MAX_QUERY_CHARS)))


@lru_cache(maxsize=4096)
def _terms_of(text: str) -> tuple[str, ...]:
    """:func:`query_terms` of normalised text, memoised: people ask the same short
    questions again and again."""
    from bot.nlu.segment import segment

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
    return tuple(terms[:MAX_TERMS])


def quote(term: str) -> str:
    """An FTS5 string literal."""
    return '"' + term.replace('"', '""') + '"'


def is_single_cjk(term: str) -> bool:
    """A one-character Chinese word: searched in the chars column only."""
    return len(term) == 1 and _CJK.match(term) is not None


def _term(term: str) -> str:
    if is_single_cjk(term):
        return f"(chars : {quote(term)})"
    return quote(term)


def match_expression(query: str, operator: str = "OR") -> str | None:
    """The FTS5 MATCH expression for ``query``: quoted words joined with ``operator``
    (OR: bm25 ranks entries matching more and rarer words first; AND: entries with every
    word). ``None`` if nothing is searchable."""
    _check_operator(operator)
    terms = query_terms(query)
    return join_terms(terms, operator) if terms else None


def join_terms(terms: list[str], operator: str = "OR") -> str:
    """The FTS5 MATCH expression for words from :func:`query_terms`."""
    _check_operator(operator)
    return f" {operator} ".join(_term(t) for t in terms)


def _check_operator(operator: str) -> None:
    if operator not in ("OR", "AND"):
        raise ValueError("operator must be OR or AND")

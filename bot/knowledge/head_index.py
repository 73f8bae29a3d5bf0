"""FTS5's bm25 over the short columns (title, keywords, chars), computed in memory.

Large knowledge bases are searched in fielded passes, the first over the title, keywords
and chars columns (see ``KnowledgeBase.search``). FTS5 computes bm25 for every matching
row before it sorts, about a microsecond per row on a small server whatever the LIMIT:
a word in the titles or keywords of 7,000 of 10,000 entries costs 7 ms. This index keeps,
for every word of those columns, the rows containing it with the word's weighted
frequency, and every row's length in tokens, so the same bm25 takes a few vector
operations and only the best rows are then read from SQLite.

The scores are FTS5's own, to the last bit: the same formula (k1 = 1.2, b = 0.75, IDF
floored at 1e-6) over the same numbers (per-column weights, row lengths from FTS5's
``docsize`` table, the average over all rows) in the same order of floating-point
operations; ties are broken by entry id as in the SQL. Words are read back from the
indexed text, and only where Python's reading provably matches FTS5's ``unicode61``
tokeniser: ASCII letters and digits and CJK ideographs. A query with any other word, or
with a word that ``unicode61`` might derive from other characters in the index
(``café`` is its token ``cafe``), is left to FTS5.

The index is a snapshot: ``KnowledgeBase`` rebuilds it when the audit log shows a
change, made through any connection (about 0.5 s for 10,000 entries).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
from sqlite_utils import Database

from bot.knowledge import fts

#: FTS5's bm25 constants.
K1 = 1.2
B = 0.75
#: FTS5 floors the IDF of words found in more than half of the rows at this value.
MIN_IDF = 1e-6

#: Runs of characters that ``unicode61`` and Python both read as one lower-case token
#: (CJK as in Unicode 6.1, the oldest table an FTS5 build may use).
_PLAIN = re.compile(r"[0-9a-z\u3400-\u4db5\u4e00-\u9fcc]+")
#: Text that is only plain tokens and spaces: split it and done.
_PLAIN_TEXT = re.compile(r"[0-9a-z\u3400-\u4db5\u4e00-\u9fcc ]*")
#: Words of these characters are their :data:`_PLAIN` runs in FTS5 too (ASCII
#: punctuation separates tokens there as well).
_PLAIN_OR_ASCII = re.compile(r"[\x00-\x7f\u3400-\u4db5\u4e00-\u9fcc]*")


def is_plain(term: str) -> bool:
    """Whether ``term`` is one token that this index reads exactly as FTS5 does."""
    return _PLAIN.fullmatch(term) is not None


@dataclass(frozen=True)
class Posting:
    """The rows (positions in the :class:`HeadIndex` arrays) containing a word, and the
    word's frequency in each, weighted per column as in the FTS5 ``rank``."""

    slots: np.ndarray
    frequency: np.ndarray


@dataclass
class _Postings:
    """Postings of a group of columns, collected as flat lists and then grouped."""

    tokens: list[str] = field(default_factory=list)
    slots: list[int] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)

    def add(self, slot: int, tokens: list[str], weight: float) -> None:
        """Add the tokens of one column of row ``slot``."""
        self.tokens.extend(tokens)
        self.slots.extend(repeat(slot, len(tokens)))
        self.weights.extend(repeat(weight, len(tokens)))

    def freeze(self) -> dict[str, Posting]:
        """Group by word and row, summing the weights into frequencies. The sums are
        exact (the weights are small whole numbers), as in FTS5."""
        if not self.tokens:
            return {}
        vocabulary = {term: i for i, term in enumerate(dict.fromkeys(self.tokens))}
        term_ids = np.fromiter(map(vocabulary.__getitem__, self.tokens), np.int64, len(self.tokens))
        slots = np.array(self.slots, dtype=np.int64)
        pair = term_ids * (int(slots.max(initial=0)) + 1) + slots
        order = np.argsort(pair, kind="stable")
        pair = pair[order]
        starts = np.flatnonzero(np.concatenate(([True], pair[1:] != pair[:-1])))
        frequencies = np.add.reduceat(np.array(self.weights)[order], starts)
        pair_terms = term_ids[order][starts]
        pair_slots = slots[order][starts]
        bounds = np.searchsorted(pair_terms, np.arange(len(vocabulary) + 1)).tolist()
        return {
            term: Posting(
                pair_slots[bounds[i] : bounds[i + 1]], frequencies[bounds[i] : bounds[i + 1]]
            )
            for term, i in vocabulary.items()
        }


def _tokens(text: str, unsafe: set[str]) -> list[str]:
    """The plain tokens of space-separated ``text``. Plain runs of other words go to
    ``unsafe``: FTS5 may read those words differently (``café`` is ``cafe`` there)."""
    if _PLAIN_TEXT.fullmatch(text):
        return text.split()
    tokens: list[str] = []
    for word in text.lower().split():
        if _PLAIN_OR_ASCII.fullmatch(word):
            tokens.extend(_PLAIN.findall(word))
        else:
            unsafe.update(_PLAIN.findall(word), _PLAIN.findall(_fold(word)))
    return tokens


def _fold(word: str) -> str:
    """``word`` without diacritics (é -> e), as ``unicode61`` removes them."""
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _row_size(blob: bytes) -> int:
    """The sum of the varints of an FTS5 ``docsize`` blob: the row's length in tokens."""
    total = value = 0
    for byte in blob:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            total += value
            value = 0
    return total


def _masks(pairs: Iterable[tuple[str, int]], count: int) -> dict[str, np.ndarray]:
    """For each value, the mask of the slots paired with it."""
    masks: dict[str, np.ndarray] = {}
    for value, slot in pairs:
        if value not in masks:
            masks[value] = np.zeros(count, dtype=bool)
        masks[value][slot] = True
    return masks


@dataclass(frozen=True)
class HeadIndex:
    """bm25 over the title, keywords and chars columns of ``entries_fts``."""

    rowids: np.ndarray  # slot -> rowid of the entry and of its FTS row
    ids: list[str]  # slot -> entry id, for ties
    sizes: np.ndarray  # slot -> tokens in the whole FTS row
    average_size: float  # over all FTS rows
    row_count: int  # FTS rows
    statuses: dict[str, np.ndarray]  # status -> mask of slots
    categories: dict[str, np.ndarray]  # category -> mask of slots
    intents: dict[str, np.ndarray]  # intent -> mask of slots
    words: dict[str, Posting]  # title and keywords
    chars: dict[str, Posting]  # single Chinese characters (the chars column)
    unsafe: frozenset[str]

    @classmethod
    def load(cls, db: Database, weights: tuple[float, float, float, float]) -> HeadIndex:
        """Read the index from ``entries``, ``entries_fts`` and its ``docsize`` table.
        ``weights`` are the bm25 weights of title, keywords, body and chars."""
        title_weight, keywords_weight, _body, chars_weight = weights
        texts = {
            r[0]: r[1:] for r in db.execute("SELECT rowid, title, keywords, chars FROM entries_fts")
        }
        sizes = dict(db.execute("SELECT id, sz FROM entries_fts_docsize").fetchall())
        entries = [
            row
            for row in db.execute(
                "SELECT rowid, id, status, category, intents FROM entries ORDER BY rowid"
            )
            if row[0] in texts
        ]
        words, chars, unsafe = _Postings(), _Postings(), set()
        for slot, entry in enumerate(entries):
            title, keywords, chars_text = texts[entry[0]]
            words.add(slot, _tokens(title, unsafe), title_weight)
            words.add(slot, _tokens(keywords, unsafe), keywords_weight)
            chars.add(slot, _tokens(chars_text, unsafe), chars_weight)
        count = len(entries)
        all_sizes = [_row_size(blob) for blob in sizes.values()]
        return cls(
            rowids=np.array([e[0] for e in entries], dtype=np.int64),
            ids=[e[1] for e in entries],
            sizes=np.array([_row_size(sizes.get(e[0], b"")) for e in entries], dtype=float),
            average_size=float(sum(all_sizes)) / float(len(all_sizes) or 1),
            row_count=len(all_sizes),
            statuses=_masks(((e[2], slot) for slot, e in enumerate(entries)), count),
            categories=_masks(((e[3], slot) for slot, e in enumerate(entries)), count),
            intents=_masks(
                ((i, slot) for slot, e in enumerate(entries) for i in json.loads(e[4])), count
            ),
            words=words.freeze(),
            chars=chars.freeze(),
            unsafe=frozenset(unsafe),
        )

    def can_rank(self, terms: list[str]) -> bool:
        """Whether :meth:`ranked` gives exactly FTS5's answer for these query words."""
        return bool(terms) and all(is_plain(t) and t not in self.unsafe for t in terms)

    def ranked(
        self,
        terms: list[str],
        operator: str,
        *,
        status: str | None,
        category: str | None,
        intent: str | None,
        limit: int,
    ) -> list[tuple[int, float]]:
        """``(rowid, rank)`` of the best ``limit`` rows matching ``terms`` joined with
        ``operator`` (AND or OR) in the head columns and passing the filters, as FTS5's
        ``ORDER BY rank`` and then entry id lists them (rank = -bm25, lower is better).
        One-character Chinese words are searched in the chars column only, as in
        ``fts.join_terms``."""
        score = np.zeros(len(self.rowids))
        matched = np.zeros(len(self.rowids), dtype=np.int32)
        for term in terms:
            posting = (self.chars if fts.is_single_cjk(term) else self.words).get(term)
            if posting is not None:
                # Term by term, as FTS5 sums them: the same floating-point result.
                score[posting.slots] += self._idf(len(posting.slots)) * self._saturation(posting)
                matched[posting.slots] += 1
        keep = matched == len(terms) if operator == "AND" else matched > 0
        keep &= self._filter_mask(status, category, intent)
        return self._best(np.flatnonzero(keep), score, limit)

    def _idf(self, hits: int) -> float:
        """FTS5's IDF of a word found in ``hits`` rows."""
        idf = math.log((self.row_count - hits + 0.5) / (hits + 0.5))
        return idf if idf > 0.0 else MIN_IDF

    def _saturation(self, posting: Posting) -> np.ndarray:
        """bm25's frequency part, f·(k1+1) / (f + k1·(1 - b + b·D/avgdl)), per row."""
        f = posting.frequency
        sizes = self.sizes[posting.slots]
        return (f * (K1 + 1.0)) / (f + K1 * (1 - B + B * sizes / self.average_size))

    def _filter_mask(
        self, status: str | None, category: str | None, intent: str | None
    ) -> np.ndarray:
        """The rows passing the filters (``None`` or empty: no filter)."""
        mask = np.ones(len(self.rowids), dtype=bool)
        nothing = np.zeros(len(self.rowids), dtype=bool)
        for value, masks in (
            (status, self.statuses),
            (category, self.categories),
            (intent, self.intents),
        ):
            if value:
                mask &= masks.get(value, nothing)
        return mask

    def _best(self, slots: np.ndarray, score: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """The ``limit`` best of ``slots`` by score, ties by entry id."""
        if len(slots) > limit > 0:
            # Keep all that score at least the limit-th best, so that ties go by id.
            cut = len(slots) - limit
            slots = slots[score[slots] >= np.partition(score[slots], cut)[cut]]
        best = sorted(slots.tolist(), key=lambda s: (-score[s], self.ids[s]))[:limit]
        return [(int(self.rowids[s]), -1.0 * float(score[s])) for s in best]

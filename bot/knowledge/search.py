"""Full-text search over the knowledge base: what is indexed, and one ranked FTS5 query.

Each entry has one row in ``entries_fts`` (keyed by the entry's rowid): its title,
keywords and text as jieba words (:func:`bot.knowledge.fts.index_words`), and the single
Chinese characters of its title and keywords. FTS5's bm25, with the title weighted most,
ranks the matches (see the example in :mod:`bot.knowledge.store`).

:class:`~bot.knowledge.store.KnowledgeBase` writes the index and offers these functions
as its ``search`` and ``for_intent`` methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.knowledge import fts
from bot.knowledge.schema import Entry

if TYPE_CHECKING:
    from bot.knowledge.store import KnowledgeBase

#: bm25 weights of the FTS columns: title, keywords, body, chars.
BM25_WEIGHTS = (10.0, 6.0, 1.0, 2.0)
_BM25 = f"bm25(entries_fts, {', '.join(str(w) for w in BM25_WEIGHTS)})"


@dataclass(frozen=True)
class SearchHit:
    entry: Entry
    score: float  # bm25: lower is better


def index_fields(entry: Entry) -> tuple[str, str, str, str]:
    """The text of an entry for the FTS columns title, keywords, body, chars."""
    keywords = " ".join(entry.keywords)
    return (
        fts.index_words(entry.title),
        fts.index_words(keywords),
        fts.index_words(entry.body + "\n" + entry.answer),
        fts.index_chars(entry.title + " " + keywords),
    )


def entry_filters(
    *, category: str | None, status: str | None, intent: str | None, alias: str = ""
) -> tuple[str, list[Any]]:
    """An SQL condition on the ``entries`` table (columns prefixed with ``alias``) and its
    parameters; empty when nothing is filtered."""
    clauses, params = [], []
    if category:
        clauses.append(f"{alias}category = ?")
        params.append(category)
    if status:
        clauses.append(f"{alias}status = ?")
        params.append(status)
    if intent:
        clauses.append(f"EXISTS (SELECT 1 FROM json_each({alias}intents) WHERE value = ?)")
        params.append(intent)
    return " AND ".join(clauses), params


def search(
    kb: KnowledgeBase,
    query: str,
    *,
    category: str | None = None,
    intent: str | None = None,
    include_unpublished: bool = False,
    limit: int = 10,
) -> list[SearchHit]:
    """Published entries matching ``query``, best first. Any text is safe: it is segmented
    and quoted, never parsed as FTS syntax.

    FTS5 ranks the matches, then the filters apply to the best of them; if they leave
    fewer than ``limit``, the query runs again over every match."""
    expression = fts.match_expression(query)
    if expression is None:
        return []
    where, params = entry_filters(
        category=category,
        status=None if include_unpublished else "published",
        intent=intent,
        alias="e.",
    )
    rows: list[tuple] = []
    for cutoff in (max(int(limit) * 5, 50), -1):
        sql = (
            f"SELECT e.*, f.score FROM (SELECT rowid, {_BM25} AS score FROM entries_fts "
            "WHERE entries_fts MATCH ? ORDER BY score LIMIT ?) f "
            "JOIN entries e ON e.rowid = f.rowid"
            + (f" WHERE {where}" if where else "")
            + " ORDER BY f.score, e.id LIMIT ?"
        )
        rows = kb.db.execute(sql, [expression, cutoff, *params, int(limit)]).fetchall()
        if len(rows) >= limit or not where:
            break
    return [SearchHit(kb.entry_from_row(row[:-1]), float(row[-1])) for row in rows]


def for_intent(kb: KnowledgeBase, intent: str, query: str = "", limit: int = 3) -> list[Entry]:
    """Published entries answering ``intent``, those matching ``query`` first."""
    ranked = [h.entry for h in search(kb, query, intent=intent, limit=limit)] if query else []
    if len(ranked) < limit:
        seen = {e.id for e in ranked}
        for entry in kb.list(intent=intent, status="published"):
            if entry.id not in seen:
                ranked.append(entry)
            if len(ranked) >= limit:
                break
    return ranked[:limit]

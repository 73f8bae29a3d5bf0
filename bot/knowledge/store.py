"""The knowledge base: SQLite through sqlite-utils, with versions, an audit log and FTS5.

    >>> from sqlite_utils import Database
    >>> kb = KnowledgeBase(Database(memory=True))
    >>> e = kb.create(example_entry(), by="lin")          # a draft, version 1
    >>> kb.search("现金价值") == []                         # drafts never reach users
    True
    >>> _ = kb.publish(e.id, by="lin")
    >>> [hit.entry.id for hit in kb.search("現金價值")]
    ['example-cash-value']

Tables: ``entries`` (current state), ``entry_versions`` (every version of every entry),
``audit_log`` (who did what, when) and ``entries_fts`` (FTS5 over jieba-segmented text).
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.db import open_database, utc_now
from bot.knowledge import fts
from bot.knowledge.head_index import HeadIndex
from bot.knowledge.schema import Entry, EntryError, Source, hash_document

migrations = Migrations("policyguard.knowledge")

#: Up to this many entries, search is one ranked OR scan over all columns.
SMALL_CORPUS = 2000
#: The short columns searched first in larger knowledge bases.
_HEAD_COLUMNS = "{title keywords chars}"
#: Column weights for bm25: title, keywords, body, chars.
BM25_WEIGHTS = (10.0, 6.0, 1.0, 2.0)
#: The FTS table's ``rank`` (see m002) as an expression.
_BM25 = f"bm25(entries_fts, {', '.join(str(w) for w in BM25_WEIGHTS)})"


@migrations()
def m001_create_tables(db: Database) -> None:
    db["entries"].create(
        {
            "id": str,
            "title": str,
            "category": str,
            "status": str,
            "intents": str,
            "keywords": str,
            "audience": str,
            "reviewed": str,
            "source": str,
            "answer": str,
            "body": str,
            "version": int,
            "content_hash": str,
            "updated_at": str,
            "updated_by": str,
        },
        pk="id",
    )
    db["entries"].create_index(["category"])
    db["entries"].create_index(["status"])
    db["entry_versions"].create(
        {
            "entry_id": str,
            "version": int,
            "data": str,
            "content_hash": str,
            "created_at": str,
            "created_by": str,
            "action": str,
        },
        pk=("entry_id", "version"),
    )
    db["audit_log"].create(
        {
            "id": int,
            "at": str,
            "actor": str,
            "action": str,
            "entry_id": str,
            "version": int,
            "detail": str,
        },
        pk="id",
    )
    db["audit_log"].create_index(["entry_id"])
    db.execute(
        "CREATE VIRTUAL TABLE entries_fts USING fts5("
        "entry_id UNINDEXED, title, keywords, body, chars, tokenize='unicode61')"
    )


@migrations()
def m002_fts_keyed_by_rowid(db: Database) -> None:
    """Key the FTS rows by the entries' rowid (fast joins and deletes) and make the
    weighted bm25 the table's default rank (fast ORDER BY rank)."""
    db.execute(
        "CREATE VIRTUAL TABLE entries_fts_v2 USING fts5("
        "title, keywords, body, chars, tokenize='unicode61')"
    )
    db.execute(
        "INSERT INTO entries_fts_v2 (rowid, title, keywords, body, chars) "
        "SELECT e.rowid, f.title, f.keywords, f.body, f.chars "
        "FROM entries_fts f JOIN entries e ON e.id = f.entry_id"
    )
    db.execute("DROP TABLE entries_fts")
    db.execute("ALTER TABLE entries_fts_v2 RENAME TO entries_fts")
    weights = ", ".join(str(w) for w in BM25_WEIGHTS)
    db.execute(f"INSERT INTO entries_fts (entries_fts, rank) VALUES ('rank', 'bm25({weights})')")


class NotFound(LookupError):
    """No entry (or no such version of it)."""


@dataclass(frozen=True)
class SearchHit:
    entry: Entry
    score: float  # bm25: lower is better


@dataclass(frozen=True)
class Version:
    version: int
    created_at: str
    created_by: str
    action: str
    entry: Entry


@dataclass
class ImportResult:
    added: list[str]
    updated: list[str]
    unchanged: list[str]

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged"
        )


#: Entries written per statement in an import.
IMPORT_BATCH = 500

_ENTRY_COLUMNS = (
    "id",
    "title",
    "category",
    "status",
    "intents",
    "keywords",
    "audience",
    "reviewed",
    "source",
    "answer",
    "body",
    "version",
    "content_hash",
    "updated_at",
    "updated_by",
)
_UPSERT_ENTRY = (
    f"INSERT INTO entries ({', '.join(_ENTRY_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_ENTRY_COLUMNS))}) ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _ENTRY_COLUMNS if c != "id")
)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class _Change:
    """A new version of an entry, ready to be written by ``_write_changes``."""

    entry: Entry
    document: dict[str, Any]  # entry.to_dict()
    content_hash: str
    version: int
    action: str
    detail: dict | None = None
    index_fields: tuple[str, str, str, str] | None = None  # fts_fields(entry), if known

    def entry_row(self, now: str, by: str) -> tuple:
        """Values for ``_ENTRY_COLUMNS``."""
        e, d = self.entry, self.document
        return (
            e.id,
            e.title,
            e.category,
            e.status,
            _json(d["intents"]),
            _json(d["keywords"]),
            _json(d["audience"]),
            e.reviewed,
            _json(d["source"]),
            e.answer,
            e.body,
            self.version,
            self.content_hash,
            now,
            by,
        )

    def version_row(self, now: str, by: str) -> tuple:
        """Values for ``entry_versions``."""
        return (
            self.entry.id,
            self.version,
            _json(self.document),
            self.content_hash,
            now,
            by,
            self.action,
        )

    def fts_row(self) -> tuple[str, str, str, str]:
        """Values for the ``entries_fts`` columns after the rowid."""
        return self.index_fields or fts_fields(self.entry)

    def audit_row(self, now: str, by: str) -> tuple:
        """Values for ``audit_log``."""
        return (now, by, self.action, self.entry.id, self.version, _json(self.detail or {}))


def fts_fields(entry: Entry) -> tuple[str, str, str, str]:
    """The segmented text of an entry for the FTS columns title, keywords, body, chars."""
    keywords = " ".join(entry.keywords)
    return (
        fts.index_words(entry.title),
        fts.index_words(keywords),
        fts.index_words(entry.body + "\n" + entry.answer),
        fts.index_chars(entry.title + " " + keywords),
    )


#: From this many entries on, segmentation runs in one process per core.
PARALLEL_FROM = 400


def segment_many(entries: list[Entry]) -> list[tuple[str, str, str, str]]:
    """:func:`fts_fields` for many entries, on every core when there are many. The
    workers are forked: they inherit the loaded jieba dictionary and what is memoised,
    and each memoises the pieces of text it segments (``fts._piece_words``)."""
    workers = os.cpu_count() or 1
    if len(entries) < PARALLEL_FROM or workers < 2:
        return [fts_fields(e) for e in entries]
    fts.index_words("预热")  # load the dictionary once, before the workers fork
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform
        return [fts_fields(e) for e in entries]
    with context.Pool(workers) as pool:
        return pool.map(fts_fields, entries, chunksize=max(1, len(entries) // (workers * 8)))


def _check_staff(by: str) -> None:
    if not by or not by.strip():
        raise EntryError("by", "a staff member must be named for every change")


class KnowledgeBase:
    """Typed access to the knowledge tables. Create one per thread."""

    def __init__(self, db: Database) -> None:
        self.db = db
        migrations.apply(db)
        self._head: HeadIndex | None = None
        self._head_version: int | None = None  # the last audit record it has seen

    @classmethod
    def open(cls, path: str | Path) -> KnowledgeBase:
        return cls(open_database(path))

    # --- reading -------------------------------------------------------------------------

    def get(self, entry_id: str, *, include_unpublished: bool = True) -> Entry:
        row = self.db.execute("SELECT * FROM entries WHERE id = ?", [entry_id]).fetchone()
        if row is None:
            raise NotFound(f"no entry {entry_id!r}")
        entry = self._row_to_entry(row)
        if not include_unpublished and entry.status != "published":
            raise NotFound(f"entry {entry_id!r} is not published")
        return entry

    def version_of(self, entry_id: str) -> int:
        row = self.db.execute("SELECT version FROM entries WHERE id = ?", [entry_id]).fetchone()
        if row is None:
            raise NotFound(f"no entry {entry_id!r}")
        return row[0]

    def list(
        self, *, category: str | None = None, status: str | None = None, intent: str | None = None
    ) -> list[Entry]:
        where, params = self._filters(category=category, status=status, intent=intent, alias="")
        sql = "SELECT * FROM entries" + (f" WHERE {where}" if where else "") + " ORDER BY id"
        return [self._row_to_entry(r) for r in self.db.execute(sql, params).fetchall()]

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM entries").fetchone()[0]

    def search(
        self,
        query: str,
        *,
        category: str | None = None,
        intent: str | None = None,
        include_unpublished: bool = False,
        limit: int = 10,
    ) -> list[SearchHit]:
        """Published entries matching ``query``, best first (bm25 over title, keywords,
        body). Any text is safe: it is segmented and quoted, never parsed as FTS syntax.

        Above :data:`SMALL_CORPUS` entries the search runs in fielded passes (below); the
        passes over the title and keywords are ranked by the in-memory
        :class:`~bot.knowledge.head_index.HeadIndex`, with FTS5's exact scores."""
        where, params = self._filters(
            category=category,
            status=None if include_unpublished else "published",
            intent=intent,
            alias="e.",
        )
        # Fielded search, most precise first: every word in the title or keywords, every
        # word anywhere, any word in the title or keywords, any word anywhere. Later
        # passes only run while fewer than `limit` entries are found, which keeps common
        # words from forcing a ranked scan of the whole corpus.
        largest = self.db.execute("SELECT max(rowid) FROM entries").fetchone()[0] or 0
        if largest <= SMALL_CORPUS:  # one ranked scan of everything is cheapest
            loose = fts.match_expression(query, "OR")
            return self._ranked(loose, where, params, limit) if loose else []
        terms = fts.query_terms(query)
        if not terms:
            return []
        filters = {
            "status": None if include_unpublished else "published",
            "category": category,
            "intent": intent,
        }
        hits: list[SearchHit] = []
        seen: set[str] = set()
        tried: set[str] = set()
        for operator in ("AND", "OR"):
            expression = fts.join_terms(terms, operator)
            for scope in (_HEAD_COLUMNS, None):
                scoped = f"{scope} : ({expression})" if scope else expression
                if scoped in tried:
                    continue
                tried.add(scoped)
                found = self._head_ranked(terms, operator, filters, limit) if scope else None
                if found is None:
                    found = self._ranked(scoped, where, params, limit)
                for hit in found:
                    if hit.entry.id not in seen:
                        seen.add(hit.entry.id)
                        hits.append(hit)
                if len(hits) >= limit:
                    return hits[:limit]
        return hits

    def _head_ranked(
        self, terms: list[str], operator: str, filters: dict[str, str | None], limit: int
    ) -> list[SearchHit] | None:
        """The head-columns pass from the in-memory :class:`HeadIndex`: the same hits as
        FTS5's ``{title keywords chars} : (...)`` ranked scan, without scoring every
        matching row in SQLite. ``None`` when it cannot answer exactly (unusual words,
        an open transaction); the caller then asks FTS5."""
        index = self._head_index()
        if index is None or not index.can_rank(terms):
            return None
        ranked = index.ranked(terms, operator, limit=int(limit), **filters)
        if not ranked:
            return []
        rows = {
            row[0]: row[1:]
            for row in self.db.execute(
                "SELECT rowid, * FROM entries WHERE rowid IN (SELECT value FROM json_each(?))",
                [json.dumps([rowid for rowid, _rank in ranked])],
            )
        }
        return [
            SearchHit(self._row_to_entry(rows[rowid]), rank)
            for rowid, rank in ranked
            if rowid in rows
        ]

    def _head_index(self) -> HeadIndex | None:
        """The in-memory head index, rebuilt when the audit log has grown since: every
        change, through any connection, adds a record, while other writes to the
        database (conversation statistics) leave the index alone. ``None`` inside a
        transaction, which may still roll back."""
        if self.db.conn.in_transaction:
            return None
        version = self.db.execute("SELECT max(id) FROM audit_log").fetchone()[0]
        if self._head is None or self._head_version != version:
            self._head = HeadIndex.load(self.db, BM25_WEIGHTS)
            self._head_version = version
        return self._head

    def _ranked(
        self, expression: str, where: str, params: list[Any], limit: int
    ) -> list[SearchHit]:
        """Best matches from FTS5's ranked scan, then the filters. If the filters leave
        too few, the scan is repeated without a cut-off.

        The score is the ``rank`` (:data:`BM25_WEIGHTS`) called as ``bm25()``: the same
        numbers, but sorted by SQLite's own sorter, while ``ORDER BY rank`` makes FTS5
        prepare and run a nested statement for every query (a third slower)."""
        prefetch = max(int(limit) * 5, 50)
        rows: list[tuple] = []
        for cutoff in (prefetch, -1):
            sql = (
                f"SELECT e.*, f.score FROM (SELECT rowid, {_BM25} AS score FROM entries_fts "
                "WHERE entries_fts MATCH ? ORDER BY score LIMIT ?) f "
                "JOIN entries e ON e.rowid = f.rowid"
                + (f" WHERE {where}" if where else "")
                + " ORDER BY f.score, e.id LIMIT ?"
            )
            rows = self.db.execute(sql, [expression, cutoff, *params, int(limit)]).fetchall()
            if len(rows) >= limit or cutoff == -1 or not where:
                break
        return [SearchHit(self._row_to_entry(r[:-1]), float(r[-1])) for r in rows]

    def for_intent(self, intent: str, query: str = "", limit: int = 3) -> list[Entry]:
        """Published entries answering ``intent``, those matching ``query`` first."""
        ranked = [h.entry for h in self.search(query, intent=intent, limit=limit)] if query else []
        if len(ranked) < limit:
            seen = {e.id for e in ranked}
            for entry in self.list(intent=intent, status="published"):
                if entry.id not in seen:
                    ranked.append(entry)
                if len(ranked) >= limit:
                    break
        return ranked[:limit]

    def history(self, entry_id: str) -> list[Version]:
        rows = self.db.execute(
            "SELECT version, created_at, created_by, action, data FROM entry_versions "
            "WHERE entry_id = ? ORDER BY version",
            [entry_id],
        ).fetchall()
        if not rows:
            raise NotFound(f"no entry {entry_id!r}")
        return [
            Version(v, at, by, action, Entry.from_dict(json.loads(d)))
            for v, at, by, action, d in rows
        ]

    def audit(self, entry_id: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT * FROM audit_log" + (" WHERE entry_id = ?" if entry_id else "") + " ORDER BY id"
        )
        return list(self.db.query(sql, [entry_id] if entry_id else []))

    # --- writing -------------------------------------------------------------------------

    def create(self, entry: Entry, *, by: str) -> Entry:
        """Add a new entry (version 1). Raises ``ValueError`` if the id exists."""
        with self.db.atomic():
            if self._exists(entry.id):
                raise ValueError(f"entry {entry.id!r} already exists")
            self._write(entry, version=1, by=by, action="create")
        return entry

    def update(self, entry: Entry, *, by: str) -> Entry:
        """Store a changed entry as a new version (no-op if nothing changed)."""
        with self.db.atomic():
            current = self.get(entry.id)
            if current.content_hash() == entry.content_hash():
                return current
            self._write(entry, version=self.version_of(entry.id) + 1, by=by, action="update")
        return entry

    def publish(self, entry_id: str, *, by: str) -> Entry:
        return self._set_status(entry_id, "published", by=by)

    def archive(self, entry_id: str, *, by: str) -> Entry:
        return self._set_status(entry_id, "archived", by=by)

    def rollback(self, entry_id: str, version: int, *, by: str) -> Entry:
        """Make the content of ``version`` current again, as a new version. The status
        stays as it is now: rolling back a published entry's text keeps it published."""
        with self.db.atomic():
            row = self.db.execute(
                "SELECT data FROM entry_versions WHERE entry_id = ? AND version = ?",
                [entry_id, version],
            ).fetchone()
            if row is None:
                raise NotFound(f"entry {entry_id!r} has no version {version}")
            current = self.get(entry_id)
            entry = Entry.from_dict({**json.loads(row[0]), "status": current.status})
            new_version = self.version_of(entry_id) + 1
            self._write(
                entry, version=new_version, by=by, action="rollback", detail={"to_version": version}
            )
        return entry

    def import_entries(
        self,
        entries: Iterable[Entry],
        *,
        by: str,
        progress: Callable[[Entry], None] | None = None,
    ) -> ImportResult:
        """Add or update many entries in one transaction (all or nothing).

        Changed entries are segmented together (on every core when there are many) and
        written :data:`IMPORT_BATCH` at a time with one statement per table; ``progress``
        is called for each entry once its batch is written."""
        result = ImportResult([], [], [])
        entries = list(entries)
        with self.db.atomic():
            known = {
                row[0]: (row[1], row[2])
                for row in self.db.execute("SELECT id, version, content_hash FROM entries")
            }
            documents = [e.to_dict() for e in entries]
            hashes = [hash_document(d) for d in documents]
            changed = [
                (e, h)
                for e, h in zip(entries, hashes, strict=True)
                if known.get(e.id, (0, None))[1] != h
            ]
            if changed:
                _check_staff(by)  # before segmenting, which takes seconds
            # By id and content hash: an id listed twice may come with two contents.
            segmented = segment_many([e for e, _h in changed])
            fields = {(e.id, h): f for (e, h), f in zip(changed, segmented, strict=True)}
            batch: dict[str, _Change] = {}  # by entry id
            done: list[Entry] = []
            for entry, document, content_hash in zip(entries, documents, hashes, strict=True):
                version, old_hash = known.get(entry.id, (0, None))
                if old_hash == content_hash:
                    result.unchanged.append(entry.id)
                else:
                    if entry.id in batch:  # the same id twice: its versions in order
                        self._flush(batch, done, by=by, progress=progress)
                    batch[entry.id] = _Change(
                        entry,
                        document,
                        content_hash,
                        version + 1,
                        "import",
                        index_fields=fields.get((entry.id, content_hash)),
                    )
                    (result.updated if version else result.added).append(entry.id)
                    known[entry.id] = (version + 1, content_hash)
                done.append(entry)
                if len(batch) >= IMPORT_BATCH:
                    self._flush(batch, done, by=by, progress=progress)
            self._flush(batch, done, by=by, progress=progress)
        return result

    def _flush(
        self,
        batch: dict[str, _Change],
        done: list[Entry],
        *,
        by: str,
        progress: Callable[[Entry], None] | None,
    ) -> None:
        """Write ``batch``, report ``done`` to ``progress``, and empty both."""
        self._write_changes(list(batch.values()), by=by)
        if progress:
            for entry in done:
                progress(entry)
        batch.clear()
        done.clear()

    # --- internals -----------------------------------------------------------------------

    def _set_status(self, entry_id: str, status: str, *, by: str) -> Entry:
        with self.db.atomic():
            current = self.get(entry_id)
            if current.status == status:
                return current
            entry = current.with_changes(status=status)
            action = {"published": "publish", "archived": "archive"}.get(status, "update")
            self._write(entry, version=self.version_of(entry_id) + 1, by=by, action=action)
        return entry

    def _exists(self, entry_id: str) -> bool:
        return (
            self.db.execute("SELECT 1 FROM entries WHERE id = ?", [entry_id]).fetchone() is not None
        )

    def _write(
        self,
        entry: Entry,
        *,
        version: int,
        by: str,
        action: str,
        detail: dict | None = None,
    ) -> None:
        """Write one new version of ``entry`` (see :meth:`_write_changes`)."""
        document = entry.to_dict()
        change = _Change(entry, document, hash_document(document), version, action, detail)
        self._write_changes([change], by=by)

    def _write_changes(self, changes: list[_Change], *, by: str) -> None:
        """Write the current rows, the versions, the FTS rows and the audit records, one
        statement per table. Callers hold a transaction (``db.atomic()``); an entry id
        appears at most once in ``changes``."""
        if not changes:
            return
        _check_staff(by)
        now = utc_now()
        conn = self.db.conn
        # Plain prepared statements: sqlite-utils' per-call table introspection costs
        # more than the writes themselves in a large import.
        conn.executemany(_UPSERT_ENTRY, [c.entry_row(now, by) for c in changes])
        conn.executemany(
            "INSERT INTO entry_versions (entry_id, version, data, content_hash, created_at, "
            "created_by, action) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [c.version_row(now, by) for c in changes],
        )
        ids = json.dumps([c.entry.id for c in changes])
        rowids = dict(
            self.db.execute(
                "SELECT e.id, e.rowid FROM json_each(?) j JOIN entries e ON e.id = j.value",
                [ids],
            ).fetchall()
        )
        conn.executemany(
            "DELETE FROM entries_fts WHERE rowid = ?", [(rowids[c.entry.id],) for c in changes]
        )
        conn.executemany(
            "INSERT INTO entries_fts (rowid, title, keywords, body, chars) VALUES (?, ?, ?, ?, ?)",
            [(rowids[c.entry.id], *c.fts_row()) for c in changes],
        )
        conn.executemany(
            "INSERT INTO audit_log (at, actor, action, entry_id, version, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [c.audit_row(now, by) for c in changes],
        )

    @staticmethod
    def _filters(
        *, category: str | None, status: str | None, intent: str | None, alias: str
    ) -> tuple[str, list[Any]]:
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

    @staticmethod
    def _row_to_entry(row: tuple) -> Entry:
        """The entry of an ``entries`` row. Rows are only ever written from checked
        entries (:meth:`Entry.from_dict`), so they are not checked again: that took
        three quarters of the time of turning ten search hits into entries."""
        (
            entry_id,
            title,
            category,
            status,
            intents,
            keywords,
            audience,
            reviewed,
            source,
            answer,
            body,
            *_rest,
        ) = row
        return Entry(
            id=entry_id,
            title=title,
            category=category,
            intents=tuple(json.loads(intents)),
            keywords=tuple(json.loads(keywords)),
            audience=tuple(json.loads(audience)),
            status=status,
            reviewed=reviewed,
            source=Source(**json.loads(source)),
            answer=answer,
            body=body,
        )


def example_entry(**changes: Any) -> Entry:
    """A small valid draft entry, for examples and tests."""
    data = {
        "id": "example-cash-value",
        "title": "什么是现金价值",
        "category": "surrender",
        "intents": ["ask_surrender_value"],
        "keywords": ["现金价值", "退保"],
        "audience": ["all"],
        "status": "draft",
        "reviewed": "2026-11-22",
        "source": {"title": "保险法", "publisher": "全国人大常委会", "date": "2015"},
        "answer": "退保时退还的是保单的现金价值，以您的保险合同条款为准。",
        "body": "现金价值是保单在某一时点的价值。前几年通常低于已交保费。",
    }
    data.update(changes)
    return Entry.from_dict(data)

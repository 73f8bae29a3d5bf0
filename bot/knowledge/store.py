"""The knowledge base: SQLite through sqlite-utils, with versions, an audit log and FTS5.

    >>> from sqlite_utils import Database
    >>> kb = KnowledgeBase(Database(memory=True))
    >>> e = kb.create(Entry.from_dict({
    ...     "id": "cash-value", "title": "什么是现金价值", "category": "surrender",
    ...     "intents": ["ask_surrender_value"], "keywords": ["现金价值", "退保"],
    ...     "audience": ["all"], "status": "draft", "reviewed": "2026-11-22",
    ...     "source": {"title": "保险法", "publisher": "全国人大常委会", "date": "2015"},
    ...     "answer": "退保时退还的是保单的现金价值。", "body": "现金价值是保单的价值。"}),
    ...     by="lin")                                       # a draft, version 1
    >>> kb.search("现金价值") == []                         # drafts never reach users
    True
    >>> _ = kb.publish(e.id, by="lin")
    >>> [hit.entry.id for hit in kb.search("現金價值")]
    ['cash-value']
    >>> kb.update(e.with_changes(title="现金价值是什么"), by="wang", expected_version=1)
    Traceback (most recent call last):
    ...
    bot.knowledge.store.VersionConflict: cash-value is at version 2, not 1

Tables: ``entries`` (current state), ``entry_versions`` (every version of every entry),
``audit_log`` (who did what, when) and ``entries_fts`` (the search index, see
:mod:`bot.knowledge.search`). Every change is written in one transaction that takes
SQLite's write lock first, so what it reads (the current version) stays current.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.db import open_database, utc_now
from bot.knowledge import search
from bot.knowledge.schema import Entry, EntryError, Source, hash_document
from bot.knowledge.search import BM25_WEIGHTS, SearchHit, entry_filters, index_fields

migrations = Migrations("policyguard.knowledge")


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
    """Key the FTS rows by the entries' rowid and make the weighted bm25 the table's
    default rank."""
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


class VersionConflict(ValueError):
    """The entry was saved by someone else since the caller read it."""

    def __init__(self, entry_id: str, current: int, expected: int) -> None:
        self.current = current
        super().__init__(f"{entry_id} is at version {current}, not {expected}")


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
    + " RETURNING rowid"
)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class KnowledgeBase:
    """Typed access to the knowledge tables. Create one per thread."""

    def __init__(self, db: Database) -> None:
        self.db = db
        migrations.apply(db)

    @classmethod
    def open(cls, path: str | Path) -> KnowledgeBase:
        return cls(open_database(path))

    # --- reading -------------------------------------------------------------------------

    def get(self, entry_id: str, *, include_unpublished: bool = True) -> Entry:
        row = self.db.execute("SELECT * FROM entries WHERE id = ?", [entry_id]).fetchone()
        if row is None:
            raise NotFound(f"no entry {entry_id!r}")
        entry = self.entry_from_row(row)
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
        where, params = entry_filters(category=category, status=status, intent=intent)
        sql = "SELECT * FROM entries" + (f" WHERE {where}" if where else "") + " ORDER BY id"
        return [self.entry_from_row(r) for r in self.db.execute(sql, params).fetchall()]

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
        """Published entries matching ``query``, best first (:func:`.search.search`)."""
        return search.search(
            self,
            query,
            category=category,
            intent=intent,
            include_unpublished=include_unpublished,
            limit=limit,
        )

    def for_intent(self, intent: str, query: str = "", limit: int = 3) -> list[Entry]:
        """Published entries answering ``intent``, those matching ``query`` first."""
        return search.for_intent(self, intent, query, limit)

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
        with self._writing():
            if self._exists(entry.id):
                raise ValueError(f"entry {entry.id!r} already exists")
            self._write(entry, version=1, by=by, action="create")
        return entry

    def update(self, entry: Entry, *, by: str, expected_version: int | None = None) -> Entry:
        """Store a changed entry as a new version (no-op if nothing changed).

        With ``expected_version`` (the version the change was made on), raises
        :class:`VersionConflict` instead if the entry has another version by now."""
        with self._writing():
            current = self.get(entry.id)
            version = self.version_of(entry.id)
            if expected_version is not None and version != expected_version:
                raise VersionConflict(entry.id, version, expected_version)
            if current.content_hash() == entry.content_hash():
                return current
            self._write(entry, version=version + 1, by=by, action="update")
        return entry

    def publish(self, entry_id: str, *, by: str) -> Entry:
        return self._set_status(entry_id, "published", by=by)

    def archive(self, entry_id: str, *, by: str) -> Entry:
        return self._set_status(entry_id, "archived", by=by)

    def rollback(self, entry_id: str, version: int, *, by: str) -> Entry:
        """Make the content of ``version`` current again, as a new version. The status
        stays as it is now: rolling back a published entry's text keeps it published."""
        with self._writing():
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
        """Add or update many entries in one transaction (all or nothing); ``progress``
        is called after each entry. An id listed twice gets two versions, in order."""
        result = ImportResult([], [], [])
        with self._writing():
            known = {
                row[0]: (row[1], row[2])
                for row in self.db.execute("SELECT id, version, content_hash FROM entries")
            }
            for entry in entries:
                version, old_hash = known.get(entry.id, (0, None))
                content_hash = entry.content_hash()
                if old_hash == content_hash:
                    result.unchanged.append(entry.id)
                else:
                    self._write(entry, version=version + 1, by=by, action="import")
                    (result.updated if version else result.added).append(entry.id)
                    known[entry.id] = (version + 1, content_hash)
                if progress:
                    progress(entry)
        return result

    # --- internals -----------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One transaction that takes the write lock at once (``BEGIN IMMEDIATE``): another
        connection cannot change what it reads before it commits. Inside a transaction
        the caller opened, a savepoint."""
        if self.db.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.conn.rollback()
            raise
        self.db.conn.commit()

    def _set_status(self, entry_id: str, status: str, *, by: str) -> Entry:
        with self._writing():
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
        """Write one new version of ``entry``: the current row, the version, the FTS row
        and the audit record. Callers hold a transaction (:meth:`_writing`)."""
        if not by or not by.strip():
            raise EntryError("by", "a staff member must be named for every change")
        now = utc_now()
        document = entry.to_dict()
        content_hash = hash_document(document)
        # Plain prepared statements: sqlite-utils looks up the table's columns on every
        # call, which costs more than the write itself.
        rowid = self.db.execute(
            _UPSERT_ENTRY,
            [
                entry.id,
                entry.title,
                entry.category,
                entry.status,
                _json(document["intents"]),
                _json(document["keywords"]),
                _json(document["audience"]),
                entry.reviewed,
                _json(document["source"]),
                entry.answer,
                entry.body,
                version,
                content_hash,
                now,
                by,
            ],
        ).fetchone()[0]
        self.db.execute(
            "INSERT INTO entry_versions (entry_id, version, data, content_hash, created_at, "
            "created_by, action) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [entry.id, version, _json(document), content_hash, now, by, action],
        )
        self.db.execute("DELETE FROM entries_fts WHERE rowid = ?", [rowid])
        self.db.execute(
            "INSERT INTO entries_fts (rowid, title, keywords, body, chars) VALUES (?, ?, ?, ?, ?)",
            [rowid, *index_fields(entry)],
        )
        self.db.execute(
            "INSERT INTO audit_log (at, actor, action, entry_id, version, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [now, by, action, entry.id, version, _json(detail or {})],
        )

    @staticmethod
    def entry_from_row(row: tuple) -> Entry:
        """The entry of an ``entries`` row. Rows are only ever written from checked
        entries, so they are not checked again."""
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

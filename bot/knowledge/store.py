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
    >>> _ = kb.publish(e.id, by="wang", second_person=True)  # lin wrote it, wang approves
    >>> [hit.entry.id for hit in kb.search("現金價值")]
    ['cash-value']
    >>> _ = kb.update(e.with_changes(title="现金价值是什么"), by="lin", expected_version=2)
    >>> kb.get(e.id).title, kb.latest(e.id).status     # a draft of version 3; 2 stays live
    ('什么是现金价值', 'draft')
    >>> kb.publish(e.id, by="lin", second_person=True)
    Traceback (most recent call last):
    ...
    bot.knowledge.store.SelfApproval: cash-value: lin wrote the change and cannot approve it
    >>> kb.update(e.with_changes(title="现金价值"), by="wang", expected_version=2)
    Traceback (most recent call last):
    ...
    bot.knowledge.store.VersionConflict: cash-value is at version 3, not 2

Tables: ``entries`` (what the bot serves: the live version of each entry), ``entry_versions``
(every version of every entry), ``audit_log`` (who did what, when) and ``entries_fts`` (the
search index, see :mod:`bot.knowledge.search`); see :mod:`bot.knowledge.tables`.

While an entry is published, only :meth:`~KnowledgeBase.publish` and
:meth:`~KnowledgeBase.archive` change what the bot serves: an edit or a rollback adds a
*draft* version after the live one, which goes live when it is published (消保审查: with
``second_person``, by someone who did not write it). Every change is written in one
transaction that takes SQLite's write lock first, so what it reads stays current.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from bot.db import open_database, utc_now
from bot.knowledge import search
from bot.knowledge.schema import Entry, EntryError, hash_document
from bot.knowledge.search import SearchHit, entry_filters, index_fields
from bot.knowledge.tables import UPSERT_ENTRY, entry_from_row, migrations


class NotFound(LookupError):
    """No entry (or no such version of it)."""


class VersionConflict(ValueError):
    """The entry was saved by someone else since the caller read it."""

    def __init__(self, entry_id: str, current: int, expected: int) -> None:
        self.current = current
        super().__init__(f"{entry_id} is at version {current}, not {expected}")


class SelfApproval(PermissionError):
    """Publishing needs a second person, and this one wrote part of the change."""

    def __init__(self, entry_id: str, by: str) -> None:
        super().__init__(f"{entry_id}: {by} wrote the change and cannot approve it")


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
        """The entry as the bot serves it (when published): its live version."""
        row = self.db.execute("SELECT * FROM entries WHERE id = ?", [entry_id]).fetchone()
        if row is None:
            raise NotFound(f"no entry {entry_id!r}")
        entry = self.entry_from_row(row)
        if not include_unpublished and entry.status != "published":
            raise NotFound(f"entry {entry_id!r} is not published")
        return entry

    def live_version(self, entry_id: str) -> int:
        """The number of the version in ``entries`` (what :meth:`get` returns)."""
        row = self.db.execute("SELECT version FROM entries WHERE id = ?", [entry_id]).fetchone()
        if row is None:
            raise NotFound(f"no entry {entry_id!r}")
        return row[0]

    def version_of(self, entry_id: str) -> int:
        """The number of the newest version (a draft waiting to be published, or the live
        one): the version an edit is made on."""
        row = self.db.execute(
            "SELECT max(version) FROM entry_versions WHERE entry_id = ?", [entry_id]
        ).fetchone()
        if row[0] is None:
            raise NotFound(f"no entry {entry_id!r}")
        return row[0]

    def latest(self, entry_id: str) -> Entry:
        """The newest version: what the editor edits and a publish makes live."""
        row = self.db.execute(
            "SELECT data FROM entry_versions WHERE entry_id = ? ORDER BY version DESC LIMIT 1",
            [entry_id],
        ).fetchone()
        if row is None:
            raise NotFound(f"no entry {entry_id!r}")
        return Entry.from_dict(json.loads(row[0]))

    def authors(self, entry_id: str) -> set[str]:
        """Who wrote the versions since the last published one: the people who may not
        approve it when a second person must."""
        rows = self.db.execute(
            "SELECT version, created_by, json_extract(data, '$.status') FROM entry_versions "
            "WHERE entry_id = ? ORDER BY version",
            [entry_id],
        ).fetchall()
        published = max((v for v, _, status in rows if status == "published"), default=0)
        return {by for v, by, _ in rows if v > published}

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
        """Store a changed entry as a new version (no-op if nothing changed). A change to a
        published entry is a draft version: the bot keeps serving the live one until it is
        published.

        With ``expected_version`` (the version the change was made on), raises
        :class:`VersionConflict` instead if the entry has another version by now."""
        with self._writing():
            version = self.version_of(entry.id)
            if expected_version is not None and version != expected_version:
                raise VersionConflict(entry.id, version, expected_version)
            latest = self.latest(entry.id)
            if self._is_live(entry.id):
                entry = entry.with_changes(status="draft")
            if entry.with_changes(status=latest.status).content_hash() == latest.content_hash():
                return latest
            self._write(entry, version=version + 1, by=by, action="update")
        return entry

    def publish(
        self,
        entry_id: str,
        *,
        by: str,
        second_person: bool = False,
        expected_version: int | None = None,
    ) -> Entry:
        """Make the newest version live. With ``second_person``, refused
        (:class:`SelfApproval`) to anyone who wrote a version since the last published one;
        with ``expected_version`` (the version the approver read), :class:`VersionConflict`
        if there is a newer one. The audit record names the authors and the version approved."""
        with self._writing():
            latest, version = self.latest(entry_id), self.version_of(entry_id)
            if expected_version is not None and version != expected_version:
                raise VersionConflict(entry_id, version, expected_version)
            if latest.status == "published":
                return latest
            authors = self.authors(entry_id)
            if second_person and by in authors:
                raise SelfApproval(entry_id, by)
            detail = {"approves": version, "authors": sorted(authors)}
            entry = latest.with_changes(status="published")
            self._write(entry, version=version + 1, by=by, action="publish", detail=detail)
        return entry

    def archive(self, entry_id: str, *, by: str) -> Entry:
        """Withdraw the entry from the bot (a draft waiting on it is archived with it)."""
        with self._writing():
            latest = self.latest(entry_id)
            if latest.status == "archived":
                return latest
            entry = latest.with_changes(status="archived")
            self._write(entry, version=self.version_of(entry_id) + 1, by=by, action="archive")
        return entry

    def rollback(self, entry_id: str, version: int, *, by: str) -> Entry:
        """Make the content of ``version`` current again, as a new version. For a published
        entry it is a draft to publish, like any change; otherwise the status stays."""
        with self._writing():
            row = self.db.execute(
                "SELECT data FROM entry_versions WHERE entry_id = ? AND version = ?",
                [entry_id, version],
            ).fetchone()
            if row is None:
                raise NotFound(f"entry {entry_id!r} has no version {version}")
            status = "draft" if self._is_live(entry_id) else self.latest(entry_id).status
            entry = Entry.from_dict({**json.loads(row[0]), "status": status})
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
                for row in self.db.execute(
                    "SELECT entry_id, max(version), content_hash FROM entry_versions "
                    "GROUP BY entry_id"
                )
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

    def _is_live(self, entry_id: str) -> bool:
        """Whether the bot serves this entry now (its ``entries`` row is published)."""
        row = self.db.execute("SELECT status FROM entries WHERE id = ?", [entry_id]).fetchone()
        return row is not None and row[0] == "published"

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
        """Write one new version of ``entry`` and its audit record; and, unless it is a draft
        of a published entry, the ``entries`` row and its FTS row. Callers hold a
        transaction (:meth:`_writing`)."""
        if not by or not by.strip():
            raise EntryError("by", "a staff member must be named for every change")
        now = utc_now()
        document = entry.to_dict()
        content_hash = hash_document(document)
        self.db.execute(
            "INSERT INTO entry_versions (entry_id, version, data, content_hash, created_at, "
            "created_by, action) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [entry.id, version, _json(document), content_hash, now, by, action],
        )
        self.db.execute(
            "INSERT INTO audit_log (at, actor, action, entry_id, version, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [now, by, action, entry.id, version, _json(detail or {})],
        )
        if entry.status == "draft" and self._is_live(entry.id):
            return
        # Plain prepared statements: sqlite-utils looks up the table's columns on every
        # call, which costs more than the write itself.
        rowid = self.db.execute(
            UPSERT_ENTRY,
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
        self.db.execute("DELETE FROM entries_fts WHERE rowid = ?", [rowid])
        self.db.execute(
            "INSERT INTO entries_fts (rowid, title, keywords, body, chars) VALUES (?, ?, ?, ?, ?)",
            [rowid, *index_fields(entry)],
        )

    entry_from_row = staticmethod(entry_from_row)

"""The knowledge base's tables: their migrations, the ``entries`` row (the entry the bot
serves) and how a row becomes an :class:`~bot.knowledge.schema.Entry`."""

from __future__ import annotations

import json

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.knowledge.schema import Entry, Source
from bot.knowledge.search import BM25_WEIGHTS

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


ENTRY_COLUMNS = (
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
UPSERT_ENTRY = (
    f"INSERT INTO entries ({', '.join(ENTRY_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(ENTRY_COLUMNS))}) ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in ENTRY_COLUMNS if c != "id")
    + " RETURNING rowid"
)


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

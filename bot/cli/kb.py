"""``python -m bot kb …``: the staff command line for the knowledge base.

Every change is recorded in the audit log under ``--by`` (default: the login name).
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from bot.cli.options import db_option
from bot.knowledge.files import dump_entry, load_directory, parse_entry, write_directory
from bot.knowledge.schema import CATEGORIES, KNOWLEDGE_INTENTS, EntryError
from bot.knowledge.store import KnowledgeBase, NotFound, SelfApproval
from bot.settings import Settings


def _knowledge_dir() -> Path:
    """The curated entries: ``POLICYGUARD_KNOWLEDGE``, by default ``knowledge/``."""
    return Settings.from_env().knowledge_dir


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


by_option = click.option(
    "--by", default=_login_name, show_default="login name", help="Staff member making the change."
)


directory_argument = click.argument(
    "directory",
    required=False,
    type=click.Path(file_okay=False, path_type=Path),
    default=_knowledge_dir,
)


def _open(db_path: Path) -> KnowledgeBase:
    return KnowledgeBase.open(db_path)


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc).strip("'\""))


@click.group()
def kb() -> None:
    """Manage the knowledge base of risk warnings."""


@kb.command("import")
@directory_argument
@db_option
@by_option
def import_(directory: Path, db_path: Path, by: str) -> None:
    """Load YAML entries from DIRECTORY (default knowledge/) into the database.

    All or nothing: one invalid file is reported with its field and nothing is written.
    """
    try:
        entries = load_directory(directory)
    except (EntryError, FileNotFoundError) as exc:
        raise _fail(exc) from None
    kb = _open(db_path)
    with click.progressbar(
        length=len(entries), label="Importing", show_pos=True, file=sys.stderr
    ) as bar:
        result = kb.import_entries(entries, by=by, progress=lambda _: bar.update(1))
    click.echo(f"{result.summary()} ({db_path})")


@kb.command()
@directory_argument
@db_option
def export(directory: Path, db_path: Path) -> None:
    """Write every entry to DIRECTORY/<category>/<id>.yml (default knowledge/)."""
    paths = write_directory(_open(db_path).list(), directory)
    click.echo(f"{len(paths)} entries written to {directory}")


@kb.command()
@db_option
@by_option
def build(db_path: Path, by: str) -> None:
    """Create the database from knowledge/ if it has no entries yet; never overwrites."""
    kb = _open(db_path)
    if kb.count():
        click.echo(f"Knowledge base ready: {kb.count()} entries in {db_path} (left as is).")
        return
    try:
        entries = load_directory(_knowledge_dir())
    except (EntryError, FileNotFoundError) as exc:
        raise _fail(exc) from None
    result = kb.import_entries(entries, by=by)
    click.echo(f"Knowledge base built: {result.summary()} ({db_path}).")


@kb.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
@by_option
def add(file: Path, db_path: Path, by: str) -> None:
    """Add a new entry from a YAML FILE (its status decides whether users see it)."""
    try:
        entry = parse_entry(file.read_text(encoding="utf-8"), str(file))
        _open(db_path).create(entry, by=by)
    except (EntryError, ValueError) as exc:
        raise _fail(exc) from None
    click.echo(f"Added {entry.id} ({entry.status}, version 1).")


@kb.command()
@click.argument("entry_id")
@click.option(
    "--file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Take the new version from this YAML file instead of opening $EDITOR.",
)
@db_option
@by_option
def edit(entry_id: str, file: Path | None, db_path: Path, by: str) -> None:
    """Change an entry (opens $EDITOR on its newest version); saves a new version, a draft
    while the entry is published (``kb publish`` makes it live)."""
    kb = _open(db_path)
    try:
        current = kb.latest(entry_id)
        if file is not None:
            text = file.read_text(encoding="utf-8")
        else:
            text = click.edit(dump_entry(current), extension=".yml")
            if text is None:
                click.echo("No changes.")
                return
        entry = parse_entry(text, f"{entry_id}.yml")
        if entry.id != entry_id:
            raise EntryError("id", f"cannot change the id of {entry_id!r}")
        saved = kb.update(entry, by=by)
    except (EntryError, NotFound) as exc:
        raise _fail(exc) from None
    click.echo(f"Saved {saved.id} as version {kb.version_of(saved.id)}{_draft_note(kb, entry_id)}.")


def _draft_note(kb: KnowledgeBase, entry_id: str) -> str:
    """What a saved change is while the entry's live version is another one."""
    live = kb.get(entry_id)
    if live.status == "published" and kb.live_version(entry_id) != kb.version_of(entry_id):
        return f" (a draft: users get version {kb.live_version(entry_id)} until kb publish)"
    return ""


@kb.command()
@click.argument("entry_id")
@db_option
@by_option
def publish(entry_id: str, db_path: Path, by: str) -> None:
    """Make an entry's newest version visible to users. With KB_REQUIRE_APPROVAL on (the
    default), --by must name someone who wrote none of the change."""
    _set_status(entry_id, db_path, by, "publish")


@kb.command()
@click.argument("entry_id")
@db_option
@by_option
def archive(entry_id: str, db_path: Path, by: str) -> None:
    """Withdraw an entry from users (kept with its history)."""
    _set_status(entry_id, db_path, by, "archive")


def _set_status(entry_id: str, db_path: Path, by: str, action: str) -> None:
    kb = _open(db_path)
    extra = (
        {"second_person": Settings.from_env().kb_require_approval} if action == "publish" else {}
    )
    try:
        entry = getattr(kb, action)(entry_id, by=by, **extra)
    except (NotFound, SelfApproval) as exc:
        raise _fail(exc) from None
    click.echo(f"{entry.id} is {entry.status} (version {kb.version_of(entry_id)}).")


@kb.command()
@click.argument("entry_id")
@db_option
def history(entry_id: str, db_path: Path) -> None:
    """List the versions of an entry."""
    try:
        versions = _open(db_path).history(entry_id)
    except NotFound as exc:
        raise _fail(exc) from None
    for v in versions:
        click.echo(
            f"v{v.version}  {v.created_at}  {v.created_by:<12} {v.action:<9} "
            f"{v.entry.status:<9} {v.entry.title}"
        )


@kb.command()
@click.argument("entry_id")
@click.argument("version", type=int)
@db_option
@by_option
def rollback(entry_id: str, version: int, db_path: Path, by: str) -> None:
    """Restore VERSION of an entry (saved as a new version)."""
    kb = _open(db_path)
    try:
        kb.rollback(entry_id, version, by=by)
    except NotFound as exc:
        raise _fail(exc) from None
    click.echo(
        f"{entry_id}: version {version} restored as version {kb.version_of(entry_id)}"
        f"{_draft_note(kb, entry_id)}."
    )


@kb.command()
@click.argument("query")
@click.option("--category", type=click.Choice(sorted(CATEGORIES)), help="Only this category.")
@click.option(
    "--intent", type=click.Choice(KNOWLEDGE_INTENTS), help="Only entries for this intent."
)
@click.option("--all", "include_all", is_flag=True, help="Include drafts and archived entries.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@db_option
def search(
    query: str,
    category: str | None,
    intent: str | None,
    include_all: bool,
    limit: int,
    db_path: Path,
) -> None:
    """Full-text search (Chinese, Simplified or Traditional), best match first."""
    hits = _open(db_path).search(
        query, category=category, intent=intent, include_unpublished=include_all, limit=limit
    )
    if not hits:
        click.echo("No matching entries.")
    for hit in hits:
        click.echo(f"{hit.entry.id:<40} {hit.entry.status:<9} {hit.entry.title}")


@kb.command()
@click.argument("entry_id")
@click.option("--version", type=int, help="Show this version instead of the current one.")
@db_option
def show(entry_id: str, version: int | None, db_path: Path) -> None:
    """Print an entry's newest version as YAML."""
    kb = _open(db_path)
    try:
        if version is None:
            entry = kb.latest(entry_id)
        else:
            matches = [v.entry for v in kb.history(entry_id) if v.version == version]
            if not matches:
                raise NotFound(f"entry {entry_id!r} has no version {version}")
            entry = matches[0]
    except NotFound as exc:
        raise _fail(exc) from None
    click.echo(dump_entry(entry), nl=False)


@kb.command()
@click.option("--count", default=10_000, show_default=True, help="Synthetic entries.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("docs/benchmarks.md"),
    show_default=True,
)
def bench(count: int, out: Path) -> None:
    """Measure search latency, import time and size; write docs/benchmarks.md."""
    from bot.knowledge.bench import run_benchmark

    click.echo(run_benchmark(_knowledge_dir(), out, count=count))

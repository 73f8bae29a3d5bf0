"""Knowledge entries as YAML files: ``knowledge/<category>/<id>.yml``, one entry a file.

>>> entry = parse_entry('''
... id: cash-value
... title: 什么是现金价值
... category: surrender
... intents: [ask_surrender_value]
... keywords: [现金价值, 退保]
... audience: [all]
... status: draft
... reviewed: 2026-11-22
... source: {title: 保险法, publisher: 全国人大常委会, date: 2015}
... answer: 退保时退还的是保单的现金价值。
... body: |
...   现金价值是保单在某一时点的价值。
... ''', "cash-value.yml")
>>> entry.reviewed, entry.source.date
('2026-11-22', '2015')
>>> parse_entry(dump_entry(entry), "cash-value.yml") == entry
True
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.knowledge.schema import Entry, EntryError


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as ``|`` blocks, everything else plain: files people can edit."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_entry(entry: Entry) -> str:
    return yaml.dump(
        entry.to_dict(), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000
    )


def parse_entry(text: str, where: str) -> Entry:
    """Parse and check one YAML document; errors name ``where`` and the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise EntryError("(document)", f"is not valid YAML{line}", where) from None
    entry = Entry.from_dict(data, where)
    stem = Path(where).stem
    if where.endswith((".yml", ".yaml")) and stem != entry.id:
        raise EntryError("id", f"{entry.id!r} must match the file name {stem!r}", where)
    return entry


def entry_files(directory: str | Path) -> list[Path]:
    root = Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(f"no knowledge folder at {root}")
    return sorted([*root.rglob("*.yml"), *root.rglob("*.yaml")])


def load_directory(directory: str | Path) -> list[Entry]:
    """Every entry under ``directory``, checked. Raises :class:`EntryError` for the first
    invalid file and ``ValueError`` for a duplicated id; nothing is half-loaded."""
    entries: list[Entry] = []
    seen: dict[str, Path] = {}
    for path in entry_files(directory):
        entry = parse_entry(path.read_text(encoding="utf-8"), str(path))
        if entry.id in seen:
            raise EntryError("id", f"{entry.id!r} is also used by {seen[entry.id]}", str(path))
        seen[entry.id] = path
        entries.append(entry)
    return entries


def write_directory(entries: list[Entry], directory: str | Path) -> list[Path]:
    """Write each entry to ``directory/<category>/<id>.yml``; returns the paths written."""
    root = Path(directory)
    paths = []
    for entry in entries:
        path = root / entry.category / f"{entry.id}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_entry(entry), encoding="utf-8")
        paths.append(path)
    return paths

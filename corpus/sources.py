"""What both corpus builders share: the collected messages' TSV and the table of their pages.

>>> print(sources_table("# Sources", ["Intro."], [
...     {"text": "我想退保", "intent": "request_surrender", "url": "https://a.example/q",
...      "kind": "Q&A question"}]))
# Sources
<BLANKLINE>
Intro.
<BLANKLINE>
| message | intent | site | page | kind |
|---|---|---|---|---|
| 我想退保 | request_surrender | a.example | https://a.example/q | Q&A question |
<BLANKLINE>
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

FIELDS = ("text", "intent", "url", "kind")


def read_tsv(path: Path) -> list[dict[str, str]]:
    """Rows of message, intent, url, kind; blank lines and ``#`` lines skipped."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            parts = [part.strip() for part in line.split("\t")]
            if len(parts) != len(FIELDS):
                raise SystemExit(f"{path.name}:{number}: expected 4 tab-separated fields")
            rows.append(dict(zip(FIELDS, parts, strict=True)))
    return rows


def sources_table(title: str, intro: list[str], rows: list[dict[str, str]]) -> str:
    """A Markdown table of every message with its site, page and kind."""
    lines = [
        title,
        "",
        *intro,
        "",
        "| message | intent | site | page | kind |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [row["text"], row["intent"], urlsplit(row["url"]).hostname or "", row["url"]]
        cells.append(row["kind"])
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"

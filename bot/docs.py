"""Keep generated sections of Markdown documents up to date.

Each generator owns one section between markers, so several benchmarks share one file::

    >>> replace_section("# Benchmarks\\n", "nlu", "figures")
    '# Benchmarks\\n\\n<!-- begin nlu -->\\nfigures\\n<!-- end nlu -->\\n'
"""

from __future__ import annotations

import re


def replace_section(document: str, name: str, body: str) -> str:
    """Replace the section ``name`` in ``document`` with ``body``, or append it."""
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    block = f"{begin}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(document):
        return pattern.sub(lambda _: block, document, count=1)
    if not document.strip():
        document = "# Benchmarks\n"
    return document.rstrip("\n") + "\n\n" + block + "\n"

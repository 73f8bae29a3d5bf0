"""Plain-Chinese labels for internal names, all kept in ``labels.yml``, one table per key.

>>> labels("intents")["ask_policy_loan"]
'保单贷款'
>>> labels("handoff_status")["resolved"]
'已解决'
>>> label("risk_levels", "unknown")
'unknown'
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

LABELS_FILE = Path(__file__).resolve().parent / "labels.yml"


@cache
def _tables() -> dict[str, dict[str, str]]:
    return yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))


def labels(table: str) -> dict[str, str]:
    """One table, name -> label, in the file's order. A copy: callers may not change the file's."""
    return dict(_tables()[table])


def label(table: str, name: str) -> str:
    """The label of ``name`` in ``table``, or ``name`` itself when it has none."""
    return _tables()[table].get(name, name)


def intent_labels() -> dict[str, str]:
    """The intents' labels, as the fallback buttons and the editor show them."""
    return labels("intents")

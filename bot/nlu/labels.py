"""Plain-Chinese names of the intents (``intent_labels.yml``), for people, not the model.

>>> intent_labels()["ask_policy_loan"]
'保单贷款'
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

LABELS_FILE = Path(__file__).resolve().parent / "intent_labels.yml"


@lru_cache(maxsize=1)
def intent_labels() -> dict[str, str]:
    return yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))

"""Chinese word segmentation with jieba and the project's insurance dictionary.

The NLU tokenizer and the knowledge-base search use the same segmentation::

    >>> segment("保单贷款利息多少")
    ['保单贷款', '利息', '多少']
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from bot.nlu.normalize import normalize

#: Folder of jieba user dictionaries (``word freq tag`` per line), loaded in file-name order.
DICTIONARY_DIR = Path(__file__).parent / "dictionary"

_lock = threading.Lock()
_loaded = False


def load_dictionary() -> None:
    """Load the insurance dictionary into jieba once per process (thread-safe)."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        import jieba

        jieba.setLogLevel(logging.WARNING)
        for path in sorted(DICTIONARY_DIR.glob("*.txt")):
            with path.open("rb") as dictionary:
                jieba.load_userdict(dictionary)
        _loaded = True


def segment(text: str, hmm: bool = True) -> list[str]:
    """Normalise ``text`` and split it into words, dropping whitespace-only tokens.

    ``hmm=False`` uses the dictionaries only (no guessed new words): the knowledge-base
    index and its queries both segment that way, so they always agree.
    """
    import jieba

    load_dictionary()
    return [w for w in jieba.lcut(normalize(text), HMM=hmm) if w.strip()]

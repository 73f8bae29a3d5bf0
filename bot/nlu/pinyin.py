"""Toneless pinyin of a message, for features that survive homophone typos.

Most Chinese is typed with a pinyin input method, so the commonest typo is a homophone:
退宝 or 腿保 for 退保, 保但 for 保单, 理陪 for 理赔. Their characters differ, their pinyin
does not::

    >>> syllables("我想退宝")
    ['wo', 'xiang', 'tui', 'bao']
    >>> syllables("我想退保") == syllables("我想退宝")
    True

Text that is not Chinese is kept as lower-cased words; punctuation is dropped::

    >>> syllables("APP上能办吗？")
    ['app', 'shang', 'neng', 'ban', 'ma']

Nothing to read gives nothing::

    >>> syllables(""), syllables("😀😀！"), syllables("<b>3Q</b>")
    ([], [], ['b', '3q', 'b'])
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")


def syllables(text: str) -> list[str]:
    """The toneless pinyin syllables of ``text`` (heteronyms read as pypinyin's phrase
    dictionary reads them), other words lower-cased, punctuation and spaces dropped."""
    from pypinyin import lazy_pinyin

    out: list[str] = []
    for chunk in lazy_pinyin(text or "", errors=lambda rest: [rest]):
        out.extend(w.lower() for w in _WORD.findall(chunk))
    return out

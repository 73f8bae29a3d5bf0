"""Text normalisation applied before tokenisation, at training and at parse time.

Policyholders type Traditional or Simplified characters, full-width letters and digits,
runs of punctuation and stray whitespace. The classifier should see one canonical form::

    >>> normalize("我想退保！！！　保單貸款？？")
    '我想退保! 保单贷款?'
    >>> normalize("ＡＰＰ上能辦嗎")
    'APP上能办吗'

The original text is never lost: the Rasa component keeps it beside the normalised one.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Longest text (in characters) handed to the classifier; the rest of a very long message
#: adds nothing to intent detection but costs time. The original text is kept in full.
MAX_CHARS = 1000

_FULLWIDTH_OFFSET = 0xFEE0  # U+FF01..U+FF5E map onto U+0021..U+007E
_IDEOGRAPHIC_SPACE = "\u3000"
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")
_WHITESPACE = re.compile(r"\s+")
# A run of the same punctuation mark (half-width after folding, or a CJK mark) -> one mark.
_REPEATED_PUNCT = re.compile(r"([!?.,;:~\-_=*。，、；：…～·])\1+")
# Mixed runs of ! and ? ("?!?!") -> the first mark.
_MIXED_QE = re.compile(r"([!?])[!?]+")


@lru_cache(maxsize=1)
def _converter():
    """The OpenCC Traditional -> Simplified converter (built once, on first use)."""
    import opencc

    return opencc.OpenCC("t2s")


#: Full-width ASCII (U+FF01-U+FF5E) and the ideographic space to half-width, for str.translate.
_HALFWIDTH = {code: code - _FULLWIDTH_OFFSET for code in range(0xFF01, 0xFF5F)} | {
    ord(_IDEOGRAPHIC_SPACE): ord(" ")
}


def to_halfwidth(text: str) -> str:
    """Fold full-width ASCII letters, digits and marks to their half-width forms.

    >>> to_halfwidth("１２３ＡＢＣ！")
    '123ABC!'
    """
    return text.translate(_HALFWIDTH)


def to_simplified(text: str) -> str:
    """Convert Traditional characters to Simplified with OpenCC (t2s).

    >>> to_simplified("現金價值")
    '现金价值'
    """
    if not text:
        return text
    return _converter().convert(text)


def normalize(text: str | None, max_chars: int = MAX_CHARS) -> str:
    """Return the canonical form of a user message used for intent classification.

    Steps: drop invisible characters, full-width -> half-width, Traditional -> Simplified,
    collapse whitespace, collapse repeated punctuation, strip, cut to ``max_chars``.
    ``None`` and empty input give ``""``.
    """
    if not text:
        return ""
    text = _INVISIBLE.sub("", text)
    text = to_halfwidth(text)
    text = to_simplified(text)
    text = _WHITESPACE.sub(" ", text)
    text = _REPEATED_PUNCT.sub(r"\1", text)
    text = _MIXED_QE.sub(r"\1", text)
    text = text.strip()
    if max_chars and len(text) > max_chars:
        text = text[:max_chars].rstrip()
    return text

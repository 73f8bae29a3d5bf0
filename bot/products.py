"""Recognise the kind of policy a user names.

>>> product_type("我买的是万能险")
'universal'
>>> product_type("重急险")
'critical_illness'
>>> product_type("不记得了")
'unknown'
"""

from __future__ import annotations

from bot.nlu.normalize import normalize

#: (product type, words that name it), most specific first.
PRODUCT_WORDS: list[tuple[str, tuple[str, ...]]] = [
    ("whole_life", ("增额终身寿", "增额寿", "增额", "终身寿", "终身")),
    ("universal", ("万能", "万能线")),
    ("annuity", ("年金", "养老", "教育金", "年经", "领钱")),
    ("participating", ("分红", "两全")),
    ("critical_illness", ("重疾", "重急", "重大疾病", "大病")),
    ("short_term", ("医疗", "意外", "住院", "百万医疗", "惠民保")),
]


def product_type(text: str) -> str:
    """One of universal, annuity, participating, whole_life, critical_illness,
    short_term, or unknown."""
    plain = normalize(text or "", max_chars=0)
    for kind, words in PRODUCT_WORDS:
        if any(word in plain for word in words):
            return kind
    return "unknown"


def says_unknown(text: str) -> bool:
    """「不清楚」「不记得了」: an answer, unlike noise.

    >>> says_unknown("不清楚"), says_unknown("额。。。")
    (True, False)
    """
    plain = normalize(text or "", max_chars=0)
    return any(word in plain for word in ("不清楚", "不知道", "不记得", "忘了", "不懂", "没印象"))

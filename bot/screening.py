"""Spot the signs of a 代理退保 or info-harvesting scam in what a policyholder writes.

    >>> sorted(screen("他说能全额退，收30%手续费，已经把身份证照片发给他了").flags)
    ['fee_requested', 'full_refund_promise', 'info_leaked']
    >>> screen("他说能全额退，收30%手续费，已经把身份证照片发给他了").risk_level
    'high'
    >>> screen("我今年72岁了，想转人工").flags, screen("我今年72岁了").risk_level
    (frozenset({'elderly'}), 'low')

Rules, not a model: the signs are few, well described by the regulator's warnings, and a
supervisor must be able to see why a conversation was flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.nlu.normalize import normalize

_ITEMS = r"(身份证|证件|银行卡|卡号|存折|验证码|密码|保单原件|保单|照片|授权书|委托书|协议|人脸)"
_FEES = (
    r"(押金|定金|保证金|手续费|服务费|佣金|中介费|好处费"
    r"|\d+\s*(元|块|万)|[一二两三四五六七八九十百千万]+(元|块))"
)
_DONE = r"(已经|已|刚刚|刚|都)"
_THEM = r"(他|她|他们|对方|那人|那个人)"
PATTERNS: dict[str, re.Pattern[str]] = {
    "paid_fee": re.compile(
        _DONE
        + r"[^。！？!?]{0,8}(付|交|转|打|给|汇)了?[^。！？!?]{0,8}"
        + _FEES
        + r"|(付|交|转|打|汇)了[^。！？!?]{0,8}"
        + _FEES
        + r"|收了(我|我们)?[^。！？!?]{0,4}"
        + _FEES
        + r"|转(账|了钱)给"
        + _THEM
        + r"|(转|汇|打)过去了|(全|都|已经?)(转|汇)给"
        + _THEM
        + r"|骗了(我|我们)?[^。！？!?]{0,4}"
        + _FEES
    ),
    "fee_requested": re.compile(
        r"押金|定金|保证金|手续费|服务费|佣金|中介费|好处费|收[^。！？!?]{0,6}(%|％|成|个点)"
        r"|要收钱|收钱|要交钱|先交钱|收费"
    ),
    "full_refund_promise": re.compile(
        r"全额退|全部退回|全退|退回全部|一分不少|本金全|无损退|全部要回|全要回|都要回来"
    ),
    # Done, not just asked for: "已经…发给他了", "验证码告诉他了", "签了授权书".
    "info_leaked": re.compile(
        _DONE
        + r"[^。！？!?]{0,12}"
        + _ITEMS
        + r"|"
        + _ITEMS
        + r"[^。！？!?]{0,10}(发给|给了|交给|告诉|寄给|发过去|念给|读给|报给|给"
        + _THEM
        + r")[^。！？!?]{0,4}了"
        + r"|把"
        + _ITEMS
        + r"[^。！？!?]{0,12}(发给|交给|寄给|告诉|发过去|寄过去)[^。！？!?]{0,14}了"
        + r"|验证码[^。！？!?]{0,16}(念|读|报|说)了"
        + r"|给了"
        + _THEM
        + r"[^。！？!?]{0,6}"
        + _ITEMS
        + r"|签(了|过)[^。！？!?]{0,6}(授权|委托|协议)"
    ),
    "info_requested": re.compile(
        r"(要|让|叫|问)[^。！？!?]{0,8}" + _ITEMS + r"|签[^。！？!?]{0,4}(授权|委托|协议)"
    ),
    # Not a risk by itself: tells the supervisor to call slowly and check for family.
    "elderly": re.compile(
        r"([6-9]\d|[六七八九]十[一二三四五六七八九]?)(多)?岁|今年[6-9]\d|退休|老年人|上了年纪|年纪大|老头|老太"
    ),
    # Not a risk by itself: the conversation is about a 代理退保 offer.
    "proxy_surrender": re.compile(
        r"代理退保|代办退保|退[保宝](公司|中介|机构)|维权(中心|公司|机构)"
    ),
    "product_pitch": re.compile(r"买(别的|新的|他们的)|新产品|收益(更)?高|理财|退旧投新|换成|转投"),
}
_NUMBER = re.compile(r"\d[\dXx\s-]{8,}")
HIGH = frozenset({"paid_fee", "info_leaked", "harm_reported"})
MEDIUM = frozenset({"fee_requested", "info_requested", "full_refund_promise", "product_pitch"})


@dataclass(frozen=True)
class Screening:
    flags: frozenset[str]

    @property
    def risk_level(self) -> str:
        if self.flags & HIGH:
            return "high"
        if self.flags & MEDIUM:
            return "medium"
        return "low"


#: Nothing was handed over ("还没交", "没给"), or the user asks what to do now.
_NOT_YET = re.compile(r"还没|没有?(交|给|发|付|转|拍|签)|不交|不给|不发|不签|都没有|没呢")
_WHAT_NOW = re.compile(r"怎么办|咋办|怎么做|该怎么|咋整|靠谱吗|是真的吗|可信吗|能信吗")


def not_yet(text: str) -> bool:
    """Whether the user says nothing was handed over yet.

    >>> not_yet("要先交2000押金，我还没交"), not_yet("我已经交了")
    (True, False)
    """
    return bool(_NOT_YET.search(normalize(text or "", max_chars=0)))


def asks_what_now(text: str) -> bool:
    """Whether the user asks what to do, or whether an offer can be trusted.

    >>> asks_what_now("那我该怎么办"), asks_what_now("好的")
    (True, False)
    """
    return bool(_WHAT_NOW.search(normalize(text or "", max_chars=0)))


def screen(*texts: str) -> Screening:
    """The warning signs in ``texts`` (Simplified or Traditional)."""
    flags = set()
    for text in texts:
        # A typed number (an ID, a card) counts as one word: "把身份证号…发给他了".
        plain = _NUMBER.sub("#", normalize(text or "", max_chars=0))
        flags |= {name for name, pattern in PATTERNS.items() if pattern.search(plain)}
    return Screening(frozenset(flags))

"""Why a policyholder wants to surrender, from a free-text answer (or the NLU intent).

>>> surrender_reason("家里急用钱")
'need_cash'
>>> surrender_reason("我朋友让我退的")
'advised'
>>> surrender_reason("嗯", intent="complaint")
'unhappy'
>>> surrender_reason("别劝了，我就是要退")
'decided'
"""

from __future__ import annotations

import re

from bot.nlu.normalize import normalize

REASONS = ("need_cash", "cant_pay", "not_worth", "advised", "unhappy", "just_bought", "decided")

#: Intents of the NLU contract that already say the reason.
INTENT_REASONS = {
    "premium_hardship": "cant_pay",
    "proxy_surrender": "advised",
    "policy_switch_pitch": "advised",
    "complaint": "unhappy",
    "ask_cooling_off": "just_bought",
}

#: Most specific first: "交不起" is cant_pay even though it is also about money.
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "just_bought",
        re.compile(
            r"刚买|才买|买了?才|刚签|才签|刚投保|前几天|上周|上个?(星期|礼拜)|犹豫期|冷静期"
            r"|[一两三四五六七八九十\d]+天前|才[一两几]?个?(星期|礼拜|周)"
        ),
    ),
    (
        "cant_pay",
        re.compile(r"交不起|交不上|交不动|缴不起|没钱交|续不上|保费.{0,4}(贵|高|压力|吃力)|付不起"),
    ),
    (
        "advised",
        re.compile(
            r"建议|劝|让.{0,8}退|叫我退|说.{0,10}退|有人说|别人|朋友说|亲戚|业务员说|网上|视频|博主"
            r"|抖音|文章|同事|姐妹|听人|的意思"
        ),
    ),
    ("unhappy", re.compile(r"不满|投诉|误导|骗|态度|服务.{0,3}差|忽悠")),
    (
        "not_worth",
        re.compile(
            r"不划算|不值|没用|没(什么|啥)用|用不上|用不着|用不了|不需要|收益.{0,3}(低|少)|买多了"
            r"|重复|没意义|没意思|没必要|多余|白交|不如存|利息.{0,3}低|分红.{0,6}少|不顶用|亏|坑"
        ),
    ),
    (
        "need_cash",
        re.compile(
            r"急用|用钱|缺钱|没钱|要钱|等钱|手头.{0,3}紧|周转|看病|住院|化疗|学费|房贷|首付|彩礼"
            r"|还债|还钱|欠|还不上|钱不够|不够|急需|拿不出|花.{0,4}钱|要交.{0,6}钱|补差价|帮他|帮她"
        ),
    ),
]


def surrender_reason(text: str, intent: str | None = None, decided: bool = True) -> str | None:
    """One of :data:`REASONS`, or ``None`` when the answer says none of them. With
    ``decided`` false, a decision is not a reason: the words around it are read."""
    plain = normalize(text or "", max_chars=0)
    if plain in REASONS:  # a button payload or a value set by a test
        return plain
    if decided and is_decided(plain):  # 「别劝了」 is a decision, not someone's advice
        return "decided"
    for reason, pattern in PATTERNS:
        if pattern.search(plain):
            return reason
    return INTENT_REASONS.get(intent or "")


#: The person has made up their mind: stop persuading, say how to do it safely.
_FIRM = re.compile(
    r"别劝|不用劝|不要劝|就是要|就要退|我决定|决定了|决定退|想好了|坚持|一定要|必须|说了.{0,4}退"
)
#: Asking how, after the alternatives were said, is a decision too.
_HOW = re.compile(r"(怎么|怎样|如何)(办理?)?退|退保.{0,2}(流程|手续|步骤)")
#: Not surrendering after all: 「先不退了」 is keeping the policy, whatever the NLU says.
_KEEP = re.compile(r"先不退|不退了|不想退了|不退保了|算了不退|还是不退|暂时不退|留着吧")


def is_decided(text: str) -> bool:
    """Whether the user says the decision to surrender is made (or asks how).

    >>> is_decided("我就是要退保，别劝了"), is_decided("別勸了"), is_decided("我想退保")
    (True, True, False)
    """
    plain = normalize(text or "", max_chars=0)
    return bool(_FIRM.search(plain) or _HOW.search(plain))


def is_firm(text: str) -> bool:
    """Whether the user says the decision is made, not only asks how to surrender: a
    first request asking how still gets the alternatives first.

    >>> is_firm("我就是要退，告诉我怎么退"), is_firm("请问保单要怎么退")
    (True, False)
    """
    return bool(_FIRM.search(normalize(text or "", max_chars=0)))


#: Wanting to surrender, as opposed to asking about a surrender already made.
_WANTS = re.compile(
    r"想|要退|打算|准备|退了吧|退掉|不要了|(能|可以)退(吗|保|掉|了)|怎么退|咋退|如何退|办退保"
)


def wants_surrender(text: str) -> bool:
    """Whether the message asks to surrender, not only about one (「退保的钱多久到账」).

    >>> wants_surrender("我想退保"), wants_surrender("退保的钱多久能到账")
    (True, False)
    """
    return bool(_WANTS.search(normalize(text or "", max_chars=0)))


def is_keeping(text: str) -> bool:
    """Whether the user says they will not surrender after all.

    >>> is_keeping("那先不退了"), is_keeping("我还是想退")
    (True, False)
    """
    return bool(_KEEP.search(normalize(text or "", max_chars=0)))

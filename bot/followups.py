"""Short follow-ups understood in the topic of the conversation.

「要带什么」 or 「那要多久」 means nothing alone: after a surrender answer it asks about the
surrender, after a claim answer about the claim. After harm was reported, 「我先打哪个电话」
or 「我是不是太傻了」 are about that harm. :func:`follow_up` names the response (texts in
domain.yml) for a message in its topic, or ``None`` when the message is not a follow-up it
knows.

    >>> follow_up("利息大概多少", "loan")
    'utter_followup_loan_rate'
    >>> follow_up("要带什么", "claim")
    'utter_followup_claim_documents'
    >>> follow_up("那剩下那一万我还交不交", "loan", harm=True)
    'utter_harm_followup_pay_more'
    >>> follow_up("有人吗", None, waiting=True)
    'status'
    >>> follow_up("今天天气怎么样", "loan") is None
    True

Rules, not a model: the kinds of follow-up are few and a reviewer must see why a reply came.
"""

from __future__ import annotations

import re

from bot.nlu.normalize import normalize

#: Said when the message is a ping while a handoff waits (the caller picks the status text).
STATUS = "status"
#: Follow-ups that are never a knowledge question of their own.
ALWAYS = frozenset({STATUS, "utter_followup_no_callback"})

#: Intents whose answer sets the topic of the conversation.
INTENT_TOPICS = {
    "ask_policy_loan": "loan",
    "request_surrender": "surrender",
    "ask_surrender_value": "surrender",
    "ask_cooling_off": "cooling_off",
    "ask_claim": "claim",
    "ask_reduce_coverage": "reduce",
    "ask_partial_withdrawal": "withdrawal",
    "premium_hardship": "premium",
    "ask_policy_service": "service",
}

_PING = re.compile(
    r"有人吗|还没人|没有人|有没有人|人呢|没人管|在吗|在不在|怎么还没|多久才|等了半天|等好久"
)
_HUMAN = re.compile(r"(找|转|要)(个)?(真人|人工|工作人员|客服)|真人(说|聊|客服)|人工客服")
_CALLBACK = re.compile(
    r"(打|回)(个)?电话(给|过来)?我|给我(打|回)(个)?电话|打给我|联系我|回电|(什么时候|啥时候|几点)(打|来)电话"
)

#: After harm was reported, most specific first; "comfort" when nothing else fits.
HARM_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("pay_more", re.compile(r"还(要|得)?(再)?交|再交|剩下|补交|还要给|还给不给|交不交")),
    ("dont_send", re.compile(r"不发了|别发|不给了|还没发|不要发|不能发|没发")),
    ("revoke", re.compile(r"委托书|授权书|委托协议|协议|作废|撤销|撤回|取消授权")),
    ("which_first", re.compile(r"先打|哪个电话|打哪个|先找谁|找谁|先做什么|先干什么")),
    ("family", re.compile(r"替(她|他|我妈|我爸)|帮(她|他)去|代(她|他)|陪(她|他)|我能替")),
    ("bank", re.compile(r"挂失|冻结|银行卡|银行")),
    ("money_back", re.compile(r"要回来|追回|拿回|退回来|能回来|还能要|钱还在|找回")),
    ("recover", re.compile(r"恢复|复效|买回来|还原|反悔")),
    ("still_surrender", re.compile(r"退不退|还要退吗|还退吗|保单怎么办|保单还")),
    ("can_still", re.compile(r"还能|还可以|自己(能|可以)|正常办")),
    ("comfort", re.compile(r"傻|笨|怪我|后悔|怕|慌|难受|睡不着|糊涂|上当|丢人|急死")),
]
HARM_COMFORT = "utter_harm_followup_comfort"

#: Follow-ups about the topic of the previous answer.
KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("rate", re.compile(r"利息|利率|百分之|几个点|年化|息多少")),
    ("no_app", re.compile(r"不会(弄|用|上网|操作)|不懂手机|没有智能手机|不会玩手机")),
    ("documents", re.compile(r"带什么|带啥|材料|准备什么|准备啥|证件|资料|手续|要什么东西")),
    ("amount", re.compile(r"多少钱|领多少|借多少|拿多少|退多少|能拿回多少|额度")),
    # 「要几天」 asks how long until; 「冷静期几天」 asks what the period is (the entry says).
    (
        "time",
        re.compile(
            r"多久|多长时间|(要|得|需要)几天|几天(能|到账|退|拿|办)|什么时候|啥时候|何时|到账|多快|要等"
        ),
    ),
    ("who", re.compile(r"本人|自己去|代办|替(她|他|我)|家人|子女|儿子|女儿|委托|陪")),
]

#: (topic, kind) -> response; a topic's missing kinds have no follow-up.
TABLE = {
    ("loan", "rate"): "utter_followup_loan_rate",
    ("loan", "amount"): "utter_followup_loan_amount",
    ("loan", "time"): "utter_followup_loan_time",
    ("loan", "documents"): "utter_followup_loan_documents",
    ("loan", "who"): "utter_followup_loan_who",
    ("surrender", "rate"): "utter_followup_loan_rate",
    ("surrender", "amount"): "utter_followup_surrender_amount",
    ("surrender", "time"): "utter_followup_surrender_time",
    ("surrender", "documents"): "utter_followup_surrender_documents",
    ("surrender", "who"): "utter_followup_surrender_who",
    ("withdrawal", "amount"): "utter_followup_surrender_amount",
    ("withdrawal", "time"): "utter_followup_reduce_time",
    ("withdrawal", "who"): "utter_followup_surrender_who",
    ("reduce", "time"): "utter_followup_reduce_time",
    ("reduce", "amount"): "utter_followup_surrender_amount",
    ("reduce", "who"): "utter_followup_surrender_who",
    ("cooling_off", "documents"): "utter_followup_cooling_off_documents",
    ("cooling_off", "time"): "utter_followup_cooling_off_time",
    ("cooling_off", "who"): "utter_followup_surrender_who",
    ("claim", "documents"): "utter_followup_claim_documents",
    ("claim", "time"): "utter_followup_claim_time",
}
#: Said for "no_app" in any topic of the surrender dialogue.
NO_APP = "utter_followup_no_app"


def asks_for_call(text: str) -> bool:
    """Whether ``text`` asks to be phoned (「给我回个电话」): the bot only writes here.

    >>> asks_for_call("能不能让你们的人给我回个电话"), asks_for_call("转人工")
    (True, False)
    """
    return bool(_CALLBACK.search(normalize(text or "", max_chars=0)))


def follow_up(
    text: str, topic: str | None, harm: bool = False, waiting: bool = False
) -> str | None:
    """The response for ``text`` as a follow-up in ``topic`` (see :data:`TABLE`);
    :data:`STATUS` for a ping while a handoff waits (``waiting``); after harm was reported
    (``harm``), the harm follow-ups come first."""
    plain = normalize(text or "", max_chars=0)
    if not plain:
        return None
    if waiting and _PING.search(plain):
        return STATUS
    if _CALLBACK.search(plain):
        return "utter_followup_no_callback"
    if harm:
        for kind, pattern in HARM_KINDS:
            if pattern.search(plain):
                return f"utter_harm_followup_{kind}"
    for kind, pattern in KINDS:
        if pattern.search(plain):
            if kind == "no_app":
                return NO_APP
            if (topic, kind) in TABLE:
                return TABLE[(topic, kind)]
    return None


def asks_for_person(text: str) -> bool:
    """Whether the message asks for a person (a long message the NLU did not understand
    may still say so).

    >>> asks_for_person("字太小看不清，有个人说要收钱，你帮我找个真人吧"), asks_for_person("有人吗")
    (True, False)
    """
    return bool(_HUMAN.search(normalize(text or "", max_chars=0)))


def topic_of(intent: str | None, previous: str | None = None) -> str | None:
    """The topic an intent's answer sets, or the conversation's ``previous`` one.

    >>> topic_of("ask_claim"), topic_of("affirm", "loan")
    ('claim', 'loan')
    """
    return INTENT_TOPICS.get(intent or "", previous)

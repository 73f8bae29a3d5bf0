"""质检 (quality inspection): the rules every reply follows, the bot's and an agent's.

A reply is read clause by clause; a clause that breaks a rule is a :class:`Finding`, unless
the same clause is a warning against it (「不会给您打电话」, 「别信保本高收益」):

    >>> [f.rule for f in inspect("请把您的身份证号发给我，我帮您查")]
    ['asks_personal_data']
    >>> [f.rule for f in inspect("我们明天给您打个电话")]
    ['promises_call']
    >>> [f.rule for f in inspect("自称客服打来的电话，先挂断。别信保本高收益。")]
    []
    >>> [f.rule for f in inspect("您的卡号6222020200112233445我记下了")]
    ['personal_data']

The console shows each finding to the agent before a message is sent, in the words of the
``inspection_rules`` labels; the same rules run over stored conversations and, in the tests,
over everything the bot can say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.labels import labels
from bot.privacy import redact

#: Each rule: a clause that breaks it, and words that make the clause a warning instead.
PATTERNS: dict[str, tuple[re.Pattern[str], re.Pattern[str] | None]] = {
    "promises_returns": (
        re.compile(
            r"(保证|稳赚|保本|一定能|肯定能|包您|包你)[^。，,\n]{0,6}(收益|赚|回报|拿回|退回|全额|赔)"
            r"|(保证|一定|肯定)(能|会)?(全额)?(退|赔|批|通过|到账)"
        ),
        # A pitch quoted or reported (「听到“保本高收益”」) is a warning too.
        re.compile(r"不|别|没|无法|骗|谁说|声称|号称|自称|当心|小心|警惕|假|听到|“|「"),
    ),
    "asks_personal_data": (
        re.compile(
            r"请(您)?(提供|发送|发|告诉我|输入|上传|报)(一下)?(您的)?[^。！？\n]{0,6}"
            r"(身份证|银行卡|卡号|验证码|密码)"
            r"|(发|告诉|报)(给)?我[^。！？\n]{0,8}(身份证|银行卡|卡号|验证码|密码)"
            r"|(身份证|银行卡|卡号|验证码|密码)[^。！？\n]{0,6}(发|告诉|报)(给)?我"
            r"|您的(身份证号|银行卡号|卡号|验证码|密码)是(多少|什么)"
        ),
        None,
    ),
    "promises_call": (
        re.compile(
            r"电话[^，,。]{0,8}联系您|联系您[^，,。]{0,6}电话|致电|回电|回个电话"
            r"|给您(打|回)个?电话|打电话给您|来电"
        ),
        re.compile(r"不会|不要|别|骗|冒充|自称|挂断|假|不是|没法|不能"),
    ),
    "third_party": (
        re.compile(
            r"律师事务所|律所|法律服务机构|法律服务团队|维权中心|维权机构|维权公司|咨询公司"
            r"|代理机构|中介机构|第三方机构|代理退保公司"
        ),
        re.compile(r"骗|冒充|自称|不要|别|不需要|不用|当心|小心|警惕|所谓|不是|假"),
    ),
}
RULES = (*PATTERNS, "personal_data")
_CLAUSE = re.compile(r"[，,。！？!?；;\n]")


@dataclass(frozen=True)
class Finding:
    rule: str
    clause: str

    @property
    def label(self) -> str:
        """What the rule means, for the agent (bot/labels.yml, ``inspection_rules``)."""
        return labels("inspection_rules")[self.rule]


def inspect(text: str) -> list[Finding]:
    """The findings of ``text``, one per rule and clause, in the text's order."""
    findings = []
    for clause in (c.strip() for c in _CLAUSE.split(text or "")):
        for rule, (breaks, warning) in PATTERNS.items():
            if clause and breaks.search(clause) and not (warning and warning.search(clause)):
                findings.append(Finding(rule, clause))
    if redact(text or "").found:  # an ID, a card, a phone number or an e-mail, unredacted
        findings.append(Finding("personal_data", ""))
    return findings

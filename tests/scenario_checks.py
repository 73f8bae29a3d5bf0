"""The checks of the scenario suite (tests/test_scenarios.py), as pure functions.

A scenario file (tests/scenarios/*.yml) holds whole conversations::

    scenarios:
      - name: harm-deposit-elderly            # the test id: letters, digits and -
        covers: [1, 6]                        # the issue's numbered behaviours
        note: 73岁，电话里被"维权中心"骗了定金   # optional, for the reader
        max_chars: 150                        # optional: every turn's limit (a turn can
                                              # override it, null for none)
        given: [surrender_reason]             # said in message 1; or {name: turn number}
        in_scope: true                        # default: nothing here may be turned away
        turns:
          - say: 我已经转了5000块定金          # typed text, or a payload such as /affirm
            first: ["@scam"]                  # in the turn's first bubble
            must: ["@urgent", 12378]          # in the turn's replies (all of them)
            must_not: [帮不上忙]               # in none of them
            max_chars: 150                    # the turn's characters, buttons not counted
            max_bubble: 80                    # the longest bubble
            min_bubbles: 3
            reworded: true                    # no bubble as in the previous turn
          - click: 还是想退保                  # the payload of that button of the last turn
        handoff: {risk: high, flags: [paid_fee]}   # or none; left out: not checked

Patterns are Python regular expressions (a plain word matches as a substring), searched in
the turn's bubbles joined by newlines. A name starting with ``@`` stands for the patterns
of :data:`MACROS`. Characters are counted without whitespace.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.inspection import inspect

#: A bubble this long (characters) must not be said twice in a conversation.
LONG = 60
#: No bubble, however short, is said this many times in a conversation.
SAME_TEXT_LIMIT = 3
SCENARIO_KEYS = {"name", "covers", "note", "max_chars", "given", "in_scope", "turns", "handoff"}
TURN_KEYS = {
    "say", "click", "first", "must", "must_not", "max_chars", "max_bubble", "min_bubbles",
    "reworded",
}  # fmt: skip
BEHAVIOURS = range(1, 8)
RISKS = ("low", "medium", "high")
FLAGS = {
    "paid_fee", "fee_requested", "full_refund_promise", "info_leaked", "info_requested",
    "product_pitch", "proxy_surrender", "elderly",
}  # fmt: skip
_APP = r"(App|APP|app|柜台|热线|客服)"

#: Named pattern sets, so every scenario asks the same of the same behaviour.
MACROS: dict[str, list[str]] = {
    # 1. Harm already done: say plainly that it is (very likely) a scam ...
    "@scam": [r"(很可能|多半|就是|是|遇到了?|典型的?|属于)[^。，,\n]{0,6}(骗|诈骗)"],
    # ... and the urgent steps.
    "@urgent": [
        r"骗",
        r"(不要|别|停止|不能)再?[^。\n]{0,10}(转|付|交|汇|打)",  # stop paying
        r"银行",
        r"密码",
        r"(证据|记录|截图|凭证|凭据)",  # keep evidence
        r"110|报警|报案",
        r"(保险公司|官方)[^。\n]{0,10}(客服|热线|电话)",
        r"12378",
    ],
    # 3. The first surrender request: the three alternatives and the loss.
    "@alternatives": [r"减保", r"部分领取", r"保单贷款", r"(损失|亏|少很多|现金价值)"],
    # 3. ... and that surrender is their right, free, done by themselves.
    "@right": [r"免费", r"(权利|自己|本人)"],
    # 3. A clear decision: the official, free way, done by the 投保人.
    "@official_way": [
        r"投保人",
        _APP,
        r"(投保人|本人|自己)[^。\n]{0,10}账户",
        r"免费",
        r"(不要|别|不用|不需要|不必)[^。\n]{0,15}(付钱|交钱|转钱|给钱|付费|交费|费用|手续费|交给|"
        r"给任何人|给别人|给他人|中介|代理)",
    ],
    # For must_not: the surrender procedure has been given.
    "@procedure": [
        r"尊重您的决定",
        r"身份证件",
        r"银行账户",
        r"(退款|钱)[^。\n]{0,8}(打到|退到|转到|打进)",
    ],
    # For must_not: the greeting (a conversation that forgot where it was).
    "@greeting": [r"我是保单守护助手", r"请问有什么可以帮您"],
    # For must_not: the message was not understood or turned away.
    "@not_understood": [r"我不太确定您的意思", r"没(太)?明白", r"帮不上忙", r"换个说法"],
    # 6. Waiting for a human: the status of the handoff.
    "@status": [
        r"(已经|已)[^。！？\n]{0,15}(转给|转到|记录|记下|登记|排队|收到|提交|在处理)"
        r"|(正在|还在)[^。！？\n]{0,8}(等|排队|处理)"
        r"|工作人员[^。！？\n]{0,10}(看到|处理|查看|接手)"
        r"|排在第|工作人员[^。！？\n]{0,12}回复您"
    ],
    # 5. A loan-rate question: a typical range, the contract, where to see the exact rate.
    "@rate": [
        r"\d+(\.\d+)?\s*[%％]|百分之[零一二三四五六七八九十点几]+",
        r"合同",
        r"(App|APP|app|公众号|客服|柜台|官网|保单)",
    ],
}

#: The bot's questions for what a user may already have said (the keys of ``given``).
QUESTIONS: dict[str, list[str]] = {
    "surrender_reason": [
        r"为什么想退",
        r"方便说说为什么",
        r"什么原因[^。\n]{0,6}退",
        r"退保的原因",
    ],
    "product_type": [
        r"(保单|保险)是哪一类",
        r"哪一类[？?]",
        r"什么类型的(保单|保险)",
        r"哪种(保险|产品|保单)[？?]",
    ],
    "fee_requested": [
        r"有没有让您[^。？?\n]{0,4}交钱",
        r"有没有[^。？?\n]{0,10}(押金|手续费|交钱)",
    ],
    "paid_fee": [
        r"(有没有|是否)[^。？?\n]{0,6}(付|交|转)了?[^。？?\n]{0,4}(钱|费)",
        r"(付|交|转)(过)?钱了吗",
    ],
    "full_refund_promise": [r"有没有说[^。？?\n]{0,8}全额"],
    "info_requested": [r"有没有[^。？?\n]{0,8}要您的?(身份证|银行卡|证件|验证码)"],
    "info_leaked": [
        r"有没有[^。？?\n]{0,8}要您的?(身份证|银行卡|证件|验证码)",
        r"(有没有|是否)[^。？?\n]{0,8}(给|发)了?[^。？?\n]{0,6}(身份证|证件|银行卡|验证码)",
    ],
    "product_pitch": [
        r"有没有推荐您买",
        r"有没有[^。？?\n]{0,6}(推荐|劝)您?[^。？?\n]{0,4}(买|换)",
    ],
    "what_they_said": [r"对方是怎么说的", r"方便说说[^。？?\n]{0,8}怎么说"],
}

# Global checks, over every reply of every scenario.
TURNED_AWAY = [r"帮不上忙", r"这个问题我不会", r"我只回答", r"不在我的(服务)?范围"]
#: Our own failure (the action server, the database): a runner or system problem.
SERVICE_TROUBLE = [r"系统暂时出了点问题"]


def bubbles(replies: Iterable[Mapping[str, Any]]) -> list[str]:
    """The text of each reply that has one."""
    return [r["text"] for r in replies if isinstance(r.get("text"), str) and r["text"].strip()]


def turn_text(replies: Iterable[Mapping[str, Any]]) -> str:
    return "\n".join(bubbles(replies))


def chars(text: str) -> int:
    """Characters as the phone shows them, whitespace not counted."""
    return len(re.sub(r"\s", "", text))


def expand(patterns: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for pattern in patterns:
        pattern = str(pattern)
        out.extend(MACROS[pattern] if pattern.startswith("@") else [pattern])
    return out


def missing(text: str, patterns: Iterable[Any]) -> list[str]:
    return [p for p in expand(patterns) if not re.search(p, text)]


def found(text: str, patterns: Iterable[Any]) -> list[str]:
    return [m.group(0) for p in expand(patterns) if (m := re.search(p, text))]


def message_for(turn: Mapping[str, Any], previous: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """What the user sends, and a problem ("" if none): a ``click`` sends the payload of the
    previous turn's button whose title is (or contains) it, else the title as typed."""
    if "say" in turn:
        return str(turn["say"]), ""
    title = str(turn["click"])
    buttons = [b for r in previous for b in r.get("buttons") or []]
    for match in (lambda t: t == title, lambda t: title in t):
        for button in buttons:
            if match(str(button.get("title", ""))):
                return str(button["payload"]), ""
    offered = [b.get("title") for b in buttons]
    return title, f"button {title!r} not offered (offered: {offered}); typed instead"


def turn_problems(
    turn: Mapping[str, Any],
    replies: Sequence[Mapping[str, Any]],
    previous: Sequence[Mapping[str, Any]] = (),
    max_chars: int | None = None,
) -> list[str]:
    """The turn's own checks: must, must_not, first, lengths, rewording."""
    said = bubbles(replies)
    text = "\n".join(said)
    problems = [f"missing {p!r}" for p in missing(text, turn.get("must", []))]
    problems += [f"must not say {m!r}" for m in found(text, turn.get("must_not", []))]
    first = said[0] if said else ""
    problems += [f"first bubble lacks {p!r}" for p in missing(first, turn.get("first", []))]
    limit = turn.get("max_chars", max_chars)
    if limit is not None and chars(text) > limit:
        problems.append(f"turn is {chars(text)} characters (max {limit})")
    longest = max((chars(b) for b in said), default=0)
    if turn.get("max_bubble") is not None and longest > turn["max_bubble"]:
        problems.append(f"a bubble is {longest} characters (max {turn['max_bubble']})")
    if len(said) < turn.get("min_bubbles", 0):
        problems.append(f"{len(said)} bubbles (at least {turn['min_bubbles']})")
    if turn.get("reworded"):
        before = {b.strip() for b in bubbles(previous)}
        problems += [f"said again word for word: {b[:30]!r}" for b in said if b.strip() in before]
    return problems


def global_problems(replies: Sequence[Mapping[str, Any]], in_scope: bool = True) -> list[str]:
    """What no reply may ever do."""
    text = turn_text(replies)
    said = {
        "promises_call": "promises a phone call",
        "asks_personal_data": "asks for personal data",
    }
    problems = [f"{said[f.rule]}: {f.clause!r}" for f in inspect(text) if f.rule in said]
    if in_scope:
        problems += [f"turns the user away: {m!r}" for m in found(text, TURNED_AWAY)[:1]]
    problems += [f"system trouble: {m!r}" for m in found(text, SERVICE_TROUBLE)]
    return problems


def repeated(said: Iterable[str]) -> list[str]:
    """A long bubble said twice, or any bubble said three times, in one conversation."""
    counts = Counter(b.strip() for b in said)
    return [
        f"said {n} times: {b[:40]!r}"
        for b, n in counts.items()
        if n >= SAME_TEXT_LIMIT or (n >= 2 and chars(b) > LONG)
    ]


def given_turns(given: Any) -> dict[str, int]:
    """``given`` as {name: the turn (1-based) it was said in}; a list means turn 1."""
    if not given:
        return {}
    return dict(given) if isinstance(given, Mapping) else dict.fromkeys(given, 1)


def reasked(given: Any, texts: Sequence[str]) -> list[str]:
    """Questions about what the user already said: ``texts`` are the turns' replies."""
    problems = []
    for name, since in given_turns(given).items():
        for number, text in enumerate(texts[since - 1 :], since):
            for question in found(text, QUESTIONS[name])[:1]:
                problems.append(
                    f"turn {number} asks again for {name} (given in turn {since}): {question!r}"
                )
    return problems


def handoff_problems(expected: Any, handoffs: Sequence[Any]) -> list[str]:
    """``expected`` (none, or {risk, flags}) against the conversation's handoffs (objects
    with id, status, risk_level and flags)."""
    if expected is None:
        return []
    if expected == "none":
        return [f"unexpected handoff: {h.risk_level} {sorted(h.flags)}" for h in handoffs]
    if not handoffs:
        return ["no handoff was made"]
    open_ones = [h for h in handoffs if h.status != "resolved"] or list(handoffs)
    handoff = max(open_ones, key=lambda h: h.id)
    problems = []
    if "risk" in expected and handoff.risk_level != expected["risk"]:
        problems.append(f"handoff risk {handoff.risk_level}, expected {expected['risk']}")
    lacking = sorted(set(expected.get("flags", [])) - set(handoff.flags))
    if lacking:
        problems.append(f"handoff flags {sorted(handoff.flags)} lack {lacking}")
    return problems


def validate(scenario: Mapping[str, Any]) -> list[str]:
    """Authoring mistakes in one scenario (so a failure is never a typo in the file)."""
    name = scenario.get("name", "?")
    problems = [f"unknown key {k!r}" for k in set(scenario) - SCENARIO_KEYS]
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", str(name)):
        problems.append("name must be lower-case letters, digits and -")
    if not set(scenario.get("covers") or []) <= set(BEHAVIOURS) or not scenario.get("covers"):
        problems.append("covers must list behaviours 1-7")
    turns = scenario.get("turns") or []
    if not turns:
        problems.append("no turns")
    for number, turn in enumerate(turns, 1):
        problems += [f"turn {number}: unknown key {k!r}" for k in set(turn) - TURN_KEYS]
        if len({"say", "click"} & set(turn)) != 1:
            problems.append(f"turn {number}: needs exactly one of say / click")
        for key in ("first", "must", "must_not"):
            for pattern in turn.get(key, []):
                if str(pattern).startswith("@") and pattern not in MACROS:
                    problems.append(f"turn {number}: no macro {pattern}")
                    continue
                try:
                    re.compile(str(pattern))
                except re.error as exc:
                    problems.append(f"turn {number}: bad pattern {pattern!r}: {exc}")
    for key, since in given_turns(scenario.get("given")).items():
        if key not in QUESTIONS:
            problems.append(f"given: no questions known for {key!r}")
        if not isinstance(since, int) or not 1 <= since <= len(turns):
            problems.append(f"given: {key} at turn {since}, not a turn")
    handoff = scenario.get("handoff")
    if handoff is not None and handoff != "none":
        if not isinstance(handoff, Mapping) or not set(handoff) <= {"risk", "flags"}:
            problems.append("handoff must be none or {risk, flags}")
        elif handoff.get("risk", "high") not in RISKS or not set(handoff.get("flags", [])) <= FLAGS:
            problems.append(f"handoff: unknown risk or flag in {dict(handoff)}")
    return [f"{name}: {p}" for p in problems]


def load_scenarios(folder: Path) -> list[dict[str, Any]]:
    """Every scenario of the folder's *.yml files, checked; raises ValueError on mistakes."""
    scenarios = []
    for path in sorted(folder.glob("*.yml")):
        scenarios += yaml.safe_load(path.read_text(encoding="utf-8"))["scenarios"]
    problems = [p for s in scenarios for p in validate(s)]
    names = Counter(s.get("name") for s in scenarios)
    problems += [f"{n}: name used {c} times" for n, c in names.items() if c > 1]
    if problems:
        raise ValueError("scenario files:\n" + "\n".join(problems))
    return scenarios

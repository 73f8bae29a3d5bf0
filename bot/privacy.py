"""Find and redact personal data: ID numbers, bank cards, phone numbers, e-mail, codes.

Everything a person types is redacted before it is stored in a transcript, a log or an
event stream::

    >>> redact("我的身份证 11010519491231002X，卡号 6222 0202 0000 0000 006").text
    '我的身份证 [身份证号]，卡号 [银行卡号]'
    >>> sorted(redact("电话138-1234-5678").kinds)
    ['phone']

Matching runs on a normalised copy, so the ways people really type a number are found too:
full-width or Chinese digits, spaces, dots, dashes or zero-width characters between the
digits, a letter prefix, ``(at)`` or ``＠`` in an e-mail address::

    >>> redact("电话一三八 1234\u200b5678").text
    '电话[手机号]'
    >>> redact("邮箱 zhang(at)qq.com").text
    '邮箱 [邮箱]'

A 4-8 digit code is redacted when the message speaks of a 验证码 or a password, and a number
split over two messages is caught through the message before it::

    >>> redact("验证码是482913").text
    '验证码是[验证码]'
    >>> redact("0000 0000 006", previous="我的卡号是[银行卡号]").text
    '[银行卡号]'

Short numbers (amounts, dates, hotlines such as 12378 or 95519) are left alone::

    >>> redact("交了5000元，打了12378").text
    '交了5000元，打了12378'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bot.labels import label, labels

#: Characters that show nothing and may sit between the digits of a number.
_INVISIBLE = frozenset("\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff")
_CHINESE_DIGITS = dict(
    zip("零〇○一壹幺二贰两三叁四肆五伍六陆七柒八捌九玖", "00011122233445566778899", strict=True)
)
# After normalising: a digit, then digits with at most three separator characters between
# them (spaces, dots, dashes, underscores, slashes, middle dots, brackets), then an
# optional ID check character. Bounded separators keep the pattern linear.
_SEPARATOR = r"[\s._\-\u2010-\u2015\u2212·/()\[\]]"
_RUN = re.compile(
    rf"(?<!\d)\+?\d(?:{_SEPARATOR}{{0,3}}\d)*(?:{_SEPARATOR}{{0,2}}[Xx](?![A-Za-z]))?"
)
_DECIMAL = re.compile(r"\d{1,7}\.\d+")
#: Words that make any number near them personal, and which label it gets.
_CONTEXT = (
    (re.compile(r"验证码|校验码|动态码|短信码|口令|密码|pin|code", re.I), "code"),
    (re.compile(r"身份证|证件号"), "id_number"),
    (re.compile(r"银行卡|卡号|账号|帐号|card", re.I), "bank_card"),
    (re.compile(r"手机|电话|座机|联系方式|tel|phone|微信|qq", re.I), "phone"),
)
#: Service numbers, never personal: 12xxx government and 95xxx / 96xxx insurer and bank
#: hotlines, 400 / 800 company numbers.
_SERVICE_NUMBER = re.compile(r"1[12]\d|1[02]\d{3}|9[56]\d{3,4}|[48]00\d{7}")
#: A number followed by one of these is an amount, an age or a date, not personal data.
_UNIT = re.compile(r"\s*(?:元|块|万|千|百|岁|年|月|日|号|天|个|%|％|份|期|倍|次)")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_EMAIL_MARK = re.compile(r"@|\(at\)|\[at\]|\s+at\s+|#", re.I)
_EMAIL_DOMAIN = re.compile(
    r"\s*[A-Za-z0-9\-]{1,63}(?:\s*(?:\.|。|点|\(dot\)|\[dot\]|\s+dot\s+)\s*[A-Za-z0-9\-]{1,63}){1,8}",
    re.I,
)
_LOCAL_PART = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")


@dataclass(frozen=True)
class Redaction:
    text: str
    kinds: frozenset[str] = field(default_factory=frozenset)

    @property
    def found(self) -> bool:
        return bool(self.kinds)


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum used by bank cards.

    >>> luhn_ok("6222020200000000006"), luhn_ok("6222020200000000001")
    (True, False)
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def id_checksum_ok(number: str) -> bool:
    """The check character of an 18-character resident ID number (GB 11643).

    >>> id_checksum_ok("11010519491231002X"), id_checksum_ok("110105194912310021")
    (True, False)
    """
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def _looks_like_id(number: str) -> bool:
    """18 characters with a plausible birth date, or the 15-digit old format. A mistyped
    check digit is still somebody's ID number, so the checksum only breaks ties."""
    if len(number) == 18 and number[:17].isdigit() and (number[17].isdigit() or number[17] in "Xx"):
        year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
        return 1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31
    if len(number) == 15 and number.isdigit():
        month, day = int(number[8:10]), int(number[10:12])
        return 1 <= month <= 12 and 1 <= day <= 31
    return False


def classify_number(raw: str) -> str | None:
    """What a run of digits is, or ``None`` if it is not personal data on its own.

    >>> classify_number("+86 138 1234 5678"), classify_number("010-62345678")
    ('phone', 'landline')
    >>> classify_number("20240115") is None
    True
    """
    number = re.sub(r"[^0-9Xx]", "", normalise(raw)[0])
    for prefix in ("0086", "86"):
        if number.startswith(prefix) and len(number) == len(prefix) + 11:
            number = number[len(prefix) :]
    if re.fullmatch(r"1[3-9]\d{9}", number):
        return "phone"
    if _looks_like_id(number):
        return "id_number"
    if number.isdigit() and 16 <= len(number) <= 19 and luhn_ok(number):
        return "bank_card"
    if re.fullmatch(r"0[1-9]\d{8,10}", number):
        return "landline"
    if len(re.sub(r"\D", "", number)) >= 12:
        return "number"  # a long number of unknown kind: personal until proven otherwise
    return None


def normalise(text: str) -> tuple[str, list[int]]:
    """``text`` in the form the patterns match (NFKC, Chinese digits as digits, invisible
    characters dropped), with the index in ``text`` of every character of the result.

    >>> normalise("１三\u200b8")
    ('138', [0, 1, 3])
    """
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch in _INVISIBLE:
            continue
        out = _CHINESE_DIGITS.get(ch) or unicodedata.normalize("NFKC", ch)
        chars.append(out)
        origin.extend([i] * len(out))
    return "".join(chars), origin


def _context_kind(text: str) -> str | None:
    for pattern, kind in _CONTEXT:
        if pattern.search(text):
            return kind
    return None


def _emails(norm: str) -> list[tuple[int, int]]:
    """Spans of e-mail addresses in the normalised text, in linear time: each marker (@,
    (at), " at ", #) is extended left over at most 64 address characters and right over a
    dotted domain."""
    spans = []
    for mark in _EMAIL_MARK.finditer(norm):
        end = mark.start()
        while end > 0 and mark.start() - end < 2 and norm[end - 1] == " ":
            end -= 1  # "name @ qq.com"
        start = end
        while start > 0 and end - start < 64 and norm[start - 1] in _LOCAL_PART:
            start -= 1
        while start < end and norm[start] == ".":
            start += 1
        if start == end:
            continue
        domain = _EMAIL_DOMAIN.match(norm, mark.end())
        if domain is None or not re.search(r"[A-Za-z]{2,}$", domain.group(0)):
            continue
        if mark.group(0) == "#" and "." not in domain.group(0):
            continue
        spans.append((start, domain.end()))
    return spans


def _numbers(norm: str, context: str | None) -> list[tuple[int, int, str]]:
    """Spans of personal numbers in the normalised text, with their kind."""
    found = []
    for run in _RUN.finditer(norm):
        raw = run.group(0).rstrip(" .-_/")
        if _DECIMAL.fullmatch(raw):
            continue  # 0.517…, 123456.78: a number with decimals is an amount or a score
        digits = re.sub(r"\D", "", raw)
        kind = classify_number(raw)
        if kind is None and context and not _SERVICE_NUMBER.fullmatch(digits):
            shortest = 7 if context == "phone" else 4
            longest = 8 if context == "code" else 30
            after = norm[run.start() + len(raw) :]
            if not after.strip(" ，,。.!！?？"):
                shortest = 3  # the message may stop in the middle of a number
            if shortest <= len(digits) <= longest and not _UNIT.match(after):
                kind = "number" if context == "phone" else context
        if kind is not None:
            found.append((run.start(), run.start() + len(raw), kind))
    return found


def _tail_context(previous: str | None) -> str | None:
    """The kind of number a message may finish when the message before it ended on one."""
    if not previous:
        return None
    tail = previous.rstrip(" ，,。.：:")
    for kind, placeholder in labels("redactions").items():
        if tail.endswith(placeholder):
            return kind
    if re.search(r"\d\W{0,3}$", tail):
        return _context_kind(previous) or "number"
    return None


def redact(text: str | None, previous: str | None = None) -> Redaction:
    """Replace personal data in ``text`` by labels such as ``[身份证号]``.

    ``previous`` is the same person's message before this one, as stored: a message that
    continues a number it ended on is redacted as that number.
    """
    if not text:
        return Redaction(text or "")
    norm, origin = normalise(text)
    emails = [(start, end, "email") for start, end in _emails(norm)]
    numbers = _numbers(norm, _context_kind(norm))
    continued = _tail_context(previous)
    if continued and re.match(r"\W{0,2}\d", norm):
        first = _numbers(norm, continued)[:1]
        numbers = (
            first + [n for n in numbers if first and n[0] >= first[0][1]] if first else numbers
        )
    spans = emails + [n for n in numbers if not any(s <= n[0] < e for s, e, _ in emails)]
    if not spans:
        return Redaction(text)
    out, last = [], 0
    for start, end, kind in sorted(spans):
        begin, finish = origin[start], origin[end - 1] + 1
        if begin < last:
            continue
        out += [text[last:begin], label("redactions", kind)]
        last = finish
    out.append(text[last:])
    return Redaction("".join(out), frozenset(kind for _, _, kind in spans))


def redact_texts(texts: list[str]) -> list[str]:
    """Redact one person's consecutive messages, each in the light of the one before.

    >>> redact_texts(["我的卡号是6222 0202", "0000 0000 006"])
    ['我的卡号是[银行卡号]', '[银行卡号]']
    """
    out: list[str] = []
    for text in texts:
        out.append(redact(text, previous=out[-1] if out else None).text)
    return out

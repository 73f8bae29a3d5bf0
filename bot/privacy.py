"""Find and redact personal data: ID numbers, bank cards, phone numbers, e-mail addresses.

Everything a person types is redacted before it is stored in a transcript or a log::

    >>> redact("我的身份证 11010519491231002X，卡号 6222 0202 0000 0000 006").text
    '我的身份证 [身份证号]，卡号 [银行卡号]'
    >>> sorted(redact("电话138-1234-5678").kinds)
    ['phone']

Numbers split by spaces or dashes are found too. Short numbers (amounts, dates, hotlines
such as 12378 or 95519) are left alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bot.labels import label

# A run of digits, optionally split by single spaces or dashes, optionally ending in X
# (ID check digit), optionally after a +86 / 86 country code.
_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])(?:\+?86[ \-]?)?\d(?:[ \-]?\d){6,22}(?:[ \-]?[Xx])?(?![0-9A-Za-z])"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class Redaction:
    text: str
    kinds: frozenset[str] = field(default_factory=frozenset)

    @property
    def found(self) -> bool:
        return bool(self.kinds)


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum used by bank cards."""
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
    """The check character of an 18-character resident ID number (GB 11643)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def _looks_like_id(number: str) -> bool:
    """18 characters with a plausible birth date, or the 15-digit old format."""
    if len(number) == 18 and number[:17].isdigit() and (number[17].isdigit() or number[17] in "Xx"):
        year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
        return 1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31
    if len(number) == 15 and number.isdigit():
        month, day = int(number[8:10]), int(number[10:12])
        return 1 <= month <= 12 and 1 <= day <= 31
    return False


def classify_number(raw: str) -> str | None:
    """What a matched run of digits is, or ``None`` if it is not personal data."""
    number = re.sub(r"[ \-]", "", unicodedata.normalize("NFKC", raw))
    if number.startswith("+"):
        number = number[1:]
    national = number[2:] if number.startswith("86") and len(number) == 13 else number
    if re.fullmatch(r"1[3-9]\d{9}", national):
        return "phone"
    if _looks_like_id(number):
        return "id_number"
    if number.isdigit() and 16 <= len(number) <= 19 and luhn_ok(number):
        return "bank_card"
    if re.fullmatch(r"0\d{2,3}\d{7,8}", number) and re.search(r"^0\d{2,3}[ \-]", raw):
        return "landline"
    if len(re.sub(r"\D", "", number)) >= 12:
        return "number"  # a long number of unknown kind: personal until proven otherwise
    return None


def redact(text: str | None) -> Redaction:
    """Replace personal data in ``text`` by the ``redactions`` labels, such as ``[身份证号]``."""
    if not text:
        return Redaction(text or "")
    kinds: set[str] = set()

    def replace_email(match: re.Match[str]) -> str:
        kinds.add("email")
        return label("redactions", "email")

    def replace_number(match: re.Match[str]) -> str:
        kind = classify_number(match.group(0))
        if kind is None:
            return match.group(0)
        kinds.add(kind)
        return label("redactions", kind)

    out = _EMAIL.sub(replace_email, text)
    out = _NUMBER.sub(replace_number, out)
    return Redaction(out, frozenset(kinds))

"""Warning signs of 代理退保 scams in free text."""

import pytest

from bot.screening import screen


@pytest.mark.parametrize(
    ("text", "flags", "risk"),
    [
        (
            "他说能全额退，收30%手续费，已经把身份证照片发给他了",
            {"full_refund_promise", "fee_requested", "info_leaked"},
            "high",
        ),
        ("我已经转了5000块给他们", {"paid_fee"}, "high"),
        ("交了3000押金", {"paid_fee", "fee_requested"}, "high"),
        ("验证码已经告诉他了", {"info_leaked"}, "high"),
        ("我签了授权委托书", {"info_leaked", "info_requested"}, "high"),
        ("他要我先交两千押金", {"fee_requested"}, "medium"),
        ("他让我把身份证和银行卡拍照发给他", {"info_requested"}, "medium"),
        ("對方說能全額退保，收三成手續費", {"full_refund_promise", "fee_requested"}, "medium"),
        ("推荐我买收益更高的理财", {"product_pitch"}, "medium"),
        ("没有，他就说退了好", set(), "low"),
        ("交了5年保费了", set(), "low"),
    ],
)
def test_signs(text, flags, risk):
    result = screen(text)
    assert set(result.flags) == flags
    assert result.risk_level == risk


def test_signs_add_up_across_messages():
    assert screen("他说能全额退", "我已经给了他银行卡号").risk_level == "high"

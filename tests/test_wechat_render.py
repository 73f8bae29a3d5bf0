"""The bot's replies as WeChat shows them: numbered options, 2048-byte texts, five at most."""

from __future__ import annotations

import pytest

from bot.labels import label
from bot.wechat.render import (
    MAX_BYTES,
    MAX_MESSAGES,
    choose,
    is_more,
    next_page,
    options_text,
    render,
    split_text,
)

BUTTONS = [
    {"title": "急用钱", "payload": "/need_money"},
    {"title": "交不起保费", "payload": "/premium_hardship"},
    {"title": "有人劝我退保", "payload": "/proxy_surrender"},
]


def size(text: str) -> int:
    return len(text.encode("utf-8"))


# --- options -------------------------------------------------------------------------------------


def test_options_are_numbered_one_a_line():
    assert options_text(BUTTONS) == (
        label("wechat", "options_intro") + "\n1 急用钱\n2 交不起保费\n3 有人劝我退保"
    )


def test_render_adds_the_last_messages_buttons_as_options():
    r = render([{"text": "您好。"}, {"text": "您现在的情况是？", "buttons": BUTTONS}])
    assert r.texts == ["您好。\n\n您现在的情况是？\n\n" + options_text(BUTTONS)]
    assert r.more == []
    assert [(o["number"], o["title"], o["payload"]) for o in r.options] == [
        (1, "急用钱", "/need_money"),
        (2, "交不起保费", "/premium_hardship"),
        (3, "有人劝我退保", "/proxy_surrender"),
    ]


def test_buttons_of_an_earlier_bubble_are_not_options():
    r = render([{"text": "一。", "buttons": BUTTONS}, {"text": "二。"}])
    assert r.texts == ["一。\n\n二。"]
    assert r.options == []


def test_an_empty_reply_renders_nothing():
    assert render([]).texts == []
    assert render([{"image": "https://example.invalid/a.png"}]).texts == []


@pytest.mark.parametrize(
    ("reply", "payload"),
    [
        ("1", "/need_money"),
        ("2", "/premium_hardship"),
        (" 3 ", "/proxy_surrender"),
        ("２", "/premium_hardship"),
        ("３。", "/proxy_surrender"),
        ("1.", "/need_money"),
        ("2、", "/premium_hardship"),
        ("一", "/need_money"),
        ("三", "/proxy_surrender"),
        ("急用钱", "/need_money"),
        ("交不起 保费！", "/premium_hardship"),
        ("交不起保費", "/premium_hardship"),
        ("4", None),
        ("0", None),
        ("四", None),
        ("12", None),
        ("急用", None),
        ("我急用钱", None),
        ("", None),
        ("。", None),
    ],
)
def test_choose_by_number_or_by_words(reply, payload):
    options = render([{"text": "？", "buttons": BUTTONS}]).options
    assert choose(reply, options) == payload


def test_choose_without_options_is_none():
    assert choose("1", []) is None


def test_choose_is_case_insensitive_for_latin_titles():
    options = [{"title": "APP 上办理", "payload": "/app"}]
    assert choose("app上办理", options) == "/app"


@pytest.mark.parametrize(
    ("text", "more"), [("更多", True), ("更多。", True), ("More", True), ("更多问题", False)]
)
def test_is_more(text, more):
    assert is_more(text) is more


# --- splitting ----------------------------------------------------------------------------------

SENTENCE = "退保前请先看看保单的现金价值和能不能办理保单贷款。"  # 75 bytes


def test_a_long_text_is_cut_at_sentence_ends_within_2048_bytes():
    text = SENTENCE * 60  # 4500 bytes
    pieces = split_text(text)
    assert len(pieces) == 3
    assert all(size(p) <= MAX_BYTES for p in pieces)
    assert all(p.endswith("。") for p in pieces)
    assert "".join(pieces) == text


def test_newlines_and_question_marks_are_sentence_ends():
    assert split_text("第一行没有句号\n第二行也没有", max_bytes=30) == [
        "第一行没有句号",
        "第二行也没有",
    ]
    assert split_text("能退吗？可以。", max_bytes=15) == ["能退吗？", "可以。"]
    assert split_text("能退吗？可以。", max_bytes=21) == ["能退吗？可以。"]


def test_the_options_are_never_split_from_their_intro():
    text = "保" * 680  # 2040 bytes: the options do not fit beside it
    r = render([{"text": text, "buttons": BUTTONS}])
    assert r.texts == [text, options_text(BUTTONS)]


def test_closing_quotes_stay_with_their_sentence():
    assert split_text("他说：“全额退。”然后走了。", max_bytes=30) == [
        "他说：“全额退。”",
        "然后走了。",
    ]


def test_a_sentence_longer_than_a_message_is_cut_between_characters():
    text = "保" * 1000  # 3000 bytes, no boundary at all
    pieces = split_text(text)
    assert [size(p) for p in pieces] == [2046, 954]  # 682 characters of 3 bytes fit
    assert "".join(pieces) == text
    for piece in pieces:
        piece.encode("utf-8").decode("utf-8")  # each piece is whole characters


def test_a_long_sentence_prefers_a_comma_to_a_character():
    text = "现金价值，" + "很" * 10 + "。"
    assert split_text(text, max_bytes=33) == ["现金价值，", "很" * 10 + "。"]


def test_multi_byte_text_is_never_cut_mid_character():
    text = "a保🙂é" * 300  # 1-, 3-, 4- and 2-byte characters, no sentence end
    for max_bytes in (4, 5, 7, 100, 2048):
        pieces = split_text(text, max_bytes=max_bytes)
        assert "".join(pieces) == text
        assert all(size(p) <= max_bytes for p in pieces)


def test_emoji_are_counted_as_four_bytes():
    text = "🙂" * 600  # 2400 bytes
    pieces = split_text(text)
    assert [len(p) for p in pieces] == [512, 88]
    assert "".join(pieces) == text


def test_a_limit_below_one_character_is_refused():
    with pytest.raises(ValueError):
        split_text("a", max_bytes=3)


# --- paging ---------------------------------------------------------------------------------------


def test_20_kb_is_five_messages_and_the_rest_waits_for_more():
    text = SENTENCE * 270  # 20 250 bytes
    r = render([{"text": text, "buttons": BUTTONS[:2]}])
    hint = label("wechat", "more_hint")
    assert len(r.texts) == MAX_MESSAGES
    assert all(size(t) <= MAX_BYTES for t in r.texts)
    assert r.texts[-1].endswith("\n\n" + hint)
    assert not any(hint in t for t in r.texts[:-1])
    assert r.more and all(size(p) <= MAX_BYTES for p in r.more)
    assert len(r.options) == 2

    pages, page = [r.texts], r
    while page.more:
        page = next_page(page.more, page.options)
        assert len(page.texts) <= MAX_MESSAGES
        assert all(size(t) <= MAX_BYTES for t in page.texts)
        pages.append(page.texts)
    assert len(pages) == 3  # 20 kB is ten pieces or so: two pages and a bit
    assert page.options == r.options
    assert pages[-1][-1].endswith(options_text(BUTTONS[:2]))  # the options come last

    sent = "".join(t.removesuffix("\n\n" + hint) for texts in pages for t in texts)
    assert sent.replace("\n", "").startswith(text)


def test_the_fifth_message_makes_room_for_the_hint():
    # Five full pieces and a sixth: the hint does not fit beside a full fifth piece.
    text = "保" * (682 * 6)
    r = render([{"text": text}])
    assert len(r.texts) == MAX_MESSAGES
    assert size(r.texts[-1]) <= MAX_BYTES
    assert "".join(r.texts[:-1]) + r.texts[-1].split("\n\n")[0] + "".join(r.more) == text


def test_five_messages_exactly_need_no_hint():
    text = "保" * (682 * 5)
    r = render([{"text": text}])
    assert (len(r.texts), r.more) == (5, [])
    assert not r.texts[-1].endswith(label("wechat", "more_hint"))

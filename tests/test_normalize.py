from bot.nlu.normalize import MAX_CHARS, normalize, to_halfwidth, to_simplified


def test_traditional_becomes_simplified():
    assert normalize("我想辦理保單貸款，現金價值是多少？") == "我想办理保单贷款,现金价值是多少?"
    assert to_simplified("猶豫期內退保") == "犹豫期内退保"


def test_fullwidth_digits_letters_and_space():
    assert to_halfwidth("交了５年，每年２００００元") == "交了5年,每年20000元"
    assert normalize("ＡＰＰ　上能辦嗎") == "APP 上能办吗"


def test_collapses_whitespace_and_repeated_punctuation():
    assert normalize("  我想   退保\n\n怎么办？？？！！！  ") == "我想 退保 怎么办?"
    assert normalize("真的吗。。。。。") == "真的吗。"
    assert normalize("好的～～～") == "好的~"


def test_empty_and_none():
    assert normalize("") == ""
    assert normalize(None) == ""
    assert normalize("   \t\n ") == ""


def test_very_long_input_is_cut_for_the_classifier():
    text = "我想退保" * 2500  # 10,000 characters
    out = normalize(text)
    assert len(out) == MAX_CHARS
    assert out.startswith("我想退保我想退保")


def test_invisible_characters_removed():
    assert normalize("退\u200b保\ufeff") == "退保"


def test_emoji_and_markup_kept_as_text():
    assert normalize("😀😀") == "😀😀"
    assert normalize("<script>alert(1)</script>") == "<script>alert(1)</script>"


def test_simplified_text_unchanged():
    text = "我妈妈的分红险交了8年,想部分领取"
    assert normalize(text) == text

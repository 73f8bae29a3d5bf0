"""The chat page in a real browser, for a 70-year-old on a phone (375x812, 关怀版): replies read
aloud, old buttons that no longer work, her ID and phone number kept on the phone only as the
server stored them, a 「还有内容」 hint, a reply recovered after a reload, two tabs that agree,
and a public 404 page. The console runs in this process with a scripted bot that writes the
tracker database as Rasa would (no trained model needed)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time

import pytest
from sqlite_utils import Database

from bot.privacy import redact
from tests.console_helpers import FakeBot, TrackerEvents, make_app, served
from tests.test_browser import SHOTS, browser  # noqa: F401

pytestmark = pytest.mark.slow
PHONE = {"width": 375, "height": 812}
SOURCE = "来源：示例保险公司《犹豫期说明》 https://example.com/cooling-off"
COOLING_OFF = "犹豫期内退保，保险公司会退还您交的全部保费。请带好保单和身份证去柜台办理。"
LONG = "。".join(f"第{i}点：退保前请先想清楚，现金价值往往比交的保费少很多" for i in range(1, 16))
# In 关怀版 from the first paint, as someone who switched it on earlier would see the page.
CARE = "localStorage.setItem('pg_care', '1');"


def speech_stub(voices: list[dict[str, str]]) -> str:
    """An init script replacing speechSynthesis: speak() records what it was asked to say."""
    return (
        """
    (() => {
      window.__spoken = [];
      const voices = VOICES;
      window.SpeechSynthesisUtterance = function (text) { this.text = text; };
      const synth = {
        getVoices: () => voices,
        speak: (u) => {
          window.__spoken.push({text: u.text, lang: u.lang, voice: u.voice && u.voice.lang,
                                rate: u.rate});
          setTimeout(() => { u.onstart && u.onstart(); u.onend && u.onend(); }, 5);
        },
        cancel: () => {},
        addEventListener: () => {},
        removeEventListener: () => {},
      };
      Object.defineProperty(window, 'speechSynthesis', {value: synth, configurable: true});
    })();
    """
    ).replace("VOICES", json.dumps(voices))


NO_SPEECH = """
Object.defineProperty(window, 'speechSynthesis', {value: undefined, configurable: true});
"""


class ScriptedBot(FakeBot):
    """Answers from ``replies`` (message -> reply list, else ``default``), after ``delay``
    seconds, storing the exchange in the tracker database first, as Rasa does."""

    def __init__(self, tracker_path, replies, default, delay=0.0):
        super().__init__(reply=default)
        self.replies, self.delay = replies, delay
        self.db = Database(sqlite3.connect(tracker_path, check_same_thread=False))

    async def send(self, sender, message):
        self.sent.append((sender, message))
        await asyncio.sleep(self.delay)
        reply = self.replies.get(message, self.reply)
        rows = [{"event": "user", "text": redact(message).text}]
        rows += [
            {"event": "bot", "text": r.get("text"), "data": {"buttons": r.get("buttons")}}
            for r in reply
        ]
        for data in rows:
            self.db.execute(
                "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
                [sender, data["event"], time.time(), json.dumps(data, ensure_ascii=False)],
            )
        self.db.conn.commit()
        return reply


BUTTONS = [{"title": "急用钱", "payload": "/need_money"}, {"title": "不想交了", "payload": "/stop"}]
REPLIES = {
    "我想退保": [{"text": "方便说说为什么想退保吗？", "buttons": BUTTONS}],
    "/need_money": [
        {"text": "急用钱可以先看看保单贷款。", "buttons": [{"title": "好的", "payload": "/affirm"}]}
    ],
    "犹豫期": [{"text": COOLING_OFF + "\n" + SOURCE}],
    "很长": [{"text": LONG, "buttons": [{"title": "明白了", "payload": "/affirm"}]}],
}


@pytest.fixture
def chat(tmp_path):
    """The console on a free port with a scripted bot; yields (url, bot)."""
    TrackerEvents(tmp_path / "tracker.db")
    bot = ScriptedBot(tmp_path / "tracker.db", REPLIES, [{"text": "好的，我明白了。"}])
    SHOTS.mkdir(parents=True, exist_ok=True)
    with served(
        lambda origin: make_app(tmp_path, bot=bot, users={}, console_public_origin=origin)
    ) as url:
        yield url, bot


@pytest.fixture
def phone(browser):  # noqa: F811
    """A new 375x812 phone context in 关怀版; ``phone(script)`` adds init scripts."""
    contexts = []

    def open_page(*scripts: str, context=None):
        if context is None:
            context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=1)
            contexts.append(context)
            context.add_init_script(CARE)
            for script in scripts:
                context.add_init_script(script)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
        return page

    yield open_page
    for context in contexts:
        context.close()


def say(page, text: str) -> None:
    """Type ``text`` and wait until the reply is shown."""
    before = page.locator(".msg.bot").count()
    page.fill("#message-input", text)
    page.click("#send-button")
    wait_for_reply(page, before)


def wait_for_reply(page, before: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('.msg.bot').length > n"
        " && document.getElementById('typing').hidden",
        arg=before,
        timeout=20_000,
    )


def stored_history(page) -> list[dict]:
    return json.loads(page.evaluate("() => localStorage.getItem('pg_history')"))


def test_a_reply_is_read_aloud_with_a_chinese_voice_at_a_slower_rate(chat, phone):
    url, _ = chat
    page = phone(
        speech_stub(
            [
                {"name": "English", "lang": "en-US"},
                {"name": "粤语", "lang": "zh-HK"},
                {"name": "普通话", "lang": "zh-CN"},
            ]
        )
    )
    page.goto(url + "/")
    assert page.is_visible("[data-testid=care-bar]")
    say(page, "犹豫期")
    page.locator(".msg.bot").last.locator("[data-testid=speak-button]").click()
    page.wait_for_function("() => window.__spoken.length > 0")
    spoken = page.evaluate("() => window.__spoken")
    assert "".join(s["text"] for s in spoken) == COOLING_OFF  # no source line, no address
    assert {(s["voice"], s["lang"], s["rate"]) for s in spoken} == {("zh-CN", "zh-CN", 0.8)}

    # 自动朗读 reads the next reply by itself, at the rate chosen (remembered).
    page.click("[data-testid=auto-read]")
    page.select_option("[data-testid=speech-rate]", "0.6")
    page.evaluate("() => { window.__spoken = []; }")
    say(page, "我想退保")
    page.wait_for_function("() => window.__spoken.length > 0")
    spoken = page.evaluate("() => window.__spoken")
    assert [s["text"] for s in spoken] == ["方便说说为什么想退保吗？"]  # not the buttons
    assert spoken[0]["rate"] == 0.6
    page.screenshot(path=str(SHOTS / "chat-read-aloud.png"))
    page.reload()
    assert page.get_attribute("[data-testid=auto-read]", "aria-pressed") == "true"
    assert page.input_value("[data-testid=speech-rate]") == "0.6"

    # 特大字: a step larger than 关怀版, remembered.
    size = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('.msg-text')).fontSize)"
    )
    page.click("[data-testid=xl-toggle]")
    bigger = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('.msg-text')).fontSize)"
    )
    assert bigger > size >= 22
    page.reload()
    assert page.evaluate("() => document.documentElement.classList.contains('xl')")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.js_errors == []


@pytest.mark.parametrize(
    ("script", "words"),
    [
        (speech_stub([{"name": "English", "lang": "en-US"}]), "没有中文语音"),
        (NO_SPEECH, "不能朗读"),
    ],
)
def test_without_a_chinese_voice_the_page_says_so(chat, phone, script, words):
    url, _ = chat
    page = phone(script)
    page.goto(url + "/")
    assert page.is_hidden("[data-testid=voice-note]")
    page.locator("[data-testid=speak-button]").first.click()
    note = page.wait_for_selector("[data-testid=voice-note]", state="visible")
    assert words in note.inner_text()
    if script != NO_SPEECH:
        assert page.evaluate("() => window.__spoken") == []
    assert page.js_errors == []


def test_buttons_of_earlier_turns_are_disabled_and_do_nothing(chat, phone):
    url, bot = chat
    page = phone()
    page.goto(url + "/")
    greeting = page.locator(".msg.bot").first.locator(".reply-button")
    assert greeting.first.is_enabled()
    greeting.first.click()  # 我想退保
    wait_for_reply(page, 1)
    assert greeting.first.is_disabled() and "chosen" in greeting.first.get_attribute("class")
    asked = page.locator(".msg.bot").nth(1).locator(".reply-button")
    asked.first.click()  # 急用钱
    wait_for_reply(page, 2)
    newest = page.locator(".msg.bot").last.locator(".reply-button")
    assert newest.first.is_enabled()
    assert asked.first.is_disabled() and asked.nth(1).is_disabled()
    # A tap on an old button sends nothing.
    sent = len(bot.sent)
    asked.nth(1).click(force=True)
    greeting.nth(2).click(force=True)
    page.wait_for_timeout(300)
    assert len(bot.sent) == sent and page.locator(".msg.user").count() == 2
    page.evaluate("() => { const m = document.getElementById('messages'); m.scrollTop = 1e6; }")
    page.screenshot(path=str(SHOTS / "chat-stale-buttons.png"))
    # Typing answers the newest buttons too, and a reload keeps them disabled.
    say(page, "再问一下")
    page.reload()
    assert page.locator(".reply-button:enabled").count() == 0
    assert page.locator(".msg-buttons.used").count() == 3
    assert page.js_errors == []


def test_her_id_and_phone_number_stay_on_the_phone_only_redacted(chat, phone):
    url, bot = chat
    bot.delay = 1.0
    page = phone()
    page.goto(url + "/")
    typed = "我的电话13812345678，身份证11010519491231002X"
    page.fill("#message-input", typed)
    page.click("#send-button")
    page.wait_for_selector("#typing", state="visible")
    # While the reply is on its way the typed text is in the bubble only, not in storage.
    storage = page.evaluate("() => JSON.stringify(localStorage)")
    assert "13812345678" not in storage and "11010519491231002X" not in storage
    wait_for_reply(page, 1)
    assert page.locator(".msg.user .msg-text").all_inner_texts() == [
        "我的电话[手机号]，身份证[身份证号]"
    ]
    users = [e["text"] for e in stored_history(page) if e["role"] == "user"]
    assert users == ["我的电话[手机号]，身份证[身份证号]"]
    storage = page.evaluate("() => JSON.stringify(localStorage)")
    assert "13812345678" not in storage and "11010519491231002X" not in storage
    assert bot.sent[-1][1] == typed  # the bot itself got what she wrote
    page.reload()
    assert "13812345678" not in page.inner_text("#messages")


def test_a_long_turn_shows_more_below_and_the_notice_is_one_line(chat, phone):
    url, _ = chat
    page = phone()
    page.goto(url + "/")
    notice = page.locator("[data-testid=notice]")
    one_line = notice.bounding_box()["height"]
    assert one_line < 50
    say(page, "很长")
    hint = page.locator("[data-testid=more-hint]")
    assert hint.is_visible() and "还有内容" in hint.inner_text()
    # It takes its own line under the messages: it never covers a button she must tap.
    messages = page.locator("[data-testid=messages]").bounding_box()
    assert hint.bounding_box()["y"] >= messages["y"] + messages["height"] - 1
    top = page.evaluate("() => document.getElementById('messages').scrollTop")
    hint.click()
    assert page.evaluate("() => document.getElementById('messages').scrollTop") > top
    for _ in range(20):
        if hint.is_hidden():
            break
        hint.click()
    assert hint.is_hidden()  # the end of the turn, with its button, is in sight
    assert page.locator(".msg.bot").last.locator(".reply-button").is_visible()
    page.click("[data-testid=notice] summary")
    assert "12378" in notice.inner_text() and notice.bounding_box()["height"] > one_line


def test_a_reload_while_the_reply_is_pending_brings_the_reply(chat, phone):
    url, bot = chat
    bot.delay = 2.0
    page = phone()
    page.goto(url + "/")
    page.fill("#message-input", "我想退保")
    page.click("#send-button")
    page.wait_for_selector("#typing", state="visible")
    page.reload()
    assert "正在取回" in page.inner_text("#typing")
    wait_for_reply(page, 1)
    assert page.locator(".msg.user .msg-text").all_inner_texts() == ["我想退保"]
    assert "方便说说为什么想退保吗" in page.locator(".msg.bot .msg-text").last.inner_text()
    assert page.locator(".msg.bot").last.locator(".reply-button:enabled").count() == 2
    assert len(bot.sent) == 1  # not sent again
    page.reload()
    assert page.locator(".msg.user").count() == 1 and page.locator(".msg.bot").count() == 2
    assert page.evaluate("() => localStorage.getItem('pg_pending')") is None
    assert page.js_errors == []


def test_two_tabs_of_one_conversation_agree(chat, phone):
    url, _ = chat
    first = phone()
    first.goto(url + "/")
    second = phone(context=first.context)
    second.goto(url + "/")
    say(first, "犹豫期")
    second.wait_for_function("() => document.querySelectorAll('.msg.user').length === 1")
    say(second, "我想退保")
    first.wait_for_function("() => document.querySelectorAll('.msg.user').length === 2")
    for page in (first, second):
        texts = page.locator(".msg.user .msg-text").all_inner_texts()
        assert texts == ["犹豫期", "我想退保"]
    assert [e["role"] for e in stored_history(first)] == ["bot", "user", "bot", "user", "bot"]
    # The newest buttons work in both tabs; the greeting's in neither.
    for page in (first, second):
        assert page.locator(".reply-button:enabled").count() == 2


def test_a_mistyped_address_shows_the_public_404_page(chat, phone):
    url, _ = chat
    page = phone()
    r = page.goto(url + "/baodan")
    assert r.status == 404
    text = page.inner_text("body")
    assert "找不到这个页面" in text and "后台" not in text
    assert page.evaluate("() => document.documentElement.classList.contains('care')")
    page.screenshot(path=str(SHOTS / "chat-404.png"))
    page.click("[data-testid=back-to-chat]")
    page.wait_for_selector("#message-input")
    assert page.js_errors == []


def test_a_history_kept_before_holds_the_stored_form_after_the_next_visit(chat, phone):
    """A phone that kept the typed text (before the page stored only the server's form)
    gets the redacted form from the server at the next visit."""
    url, bot = chat
    sender = "0f1e2d3c-aaaa-4bbb-8ccc-123456789abc"
    for text in ("我想退保", "我的电话[手机号]"):
        bot.db.execute(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
            ["web:" + sender, "user", 1.0, json.dumps({"event": "user", "text": text})],
        )
    bot.db.conn.commit()
    old = [
        {
            "role": "bot",
            "text": "您好",
            "buttons": [{"title": "我想退保", "payload": "我想退保"}],
            "used": True,
            "chosen": 0,
        },
        {"role": "user", "text": "我想退保"},
        {"role": "bot", "text": "方便说说为什么吗？"},
        {"role": "user", "text": "我的电话13812345678"},
        {"role": "bot", "text": "收到"},
    ]
    stored = json.dumps(json.dumps(old, ensure_ascii=False))
    seed = (
        "if (!localStorage.getItem('pg_sender')) {"
        f" localStorage.setItem('pg_sender', '{sender}');"
        f" localStorage.setItem('pg_history', {stored}); }}"
    )
    page = phone(seed)
    page.goto(url + "/")
    page.wait_for_function(
        "() => !localStorage.getItem('pg_history').includes('13812345678')", timeout=10_000
    )
    assert page.locator(".msg.user .msg-text").all_inner_texts() == ["我想退保", "我的电话[手机号]"]
    assert page.locator(".reply-button:enabled").count() == 0
    page.reload()
    assert "13812345678" not in page.inner_text("#messages")
    assert page.js_errors == []


def test_without_a_zh_cn_voice_another_chinese_voice_reads(chat, phone):
    url, _ = chat
    page = phone(
        speech_stub([{"name": "English", "lang": "en-US"}, {"name": "粤语", "lang": "zh_HK"}])
    )
    page.goto(url + "/")
    page.locator("[data-testid=speak-button]").first.click()
    page.wait_for_function("() => window.__spoken.length > 0")
    assert {s["voice"] for s in page.evaluate("() => window.__spoken")} == {"zh_HK"}
    assert page.is_hidden("[data-testid=voice-note]")

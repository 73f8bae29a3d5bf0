"""End to end: the real Rasa server and action server, driven through the REST channel."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
import requests

from tests.conftest import DATA, ROOT, load_yaml

pytestmark = pytest.mark.slow
VENV_BIN = Path(sys.executable).parent


def say(servers, text: str, sender: str | None = None) -> list[dict]:
    response = requests.post(
        servers["rasa"] + "/webhooks/rest/webhook",
        json={"sender": sender or uuid.uuid4().hex, "message": text},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def test_surrender_gets_alternatives_first(servers):
    reply = texts(say(servers, "我想退保"))
    for word in ("减保", "部分领取", "保单贷款"):
        assert word in reply


def test_proxy_surrender_offer_gets_the_warning_with_source(servers):
    reply = texts(say(servers, "有人说能帮我全额退保"))
    assert "代理退保" in reply
    assert "来源：" in reply


def test_policy_loan_question_is_answered_from_the_knowledge_base(servers):
    replies = say(servers, "保單貸款利息怎麼算")
    reply = texts(replies)
    assert "来源：" in reply
    assert "保单贷款" in reply or "贷款" in reply
    assert any(r.get("buttons") for r in replies)


def test_published_change_is_answered_without_restart(servers):
    from bot.knowledge.store import KnowledgeBase

    kb = KnowledgeBase.open(servers["db"])
    entries = kb.list(intent="ask_cooling_off", status="published")
    try:
        for entry in entries:
            kb.update(entry.with_changes(answer="测试更新：" + entry.answer), by="e2e")
            kb.publish(entry.id, by="e2e-reviewer", second_person=True)  # a draft till then
        reply = texts(say(servers, "犹豫期是几天"))
        assert "测试更新" in reply
    finally:  # the servers are shared: later tests see the entries as they were
        for entry in entries:
            kb.update(kb.latest(entry.id).with_changes(answer=entry.answer), by="e2e")
            kb.publish(entry.id, by="e2e-reviewer")


@pytest.mark.parametrize("text", ["", "😀😀😀", "<script>alert(1)</script>", "退保" * 500])
def test_odd_messages_get_a_reply_not_an_error(servers, text):
    response = requests.post(
        servers["rasa"] + "/webhooks/rest/webhook",
        json={"sender": uuid.uuid4().hex, "message": text},
        timeout=60,
    )
    assert response.status_code == 200
    assert "Traceback" not in response.text


@pytest.mark.parametrize(("message", "words"), [("退" * 1001, "1000"), ("\\ud800", "UTF-8")])
def test_too_long_or_unencodable_messages_are_a_400_saying_why(servers, message, words):
    body = f'{{"sender": "{uuid.uuid4().hex}", "message": "{message}"}}'
    response = requests.post(
        servers["rasa"] + "/webhooks/rest/webhook",
        data=body.encode(),
        headers={"content-type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 400
    assert words in response.text and "Traceback" not in response.text


PROCEDURE_WORDS = ("身份证件", "银行账户", "柜台或客服热线申请", "30天")


def test_every_surrender_phrasing_gets_alternatives_first(servers):
    data = load_yaml(DATA / "surrender_phrasings.yml")
    phrasings, after = data["surrender_phrasings"], set(data["procedure_after_the_alternatives"])
    assert len(phrasings) >= 30 and after <= set(phrasings)
    failures = []
    for text in phrasings:
        replies = say(servers, text)
        first = replies[0].get("text", "") if replies else ""
        missing = [w for w in ("减保", "部分领取", "保单贷款") if w not in first]
        # No procedure at all; after a decision or a question about the steps, none before
        # the alternatives (in the first bubble).
        checked = first if text in after else texts(replies)
        procedure = [w for w in PROCEDURE_WORDS if w in checked]
        if missing or procedure:
            failures.append((text, missing, procedure))
    assert not failures


def test_scam_conversation_ends_in_urgent_help_and_a_redacted_handoff(servers):
    from bot.handoff import HandoffStore

    sender = "e2e-" + uuid.uuid4().hex
    say(servers, "我想退保", sender)
    screening = texts(say(servers, "有人建议我退", sender))
    assert "全额退保" in screening or "手续费" in screening
    final = texts(
        say(
            servers,
            "他说能全额退，收30%手续费，已经把身份证照片发给他了，号码是11010519491231002X",
            sender,
        )
    )
    from actions.harm import HARM_FIRST

    responses = load_yaml(ROOT / "domain.yml")["responses"]
    for name in HARM_FIRST:  # that it is a scam, then every urgent step
        assert responses[name][0]["text"] in final, name
    handoffs = [h for h in HandoffStore.open(servers["db"]).list() if h.conversation_id == sender]
    assert len(handoffs) == 1
    handoff = handoffs[0]
    assert handoff.risk_level == "high" and "info_leaked" in handoff.flags
    assert "11010519491231002X" not in str(handoff.transcript)
    assert any("[身份证号]" in (t.get("text") or "") for t in handoff.transcript)
    import sqlite3

    stored = sqlite3.connect(servers["tracker"]).execute("SELECT group_concat(data) FROM events")
    assert "11010519491231002X" not in (stored.fetchone()[0] or "")


@pytest.mark.parametrize(
    "data",
    ['{"sender": "u1", "message":', "[]", "not json", '{"message": "你好"}', '{"sender": "u1"}'],
)
def test_bad_requests_get_400_not_500(servers, data):
    response = requests.post(
        servers["rasa"] + "/webhooks/rest/webhook",
        data=data.encode(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400
    assert "Traceback" not in response.text


def test_the_client_cannot_choose_the_channel(servers):
    from bot.handoff import HandoffStore

    sender = "e2e-" + uuid.uuid4().hex
    response = requests.post(
        servers["rasa"] + "/webhooks/rest/webhook",
        json={"sender": sender, "message": "转人工", "input_channel": "wechat"},
        timeout=60,
    )
    assert response.status_code == 200
    (handoff,) = [h for h in HandoffStore.open(servers["db"]).list() if h.conversation_id == sender]
    assert handoff.channel == "rest"


def test_harm_reported_in_the_first_message_gets_urgent_help_once(servers):
    from actions.harm import HARM_FIRST

    said = say(servers, "我七十岁了，有人说能帮我全额退保，我已经交了2000元手续费")
    first = load_yaml(ROOT / "domain.yml")["responses"][HARM_FIRST[0]][0]["text"]
    assert said[0]["text"] == first  # harm first: before any warning or knowledge answer
    replies = texts(said)
    assert "没能明白" not in replies  # no fallback after the urgent steps
    assert replies.count(first) == 1

"""action_answer_knowledge through CollectingDispatcher, with an in-memory knowledge base."""

import pytest

from bot.knowledge.answers import entry_payload
from tests.kb_helpers import entry, knowledge_action, sample_kb
from tests.trackers import run_action, tracker_for


@pytest.fixture()
def kb():
    return sample_kb()


@pytest.fixture()
def action(kb):
    return knowledge_action(kb)


def test_answers_with_entry_text_and_source(action):
    messages, events = run_action(action, tracker_for("保单贷款利息怎么算", "ask_policy_loan"))
    # The answer sets the topic for follow-ups (tests/test_followups.py).
    assert events == [{"event": "slot", "timestamp": None, "name": "topic", "value": "loan"}]
    (message,) = messages
    assert message["response"] == "utter_kb_answer"
    assert message["answer"].startswith("保单贷款一般最多可借现金价值的八成")
    assert message["source"] == "全国人大常委会《保险法》（2015）"


def test_related_entries_become_buttons(kb, action):
    kb.create(
        entry(
            "loan-2", title="保单贷款要注意什么", intents=["ask_policy_loan"], keywords=["保单贷款"]
        ),
        by="t",
    )
    (message,), _ = run_action(action, tracker_for("保单贷款", "ask_policy_loan"))
    shown = "loan-2" if message["answer"] == entry("loan-2").answer else "loan"
    other = {"loan": "loan-2", "loan-2": "loan"}[shown]
    assert [b["payload"] for b in message["buttons"]] == [entry_payload(other)]


def test_button_payload_opens_that_entry(action):
    tracker = tracker_for(
        '/show_entry{"entry_id": "proxy"}',
        "show_entry",
        entities=[{"entity": "entry_id", "value": "proxy"}],
    )
    (message,), _ = run_action(action, tracker)
    assert message["answer"].startswith("代理退保有三大风险")


def test_no_entry_for_intent_is_an_honest_reply_with_human_offer(action):
    (message,), _ = run_action(action, tracker_for("理赔有什么讲究", "ask_claim"))
    assert message["response"] == "utter_kb_no_answer"


def test_unpublished_entry_is_never_shown(action):
    tracker = tracker_for(
        "x", "show_entry", entities=[{"entity": "entry_id", "value": "draft-loan"}]
    )
    (message,), _ = run_action(action, tracker)
    assert message["response"] == "utter_kb_no_answer"


def test_a_published_change_reaches_the_next_answer(kb, action):
    run_action(action, tracker_for("犹豫期", "ask_cooling_off"))
    kb.update(
        entry(
            "cooling",
            title="犹豫期",
            intents=["ask_cooling_off"],
            keywords=["犹豫期"],
            answer="新的犹豫期说明。",
        ),
        by="staff",
    )
    (message,), _ = run_action(action, tracker_for("犹豫期", "ask_cooling_off"))
    assert message["answer"] != "新的犹豫期说明。"  # a draft until it is published
    kb.publish("cooling", by="reviewer", second_person=True)
    (message,), _ = run_action(action, tracker_for("犹豫期", "ask_cooling_off"))
    assert message["answer"] == "新的犹豫期说明。"


def test_broken_database_falls_back_to_the_domain_answer(action):
    def broken():
        raise OSError("disk gone")

    action.knowledge_base_factory = broken
    domain = {"responses": {"utter_ask_policy_loan": [{"text": "…"}]}}
    messages, _ = run_action(action, tracker_for("保单贷款", "ask_policy_loan"), domain)
    assert messages[0]["response"] == "utter_ask_policy_loan"
    (message,), _ = run_action(action, tracker_for("保单贷款", "ask_policy_loan"))  # empty domain
    assert message["response"] == "utter_kb_no_answer"


def test_answer_template_lives_in_the_domain():
    from tests.conftest import ROOT, load_yaml

    responses = load_yaml(ROOT / "domain.yml")["responses"]
    text = responses["utter_kb_answer"][0]["text"]
    assert "{answer}" in text and "来源：{source}" in text
    assert responses["utter_kb_no_answer"][0]["buttons"][0]["payload"] == "/request_human"


def test_a_case_story_is_not_the_first_answer(kb, action):
    kb.create(
        entry(
            "loan-case",
            title="以案说险：保单贷款解了急",
            category="case",
            intents=["ask_policy_loan"],
            keywords=["保单贷款", "案例"],
            answer="王阿姨用保单贷款解了急。",
        ),
        by="t",
    )
    (message,), _ = run_action(action, tracker_for("保单贷款 以案说险 王阿姨", "ask_policy_loan"))
    assert message["answer"].startswith("保单贷款一般最多")
    assert entry_payload("loan-case") in [b["payload"] for b in message["buttons"]]


def test_a_follow_up_in_the_same_topic_gets_its_short_answer(action):
    tracker = tracker_for("利息大概多少", "ask_policy_loan", slots={"topic": "loan"})
    (message,), _ = run_action(action, tracker)
    assert message["response"] == "utter_followup_loan_rate"
    first = tracker_for("请问保单贷款的利息一般是怎么计算的", "ask_policy_loan")
    (message,), _ = run_action(action, first)
    assert message["response"] == "utter_kb_answer"

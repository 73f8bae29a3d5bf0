"""The 代理退保 screening: harm first, each sign warned once, only open questions asked."""

from sqlite_utils import Database

from actions.harm import HARM_FIRST
from actions.screening import ActionScreenRisk
from bot.handoff import HandoffStore
from tests.conftest import ROOT, load_yaml
from tests.kb_helpers import sample_kb
from tests.trackers import HANDED_OFF, run_action, tracker_for


def screen(texts, intent="proxy_surrender", **slots):
    action = ActionScreenRisk()
    store = HandoffStore(Database(memory=True))
    action.store_factory = lambda: store
    action.knowledge_base_factory = sample_kb
    run = run_action(action, tracker_for(texts, intent, sender="conv", slots=slots))
    return run, store


def slots_of(run) -> dict:
    return {e["name"]: e["value"] for e in run.events if e["event"] == "slot"}


def test_leaked_id_gets_urgent_steps_and_a_high_priority_handoff():
    texts = [
        "我想退保",
        "有人建议我退",
        "他说能全额退，收30%手续费，已经把身份证照片发给他了，身份证号11010519491231002X",
    ]
    run, store = screen(texts, screening_pending=True)
    # Harm first: that it is a scam and the steps, before any word about not sending the ID.
    assert run.responses == [*HARM_FIRST, "utter_handoff_urgent", *HANDED_OFF]
    assert slots_of(run)["screening_pending"] is False and slots_of(run)["harm_told"] is True
    (handoff,) = store.list()
    assert handoff.risk_level == "high" and handoff.reason == "proxy_surrender"
    assert {"info_leaked", "fee_requested", "full_refund_promise"} <= set(handoff.flags)
    assert "11010519491231002X" not in str(handoff.transcript)


def test_harm_told_again_is_one_line_and_updates_the_handoff():
    run, store = screen(["我已经交了3000押金", "还把验证码告诉他了"], harm_told=True)
    assert run.responses == ["utter_harm_again"]
    assert "info_leaked" in store.list()[0].flags


def test_nothing_told_yet_gets_the_warning_and_what_did_they_say():
    run, store = screen(["有人建议我退"], intent="reason_text")
    assert run.responses == ["utter_screening_warn", "utter_screening_question"]
    assert slots_of(run)["screening_pending"] is True and store.list() == []


def test_signs_told_are_warned_about_and_not_asked_again():
    run, _ = screen(["有人说能帮我全额退保，要先交三成手续费"])
    assert run.responses == ["utter_screening_warn_fee", "utter_screening_ask_done"]
    question = load_yaml(ROOT / "domain.yml")["responses"]["utter_screening_ask_done"][0]["text"]
    assert "全额" not in question and "手续费" not in question


def test_not_yet_paid_gets_the_safe_way_without_a_question():
    run, _ = screen(["有人加我微信说能帮我全额退保，要先交2000押金，我还没交，这靠谱吗"])
    assert run.responses == ["utter_screening_warn_fee", "utter_screening_safe"]
    assert slots_of(run)["screening_pending"] is False


def test_a_new_sign_in_the_answer_is_warned_once():
    run, _ = screen(["有人建议我退", "他要我先交三成手续费"], screening_pending=True)
    assert run.responses == ["utter_screening_warn_fee", "utter_screening_ask_done"]
    run, _ = screen(["有人建议我退", "他要我先交三成手续费", "还没交呢"], screening_pending=True)
    assert run.responses == ["utter_screening_safe"]


def test_an_unclear_answer_is_asked_once_more_in_other_words_then_let_go():
    run, _ = screen(["有人说能帮我全额退保", "哦哦"], intent="affirm", screening_pending=True)
    assert run.responses == ["utter_screening_ask_done_again"]
    slots = {"screening_pending": True, "clarified": "screening"}
    run, _ = screen(["有人说能帮我全额退保", "哦哦", "😶"], intent="affirm", **slots)
    assert run.responses == ["utter_let_go"]
    assert slots_of(run)["screening_pending"] is False


def test_a_deny_or_what_now_gets_the_safe_way():
    for text, intent in (("都没有", "deny"), ("那我该怎么办", "out_of_scope")):
        run, _ = screen(["有人建议我退", text], intent=intent, screening_pending=True)
        assert run.responses == ["utter_screening_safe"]


def test_already_handed_button():
    """The screening questions' button sends this text; it must count as harm done."""
    responses = load_yaml(ROOT / "domain.yml")["responses"]
    for name in ("utter_screening_question", "utter_screening_ask_done"):
        assert "我已经付钱或给了证件" in [b["payload"] for b in responses[name][0]["buttons"]]
    run, store = screen(["我已经付钱或给了证件"], intent="personal_info_request")
    assert run.responses[0] == "utter_harm_scam_likely"
    assert store.list()[0].risk_level == "high"


def test_every_warning_cites_its_source():
    responses = load_yaml(ROOT / "domain.yml")["responses"]
    warnings = [name for name in responses if name.startswith("utter_screening_warn")]
    assert len(warnings) == 4
    assert all("来源：" in responses[name][0]["text"] for name in warnings)


def test_a_question_with_no_sign_gets_its_entry_then_whether_anything_was_handed_over():
    run, _ = screen(["代理退保是什么"])
    assert run.responses == ["utter_kb_answer", "utter_screening_ask_done"]
    assert run.messages[0]["answer"].startswith("代理退保有三大风险")
    assert "来源" not in run.messages[0]["answer"] and run.messages[0]["source"]


def test_an_unreadable_knowledge_base_falls_back_to_the_warning():
    action = ActionScreenRisk()
    action.store_factory = lambda: HandoffStore(Database(memory=True))

    def broken():
        raise OSError("unable to open database file")

    action.knowledge_base_factory = broken
    run = run_action(action, tracker_for(["有人说能帮我代理退保"], "proxy_surrender"))
    assert run.responses == ["utter_screening_warn", "utter_screening_ask_done"]

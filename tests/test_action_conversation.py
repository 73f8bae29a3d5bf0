"""What a conversation remembers of itself: pings while waiting, a surrender already
explained, a question already re-asked."""

import itertools

from actions.conversation import (
    SELF_SERVICE,
    ActionClarifyStage,
    ActionGreet,
    ActionSurrenderStart,
)
from tests.trackers import run_action, tracker_for


def slots_of(run) -> dict:
    return {e["name"]: e["value"] for e in run.events if e["event"] == "slot"}


def test_a_greeting_is_a_greeting_until_a_handoff_is_open():
    assert run_action(ActionGreet(), tracker_for("你好", "greet")).responses == ["utter_greet"]


def test_pings_while_waiting_get_the_status_never_the_same_text_twice_in_a_row():
    said, pings = [], 0
    for _ in range(4):
        slots = {"handoff_open": True, "handoff_pings": pings}
        run = run_action(ActionGreet(), tracker_for("有人吗", "greet", slots=slots))
        said += run.responses
        pings = slots_of(run)["handoff_pings"]
    assert "utter_greet" not in said
    assert all(a != b for a, b in itertools.pairwise(said))
    assert len(set(said[:3])) == 3


def test_the_first_surrender_request_gets_the_alternatives_and_then_the_reason_question():
    run = run_action(ActionSurrenderStart(), tracker_for("我想退保", "request_surrender"))
    assert run.responses == ["utter_request_surrender", "utter_request_surrender_ways"]
    assert slots_of(run) == {"surrender_warned": True, "surrender_decided": False, "stage": None}


def test_a_second_request_gets_one_line_not_the_warning_again():
    again = tracker_for(
        ["我想退保", "我还是想退保"], "request_surrender", slots={"surrender_warned": True}
    )
    run = run_action(ActionSurrenderStart(), again)
    assert run.responses == ["utter_surrender_reminder"]
    assert slots_of(run)["surrender_decided"] is False


def test_a_clear_decision_is_respected_but_the_alternatives_still_come_first():
    decided = tracker_for("我就是要退，别劝了", "request_surrender")
    run = run_action(ActionSurrenderStart(), decided)
    assert run.responses[0] == "utter_request_surrender"  # the surrender-first rule
    assert slots_of(run)["surrender_decided"] is True  # so the reason is not asked
    warned = {"surrender_warned": True}
    again = tracker_for(["我就是要退", "别劝了，告诉我怎么退"], "request_surrender", slots=warned)
    assert run_action(ActionSurrenderStart(), again).responses == [*SELF_SERVICE]
    third = tracker_for(["我想退保"] * 3, "request_surrender", slots=warned)
    assert run_action(ActionSurrenderStart(), third).responses == [*SELF_SERVICE]


def test_an_acknowledgement_is_asked_once_more_then_the_flow_lets_go():
    first = run_action(
        ActionClarifyStage(), tracker_for("好的", "affirm", slots={"stage": "still_surrender"})
    )
    assert first.responses == ["utter_clarify_still_surrender"]
    assert slots_of(first) == {"stage": "still_surrender", "clarified": "still_surrender"}
    again = tracker_for("嗯", "affirm", slots={"stage": "still_surrender", **slots_of(first)})
    second = run_action(ActionClarifyStage(), again)
    assert second.responses == ["utter_let_go"]
    assert slots_of(second) == {"stage": None, "clarified": None}


def test_every_response_the_actions_name_is_in_the_domain():
    from tests.conftest import ROOT, load_yaml

    responses = load_yaml(ROOT / "domain.yml")["responses"]
    from actions.conversation import WAITING

    names = [*WAITING, *SELF_SERVICE, "utter_surrender_reminder", "utter_let_go"]
    names += ["utter_clarify_still_surrender", "utter_clarify_callback"]
    assert [n for n in names if n not in responses] == []


def test_after_a_decision_asking_how_gets_the_official_way():
    slots = {"surrender_warned": True, "surrender_decided": True}
    how = tracker_for(["我就是要退保，别劝了", "告诉我"], "request_surrender", slots=slots)
    assert run_action(ActionSurrenderStart(), how).responses == [*SELF_SERVICE]


def test_a_decision_given_as_the_reason_ends_the_persuading():
    from actions.surrender import ActionSurrenderReasonAdvice
    from bot.reasons import surrender_reason

    assert surrender_reason("别劝了，我就是要退") == "decided"  # not "advised" for 劝
    reason = tracker_for("别劝了", "request_surrender", slots={"surrender_reason": "decided"})
    run = run_action(ActionSurrenderReasonAdvice(), reason)
    assert run.responses == [*SELF_SERVICE]
    assert slots_of(run) == {"stage": None}


def test_a_decision_inside_the_reason_form_is_not_persuaded_again():
    from rasa_sdk.executor import CollectingDispatcher

    from actions.surrender import ValidateSurrenderReasonForm

    dispatcher = CollectingDispatcher()
    tracker = tracker_for("别劝了，我就是要退", "request_surrender")
    result = ValidateSurrenderReasonForm().validate_surrender_reason(
        "别劝了，我就是要退", dispatcher, tracker, {}
    )
    assert result == {"surrender_reason": "decided"}
    assert dispatcher.messages == []  # no reminder, no "didn't understand"

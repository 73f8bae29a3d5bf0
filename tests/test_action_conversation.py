"""What a conversation remembers of itself: pings while waiting, a question already
re-asked."""

import itertools

from sqlite_utils import Database

from actions.conversation import ActionClarifyStage, ActionGreet
from actions.desk import WAITING
from tests.trackers import run_action, tracker_for


def slots_of(run) -> dict:
    return {e["name"]: e["value"] for e in run.events if e["event"] == "slot"}


def test_a_greeting_is_a_greeting_until_a_handoff_is_open():
    assert run_action(ActionGreet(), tracker_for("你好", "greet")).responses == ["utter_greet"]


def test_pings_while_waiting_get_the_status_never_the_same_text_twice_in_a_row():
    said, pings = [], 0
    greet = ActionGreet()
    greet.db_factory = lambda: Database(memory=True)  # no queue known: the plain status
    for _ in range(4):
        slots = {"handoff_open": True, "handoff_pings": pings}
        run = run_action(greet, tracker_for("有人吗", "greet", slots=slots))
        said += run.responses
        pings = slots_of(run)["handoff_pings"]
    assert "utter_greet" not in said
    # Where it stands, every time, in other words each time.
    assert said[::2] == [
        "utter_handoff_in_queue",
        "utter_handoff_in_queue_again",
        "utter_handoff_in_queue_later",
        "utter_handoff_in_queue",
    ]
    assert all(a != b for a, b in itertools.pairwise(said))
    assert said[1::2][:3] == list(WAITING)  # then one of the waiting lines, in turn


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
    from actions.conversation import SELF_SERVICE_STEPS
    from tests.conftest import ROOT, load_yaml

    responses = load_yaml(ROOT / "domain.yml")["responses"]
    names = [*WAITING, *SELF_SERVICE_STEPS, "utter_surrender_reminder", "utter_let_go"]
    names += ["utter_clarify_still_surrender", "utter_surrender_self_service"]
    names += ["utter_surrender_self_service_cooling_off", "utter_request_surrender_decided"]
    assert [n for n in names if n not in responses] == []

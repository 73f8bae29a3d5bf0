"""Actions never raise: a failing app database gets a short reply, and a handoff that cannot
be written right now waits in the outbox (actions/guard.py, actions/handoff.py)."""

from __future__ import annotations

import inspect
import logging
import sqlite3

import pytest
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection
from sqlite_utils import Database

from actions.fallback import ActionDefaultFallback
from actions.guard import SERVICE_TROUBLE, guarded, is_guarded
from actions.handoff import QUEUED_RESPONSE, ActionRequestHuman
from actions.harm import HARM_FIRST
from actions.screening import ActionScreenRisk
from bot.db import open_database
from bot.handoff import HandoffStore
from bot.logs import install_redacting_logs
from bot.outbox import Outbox
from tests.kb_helpers import sample_kb
from tests.trackers import HANDED_OFF, run_action, tracker_for

PHONE = "13812345678"
LEAKED = ["有人说能全额退保", f"我已经把验证码和手机号{PHONE}给他了，还交了手续费"]


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "var" / "policyguard.db"
    HandoffStore.open(path).db.close()
    return path


@pytest.fixture
def lock(db_path):
    """Hold the app database's write lock, as a long import in the console would."""
    other = sqlite3.connect(db_path, isolation_level=None)
    held = []

    def take():
        other.execute("BEGIN IMMEDIATE")
        held.append(True)

    def release():
        if held:
            other.execute("ROLLBACK")
            held.clear()

    yield take, release
    release()
    other.close()


def wired(action: Action, db_path, factory=None) -> Action:
    action.store_factory = factory or (
        lambda: HandoffStore(open_database(db_path, busy_timeout=0.05))
    )
    action.outbox_factory = lambda: Outbox(db_path.parent / "outbox")
    if hasattr(action, "knowledge_base_factory"):
        action.knowledge_base_factory = sample_kb
    return action


def human_tracker(sender="conv-1"):
    return tracker_for(f"转人工，我电话{PHONE}", "request_human", sender=sender)


def stored(db_path):
    return HandoffStore.open(db_path).list()


def test_locked_database_queues_the_handoff_and_says_a_person_will_see_it(db_path, lock):
    take, release = lock
    take()
    run = run_action(wired(ActionRequestHuman(), db_path), human_tracker())
    assert run.responses == [QUEUED_RESPONSE, *HANDED_OFF]
    (waiting,) = Outbox(db_path.parent / "outbox").pending()
    assert PHONE not in waiting.read_text()
    release()
    assert stored(db_path) == []  # nothing half-written


def test_database_back_the_next_handoff_stores_the_waiting_one_exactly_once(db_path, lock):
    take, release = lock
    take()
    run_action(wired(ActionRequestHuman(), db_path), human_tracker("waited"))
    release()
    later = run_action(wired(ActionRequestHuman(), db_path), human_tracker("later"))
    assert later.responses == HANDED_OFF
    assert sorted(h.conversation_id for h in stored(db_path)) == ["later", "waited"]
    assert Outbox(db_path.parent / "outbox").pending() == []
    run_action(wired(ActionRequestHuman(), db_path), human_tracker("later"))
    assert len(stored(db_path)) == 2


def test_read_only_database_queues_the_handoff(db_path):
    def read_only():
        return HandoffStore(Database(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)))

    run = run_action(wired(ActionRequestHuman(), db_path, read_only), human_tracker())
    assert run.responses == [QUEUED_RESPONSE, *HANDED_OFF]
    assert len(Outbox(db_path.parent / "outbox").pending()) == 1


def test_a_bug_in_storing_still_keeps_the_handoff(db_path, caplog):
    install_redacting_logs()

    def buggy():
        raise RuntimeError(f"cannot store {PHONE}")

    with caplog.at_level(logging.ERROR, logger="actions.handoff"):
        run = run_action(wired(ActionRequestHuman(), db_path, buggy), human_tracker())
    assert run.responses == [QUEUED_RESPONSE, *HANDED_OFF]
    assert len(Outbox(db_path.parent / "outbox").pending()) == 1
    assert "RuntimeError" in caplog.text and PHONE not in caplog.text


def test_high_risk_gets_the_urgent_steps_and_the_handoff_waits(db_path, lock):
    take, _ = lock
    take()
    tracker = tracker_for(LEAKED, "proxy_surrender", slots={"screening_pending": True})
    run = run_action(wired(ActionScreenRisk(), db_path), tracker)
    assert run.responses == [*HARM_FIRST, QUEUED_RESPONSE, *HANDED_OFF]
    assert {e["name"] for e in run.events} == {
        "harm_told",
        "handoff_open",
        "screening_pending",
        "topic",
    }


def test_the_fallback_handoff_still_forgets_the_message_when_queued(db_path, lock):
    take, _ = lock
    take()
    run = run_action(wired(ActionDefaultFallback(), db_path), human_tracker())
    assert run.responses == [QUEUED_RESPONSE, *HANDED_OFF]
    assert run.events == [{"event": "rewind", "timestamp": None}]


def test_nowhere_to_write_gets_the_apology_and_a_redacted_log(db_path, lock, caplog):
    install_redacting_logs()
    take, _ = lock
    take()
    (db_path.parent / "outbox").write_text("a file where the folder should be")
    with caplog.at_level(logging.ERROR, logger="actions.guard"):
        run = run_action(wired(ActionRequestHuman(), db_path), human_tracker())
    assert run.responses == [SERVICE_TROUBLE]
    assert "action_request_human: the app database failed" in caplog.text
    assert "Traceback" in caplog.text and PHONE not in caplog.text


def test_an_unexpected_error_is_logged_redacted_and_answered(caplog):
    class Broken(Action):
        def name(self):
            return "action_broken"

        @guarded
        async def run(self, dispatcher, tracker, domain):
            dispatcher.utter_message(response="utter_harm_scam_likely")
            raise ValueError(f"cannot handle {tracker.latest_message['text']}")

    with caplog.at_level(logging.ERROR, logger="actions.guard"):
        run = run_action(Broken(), human_tracker())
    assert run.responses == ["utter_harm_scam_likely", SERVICE_TROUBLE]  # what was said stays
    assert "ValueError" in caplog.text and PHONE not in caplog.text


def test_a_form_rejection_is_not_swallowed():
    class Rejecting(Action):
        def name(self):
            return "action_rejecting"

        @guarded
        async def run(self, dispatcher, tracker, domain):
            raise ActionExecutionRejection("action_rejecting")

    with pytest.raises(ActionExecutionRejection):
        run_action(Rejecting(), human_tracker())


def database_actions() -> list[type[Action]]:
    """Every action of the package that opens the app database (it has a store factory)."""
    ActionExecutor().register_package("actions")  # imports every action module
    found, todo = set(), [Action]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    factories = ("store_factory", "knowledge_base_factory")
    return sorted(
        (
            c
            for c in found
            if c.__module__.startswith("actions.")
            and not inspect.isabstract(c)
            and any(hasattr(c, f) for f in factories)
        ),
        key=lambda c: c.__name__,
    )


@pytest.mark.parametrize("action_class", database_actions(), ids=lambda c: c.__name__)
def test_every_action_that_opens_the_database_answers_when_it_fails(action_class, tmp_path):
    def broken():
        raise sqlite3.OperationalError("unable to open database file")

    action = action_class()
    action.store_factory = broken
    action.outbox_factory = lambda: Outbox(tmp_path / "outbox")
    if hasattr(action, "knowledge_base_factory"):
        action.knowledge_base_factory = broken
    assert is_guarded(action_class)
    # Not a screened intent: for those the knowledge action leaves the harm to the screening
    # that follows it in the same rule (tests/test_action_harm.py).
    tracker = tracker_for(LEAKED, "ask_policy_loan", slots={"screening_pending": True})
    run = run_action(action, tracker, {"responses": {"utter_ask_policy_loan": []}})
    # Never raised, never silent: the handoff waits (and the user hears where staff will
    # answer), or the knowledge action's own fallback.
    queued = QUEUED_RESPONSE in run.responses and run.responses[-2:] == HANDED_OFF
    assert queued or run.responses[-1] in {SERVICE_TROUBLE, "utter_ask_policy_loan"}

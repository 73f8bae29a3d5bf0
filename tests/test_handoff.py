"""Handoff records: one open record per conversation, redacted transcripts, the CLI."""

from click.testing import CliRunner
from sqlite_utils import Database

from actions.handoff import ActionRequestHuman
from bot.cli import cli
from bot.handoff import OPEN, HandoffFilter, HandoffStore
from bot.transcript import transcript_from_events
from tests.trackers import HANDED_OFF, run_action, tracker_for

EVENTS = [
    {"event": "action", "name": "action_session_start", "timestamp": 1.0},
    {
        "event": "user",
        "text": "我身份证11010519491231002X，电话138 1234 5678",
        "parse_data": {"intent": {"name": "request_surrender", "confidence": 0.93}},
        "timestamp": 2.0,
        "input_channel": "rest",
    },
    {"event": "action", "name": "utter_request_surrender", "timestamp": 3.0},
    {"event": "bot", "text": "先别急着退保……", "timestamp": 3.1},
    {"event": "action", "name": "action_listen", "timestamp": 3.2},
]


def tracker(events=EVENTS, sender="conv-1"):
    return tracker_for("转人工", "request_human", sender=sender, events=events)


def test_transcript_keeps_turns_and_redacts():
    turns = transcript_from_events(EVENTS)
    assert [t["role"] for t in turns] == ["action", "user", "action", "bot"]
    user = turns[1]
    assert user["text"] == "我身份证[身份证号]，电话[手机号]"
    assert (user["intent"], user["confidence"]) == ("request_surrender", 0.93)
    assert "11010519491231002X" not in str(turns)


def test_second_request_updates_the_open_record():
    store = HandoffStore(Database(memory=True))
    first, created = store.request("c", "rest", "user_request", "low", ["elderly"], [])
    second, created_again = store.request("c", "rest", "proxy_surrender", "high", ["paid_fee"], [])
    assert created and not created_again
    assert second.id == first.id
    assert second.risk_level == "high" and second.reason == "proxy_surrender"
    assert second.flags == ("elderly", "paid_fee")
    assert len(store.list()) == 1


def test_list_orders_by_risk_then_age():
    store = HandoffStore(Database(memory=True))
    store.request("a", "rest", "user_request", "low", [], [])
    store.request("b", "rest", "proxy_surrender", "high", [], [])
    assert [h.conversation_id for h in store.list()] == ["b", "a"]


def test_search_puts_open_first_and_pages_in_sql():
    store = HandoffStore(Database(memory=True))
    for i in range(5):
        store.request(f"c{i}", "rest", "user_request", "high" if i % 2 else "low", [], [])
    store.set_status(2, "resolved", by="wang")  # c1, high
    order = [h.conversation_id for h in store.search(HandoffFilter())]
    assert order == ["c3", "c0", "c2", "c4", "c1"]  # open high, open low, then resolved
    assert [h.conversation_id for h in store.search(HandoffFilter(), 2, 2)] == ["c2", "c4"]
    assert store.count(HandoffFilter()) == 5
    assert store.count(HandoffFilter(status=OPEN)) == 4
    assert [h.id for h in store.search(HandoffFilter(status=OPEN), 10, 3)] == [5]
    assert store.count(HandoffFilter(status="resolved", risk_level="high")) == 1


def test_action_creates_then_updates(tmp_path):
    store = HandoffStore(Database(memory=True))
    action = ActionRequestHuman()
    action.store_factory = lambda: store
    first, second = run_action(action, tracker()), run_action(action, tracker())
    assert first.responses == HANDED_OFF
    # The status, not a new promise: where it stands in the queue, then a waiting line.
    assert second.responses == ["utter_handoff_position", "utter_handoff_waiting"]
    assert second.messages[0]["position"] == 1
    (handoff,) = store.list()
    assert handoff.channel == "rest" and handoff.status == "new"
    assert "11010519491231002X" not in str(handoff.transcript)


def test_cli_list_and_show(tmp_path):
    db = tmp_path / "app.db"
    HandoffStore.open(db).request(
        "conv-9", "rest", "user_request", "low", [], transcript_from_events(EVENTS)
    )
    runner = CliRunner()
    listing = runner.invoke(cli, ["handoffs", "list", "--db", str(db)])
    assert listing.exit_code == 0 and "#1" in listing.output
    shown = runner.invoke(cli, ["handoffs", "show", "1", "--db", str(db)])
    assert "conv-9" in shown.output and "[身份证号]" in shown.output
    assert "11010519491231002X" not in shown.output
    missing = runner.invoke(cli, ["handoffs", "show", "99", "--db", str(db)])
    assert missing.exit_code == 1 and "no handoff 99" in missing.output


def test_an_elderly_policyholder_is_flagged_for_the_supervisor():
    store = HandoffStore(Database(memory=True))
    action = ActionRequestHuman()
    action.store_factory = lambda: store
    elderly = [*EVENTS, {"event": "user", "text": "我今年七十八岁了，看不清字", "timestamp": 4.0}]
    run_action(action, tracker(elderly, sender="old"))
    run_action(action, tracker(sender="young"))
    flags = {h.conversation_id: h.flags for h in store.list()}
    assert flags == {"old": ("elderly",), "young": ()}
    assert store.list()[0].risk_level == "low"  # age alone is not a risk


def test_a_resolved_handoff_is_not_reopened_beside_a_newer_open_one():
    import pytest

    store = HandoffStore(Database(memory=True))
    first, _ = store.request("c1", "rest", "user_request", "low", [], [])
    store.set_status(first.id, "resolved", by="wang")
    second, created = store.request("c1", "rest", "user_request", "low", [], [])
    assert created
    with pytest.raises(ValueError):
        store.set_status(first.id, "in_review", by="wang")
    assert store.get(first.id).status == "resolved"
    store.set_status(second.id, "resolved", by="wang")
    assert store.set_status(first.id, "in_review", by="wang").status == "in_review"


def test_refused_review_changes_say_which_rule():
    import pytest

    from bot.handoff import MAX_NOTE, ReviewError

    store = HandoffStore(Database(memory=True))
    first, _ = store.request("c1", "rest", "user_request", "low", [], [])
    store.set_status(first.id, "resolved", by="wang")
    store.request("c1", "rest", "user_request", "low", [], [])
    refusals = {
        "choice": lambda: store.set_outcome(first.id, "money_back", by="wang"),
        "note": lambda: store.add_note(first.id, "长" * (MAX_NOTE + 1), by="wang"),
        "tags": lambda: store.set_tags(first.id, ["t" * 21], by="wang"),
        "open_elsewhere": lambda: store.set_status(first.id, "new", by="wang"),
    }
    for code, refused in refusals.items():
        with pytest.raises(ReviewError) as caught:
            refused()
        assert caught.value.code == code
    assert [e["action"] for e in store.log(first.id)] == ["status"]  # refusals change nothing
    assert store.notes(first.id) == []

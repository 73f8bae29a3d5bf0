"""The review inbox's library: which messages, in what order, the decisions, the export."""

from __future__ import annotations

from pathlib import Path

import pytest
from console_helpers import TrackerEvents
from sqlite_utils import Database

from bot.nlu_export import export_reviewed
from bot.nlu_review import (
    DONE,
    PENDING,
    InboxFilter,
    Message,
    ReviewRefused,
    ReviewStore,
    inbox,
    inbox_count,
    message,
    trainable_intents,
)
from bot.transcript import open_tracker_db

DOMAIN = Path(__file__).resolve().parent.parent / "domain.yml"
INTENTS = trainable_intents(DOMAIN)
DAY = 1_780_000_000.0  # 2026-05-28 (UTC)


@pytest.fixture
def tracker(tmp_path):
    events = TrackerEvents(tmp_path / "tracker.db")
    ids = {
        "sure": events.message("a", "我想退保", "request_surrender", 0.97, DAY),
        "unsure": events.message("a", "保单能借钱不", "ask_policy_loan", 0.42, DAY + 60),
        "fallback": events.message(
            "b",
            "那个钱的事",
            "nlu_fallback",
            0.3,
            DAY + 86400,
            channel="wechat",
            ranking=[
                {"name": "nlu_fallback", "confidence": 0.3},
                {"name": "ask_surrender_value", "confidence": 0.21},
            ],
        ),
        "vague": events.message("b", "嗯嗯", "out_of_scope", 0.45, DAY + 86400 + 5, "wechat"),
        "phone": events.message("c", "电话13812345678", "request_human", 0.6, DAY + 7, "rest"),
    }
    events.message("a", '/show_entry{"entry_id": "loan"}', "show_entry", 1.0, DAY + 9)
    events.bot("a", DAY + 1)
    return open_tracker_db(tmp_path / "tracker.db"), ids


@pytest.fixture
def store():
    return ReviewStore(Database(memory=True))


def test_fallbacks_first_then_lowest_confidence_and_no_payloads(tracker, store):
    db, ids = tracker
    order = [m.event_id for m in inbox(db, store)]
    assert order == [ids[k] for k in ("fallback", "vague", "unsure", "phone", "sure")]
    first = inbox(db, store)[0]
    assert first.best_guess == "ask_surrender_value" and first.channel == "wechat"
    assert inbox_count(db, store) == 5


def test_texts_are_redacted_when_read(tracker, store):
    db, ids = tracker
    assert message(db, ids["phone"]).text == "电话[手机号]"


def test_filters(tracker, store):
    db, ids = tracker
    by = {
        InboxFilter(channel="wechat"): {"fallback", "vague"},
        InboxFilter(intent="ask_policy_loan"): {"unsure"},
        InboxFilter(date_from="2026-05-29"): {"fallback", "vague"},
        InboxFilter(date_to="2026-05-28"): {"sure", "unsure", "phone"},
    }
    for filters, expected in by.items():
        assert {m.event_id for m in inbox(db, store, filters)} == {ids[k] for k in expected}
        assert inbox_count(db, store, filters) == len(expected)


def test_decisions_are_kept_and_the_latest_counts(tracker, store):
    db, ids = tracker
    unsure = message(db, ids["unsure"])
    store.decide(unsure, "confirmed", by="lin", intents=INTENTS)
    store.decide(unsure, "corrected", by="wang", intents=INTENTS, intent="ask_surrender_value")
    store.decide(message(db, ids["vague"]), "not_useful", by="lin", intents=INTENTS)
    latest = store.latest()
    assert (latest[ids["unsure"]].decision, latest[ids["unsure"]].intent) == (
        "corrected",
        "ask_surrender_value",
    )
    assert latest[ids["unsure"]].by == "wang" and latest[ids["vague"]].intent == ""
    history = store.history(ids["unsure"])
    assert [(r["decision"], r["by"]) for r in history] == [
        ("confirmed", "lin"),
        ("corrected", "wang"),
    ]
    assert history[0]["text"] == "保单能借钱不" and history[0]["confidence"] == 0.42
    assert history[0]["predicted_intent"] == "ask_policy_loan" and history[0]["sender_id"] == "a"
    # Decided messages leave the pending list.
    pending = {m.event_id for m in inbox(db, store)}
    assert ids["unsure"] not in pending and ids["vague"] not in pending
    done = inbox(db, store, InboxFilter(state=DONE))
    assert {m.event_id for m in done} == {ids["unsure"], ids["vague"]}
    assert all(m.decision for m in done) and inbox_count(db, store, InboxFilter(state=PENDING)) == 3


def test_refused_decisions(tracker, store):
    db, ids = tracker
    fallback = message(db, ids["fallback"])
    for decision, intent, code in [
        ("confirmed", "", "not_trainable"),  # nlu_fallback teaches nothing
        ("corrected", "show_entry", "intent"),
        ("corrected", "", "intent"),
        ("maybe", "", "decision"),
    ]:
        with pytest.raises(ReviewRefused) as refused:
            store.decide(fallback, decision, by="lin", intents=INTENTS, intent=intent)
        assert refused.value.code == code
    assert store.latest() == {}


def test_a_message_rewound_and_replayed_by_the_fallback_is_listed_once(tmp_path, store):
    events = TrackerEvents(tmp_path / "tracker.db")
    events.message("d", "额。。。", "ask_reduce_coverage", 0.51, DAY)
    events.add("d", {"event": "rewind", "timestamp": DAY + 1})
    replayed = events.message("d", "额。。。", "ask_reduce_coverage", 0.51, DAY + 1)
    db = open_tracker_db(tmp_path / "tracker.db")
    assert [m.event_id for m in inbox(db, store)] == [replayed]
    assert inbox_count(db, store) == 1


def test_no_tracker_database(tmp_path, store):
    assert inbox(None, store) == [] and inbox_count(None, store) == 0
    assert message(open_tracker_db(tmp_path / "none.db"), 1) is None


def _decide(store, event_id, text, intent, decision="confirmed", chosen=""):
    msg = Message(event_id, "s", text, intent, 0.4, "web", DAY)
    store.decide(msg, decision, by="lin", intents=INTENTS, intent=chosen)


def test_export(tmp_path):
    from rasa.shared.nlu.training_data.loading import load_data

    db_path = tmp_path / "pg.db"
    store = ReviewStore.open(db_path)
    _decide(store, 1, "保单能借钱不", "ask_policy_loan")
    _decide(
        store, 2, "保單 能借錢不？", "ask_policy_loan"
    )  # the same once normalised: the later kept
    _decide(store, 3, "那个钱的事", "nlu_fallback", "corrected", "ask_surrender_value")
    _decide(store, 4, "嗯嗯", "out_of_scope", "not_useful")
    _decide(store, 5, "我想问问理赔", "ask_claim")
    _decide(store, 5, "我想问问理赔", "ask_claim", "not_useful")  # the latest counts
    _decide(store, 6, "我想退保！", "request_surrender")  # already in data/nlu
    # A text stored before redaction caught it: never written out.
    _decide(store, 7, "我想退保", "request_surrender")
    with store.db.conn:
        store.db.execute(
            "UPDATE nlu_reviews SET text = ? WHERE event_id = 7", ["我的电话13812345678想退保"]
        )
    _decide(store, 8, "身份证[身份证号]能退吗", "request_surrender")
    nlu_dir = tmp_path / "nlu"
    nlu_dir.mkdir()
    (nlu_dir / "surrender.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: request_surrender\n  examples: |\n    - 我想退保\n',
        encoding="utf-8",
    )
    out = nlu_dir / "reviewed.yml"

    result = export_reviewed(db_path, out, DOMAIN)

    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Generated by")
    assert result.examples == {
        "ask_policy_loan": ["保單 能借錢不？"],
        "ask_surrender_value": ["那个钱的事"],
    }
    assert result.skipped == {"duplicate": 1, "personal": 2, "in_data": 1}
    assert "13812345678" not in text and "[" not in text
    assert "嗯嗯" not in text and "理赔" not in text and "request_surrender" not in text
    data = load_data(str(out))
    assert sorted((m.get("text"), m.get("intent")) for m in data.intent_examples) == [
        ("保單 能借錢不？", "ask_policy_loan"),
        ("那个钱的事", "ask_surrender_value"),
    ]
    assert data.intents <= set(INTENTS)


def test_export_with_nothing_reviewed_still_loads(tmp_path):
    from rasa.shared.nlu.training_data.loading import load_data

    out = tmp_path / "nlu" / "reviewed.yml"
    assert export_reviewed(tmp_path / "pg.db", out, DOMAIN).count == 0
    assert load_data(str(out)).intent_examples == []

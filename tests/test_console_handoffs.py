"""Handoff review over HTTP: the queue's filters and order, the transcript view, notes,
tags, outcome and status (each logged with who), and the CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from console_helpers import TrackerEvents, make_app, signed_in

from bot.handoff import HandoffStore


def turns(*texts):
    return [
        {
            "role": "user",
            "text": t,
            "intent": "request_surrender",
            "confidence": 0.91,
            "time": 1.8e9,
        }
        for t in texts
    ]


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    store = HandoffStore.open(app.state.backend.db_path)
    store.request("c-low", "rest", "user_request", "low", [], turns("转人工"))
    store.request(
        "c-high",
        "web",
        "proxy_surrender",
        "high",
        ["paid_fee", "proxy_surrender"],
        turns("我已经交了3000元手续费", "<script>alert(1)</script> 100% 退"),
    )
    store.request(
        "c-mid", "wechat", "surrender_callback", "medium", ["product_pitch"], turns("回电")
    )
    return app


def ids_in(html: str) -> list[int]:
    import re

    return [int(x) for x in re.findall(r'href="[^"]*/console/handoffs/(\d+)"', html)]


def test_queue_is_sorted_by_risk_then_age(app):
    c, _ = signed_in(app, "wang")
    assert ids_in(c.get("/console/handoffs").text) == [2, 3, 1]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=new", [2, 3, 1]),
        ("status=resolved", []),
        ("reason=user_request", [1]),
        ("flag=paid_fee", [2]),
        ("channel=wechat", [3]),
        ("risk_level=medium", [3]),
        ("q=手续费", [2]),
        ("q=100%25", [2]),
        ("q=%25", [2]),
        ("q=手_费", []),  # "_" is literal, not a wildcard
        ("date_from=2000-01-01&date_to=2999-12-31", [2, 3, 1]),
        ("date_to=2000-01-01", []),
        ("date_from=not-a-date&status=nonsense", [2, 3, 1]),
    ],
)
def test_queue_filters(app, query, expected):
    c, _ = signed_in(app, "wang")
    r = c.get(f"/console/handoffs?{query}")
    assert r.status_code == 200
    assert ids_in(r.text) == expected


def test_transcript_is_shown_as_text_with_intent_and_confidence(app):
    c, _ = signed_in(app, "wang")
    page = c.get("/console/handoffs/2").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # The intent in words, its code on hover, the confidence as a percentage.
    assert '<span title="request_surrender">理解为「我想退保」</span>（91%）' in page
    assert "2027-01-15 16:00:00" in page  # 1.8e9 seconds (08:00 UTC), in Beijing time


def test_review_note_tags_outcome_status_are_logged_with_who(app):
    c, token = signed_in(app, "wang")
    post = lambda **data: c.post("/console/handoffs/2", data={**data, "csrf_token": token})  # noqa: E731
    assert post(what="status", status="in_review").status_code == 303
    assert (
        post(what="note", note="已回电，客户身份证号110101199003074514，已劝其报警").status_code
        == 303
    )
    assert post(what="tags", tags="代理退保，已付费 回访").status_code == 303
    assert post(what="outcome", outcome="police").status_code == 303
    assert post(what="status", status="resolved").status_code == 303

    store = HandoffStore.open(app.state.backend.db_path)
    h = store.get(2)
    assert (h.status, h.outcome, h.tags) == ("resolved", "police", ("代理退保", "已付费", "回访"))
    note = store.notes(2)[0]
    assert "110101199003074514" not in note["text"] and note["by"] == "wang"
    log = store.log(2)
    assert [(e["by"], e["action"]) for e in log] == [
        ("wang", "status"),
        ("wang", "note"),
        ("wang", "tags"),
        ("wang", "outcome"),
        ("wang", "status"),
    ]
    assert log[-1]["detail"] == {"from": {"status": "in_review"}, "to": {"status": "resolved"}}
    page = c.get("/console/handoffs/2").text
    assert "已报警" in page and "已解决" in page and "110101199003074514" not in page


@pytest.mark.parametrize(
    "data",
    [
        {"what": "status", "status": "closed"},
        {"what": "outcome", "outcome": "money_back"},
        {"what": "note", "note": "   "},
        {"what": "note", "note": "长" * 2001},
        {"what": "tags", "tags": "，".join(f"t{i}" for i in range(11))},
    ],
)
def test_bad_review_values_change_nothing(app, data):
    c, token = signed_in(app, "wang")
    r = c.post("/console/handoffs/2", data={**data, "csrf_token": token})
    assert r.status_code == 303
    page = c.get("/console/handoffs/2").text
    assert "error" in page
    if data["what"] == "note":
        assert "最多 2000 字" in page
    store = HandoffStore.open(app.state.backend.db_path)
    h = store.get(2)
    assert (h.status, h.outcome, h.tags, store.notes(2), store.log(2)) == ("new", "", (), [], [])


def test_unknown_update_and_missing_handoff(app):
    c, token = signed_in(app, "wang")
    assert c.post("/console/handoffs/2", data={"what": "x", "csrf_token": token}).status_code == 400
    r = c.post("/console/handoffs/999", data={"what": "note", "note": "x", "csrf_token": token})
    assert r.status_code == 404


def test_staff_cannot_open_handoffs(app):
    c, token = signed_in(app, "lin")
    assert c.get("/console/handoffs/2").status_code == 403
    r = c.post(
        "/console/handoffs/2", data={"what": "status", "status": "resolved", "csrf_token": token}
    )
    assert r.status_code == 403
    assert HandoffStore.open(app.state.backend.db_path).get(2).status == "new"


def test_csv_export_follows_the_filters_and_defuses_formulas(app):
    c, token = signed_in(app, "wang")
    c.post("/console/handoffs/2", data={"what": "tags", "tags": "=cmd|calc", "csrf_token": token})
    r = c.get("/console/handoffs.csv?flag=paid_fee")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0][0] == "编号" and len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["编号"] == "2" and row["风险"] == "高"
    assert row["标签"] == "'=cmd|calc"
    everything = list(csv.reader(io.StringIO(c.get("/console/handoffs.csv").text)))
    assert len(everything) == 4


def test_transcript_shows_the_whole_conversation_from_the_tracker_store(app, tmp_path):
    tracker = TrackerEvents(tmp_path / "tracker.db")
    events = [
        {"event": "user", "text": "我已经交了3000元手续费", "timestamp": 1.8e9,
         "parse_data": {"intent": {"name": "proxy_surrender", "confidence": 0.97}}},
        {"event": "action", "name": "action_screen_risk", "timestamp": 1.8e9 + 1},
        {"event": "bot", "text": "请先别再转钱。", "timestamp": 1.8e9 + 2},
        {"event": "user", "text": "卡号6222020200112233445", "timestamp": 1.8e9 + 60,
         "parse_data": {"intent": {"name": "personal_info_request", "confidence": 0.8}}},
    ]  # fmt: skip
    for event in events:
        tracker.add("c-high", event)
    c, _ = signed_in(app, "wang")
    page = c.get("/console/handoffs/2").text
    assert "完整对话" in page
    assert "请先别再转钱。" in page  # the bot's turn, after the handoff snapshot
    assert "action_screen_risk" in page  # an internal step, hidden until asked for
    assert '<span title="proxy_surrender">理解为「有人说能帮我全额退保」</span>（97%）' in page
    assert "6222020200112233445" not in page  # redacted even if the store was not

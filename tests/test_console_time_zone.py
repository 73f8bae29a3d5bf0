"""Times in the console are shown, and typed days read, in the configured time zone
(TIME_ZONE, Beijing time by default), over HTTP: the queue, a handoff, the review inbox,
the 质检 panel and the CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from console_helpers import TrackerEvents, make_app, signed_in

from bot.console.web import fmt_time
from bot.handoff import HandoffStore
from bot.local_time import zone

#: 2026-11-22 20:45:11 UTC, which is 2026-11-23 04:45:11 in Beijing: another day.
LATE_UTC = "2026-11-22T20:45:11+00:00"
LATE_SECONDS = 1795380311.0
BEIJING = "2026-11-23 04:45:11"


def test_fmt_time_shows_a_utc_time_in_the_zone():
    assert fmt_time(LATE_UTC) == BEIJING
    assert fmt_time(LATE_SECONDS) == BEIJING
    assert fmt_time(LATE_UTC, zone("UTC")) == "2026-11-22 20:45:11"
    assert fmt_time("2026-11-22T20:45:11") == BEIJING  # no offset: stored UTC


def late_handoff(app) -> int:
    store = HandoffStore.open(app.state.backend.db_path)
    turns = [{"role": "user", "text": "我想退保", "time": LATE_SECONDS}]
    handoff, _ = store.request("web:late", "web", "user_request", "low", [], turns)
    store.db.execute(
        "UPDATE handoffs SET created_at = ?, updated_at = ? WHERE id = ?",
        [LATE_UTC, LATE_UTC, handoff.id],
    )
    store.db.conn.commit()
    store.add_note(handoff.id, "已回电", by="wang")
    store.db.execute("UPDATE handoff_notes SET at = ?", [LATE_UTC])
    store.db.conn.commit()
    return handoff.id


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


def test_queue_handoff_and_csv_show_beijing_time(app):
    handoff_id = late_handoff(app)
    c, _ = signed_in(app, "wang")
    queue = c.get("/console/handoffs").text
    assert "时间（北京时间）" in queue and BEIJING in queue and "UTC" not in queue
    page = c.get(f"/console/handoffs/{handoff_id}").text
    assert f"开始于 {BEIJING}" in page and f"{BEIJING} · wang" in page  # the note's time
    assert "2026-11-22 20:45" not in page
    rows = list(csv.reader(io.StringIO(c.get("/console/handoffs.csv").text.lstrip("\ufeff"))))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["开始时间（北京时间）"] == BEIJING
    assert row["备注"] == f"{BEIJING} wang：已回电"


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("date_from=2026-11-23&date_to=2026-11-23", True),  # the Beijing day
        ("date_from=2026-11-22&date_to=2026-11-22", False),  # the UTC day
    ],
)
def test_the_days_typed_into_the_queue_are_beijing_days(app, query, found):
    handoff_id = late_handoff(app)
    c, _ = signed_in(app, "wang")
    html = c.get(f"/console/handoffs?status=all&{query}").text
    assert (f'/console/handoffs/{handoff_id}"' in html) is found
    assert 'type="date" name="date_from"' in html


def test_review_inbox_shows_and_filters_by_beijing_days(app, tmp_path):
    tracker = TrackerEvents(tmp_path / "tracker.db")
    tracker.message("web:a", "保单能借钱不", "ask_policy_loan", 0.42, LATE_SECONDS)
    c, _ = signed_in(app, "wang")
    html = c.get("/console/review?date_from=2026-11-23&date_to=2026-11-23").text
    assert "保单能借钱不" in html and BEIJING in html and "时间（北京时间）" in html
    html = c.get("/console/review?date_from=2026-11-22&date_to=2026-11-22").text
    assert "保单能借钱不" not in html


def test_another_time_zone_is_honoured(tmp_path):
    app = make_app(tmp_path, time_zone="UTC")
    handoff_id = late_handoff(app)
    c, _ = signed_in(app, "wang")
    page = c.get(f"/console/handoffs/{handoff_id}").text
    assert "开始于 2026-11-22 20:45:11" in page

"""``python -m bot nlu export-reviewed``: the reviewed messages as an NLU file Rasa loads."""

from __future__ import annotations

from click.testing import CliRunner
from rasa.shared.nlu.training_data.loading import load_data

from bot.cli import cli
from bot.nlu_review import Message, ReviewStore, trainable_intents


def test_export_reviewed_writes_a_file_rasa_loads(tmp_path):
    db = tmp_path / "pg.db"
    store = ReviewStore.open(db)
    intents = trainable_intents("domain.yml")
    for event_id, text, decision in [
        (1, "保单能借钱不", "confirmed"),
        (2, "保单能借钱不！", "confirmed"),
        (3, "电话13812345678", "confirmed"),
        (4, "嗯嗯", "not_useful"),
    ]:
        msg = Message(event_id, "s", text, "ask_policy_loan", 0.4, "web", 1.0)
        store.decide(msg, decision, by="lin", intents=intents)
    out = tmp_path / "nlu" / "reviewed.yml"

    result = CliRunner().invoke(cli, ["nlu", "export-reviewed", "--db", str(db), "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert f"Wrote 1 example(s) for 1 intent(s) to {out}." in result.output
    assert "Skipped 1 that held a redaction placeholder such as [手机号]" in result.output
    assert "Skipped 1 that repeated another reviewed message." in result.output
    data = load_data(str(out))
    assert [(m.get("text"), m.get("intent")) for m in data.intent_examples] == [
        ("保单能借钱不！", "ask_policy_loan")  # of two the same, the later decision
    ]


def test_nlu_group_is_listed():
    result = CliRunner().invoke(cli, ["nlu", "--help"])
    assert result.exit_code == 0 and "export-reviewed" in result.output

"""The measurement code behind `make eval-nlu`, on tiny hand-made predictions."""

import pytest

from bot.nlu.evaluate import baseline_predict, load_heldout, make_folds, write_nlu_yaml
from bot.nlu.metrics import (
    Predictions,
    accuracy,
    boost_table,
    choose_threshold,
    confusion_pairs,
    macro_f1,
    recall,
    threshold_table,
    top_real_intent,
    weight_table,
)
from bot.nlu.report import Report, render_markdown


def preds(rows):
    p = Predictions()
    for gold, predicted, confidence in rows:
        p.add("t", gold, predicted, confidence)
    return p


SAMPLE = preds(
    [
        ("a", "a", 0.9),
        ("a", "a", 0.8),
        ("a", "b", 0.3),
        ("b", "b", 0.95),
        ("b", "b", 0.7),
        ("b", "a", 0.4),
    ]
)


def test_metrics():
    assert accuracy(SAMPLE) == 4 / 6
    assert recall(SAMPLE, "a") == 2 / 3
    assert round(macro_f1(SAMPLE, ["a", "b"]), 3) == 0.667
    assert confusion_pairs(SAMPLE) == [("a", "b", 1), ("b", "a", 1)]


def test_threshold_choice_keeps_correct_answers():
    rows = dict((t, (lost, caught)) for t, lost, caught in threshold_table(SAMPLE))
    assert rows[0.5] == (0.0, 1.0)  # both errors are below 0.5, no correct one is
    assert rows[0.75] == (0.25, 1.0)
    assert choose_threshold(threshold_table(SAMPLE)) == 0.7


def test_top_real_intent_skips_fallback():
    result = {
        "intent": {"name": "nlu_fallback", "confidence": 0.5},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.5},
            {"name": "greet", "confidence": 0.4},
        ],
    }
    assert top_real_intent(result) == ("greet", 0.4)


def test_folds_are_stratified_and_cover_everything():
    labels = ["a"] * 10 + ["b"] * 5
    folds = make_folds(labels, 5, seed=1)
    tested = sorted(i for _, test in folds for i in test)
    assert tested == list(range(15))
    for _, test in folds:
        assert sorted(labels[i] for i in test) == ["a", "a", "b"]


def test_baseline_learns_a_separable_toy_problem():
    train = [
        ("我想退保", "s"),
        ("怎么退保", "s"),
        ("退保流程", "s"),
        ("你好", "g"),
        ("您好啊", "g"),
    ]
    out = baseline_predict(train, ["退保手续", "你好呀"], seed=0)
    assert [name for name, _ in out] == ["s", "g"]


def test_weight_table_interpolates_two_rankings():
    parts = [("a", {"diet": {"a": 0.9, "b": 0.1}, "linear": {"a": 0.2, "b": 0.8}})]
    rows = {w: acc for w, _, acc in weight_table(parts, ["a", "b"])}
    assert rows[0.0] == 0.0 and rows[1.0] == 1.0


def test_boost_table_sweeps_each_key_intent_on_its_own():
    both = {"request_surrender": 0.3, "proxy_surrender": 0.3, "other": 0.4}
    parts = [
        ("request_surrender", {"diet": both, "linear": both}),
        ("proxy_surrender", {"diet": both, "linear": both}),
    ]
    labels = ["other", "proxy_surrender", "request_surrender"]
    rows = {(r, p): (rec_s, rec_p) for r, p, _, rec_s, rec_p in boost_table(parts, labels, 0.5)}
    assert rows[(1.0, 1.0)] == (0.0, 0.0)  # "other" wins both
    assert rows[(1.5, 1.0)] == (1.0, 0.0)  # 0.45 beats 0.4 and 0.3
    assert rows[(1.5, 2.0)] == (0.0, 1.0)  # proxy's 0.6 beats request's 0.45


def test_fold_file_round_trips(tmp_path):
    from rasa.shared.nlu.training_data.loading import load_data

    path = tmp_path / "nlu.yml"
    write_nlu_yaml([("保單貸款", "ask_policy_loan"), ("你好", "greet")], path)
    data = load_data(str(path))
    assert sorted((m.get("text"), m.get("intent")) for m in data.intent_examples) == [
        ("你好", "greet"),
        ("保單貸款", "ask_policy_loan"),
    ]


def sample_report(**fields):
    """A Report over SAMPLE with ``fields`` added or replaced."""
    defaults = dict(
        rasa=SAMPLE, baseline=SAMPLE, diet=SAMPLE, labels=["a", "b"], train_seconds=[1.0],
        parse_ms=[1.0, 2.0], folds=2, n_examples=6, threshold_table=[(0.5, 0.0, 1.0)],
        chosen_threshold=0.5, configured_threshold=0.5,
    )  # fmt: skip
    return Report(**{**defaults, **fields})


def test_report_gives_latency_percentiles():
    text = render_markdown(sample_report(parse_ms=[5.0, 1.0, 4.0, 2.0, 3.0]))
    assert "(one message at a time, 5 messages): p50 3.0 ms, p95 4.8 ms." in text


def test_report_renders_the_sweeps():
    report = sample_report(
        weight_table=[(0.2, 0.9, 0.9)], configured_weight=0.2,
        boost_table=[(2.0, 1.0, 0.9, 1.0, 1.0), (1.75, 1.25, 0.96, 0.98, 0.99)],
        configured_boost={"request_surrender": 1.75, "proxy_surrender": 1.25},
    )  # fmt: skip
    text = render_markdown(report)
    assert "| 0.20 ← config.yml | 0.900 | 0.900 |" in text
    assert "| 2.00 | 1.00 | 0.900 | 1.000 | 1.000 |  |" in text
    assert "| 1.75 ← config.yml | 1.25 | 0.960 | 0.980 | 0.990 | ✓ |" in text


def test_the_cross_validation_scores_hand_written_and_real_examples_apart():
    cv = Predictions()
    for text, gold, predicted in [
        ("我要退保", "request_surrender", "request_surrender"),
        ("有人说能全额退", "proxy_surrender", "proxy_surrender"),
        ("儲蓄險解約會虧嗎", "ask_surrender_value", "request_surrender"),
        ("业务员说满10年能拿25万", "complaint", "complaint"),
    ]:
        cv.add(text, gold, predicted, 0.9)
    real = frozenset({"儲蓄險解約會虧嗎", "业务员说满10年能拿25万"})
    text = render_markdown(sample_report(rasa=cv, diet=cv, baseline=cv, real_training=real))
    assert "| macro-F1, hand-written examples, 2 | 1.000 | 1.000 | 1.000 |" in text
    real_row = "| macro-F1, real-language examples (`data/nlu/real.yml`), 2 | 0.500 |"
    assert real_row in text
    assert "hand-written examples" not in render_markdown(sample_report(rasa=cv))


def heldout_file(tmp_path, text):
    path = tmp_path / "heldout_x.yml"
    path.write_text(text, "utf-8")
    return path


def test_heldout_files_load_and_render(tmp_path):
    path = heldout_file(
        tmp_path, "greet:\n  - 你好\nrequest_surrender:\n  - 我要退保\n  - 退了吧\n"
    )
    cases = load_heldout([path])
    assert cases == [
        ("你好", "greet"),
        ("我要退保", "request_surrender"),
        ("退了吧", "request_surrender"),
    ]

    held = Predictions()
    for (text, gold), predicted in zip(cases, ["greet", "request_surrender", "deny"], strict=True):
        held.add(text, gold, predicted, 0.9)
    report = sample_report(
        heldout=held, heldout_baseline=held, heldout_files=["tests/data/heldout_x.yml"]
    )
    text = render_markdown(report)
    assert "tested on the 3 phrasings of `tests/data/heldout_x.yml`" in text
    assert "| recall request_surrender | 0.500 | 0.500 |" in text
    assert "- request_surrender → deny: 退了吧" in text


def test_the_real_language_set_renders_against_its_targets():
    real = Predictions()
    for text, gold, predicted, conf in [
        ("当初业务员拍着胸脯说能拿25万", "complaint", "complaint", 0.9),
        ("我想解約", "request_surrender", "request_surrender", 0.95),
        ("有人说能全额退", "proxy_surrender", "proxy_surrender", 0.1),
        ("儲蓄險可以退嗎", "request_surrender", "ask_surrender_value", 0.6),
    ]:
        real.add(text, gold, predicted, conf)
    text = render_markdown(
        sample_report(
            real=real, real_files=["tests/data/real_language.yml"], configured_threshold=0.25
        )
    )
    assert "The same model on the 4 messages of `tests/data/real_language.yml`" in text
    assert "| recall request_surrender | 0.500 | ≥ 0.97 | no |" in text
    assert "| fallback rate (confidence < 0.25) | 25.0% | ≤ 5% | no |" in text
    assert "- request_surrender → ask_surrender_value (0.60): 儲蓄險可以退嗎" in text
    assert "- proxy_surrender → proxy_surrender (0.10): 有人说能全额退" in text  # a fallback
    assert "### Real-language held-out" not in render_markdown(sample_report())


def test_heldout_messages_that_yaml_reads_as_other_types_are_errors(tmp_path):
    unquoted = heldout_file(tmp_path, "affirm:\n  - yes\n")  # YAML reads yes as True
    with pytest.raises(ValueError, match="quote it"):
        load_heldout([unquoted])
    assert load_heldout([heldout_file(tmp_path, "affirm:\n  - 'yes'\n")]) == [("yes", "affirm")]


def test_heldout_comparison_follows_the_numbers():
    def rendered(heldout):
        return render_markdown(
            sample_report(heldout=heldout, heldout_baseline=heldout, heldout_files=["x.yml"])
        )

    right = preds([("a", "a", 0.9), ("b", "b", 0.9)])
    wrong = preds([("a", "b", 0.9), ("b", "a", 0.9)])
    assert "macro-F1 on them (1.000) is higher than in the cross-validation (0.667)" in rendered(
        right
    )
    assert "macro-F1 on them (0.000) is lower than in the cross-validation (0.667)" in rendered(
        wrong
    )
    assert "macro-F1 on them (0.667) is the same as" in rendered(SAMPLE)


class RuleParser:
    """Stands in for a trained model: 退 means a surrender request, anything else a greeting."""

    def parse(self, text):
        best = "request_surrender" if "退" in text else "greet"
        ranking = {best: 0.8, ({"request_surrender", "greet"} - {best}).pop(): 0.2}
        return {
            "intent": {"name": best, "confidence": 0.8},
            "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking.items()],
            "diet_intent": {"name": best, "confidence": 0.8},
            "ensemble_parts": {"diet": ranking, "linear": ranking},
        }

    def close(self):
        pass


def test_run_evaluation_writes_the_nlu_section_and_the_plot(tmp_path, monkeypatch):
    import bot.nlu.model
    from bot.nlu.evaluate import run_evaluation

    monkeypatch.setattr(bot.nlu.model, "train_nlu_model", lambda *args: tmp_path / "model")
    monkeypatch.setattr(bot.nlu.model.NluParser, "load", lambda path: RuleParser())
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nlu").mkdir()
    surrender = ["我想退保", "怎么退保", "退保流程", "退掉保单"]
    greet = ["你好", "您好啊", "早上好", "嗨"]
    write_nlu_yaml(
        [(t, "request_surrender") for t in surrender] + [(t, "greet") for t in greet],
        tmp_path / "nlu" / "nlu.yml",
    )
    config = tmp_path / "config.yml"
    config.write_text(
        "pipeline:\n"
        "  - name: bot.nlu.components.IntentEnsemble\n    diet_weight: 0.25\n"
        "  - name: FallbackClassifier\n    threshold: 0.25\n    ambiguity_threshold: 0.05\n",
        "utf-8",
    )
    heldout = heldout_file(tmp_path, "request_surrender:\n  - 退了吧\ngreet:\n  - 哈喽\n")

    report = run_evaluation(config, tmp_path / "nlu", [heldout], tmp_path / "docs", folds=2)
    assert accuracy(report.rasa) == 1.0 and accuracy(report.heldout) == 1.0
    assert report.configured_weight == 0.25 and report.weight_table and report.boost_table
    text = (tmp_path / "docs" / "benchmarks.md").read_text("utf-8")
    assert text.count("<!-- begin nlu -->") == 1
    assert "Stratified 2-fold cross-validation over 8 examples" in text
    assert "| 0.25 ← config.yml |" in text
    assert (tmp_path / "docs" / "nlu_confusion.png").stat().st_size > 0
    assert not (tmp_path / "results").exists()

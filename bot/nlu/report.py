"""The NLU report: the NLU section of ``docs/benchmarks.md`` and ``docs/nlu_confusion.png``.

Every figure and every comparison in the text is computed from the :class:`Report`, so
the prose stays true when the results change.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

from bot import machine
from bot.docs import replace_section
from bot.nlu.metrics import (
    KEY_INTENTS,
    MAX_FALSE_FALLBACK,
    REAL_MAX_FALLBACK,
    REAL_TARGET_MACRO_F1,
    REAL_TARGET_RECALL,
    TARGET_MACRO_F1,
    TARGET_RECALL,
    Predictions,
    accuracy,
    confusion_pairs,
    fallback_rate,
    macro_f1,
    meets_targets,
    per_intent,
    recall,
    subset,
)


@dataclass
class Report:
    rasa: Predictions
    baseline: Predictions
    diet: Predictions
    labels: list[str]
    train_seconds: list[float]
    parse_ms: list[float]
    folds: int
    n_examples: int
    threshold_table: list[tuple[float, float, float]]
    chosen_threshold: float
    configured_threshold: float
    ambiguity: float = 0.0
    weight_table: list[tuple[float, float, float]] = field(default_factory=list)
    configured_weight: float | None = None
    boost_table: list[tuple[float, float, float, float, float]] = field(default_factory=list)
    configured_boost: dict[str, float] = field(default_factory=dict)
    #: Trained on all of data/nlu/, tested on held-out phrasings never trained on.
    heldout: Predictions | None = None
    heldout_baseline: Predictions | None = None
    heldout_files: list[str] = field(default_factory=list)
    #: The same model on what real people wrote, from sources no training example came from.
    real: Predictions | None = None
    real_files: list[str] = field(default_factory=list)
    #: Texts of the real-language training examples (data/nlu/real.yml), scored apart in CV.
    real_training: frozenset[str] = frozenset()

    def summary(self) -> str:
        return (
            f"Rasa macro-F1 {macro_f1(self.rasa, self.labels):.3f}, "
            f"accuracy {accuracy(self.rasa):.3f}; "
            f"baseline macro-F1 {macro_f1(self.baseline, self.labels):.3f}, "
            f"accuracy {accuracy(self.baseline):.3f}; "
            f"recall request_surrender {recall(self.rasa, 'request_surrender'):.3f}, "
            f"proxy_surrender {recall(self.rasa, 'proxy_surrender'):.3f}; "
            f"suggested fallback threshold {self.chosen_threshold:.2f} "
            f"(config.yml: {self.configured_threshold:.2f})"
        )


def write_report(report: Report, out_dir: Path) -> None:
    """Draw the confusion matrix and replace the NLU section of ``benchmarks.md``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    plot_confusion(report.rasa, report.labels, report.folds, out_dir / "nlu_confusion.png")
    bench = out_dir / "benchmarks.md"
    old = bench.read_text(encoding="utf-8") if bench.exists() else ""
    bench.write_text(replace_section(old, "nlu", render_markdown(report)), encoding="utf-8")


def plot_confusion(preds: Predictions, labels: list[str], folds: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(preds.gold, preds.predicted, labels=list(labels))
    fig, ax = plt.subplots(figsize=(11, 9.5))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=70, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                color = "white" if matrix[i, j] > matrix.max() / 2 else "black"
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7, color=color)
    ax.set_xlabel("predicted intent")
    ax.set_ylabel("true intent")
    ax.set_title(
        f"PolicyGuard NLU: {folds}-fold cross-validated confusion matrix "
        "(Rasa pipeline, DIET + IntentEnsemble)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _compared(a: float, b: float) -> str:
    """How ``a`` compares with ``b`` at the three decimals the report shows.

    >>> _compared(0.9951, 0.951), _compared(0.9504, 0.9501), _compared(0.90, 0.95)
    ('higher than', 'the same as', 'lower than')
    """
    a, b = round(a, 3), round(b, 3)
    return "higher than" if a > b else "lower than" if a < b else "the same as"


def _mean_length(texts: list[str]) -> float:
    return statistics.fmean(len(t) for t in texts) if texts else 0.0


def _heldout_lines(r: Report) -> list[str]:
    """The held-out section of the report (empty without held-out files)."""
    if not r.heldout or not r.heldout_baseline:
        return []
    files = ", ".join(f"`{f}`" for f in r.heldout_files)
    labels = sorted(set(r.heldout.gold))
    heldout_f1, cv_f1 = macro_f1(r.heldout, labels), macro_f1(r.rasa, r.labels)
    rows = [
        ("macro-F1", heldout_f1, macro_f1(r.heldout_baseline, labels)),
        ("accuracy", accuracy(r.heldout), accuracy(r.heldout_baseline)),
        *(
            (f"recall {n}", recall(r.heldout, n), recall(r.heldout_baseline, n))
            for n in KEY_INTENTS
        ),
    ]
    misses = [
        f"{g} → {p}: {t}"
        for t, g, p in zip(r.heldout.texts, r.heldout.gold, r.heldout.predicted, strict=True)
        if g != p and g in KEY_INTENTS
    ]
    return [
        "### Held-out phrasings",
        "",
        f"Both models trained on all {r.n_examples} examples, tested on the "
        f"{len(r.heldout.gold)} phrasings of {files}, written apart from the training data "
        "and never trained on. A test checks that none of them equals a training example "
        "once normalised, stripped of punctuation, or read as pinyin. They average "
        f"{_mean_length(r.heldout.texts):.1f} characters, the training examples "
        f"{_mean_length(r.rasa.texts):.1f}. The Rasa pipeline's macro-F1 on them "
        f"({heldout_f1:.3f}) is {_compared(heldout_f1, cv_f1)} in the cross-validation "
        f"({cv_f1:.3f}).",
        "",
        "| | Rasa pipeline | baseline |",
        "|---|---|---|",
        *(f"| {name} | {a:.3f} | {b:.3f} |" for name, a, b in rows),
        "",
        *(["Key-intent misses:", "", *(f"- {m}" for m in misses), ""] if misses else []),
    ]


def _real_lines(r: Report) -> list[str]:
    """The real-language held-out section (empty without the file)."""
    if not r.real or not r.real.gold:
        return []
    labels = sorted(set(r.real.gold))
    f1, rate = macro_f1(r.real, labels), fallback_rate(r.real, r.configured_threshold)
    rows = [
        ("macro-F1", f"{f1:.3f}", f"≥ {REAL_TARGET_MACRO_F1}", f1 >= REAL_TARGET_MACRO_F1),
        *(
            (f"recall {n}", f"{recall(r.real, n):.3f}", f"≥ {REAL_TARGET_RECALL}",
             recall(r.real, n) >= REAL_TARGET_RECALL)
            for n in KEY_INTENTS
        ),
        (f"fallback rate (confidence < {r.configured_threshold:.2f})", f"{rate:.1%}",
         f"≤ {REAL_MAX_FALLBACK:.0%}", rate <= REAL_MAX_FALLBACK),
    ]  # fmt: skip
    scores = per_intent(r.real, labels)
    misses = [
        f"{g} → {p} ({c:.2f}): {t}"
        for t, g, p, c in zip(
            r.real.texts, r.real.gold, r.real.predicted, r.real.confidence, strict=True
        )
        if g != p or c < r.configured_threshold
    ]
    files = ", ".join(f"`{f}`" for f in r.real_files)
    return [
        "### Real-language held-out",
        "",
        f"The same model on the {len(r.real.gold)} messages of {files}: what people wrote "
        "in public or what notices quote, from sources none of the training data came "
        "from (listed beside the file), never trained on. They average "
        f"{_mean_length(r.real.texts):.1f} characters.",
        "",
        "| | Rasa pipeline | target | met |",
        "|---|---|---|---|",
        *(f"| {name} | {v} | {t} | {'yes' if ok else 'no'} |" for name, v, t, ok in rows),
        "",
        "| intent | support | P | R | F1 |",
        "|---|---|---|---|---|",
        *(
            f"| {lab} | {scores[lab][3]} | {scores[lab][0]:.3f} | {scores[lab][1]:.3f} "
            f"| {scores[lab][2]:.3f} |"
            for lab in labels
        ),
        "",
        *(["Misses and fallbacks:", "", *(f"- {m}" for m in misses[:60]), ""] if misses else []),
    ]


def _origin_rows(r: Report) -> list[str]:
    """Macro-F1 in the cross-validation on the hand-written and on the real-language
    examples apart (the first is comparable with runs before the real data came in)."""
    if not r.real_training:
        return []
    rows = []
    for name, keep in (
        ("hand-written examples", lambda t: t not in r.real_training),
        ("real-language examples (`data/nlu/real.yml`)", lambda t: t in r.real_training),
    ):
        parts = [subset(p, keep) for p in (r.rasa, r.diet, r.baseline)]
        labels = sorted(set(parts[0].gold))
        n = len(parts[0].gold)
        f1s = [f"{macro_f1(p, labels):.3f}" for p in parts]
        rows.append(f"| macro-F1, {name}, {n} | {' | '.join(f1s)} |")
    return rows


def _summary_lines(r: Report) -> list[str]:
    p50, p95 = (statistics.quantiles(r.parse_ms, n=100, method="inclusive")[i] for i in (49, 94))
    return [
        "## NLU: intent classification",
        "",
        f"Command: `make eval-nlu` (`python -m bot eval-nlu --folds {r.folds}`), "
        f"run {machine.today()} on {machine.describe()}.",
        "",
        f"Stratified {r.folds}-fold cross-validation over {r.n_examples} examples in "
        f"`data/nlu/` ({len(r.labels)} intents). The Rasa pipeline of `config.yml` and the "
        "baseline (character 1-3-gram TF-IDF + logistic regression on the same normalised "
        "text) are trained and tested on the same folds. Rasa's prediction is its best intent "
        "other than `nlu_fallback`. *DIET alone* is the DIETClassifier's own choice inside the "
        "same pipeline, before `IntentEnsemble` averages it with a logistic regression on the "
        "sparse sentence features: it shows what the ensemble adds.",
        "",
        "| | Rasa pipeline | DIET alone | baseline |",
        "|---|---|---|---|",
        f"| macro-F1 | **{macro_f1(r.rasa, r.labels):.3f}** | {macro_f1(r.diet, r.labels):.3f} "
        f"| {macro_f1(r.baseline, r.labels):.3f} |",
        f"| accuracy | **{accuracy(r.rasa):.3f}** | {accuracy(r.diet):.3f} "
        f"| {accuracy(r.baseline):.3f} |",
        *(
            f"| recall {name} | {recall(r.rasa, name):.3f} | {recall(r.diet, name):.3f} "
            f"| {recall(r.baseline, name):.3f} |"
            for name in KEY_INTENTS
        ),
        *_origin_rows(r),
        "",
        f"Training time per fold: mean {statistics.fmean(r.train_seconds):.0f} s "
        f"(min {min(r.train_seconds):.0f}, max {max(r.train_seconds):.0f}); Rasa's training "
        "cache reuses the components whose data and settings did not change since an earlier "
        "run, so a warm cache shortens these times. "
        f"Parse latency on a loaded model (one message at a time, {len(r.parse_ms)} messages): "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms.",
        "",
    ]


def _per_intent_lines(r: Report) -> list[str]:
    rasa_scores = per_intent(r.rasa, r.labels)
    base_scores = per_intent(r.baseline, r.labels)
    lines = [
        "### Per intent",
        "",
        "| intent | support | P | R | F1 | baseline F1 |",
        "|---|---|---|---|---|---|",
    ]
    for lab in r.labels:
        p, rec, f, s = rasa_scores[lab]
        lines.append(f"| {lab} | {s} | {p:.3f} | {rec:.3f} | {f:.3f} | {base_scores[lab][2]:.3f} |")
    lines += ["", "### Most frequent confusions (true → predicted, count)", ""]
    lines += [f"- {g} → {p}: {n}" for g, p, n in confusion_pairs(r.rasa)] or ["- none"]
    return [*lines, "", "![confusion matrix](nlu_confusion.png)", ""]


def _threshold_lines(r: Report) -> list[str]:
    lines = [
        "### Fallback threshold",
        "",
        "From the cross-validated confidences of the best non-fallback intent: for each "
        "threshold, the share of correct predictions that would be sent to the fallback and "
        "the share of wrong ones it catches, with FallbackClassifier's ambiguity rule "
        f"(best minus second best < {r.ambiguity:.2f} also falls back) applied as configured. "
        "The chosen threshold is the highest one that sends at most "
        f"{MAX_FALSE_FALLBACK:.0%} of correct answers to the fallback.",
        "",
        "| threshold | correct sent to fallback | errors caught |",
        "|---|---|---|",
    ]
    for t, lost, caught in r.threshold_table:
        mark = " ←" if t == r.chosen_threshold else ""
        lines.append(f"| {t:.2f}{mark} | {lost:.1%} | {caught:.1%} |")
    return [
        *lines,
        "",
        f"Chosen: **{r.chosen_threshold:.2f}**; `config.yml` has {r.configured_threshold:.2f}.",
        "",
    ]


def _weight_lines(r: Report) -> list[str]:
    if not r.weight_table:
        return []
    lines = [
        "### Ensemble weight",
        "",
        "`IntentEnsemble` averages DIET's probabilities (weight w) with those of the "
        "logistic regression on the character and pinyin n-gram TF-IDF (1 − w). "
        "Macro-F1 and accuracy for each w, recomputed from both models' cross-validated "
        "rankings:",
        "",
        "| DIET weight w | macro-F1 | accuracy |",
        "|---|---|---|",
    ]
    for weight, f1, acc in r.weight_table:
        mark = " ← config.yml" if r.configured_weight == weight else ""
        lines.append(f"| {weight:.2f}{mark} | {f1:.3f} | {acc:.3f} |")
    return [*lines, ""]


def _boost_lines(r: Report) -> list[str]:
    if not r.boost_table:
        return []
    lines = [
        "### Boost of the key intents",
        "",
        "Missing a surrender request (no alternatives shown) or a 代理退保 report (no "
        "warning) costs more than a wrong guess the other way, so `IntentEnsemble` can "
        "multiply the probabilities of request_surrender and proxy_surrender "
        "(`intent_boost`), each by its own factor. At the configured DIET weight "
        f"(targets: macro-F1 ≥ {TARGET_MACRO_F1}, both recalls ≥ {TARGET_RECALL}):",
        "",
        "| boost request_surrender | boost proxy_surrender | macro-F1 "
        "| recall request_surrender | recall proxy_surrender | targets met |",
        "|---|---|---|---|---|---|",
    ]
    current = tuple(r.configured_boost.get(k, 1.0) for k in KEY_INTENTS)
    for request, proxy, f1, rec_s, rec_p in r.boost_table:
        mark = " ← config.yml" if (request, proxy) == current else ""
        met = "✓" if meets_targets(f1, (rec_s, rec_p)) else ""
        lines.append(
            f"| {request:.2f}{mark} | {proxy:.2f} | {f1:.3f} | {rec_s:.3f} | {rec_p:.3f} | {met} |"
        )
    return [
        *lines,
        "",
        "The weight and the factors are chosen from these tables, that is from the same "
        "cross-validated predictions the figures above are computed on, so those figures "
        "are biased in favour of the chosen settings. `tests/data/heldout_eval.yml` played "
        "no part in any choice; `tests/data/heldout_nlu.yml` is also the smoke test's gate "
        "(every key-intent phrasing in it must be recognised).",
        "",
    ]


def render_markdown(r: Report) -> str:
    return "\n".join(
        [
            *_summary_lines(r),
            *_heldout_lines(r),
            *_real_lines(r),
            *_per_intent_lines(r),
            *_threshold_lines(r),
            *_weight_lines(r),
            *_boost_lines(r),
        ]
    )

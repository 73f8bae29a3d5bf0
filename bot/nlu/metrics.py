"""Scores of an intent classifier, from gold and predicted intents alone (no I/O).

>>> preds = Predictions()
>>> for gold, predicted in [("a", "a"), ("a", "b"), ("b", "b")]:
...     preds.add("", gold, predicted, 0.9)
>>> accuracy(preds), recall(preds, "a"), confusion_pairs(preds)
(0.6666666666666666, 0.5, [('a', 'b', 1)])
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME as FALLBACK

#: Largest share of correct predictions the fallback may swallow when choosing its threshold.
MAX_FALSE_FALLBACK = 0.02
THRESHOLDS = [round(0.05 * i, 2) for i in range(2, 19)]
DIET_WEIGHTS = [0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0]
#: Boosts swept for request_surrender and for proxy_surrender (every pair).
REQUEST_BOOSTS = [1.0, 1.5, 1.75, 2.0, 2.5, 3.0]
PROXY_BOOSTS = [1.0, 1.25, 1.5, 2.0]
#: The intents whose misses cost most: a surrender request answered without the
#: alternatives, a 代理退保 (proxy surrender) scam left without a warning.
KEY_INTENTS = ("request_surrender", "proxy_surrender")
#: What the NLU must reach: macro-F1 over all intents, and the recall of each key intent.
TARGET_MACRO_F1 = 0.95
TARGET_RECALL = 0.98
#: What the NLU must reach on what real people wrote (the real-language held-out set).
REAL_TARGET_MACRO_F1 = 0.93
REAL_TARGET_RECALL = 0.97
REAL_MAX_FALLBACK = 0.05


@dataclass
class Predictions:
    """Per-example gold and predicted intents, with the classifier's confidence."""

    gold: list[str] = field(default_factory=list)
    predicted: list[str] = field(default_factory=list)
    confidence: list[float] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    #: Best confidence minus the second best (for FallbackClassifier's ambiguity rule).
    margin: list[float] = field(default_factory=list)

    def pairs(self):
        """(gold, predicted) for every example."""
        return zip(self.gold, self.predicted, strict=True)

    def scored(self):
        """(is_correct, confidence, margin) for every example."""
        return zip((g == p for g, p in self.pairs()), self.confidence, self.margin, strict=True)

    def add(
        self, text: str, gold: str, predicted: str, confidence: float, margin: float = 1.0
    ) -> None:
        self.margin.append(margin)
        self.texts.append(text)
        self.gold.append(gold)
        self.predicted.append(predicted)
        self.confidence.append(confidence)


def subset(preds: Predictions, keep) -> Predictions:
    """The predictions of the examples whose text ``keep`` accepts."""
    out = Predictions()
    for i, text in enumerate(preds.texts):
        if keep(text):
            out.add(text, preds.gold[i], preds.predicted[i], preds.confidence[i], preds.margin[i])
    return out


def per_intent(
    preds: Predictions, labels: Sequence[str]
) -> dict[str, tuple[float, float, float, int]]:
    """Precision, recall, F1 and support for each label."""
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(
        preds.gold, preds.predicted, labels=list(labels), zero_division=0
    )
    return {lab: (p[i], r[i], f[i], int(s[i])) for i, lab in enumerate(labels)}


def fallback_rate(preds: Predictions, threshold: float) -> float:
    """The share of messages whose best confidence is below the fallback ``threshold``
    (answered with "did you mean" or a handoff instead of an answer).

    >>> p = Predictions(); p.add("", "a", "a", 0.2); p.add("", "a", "a", 0.9)
    >>> fallback_rate(p, 0.25)
    0.5
    """
    return (
        sum(c < threshold for c in preds.confidence) / len(preds.confidence) if preds.gold else 0.0
    )


def macro_f1(preds: Predictions, labels: Sequence[str]) -> float:
    scores = per_intent(preds, labels)
    return statistics.fmean(f for _, _, f, _ in scores.values())


def accuracy(preds: Predictions) -> float:
    return sum(g == p for g, p in preds.pairs()) / max(len(preds.gold), 1)


def recall(preds: Predictions, label: str) -> float:
    hits = [p == label for g, p in preds.pairs() if g == label]
    return sum(hits) / max(len(hits), 1)


def confusion_pairs(preds: Predictions, top: int = 12) -> list[tuple[str, str, int]]:
    """The most frequent (gold, predicted) mistakes."""
    counts = Counter((g, p) for g, p in preds.pairs() if g != p)
    return [(g, p, n) for (g, p), n in counts.most_common(top)]


def threshold_table(preds: Predictions, ambiguity: float = 0.0) -> list[tuple[float, float, float]]:
    """For each threshold: share of correct predictions falling back, share of errors
    caught. Like FallbackClassifier, a margin below ``ambiguity`` also falls back."""
    correct = [(c, m) for ok, c, m in preds.scored() if ok]
    wrong = [(c, m) for ok, c, m in preds.scored() if not ok]
    rows = []
    for t in THRESHOLDS:
        lost = sum(c < t or m < ambiguity for c, m in correct) / max(len(correct), 1)
        caught = sum(c < t or m < ambiguity for c, m in wrong) / max(len(wrong), 1)
        rows.append((t, lost, caught))
    return rows


def choose_threshold(rows: list[tuple[float, float, float]]) -> float:
    """The highest threshold that sends at most MAX_FALSE_FALLBACK of correct answers to
    the fallback: it catches as many misclassifications as that budget allows."""
    allowed = [t for t, lost, _ in rows if lost <= MAX_FALSE_FALLBACK]
    return max(allowed) if allowed else min(t for t, _, _ in rows)


def top_real_intent(result: dict) -> tuple[str, float]:
    """The best intent of a Rasa parse result other than the fallback, with its confidence."""
    for item in result.get("intent_ranking") or [result["intent"]]:
        if item.get("name") != FALLBACK:
            return item["name"], float(item.get("confidence") or 0.0)
    return FALLBACK, 0.0


def top_margin(result: dict) -> float:
    """Confidence of the best real intent minus that of the second."""
    scores = [
        float(i.get("confidence") or 0.0)
        for i in result.get("intent_ranking") or []
        if i.get("name") != FALLBACK
    ]
    return scores[0] - scores[1] if len(scores) > 1 else 1.0


# --- what IntentEnsemble would predict with other settings ------------------------------


def ensemble_predictions(
    parts: list[tuple[str, dict]], weight: float, boost: dict[str, float] | None = None
) -> Predictions:
    """What IntentEnsemble predicts with ``weight`` and ``boost``, from both rankings
    (``(gold, {"diet": ranking, "linear": ranking})`` for every example)."""
    from bot.nlu.components import apply_boost  # here: importing the components loads Rasa

    preds = Predictions()
    for gold, both in parts:
        combined = {
            name: weight * both["diet"].get(name, 0.0) + (1 - weight) * p
            for name, p in both["linear"].items()
        }
        combined = apply_boost(combined, boost or {})
        best = max(combined, key=combined.get)
        preds.add("", gold, best, combined[best])
    return preds


def weight_table(
    parts: list[tuple[str, dict]], labels: Sequence[str], boost: dict[str, float] | None = None
) -> list[tuple[float, float, float]]:
    """Macro-F1 and accuracy of the ensemble for each DIET weight, from both rankings."""
    rows = []
    for weight in DIET_WEIGHTS:
        preds = ensemble_predictions(parts, weight, boost)
        rows.append((weight, macro_f1(preds, labels), accuracy(preds)))
    return rows


def boost_table(
    parts: list[tuple[str, dict]], labels: Sequence[str], weight: float
) -> list[tuple[float, float, float, float, float]]:
    """For each pair of boosts (request_surrender, proxy_surrender): macro-F1 and the two
    key recalls."""
    rows = []
    for request in REQUEST_BOOSTS:
        for proxy in PROXY_BOOSTS:
            boost = dict(zip(KEY_INTENTS, (request, proxy), strict=True))
            preds = ensemble_predictions(parts, weight, boost)
            rows.append(
                (request, proxy, macro_f1(preds, labels), *(recall(preds, k) for k in KEY_INTENTS))
            )
    return rows


def meets_targets(f1: float, recalls: Sequence[float]) -> bool:
    """Whether a macro-F1 and the key intents' recalls all reach the targets.

    >>> meets_targets(0.951, [0.985, 0.98]), meets_targets(0.951, [0.985, 0.97])
    (True, False)
    """
    return f1 >= TARGET_MACRO_F1 and all(r >= TARGET_RECALL for r in recalls)

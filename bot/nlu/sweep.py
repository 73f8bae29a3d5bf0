"""Which pipeline settings help on what real people write, measured rather than guessed.

Each variant is ``config.yml`` with a few component settings changed. It is trained once on
the hand-written data and three quarters of the real-language training data
(``data/nlu/real.yml``), then scored on the remaining quarter (the *development* split, where
the choice is made) and, for information, on the real-language held-out set, which no choice
is made on. The table goes into the ``nlu-sweep`` section of ``docs/benchmarks.md``::

    python -m bot nlu sweep

A variant is a mapping of component name to the settings that differ:

>>> overlay({"pipeline": [{"name": "DIETClassifier", "epochs": 60}]},
...         {"DIETClassifier": {"epochs": 120}})
{'pipeline': [{'name': 'DIETClassifier', 'epochs': 120}]}
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.nlu.metrics import Predictions, accuracy, fallback_rate, macro_f1, recall

#: The settings tried, each against what the real-language errors call for.
VARIANTS: dict[str, dict[str, dict]] = {
    "config.yml": {},
    # Story-like complaints and pitches: word pairs (业务员 承诺, 全额 退保) carry the intent.
    "word 1-2-grams": {"CountVectorsFeaturizer": {"min_ngram": 1, "max_ngram": 2}},
    # Longer character n-grams catch four-character phrases (减额交清, 代理退保, 冷静期内).
    "char 1-4-grams": {"CharNgramFeaturizer": {"max_ngram": 4}},
    # A larger DIET, trained longer, for the longer and more varied real messages.
    "DIET 120 epochs": {"DIETClassifier": {"epochs": 120}},
    "DIET wider (512, 256)": {"DIETClassifier": {"hidden_layers_sizes": {"text": [512, 256]}}},
    # The ensemble leaning more on DIET, whose embeddings generalise across wordings.
    "ensemble: DIET weight 0.5": {"IntentEnsemble": {"diet_weight": 0.5}},
}
DEV_SHARE = 0.25


@dataclass
class Scores:
    variant: str
    dev: Predictions
    heldout: Predictions


def overlay(config: dict, changes: dict[str, dict]) -> dict:
    """``config`` with the settings of ``changes`` applied to the components they name."""
    config = copy.deepcopy(config)
    for component in config.get("pipeline", []):
        short = str(component.get("name", "")).rsplit(".", 1)[-1]
        component.update(copy.deepcopy(changes.get(short, {})))
    return config


def dev_split(
    real: Sequence[tuple[str, str]], seed: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(training part, development part) of the real-language training examples, stratified
    by intent; an intent with fewer than 4 examples stays wholly in training."""
    import random
    from collections import defaultdict

    by_intent: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for example in real:
        by_intent[example[1]].append(example)
    rng, train, dev = random.Random(seed), [], []
    for intent in sorted(by_intent):
        examples = sorted(by_intent[intent])
        rng.shuffle(examples)
        cut = int(len(examples) * DEV_SHARE) if len(examples) >= 4 else 0
        dev += examples[:cut]
        train += examples[cut:]
    return train, dev


def score(parser, examples: Sequence[tuple[str, str]]) -> Predictions:
    from bot.nlu.metrics import top_margin, top_real_intent

    preds = Predictions()
    for text, gold in examples:
        result = parser.parse(text)
        name, confidence = top_real_intent(result)
        preds.add(text, gold, name, confidence, top_margin(result))
    return preds


def run_sweep(config: Path, nlu_dir: Path, heldout_file: Path, seed: int = 42) -> list[Scores]:
    """Train every variant once and score it on the development split and the held-out set."""
    import yaml

    from bot.nlu.evaluate import (
        load_examples,
        load_heldout,
        real_training_examples,
        write_nlu_yaml,
    )
    from bot.nlu.model import NluParser, train_nlu_model

    everything = load_examples(nlu_dir)
    real_texts = {t for t, _ in real_training_examples(nlu_dir)}
    written = [e for e in everything if e[0] not in real_texts]
    real_train, dev = dev_split([e for e in everything if e[0] in real_texts], seed)
    heldout = load_heldout([heldout_file])
    base = yaml.safe_load(config.read_text(encoding="utf-8"))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "train.yml"
        write_nlu_yaml([*written, *real_train], data)
        for k, (name, changes) in enumerate(VARIANTS.items()):
            variant = Path(tmp) / f"config{k}.yml"
            variant.write_text(yaml.safe_dump(overlay(base, changes), allow_unicode=True))
            parser = NluParser.load(train_nlu_model(variant, data, Path(tmp) / f"model{k}"))
            results.append(Scores(name, score(parser, dev), score(parser, heldout)))
            parser.close()
            print(f"{name}: {summary(results[-1].dev)} | held-out {summary(results[-1].heldout)}")
    return results


def figures(preds: Predictions, threshold: float) -> tuple[float, ...]:
    """macro-F1 (over the intents present), accuracy, both key recalls, fallback rate."""
    labels = sorted(set(preds.gold))
    return (
        macro_f1(preds, labels),
        accuracy(preds),
        recall(preds, "request_surrender"),
        recall(preds, "proxy_surrender"),
        fallback_rate(preds, threshold),
    )


def summary(preds: Predictions, threshold: float = 0.25) -> str:
    f1, acc, req, proxy, fb = figures(preds, threshold)
    return f"F1 {f1:.3f} acc {acc:.3f} R(req) {req:.3f} R(proxy) {proxy:.3f} fb {fb:.1%}"


def render(results: Sequence[Scores], threshold: float, command: str, machine: str) -> str:
    """The ``nlu-sweep`` section of docs/benchmarks.md."""
    from bot.nlu.metrics import MAX_FALSE_FALLBACK, choose_threshold, threshold_table

    dev_n, held_n = len(results[0].dev.gold), len(results[0].heldout.gold)
    lines = [
        "## NLU sweep: settings tried on real language",
        "",
        f"Command: `{command}`, run on {machine}.",
        "",
        "Each variant is `config.yml` with the settings named changed, trained once on the "
        f"hand-written data and {1 - DEV_SHARE:.0%} of `data/nlu/real.yml`, then scored on the "
        f"other {DEV_SHARE:.0%} (*development*, {dev_n} messages: the choice is made here) and "
        f"on the real-language held-out set ({held_n} messages, for information only). "
        f"Fallback: best intent below {threshold:.2f}. Key recalls: request_surrender, "
        "proxy_surrender.",
        "",
        "| variant | dev macro-F1 | dev accuracy | dev R(request) | dev R(proxy) | dev fallback "
        "| held-out macro-F1 | held-out accuracy | held-out fallback |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        f1, acc, req, proxy, fb = figures(r.dev, threshold)
        hf1, hacc, _, _, hfb = figures(r.heldout, threshold)
        lines.append(
            f"| {r.variant} | {f1:.3f} | {acc:.3f} | {req:.3f} | {proxy:.3f} | {fb:.1%} "
            f"| {hf1:.3f} | {hacc:.3f} | {hfb:.1%} |"
        )
    lines += [
        "",
        f"Fallback threshold on the development split ({results[0].variant}): share of correct "
        "predictions sent to the fallback, share of errors caught.",
        "",
        "| threshold | correct sent to fallback | errors caught |",
        "|---|---|---|",
    ]
    rows = threshold_table(results[0].dev)
    for t, lost, caught in rows:
        if t <= 0.6:
            lines.append(f"| {t:.2f} | {lost:.1%} | {caught:.1%} |")
    best = max(results, key=lambda r: figures(r.dev, threshold)[0])
    lines += [
        "",
        f"Best on the development split: **{best.variant}**. Threshold that sends at most "
        f"{MAX_FALSE_FALLBACK:.0%} of correct answers to the fallback there: "
        f"**{choose_threshold(rows):.2f}**.",
    ]
    return "\n".join(lines) + "\n"

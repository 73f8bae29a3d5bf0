"""Measure the NLU: stratified k-fold cross-validation of the Rasa pipeline and a baseline,
then both trained on all the data and tested on the held-out phrasings of ``tests/data/``.

Both models see exactly the same folds. The baseline is character 1-3-gram TF-IDF with
logistic regression (scikit-learn) on the same normalised text. The scores come from
:mod:`bot.nlu.metrics`; :mod:`bot.nlu.report` writes them into the NLU section of
``docs/benchmarks.md`` and the confusion matrix into ``docs/nlu_confusion.png``.

    python -m bot eval-nlu --folds 5
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.nlu.components import DIET_INTENT, ENSEMBLE_PARTS
from bot.nlu.metrics import (
    Predictions,
    accuracy,
    boost_table,
    choose_threshold,
    threshold_table,
    top_margin,
    top_real_intent,
    weight_table,
)
from bot.nlu.normalize import normalize
from bot.nlu.report import Report, write_report

#: Held-out phrasings in tests/data/ (intent -> messages), never in the training data.
HELDOUT_GLOB = "heldout*.yml"
#: What real people wrote, from sources no training example came from (same format).
REAL_FILE = Path("tests/data/real_language.yml")
#: What real people wrote, trained on: from other pages than REAL_FILE's (corpus/train/).
REAL_TRAINING = "real.yml"


# --- data, folds and configuration -------------------------------------------------------


def load_training_data(nlu_dir: Path, exclude: Sequence[str] = ()):
    """Rasa's training data from the NLU files under ``nlu_dir`` but those named in
    ``exclude``, skipping other files there (``SOURCES.md``) as ``rasa train`` does."""
    from rasa.shared.data import get_data_files, is_nlu_file
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    files = sorted(
        f for f in get_data_files([str(nlu_dir)], is_nlu_file) if Path(f).name not in exclude
    )
    return TrainingData().merge(*(load_data(f) for f in files))


def load_examples(nlu_dir: Path) -> list[tuple[str, str]]:
    """(text, intent) for every NLU example under ``nlu_dir``."""
    data = load_training_data(nlu_dir)
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def real_training_examples(nlu_dir: Path) -> list[tuple[str, str]]:
    """(text, intent) of the real-language training examples, ``nlu_dir/real.yml``."""
    from rasa.shared.nlu.training_data.loading import load_data

    path = nlu_dir / REAL_TRAINING
    if not path.is_file():
        return []
    return [(m.get("text"), m.get("intent")) for m in load_data(str(path)).intent_examples]


def load_heldout(paths: Sequence[Path]) -> list[tuple[str, str]]:
    """(text, intent) from held-out files: YAML mappings of intent -> list of messages.

    A message YAML reads as something else (``yes``, ``no``, ``88``) must be quoted;
    it is an error rather than silently turned into "True" or "88".
    """
    import yaml

    examples = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for intent, texts in data.items():
            for text in texts or []:
                if not isinstance(text, str):
                    raise ValueError(f"{path}: {intent}: {text!r} is not a string; quote it")
                examples.append((text, intent))
    return examples


def make_folds(labels: Sequence[str], folds: int, seed: int) -> list[tuple[list[int], list[int]]]:
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [(list(a), list(b)) for a, b in splitter.split(list(labels), list(labels))]


def write_nlu_yaml(examples: Sequence[tuple[str, str]], path: Path) -> None:
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    messages = [Message(data={"text": t, "intent": i}) for t, i in examples]
    path.write_text(TrainingData(training_examples=messages).nlu_as_yaml(), encoding="utf-8")


def _component(config_path: Path, suffix: str) -> dict | None:
    import yaml

    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    for component in config.get("pipeline", []):
        if str(component.get("name", "")).endswith(suffix):
            return component
    return None


def configured_threshold(config_path: Path) -> float:
    component = _component(config_path, "FallbackClassifier")
    return float(component.get("threshold", 0.3)) if component else 0.0


def configured_ambiguity(config_path: Path) -> float:
    component = _component(config_path, "FallbackClassifier")
    return float(component.get("ambiguity_threshold", 0.1)) if component else 0.0


def configured_weight(config_path: Path) -> float | None:
    component = _component(config_path, "IntentEnsemble")
    return float(component.get("diet_weight", 0.5)) if component else None


def configured_boost(config_path: Path) -> dict[str, float]:
    component = _component(config_path, "IntentEnsemble")
    return dict(component.get("intent_boost") or {}) if component else {}


def config_with_parts(config_path: Path, out: Path) -> Path:
    """A copy of the config whose IntentEnsemble also outputs both models' rankings."""
    import yaml

    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    for component in config.get("pipeline", []):
        if str(component.get("name", "")).endswith("IntentEnsemble"):
            component["output_parts"] = True
    out.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


# --- the two models ----------------------------------------------------------------------


def baseline_predict(train: Sequence[tuple[str, str]], test: Sequence[str], seed: int):
    """Character n-gram TF-IDF + logistic regression on normalised text."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
        LogisticRegression(max_iter=3000, C=10.0, random_state=seed),
    )
    model.fit([normalize(t) for t, _ in train], [i for _, i in train])
    probs = model.predict_proba([normalize(t) for t in test])
    classes = list(model.classes_)
    return [(classes[row.argmax()], float(row.max())) for row in probs]


def _add_baseline(preds: Predictions, train, test, seed: int) -> None:
    found = baseline_predict(train, [t for t, _ in test], seed)
    for (text, gold), (name, conf) in zip(test, found, strict=True):
        preds.add(text, gold, name, conf)


@dataclass
class CrossValidation:
    """Every example predicted once, by models trained on the other folds."""

    rasa: Predictions = field(default_factory=Predictions)
    #: DIET's own best intent inside the same pipeline, before the ensemble.
    diet: Predictions = field(default_factory=Predictions)
    baseline: Predictions = field(default_factory=Predictions)
    #: (gold intent, both models' rankings) per example, for the weight and boost sweeps.
    parts: list[tuple[str, dict]] = field(default_factory=list)
    train_seconds: list[float] = field(default_factory=list)
    parse_ms: list[float] = field(default_factory=list)

    def add_rasa(self, parser, test: Sequence[tuple[str, str]]) -> None:
        """Parse every test message with ``parser`` (timed) and record all it predicts."""
        for text, gold in test:
            start = time.perf_counter()
            result = parser.parse(text)
            self.parse_ms.append((time.perf_counter() - start) * 1000)
            name, conf = top_real_intent(result)
            self.rasa.add(text, gold, name, conf, top_margin(result))
            if result.get(ENSEMBLE_PARTS):
                self.parts.append((gold, result[ENSEMBLE_PARTS]))
            diet = result.get(DIET_INTENT) or result["intent"]
            self.diet.add(text, gold, diet["name"], float(diet.get("confidence") or 0.0))


def cross_validate(
    examples: Sequence[tuple[str, str]], config: Path, folds: int, seed: int
) -> CrossValidation:
    from bot.nlu.model import NluParser, train_nlu_model

    cv = CrossValidation()
    with tempfile.TemporaryDirectory() as tmp:
        eval_config = config_with_parts(config, Path(tmp) / "config.yml")
        split = make_folds([i for _, i in examples], folds, seed)
        for k, (train_idx, test_idx) in enumerate(split):
            train = [examples[i] for i in train_idx]
            test = [examples[i] for i in test_idx]
            fold_file = Path(tmp) / f"fold{k}.yml"
            write_nlu_yaml(train, fold_file)

            start = time.perf_counter()
            model = train_nlu_model(eval_config, fold_file, Path(tmp) / f"model{k}")
            cv.train_seconds.append(time.perf_counter() - start)
            parser = NluParser.load(model)
            cv.add_rasa(parser, test)
            parser.close()

            _add_baseline(cv.baseline, train, test, seed)
            print(
                f"fold {k + 1}/{folds}: trained in {cv.train_seconds[-1]:.0f}s, "
                f"running accuracy {accuracy(cv.rasa):.3f} "
                f"(baseline {accuracy(cv.baseline):.3f})",
                flush=True,
            )
    return cv


def heldout_predictions(
    examples: Sequence[tuple[str, str]],
    heldout: Sequence[tuple[str, str]],
    config: Path,
    seed: int,
    real: Sequence[tuple[str, str]] = (),
) -> tuple[Predictions, Predictions, Predictions]:
    """The Rasa pipeline's and the baseline's predictions on ``heldout``, and the
    pipeline's on the real-language set ``real``, all trained once on all ``examples``."""
    from bot.nlu.model import NluParser, train_nlu_model

    rasa, baseline, on_real = Predictions(), Predictions(), Predictions()
    with tempfile.TemporaryDirectory() as tmp:
        all_file = Path(tmp) / "all.yml"
        write_nlu_yaml(examples, all_file)
        parser = NluParser.load(train_nlu_model(config, all_file, Path(tmp) / "model"))
        for preds, texts in ((rasa, heldout), (on_real, real)):
            for text, gold in texts:
                name, conf = top_real_intent(parser.parse(text))
                preds.add(text, gold, name, conf)
        parser.close()
    _add_baseline(baseline, examples, heldout, seed)
    print(f"held-out: accuracy {accuracy(rasa):.3f}", flush=True)
    if real:
        print(f"real-language: accuracy {accuracy(on_real):.3f}", flush=True)
    return rasa, baseline, on_real


def run_evaluation(
    config: Path,
    nlu_dir: Path,
    heldout_files: Sequence[Path],
    out_dir: Path,
    folds: int = 5,
    seed: int = 42,
    real_files: Sequence[Path] = (),
) -> Report:
    """Cross-validate, test on the held-out files, sweep the ensemble's settings, and
    write the report into ``out_dir``."""
    examples = load_examples(nlu_dir)
    labels = sorted({i for _, i in examples})
    cv = cross_validate(examples, config, folds, seed)
    heldout, real = load_heldout(heldout_files), load_heldout(real_files)
    heldout_rasa, heldout_base, real_rasa = (
        heldout_predictions(examples, heldout, config, seed, real)
        if heldout or real
        else (None, None, None)
    )
    ambiguity = configured_ambiguity(config)
    rows = threshold_table(cv.rasa, ambiguity)
    weight, boost = configured_weight(config), configured_boost(config)
    report = Report(
        rasa=cv.rasa,
        baseline=cv.baseline,
        diet=cv.diet,
        labels=labels,
        train_seconds=cv.train_seconds,
        parse_ms=cv.parse_ms,
        folds=folds,
        n_examples=len(examples),
        threshold_table=rows,
        chosen_threshold=choose_threshold(rows),
        configured_threshold=configured_threshold(config),
        ambiguity=ambiguity,
        weight_table=weight_table(cv.parts, labels, boost) if cv.parts else [],
        configured_weight=weight,
        boost_table=boost_table(cv.parts, labels, weight or 0.0) if cv.parts else [],
        configured_boost=boost,
        heldout=heldout_rasa,
        heldout_baseline=heldout_base,
        heldout_files=[Path(p).as_posix() for p in heldout_files],
        real=real_rasa,
        real_files=[Path(p).as_posix() for p in real_files],
        real_training=frozenset(t for t, _ in real_training_examples(nlu_dir)),
    )
    write_report(report, out_dir)
    return report

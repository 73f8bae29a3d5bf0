"""Custom Rasa 3.6 NLU components for Chinese insurance text.

Used from ``config.yml``::

    pipeline:
      - name: bot.nlu.components.TextNormalizer
      - name: bot.nlu.components.InsuranceJiebaTokenizer
      ...
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import normalize as _normalize
from bot.nlu import pinyin as _pinyin
from bot.nlu.segment import DICTIONARY_DIR

#: Message property holding the text exactly as the user typed it.
ORIGINAL_TEXT = "text_original"
#: What the classifiers see for a message with no letters, digits or Chinese characters.
EMPTY_PLACEHOLDER = "emptymessage"
_WORDLIKE = re.compile(r"\w")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class TextNormalizer(GraphComponent):
    """Rewrites ``text`` into its normalised form and keeps the original in ``text_original``.

    Place it first in the pipeline, before the tokenizer. See :func:`bot.nlu.normalize.normalize`.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"max_chars": _normalize.MAX_CHARS}

    def __init__(self, config: dict[str, Any]) -> None:
        self._max_chars = int(config.get("max_chars", _normalize.MAX_CHARS))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TextNormalizer:
        return cls(config)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Retrain when the normalisation code changes."""
        return _file_digest([Path(_normalize.__file__), Path(__file__)])

    def _normalize_message(self, message: Message, keep_original: bool) -> None:
        text = message.get(TEXT)
        if text is None:
            return
        if keep_original and message.get(ORIGINAL_TEXT) is None:
            message.set(ORIGINAL_TEXT, text, add_to_output=True)
        normalized = _normalize.normalize(text, self._max_chars)
        if not _WORDLIKE.search(normalized):
            # Nothing to classify (empty, emoji or punctuation only): one unknown token,
            # so the classifiers see a message and the fallback answers it.
            normalized = EMPTY_PLACEHOLDER
        message.set(TEXT, normalized)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalize_message(example, keep_original=False)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._normalize_message(message, keep_original=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=True)
class InsuranceJiebaTokenizer(JiebaTokenizer):
    """Rasa's ``JiebaTokenizer`` with the project's insurance dictionary as the default.

    Unlike the stock tokenizer it fingerprints the dictionary files, so editing the
    dictionary retrains the model.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        config = JiebaTokenizer.get_default_config()
        config["dictionary_path"] = str(DICTIONARY_DIR)
        return config

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        path = config.get("dictionary_path")
        if not path:
            return None
        return _file_digest(sorted(Path(path).glob("*")))


def _file_digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _pad(text: str) -> str:
    """The text with a space at each end, so n-grams can mark its start and end."""
    return f" {text} "


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class CharNgramFeaturizer(SparseFeaturizer, GraphComponent):
    """Sentence-level TF-IDF of character n-grams over the whole normalised message.

    Rasa's ``CountVectorsFeaturizer`` builds character n-grams inside each token only; in
    Chinese, where word boundaries are guesses, the n-grams that cross them ("不想退",
    "帮我全额") carry much of the meaning. This featurizer reads the message as one string
    with a space at each end, through scikit-learn's ``TfidfVectorizer``: sub-linear term
    frequency, smoothed inverse document frequency, L2-normalised.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **SparseFeaturizer.get_default_config(),
            "min_ngram": 1,
            "max_ngram": 3,
            "min_df": 1,
        }

    @staticmethod
    def required_packages() -> list[str]:
        """Rasa fingerprints their versions: a new scikit-learn retrains the featurizer."""
        return ["sklearn"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: list[str] | None = None,
        idf: list[float] | None = None,
    ) -> None:
        SparseFeaturizer.__init__(self, self.__class__.__name__, config)
        self._model_storage = model_storage
        self._resource = resource
        self._vectorizer = None
        if vocabulary:
            self._vectorizer = self._new_vectorizer(vocabulary)
            self._vectorizer.idf_ = idf

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if not 1 <= int(config["min_ngram"]) <= int(config["max_ngram"]):
            raise ValueError(f"{cls.__name__} needs 1 <= min_ngram <= max_ngram")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CharNgramFeaturizer:
        return cls(config, model_storage, resource)

    def _analyzer(self) -> dict[str, Any]:
        """How the vectorizer reads a message: its characters, with a space at each end
        (" 我想" marks a start). The char analyzer also folds runs of whitespace into one
        space; normalised text has none left."""
        return {"analyzer": "char", "preprocessor": _pad}

    def _new_vectorizer(self, vocabulary: list[str] | None = None):
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(
            **self._analyzer(),
            lowercase=False,
            ngram_range=(int(self._config["min_ngram"]), int(self._config["max_ngram"])),
            min_df=int(self._config["min_df"]),
            sublinear_tf=True,
            vocabulary=vocabulary,
        )

    def train(self, training_data: TrainingData) -> Resource:
        texts = [m.get(TEXT) for m in training_data.training_examples if m.get(TEXT)]
        vocabulary: list[str] = []
        idf: list[float] = []
        if texts:
            self._vectorizer = self._new_vectorizer().fit(texts)
            vocabulary = self._vectorizer.get_feature_names_out().tolist()
            idf = self._vectorizer.idf_.tolist()
        # JSON, not a pickle: the vocabulary and the idf are all a fitted vectorizer holds.
        with self._model_storage.write_to(self._resource) as directory:
            (Path(directory) / "char_ngrams.json").write_text(
                json.dumps({"vocabulary": vocabulary, "idf": idf}, ensure_ascii=False),
                encoding="utf-8",
            )
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CharNgramFeaturizer:
        with model_storage.read_from(resource) as directory:
            data = json.loads((Path(directory) / "char_ngrams.json").read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, data["vocabulary"], data["idf"])

    def _featurize(self, messages: list[Message]) -> None:
        with_text = [m for m in messages if m.get(TEXT) is not None]
        if self._vectorizer is None or not with_text:
            return
        rows = self._vectorizer.transform([m.get(TEXT) for m in with_text])
        for message, row in zip(with_text, rows.astype(np.float32), strict=True):
            self.add_features_to_message(None, row.tocoo(), TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class PinyinNgramFeaturizer(CharNgramFeaturizer):
    """Sentence-level TF-IDF of toneless pinyin syllable n-grams (see :mod:`bot.nlu.pinyin`).

    A homophone typo (退宝, 腿保, 保但, 尤豫期) has the pinyin of the word meant, so these
    features still match where the character n-grams do not. ``min_ngram`` and
    ``max_ngram`` count syllables.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**CharNgramFeaturizer.get_default_config(), "max_ngram": 2}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Retrain when the pinyin code, the TF-IDF code it inherits or pypinyin's version
        changes."""
        from importlib.metadata import version

        return _file_digest([Path(_pinyin.__file__), Path(__file__)]) + version("pypinyin")

    def _analyzer(self) -> dict[str, Any]:
        """Syllables as the vectorizer's words: its n-grams join them with a space."""
        return {"analyzer": "word", "tokenizer": _pinyin.syllables, "token_pattern": None}


def apply_boost(probabilities: dict[str, float], boost: dict[str, float]) -> dict[str, float]:
    """Scale some intents' probabilities and renormalise.

    >>> apply_boost({"a": 0.5, "b": 0.5}, {"a": 3.0})
    {'a': 0.75, 'b': 0.25}
    """
    if not boost:
        return probabilities
    scaled = {n: p * float(boost.get(n, 1.0)) for n, p in probabilities.items()}
    total = sum(scaled.values()) or 1.0
    return {n: p / total for n, p in scaled.items()}


#: Message property with DIET's own best intent, kept for evaluation and debugging.
DIET_INTENT = "diet_intent"
#: Message property with both models' rankings (only with ``output_parts: true``).
ENSEMBLE_PARTS = "ensemble_parts"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class IntentEnsemble(GraphComponent):
    """Averages DIET's intent probabilities with a logistic regression on the sparse
    sentence features (the character n-gram TF-IDF above all).

    DIET learns dense representations; the linear model is strong on short, typo-ridden
    messages with little data. Their errors differ, so the average can beat each alone;
    ``make eval-nlu`` measures DIET alone and the average for a range of weights.

    Place it after ``DIETClassifier`` (configured with ``ranking_length: 0`` so every
    intent has a probability) and before ``FallbackClassifier``. ``diet_weight`` is the
    share of DIET in the average.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "diet_weight": 0.5,
            # Multiplies these intents' probabilities before the ranking (then
            # renormalised): missing a surrender request or a scam report costs more
            # than a wrong guess the other way. Chosen by cross-validation.
            "intent_boost": {},
            "C": 10.0,
            "max_iter": 3000,
            "ranking_length": 10,
            # Sparse sentence features the linear model reads (featurizer aliases);
            # None: all of them.
            "featurizers": ["CharNgramFeaturizer"],
            # Also output both models' full rankings (for tuning diet_weight).
            "output_parts": False,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        classes: list[str] | None = None,
        coef: np.ndarray | None = None,
        intercept: np.ndarray | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._classes = classes or []
        self._coef = coef
        self._intercept = intercept

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> IntentEnsemble:
        return cls(config, model_storage, resource)

    def _features(self, messages: list[Message]) -> scipy.sparse.csr_matrix:
        rows = []
        featurizers = self._config["featurizers"]
        for message in messages:
            _, sentence = message.get_sparse_features(TEXT, featurizers)
            rows.append(scipy.sparse.csr_matrix(sentence.features) if sentence else None)
        width = max((r.shape[1] for r in rows if r is not None), default=0)
        return scipy.sparse.vstack(
            [r if r is not None else scipy.sparse.csr_matrix((1, width)) for r in rows]
        ).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        labels = [m.get(INTENT) for m in examples]
        if len(set(labels)) < 2:
            return self._resource
        model = LogisticRegression(
            C=float(self._config["C"]), max_iter=int(self._config["max_iter"]), random_state=42
        )
        model.fit(self._features(examples), labels)
        self._classes = [str(c) for c in model.classes_]
        self._coef = model.coef_.astype(np.float32)
        self._intercept = model.intercept_.astype(np.float32)
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(Path(directory) / "ensemble.npz", coef=self._coef, intercept=self._intercept)
            (Path(directory) / "classes.json").write_text(json.dumps(self._classes), "utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> IntentEnsemble:
        try:
            with model_storage.read_from(resource) as directory:
                arrays = np.load(Path(directory) / "ensemble.npz")
                classes = json.loads((Path(directory) / "classes.json").read_text("utf-8"))
                return cls(
                    config, model_storage, resource, classes, arrays["coef"], arrays["intercept"]
                )
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)

    def _linear_probabilities(self, messages: list[Message]) -> np.ndarray:
        scores = np.asarray(self._features(messages) @ self._coef.T + self._intercept)
        if scores.shape[1] == 1:  # two intents: scikit-learn keeps one logit
            scores = np.hstack([np.zeros_like(scores), scores])
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def process(self, messages: list[Message]) -> list[Message]:
        if self._coef is None or not messages:
            return messages
        linear = self._linear_probabilities(messages)
        weight = float(self._config["diet_weight"])
        for message, probs in zip(messages, linear, strict=True):
            diet = {r["name"]: r["confidence"] for r in message.get(INTENT_RANKING_KEY) or []}
            if diet:
                message.set(DIET_INTENT, message.get(INTENT), add_to_output=True)
            combined = {
                name: weight * diet.get(name, 0.0) + (1 - weight) * float(p) if diet else float(p)
                for name, p in zip(self._classes, probs, strict=True)
            }
            combined = apply_boost(combined, self._config["intent_boost"] or {})
            ranking = sorted(
                ({"name": n, "confidence": c} for n, c in combined.items()),
                key=lambda r: -r["confidence"],
            )
            message.set(INTENT, ranking[0], add_to_output=True)
            if self._config["output_parts"]:
                linear_part = dict(zip(self._classes, map(float, probs), strict=True))
                message.set(
                    ENSEMBLE_PARTS, {"diet": diet, "linear": linear_part}, add_to_output=True
                )
            length = int(self._config["ranking_length"])
            message.set(
                INTENT_RANKING_KEY, ranking[:length] if length else ranking, add_to_output=True
            )
        return messages

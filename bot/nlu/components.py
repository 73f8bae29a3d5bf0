"""Custom Rasa 3.6 NLU components for Chinese insurance text.

Used from ``config.yml``::

    pipeline:
      - name: bot.nlu.components.TextNormalizer
      - name: bot.nlu.components.InsuranceJiebaTokenizer
      ...
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import normalize as _normalize
from bot.nlu.segment import DICTIONARY_DIR

#: Message property holding the text exactly as the user typed it.
ORIGINAL_TEXT = "text_original"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
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
        return _file_digest([Path(_normalize.__file__)])

    def _normalize_message(self, message: Message, keep_original: bool) -> None:
        text = message.get(TEXT)
        if text is None:
            return
        if keep_original and message.get(ORIGINAL_TEXT) is None:
            message.set(ORIGINAL_TEXT, text, add_to_output=True)
        message.set(TEXT, _normalize.normalize(text, self._max_chars))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalize_message(example, keep_original=False)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._normalize_message(message, keep_original=True)
        return messages


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=True
)
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

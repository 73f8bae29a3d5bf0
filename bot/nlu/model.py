"""Find, train and load Rasa models, and parse text with them outside a server.

>>> parser = NluParser.load(latest_model("models"))   # doctest: +SKIP
>>> parser.parse("我想退保")["intent"]["name"]          # doctest: +SKIP
'request_surrender'
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any


def quiet_rasa() -> None:
    """Silence telemetry and TensorFlow chatter for command-line and test use."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")


def latest_model(models_dir: str | Path) -> Path | None:
    """The newest ``*.tar.gz`` model in ``models_dir``, or ``None`` if there is none."""
    models = sorted(Path(models_dir).glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def train_model(project_root: str | Path, models_dir: str | Path | None = None) -> Path:
    """Train (or reuse, when Rasa's fingerprint matches) the full model; return its path."""
    quiet_rasa()
    from rasa.api import train

    root = Path(project_root)
    result = train(
        domain=str(root / "domain.yml"),
        config=str(root / "config.yml"),
        training_files=[str(root / "data")],
        output=str(models_dir or root / "models"),
    )
    if result.code != 0 or not result.model:
        raise RuntimeError(f"Rasa training failed with code {result.code}")
    return Path(result.model)


def train_nlu_model(config: str | Path, nlu_data: str | Path, output: str | Path) -> Path:
    """Train an NLU-only model from one NLU file (used by cross-validation)."""
    quiet_rasa()
    from rasa.model_training import train_nlu

    model = train_nlu(config=str(config), nlu_data=str(nlu_data), output=str(output))
    if not model:
        raise RuntimeError(f"NLU training failed for {nlu_data}")
    return Path(model)


class NluParser:
    """A loaded Rasa model that parses text synchronously."""

    def __init__(self, agent: Any) -> None:
        self._agent = agent
        self._loop = asyncio.new_event_loop()

    @classmethod
    def load(cls, model_path: str | Path) -> NluParser:
        quiet_rasa()
        from rasa.core.agent import Agent

        return cls(Agent.load(str(model_path)))

    def parse(self, text: str) -> dict[str, Any]:
        """Rasa's parse result: ``intent``, ``intent_ranking``, ``text``, ``text_original``."""
        return self._loop.run_until_complete(self._agent.parse_message(text))

    def close(self) -> None:
        self._loop.close()

"""Runtime settings read from the environment, with local defaults.

>>> Settings.from_env({"RASA_PORT": "6005"}).rasa_port
6005
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

QUIET_ENV_FILE = Path(__file__).resolve().parent / "quiet.env"


def quiet_env() -> dict[str, str]:
    """The variables that quieten Rasa, TensorFlow and SQLAlchemy (``quiet.env``).

    >>> quiet_env()["RASA_TELEMETRY_ENABLED"]
    'false'
    """
    lines = QUIET_ENV_FILE.read_text(encoding="utf-8").splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {name: value for name, value in pairs}


def quiet_rasa() -> None:
    """Quieten Rasa in this process (variables already set are kept)."""
    for name, value in quiet_env().items():
        os.environ.setdefault(name, value)


@dataclass(frozen=True)
class Settings:
    """Where things live and which ports they use. Everything binds to ``host``."""

    host: str = "127.0.0.1"
    rasa_port: int = 5005
    actions_port: int = 5055
    console_port: int = 8000
    db_path: Path = Path("var/policyguard.db")
    models_dir: Path = Path("models")
    #: Rasa's tracker store (``endpoints.yml``), read by the console's dashboard.
    tracker_db_path: Path = Path("var/tracker.db")
    #: Signs the console's session cookies; empty means a random key in var/.
    console_secret: str = ""
    #: The bot's responses (read by the editor's preview) and the curated knowledge entries.
    domain_path: Path = Path("domain.yml")
    knowledge_dir: Path = Path("knowledge")

    @property
    def outbox_dir(self) -> Path:
        """Handoffs waiting for the app database (``bot/outbox.py``), next to it."""
        return self.db_path.parent / "outbox"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def port(name: str, default: int) -> int:
            raw = env.get(name, "")
            if not raw:
                return default
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise ValueError(f"{name} must be a port number (1-65535), got {raw!r}")
            return int(raw)

        return cls(
            host=env.get("HOST") or cls.host,
            rasa_port=port("RASA_PORT", cls.rasa_port),
            actions_port=port("ACTIONS_PORT", cls.actions_port),
            console_port=port("CONSOLE_PORT", cls.console_port),
            db_path=Path(env.get("POLICYGUARD_DB") or cls.db_path),
            models_dir=Path(env.get("POLICYGUARD_MODELS") or cls.models_dir),
            tracker_db_path=Path(env.get("POLICYGUARD_TRACKER_DB") or cls.tracker_db_path),
            console_secret=env.get("CONSOLE_SECRET") or "",
            domain_path=Path(env.get("POLICYGUARD_DOMAIN") or cls.domain_path),
            knowledge_dir=Path(env.get("POLICYGUARD_KNOWLEDGE") or cls.knowledge_dir),
        )

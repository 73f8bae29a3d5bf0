"""Shared fixtures. Heavy ones (a trained Rasa model) are session-scoped and marked slow."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent

#: The live servers fixture (`servers`) for the end-to-end and browser tests.
pytest_plugins = ["live_servers"]
DATA = Path(__file__).parent / "data"


def pytest_configure(config) -> None:
    # Staff are always in for the tests (and the servers they start), whatever the hour the
    # suite runs at; the tests of the hours set their own (tests/test_desk.py).
    os.environ["SERVICE_HOURS"] = "daily 00:00-24:00"


def load_yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@functools.cache
def nlu_messages() -> tuple:
    """Every intent example under data/nlu, as Rasa reads it for training (read once)."""
    from bot.nlu.evaluate import load_training_data

    return tuple(load_training_data(ROOT / "data" / "nlu").intent_examples)


def nlu_examples() -> dict[str, list[str]]:
    """Every training example under data/nlu, by intent."""
    out: dict[str, list[str]] = {}
    for message in nlu_messages():
        out.setdefault(message.get("intent"), []).append(message.get("text"))
    return out


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The full model: trained, or reused when Rasa's fingerprint says nothing changed."""
    from bot.nlu.model import train_model

    return train_model(ROOT, ROOT / "models")


@pytest.fixture(scope="session")
def parser(trained_model):
    from bot.nlu.model import NluParser

    p = NluParser.load(trained_model)
    yield p
    p.close()


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Argon2 with its cheapest settings: the same code path, a fraction of the time."""
    from argon2 import PasswordHasher

    import bot.accounts

    monkeypatch.setattr(
        bot.accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture(autouse=True)
def private_app_database(tmp_path, monkeypatch):
    """No test opens the developer's var/: the app database and its outbox are temporary."""
    monkeypatch.setenv("POLICYGUARD_DB", str(tmp_path / "var" / "policyguard.db"))


@pytest.fixture(autouse=True)
def log_record_factory():
    """A test that installs the redacting log factory (every CLI command does) leaves the
    next test the standard one, so no test's log assertions pass by redaction."""
    import logging

    factory = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(factory)

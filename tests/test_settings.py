from pathlib import Path

import pytest

from bot.settings import Settings
from tests.conftest import ROOT


def test_defaults_bind_to_loopback():
    s = Settings.from_env({})
    assert (s.host, s.rasa_port, s.actions_port, s.console_port) == ("127.0.0.1", 5005, 5055, 8000)
    assert s.db_path == Path("var/policyguard.db")


def test_environment_overrides():
    s = Settings.from_env({"RASA_PORT": "6005", "ACTIONS_PORT": "6055", "POLICYGUARD_DB": "x.db"})
    assert (s.rasa_port, s.actions_port, s.db_path) == (6005, 6055, Path("x.db"))


@pytest.mark.parametrize("bad", ["abc", "0", "70000", "-1"])
def test_bad_port_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="RASA_PORT"):
        Settings.from_env({"RASA_PORT": bad})


def test_rasa_is_reached_on_loopback_whatever_the_console_binds_to():
    assert Settings.from_env({"HOST": "0.0.0.0"}).rasa_url == "http://127.0.0.1:5005"


def test_only_the_console_may_listen_beyond_loopback():
    procfile = (ROOT / "Procfile").read_text(encoding="utf-8")
    lines = dict(line.split(": ", 1) for line in procfile.splitlines() if line.strip())
    assert "--interface 127.0.0.1" in lines["rasa"]
    assert lines["actions"].startswith(".venv/bin/python -m bot actions ")  # loopback only
    assert lines["rasa"].startswith(".venv/bin/python -m bot rasa run ")  # redacted logs
    assert "--enable-api" not in procfile
    assert lines["console"].startswith(".venv-console/bin/python ")

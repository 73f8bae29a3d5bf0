from pathlib import Path

import pytest

from bot.settings import Settings


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

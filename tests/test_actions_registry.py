"""The action server can load the actions package and finds every action of the domain."""

from rasa_sdk.executor import ActionExecutor

from tests.conftest import ROOT, load_yaml


def test_every_custom_action_is_registered():
    executor = ActionExecutor()
    executor.register_package("actions")
    domain = load_yaml(ROOT / "domain.yml")
    custom = {a for a in domain["actions"] if not a.startswith("utter_")}
    assert custom <= set(executor.actions), custom - set(executor.actions)

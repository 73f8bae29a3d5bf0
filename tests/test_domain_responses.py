"""Every response an action sends exists in the domain, and no Chinese text lives in Python."""

import re

from bot.products import PRODUCT_WORDS
from tests.conftest import ROOT, load_yaml

RESPONSES = load_yaml(ROOT / "domain.yml")["responses"]
ACTION_SOURCES = sorted((ROOT / "actions").glob("*.py"))


def test_responses_named_in_actions_exist():
    named = set()
    for path in ACTION_SOURCES:
        code = path.read_text(encoding="utf-8")
        named |= set(re.findall(r'"(utter_(?!action")[a-z_]*[a-z])"', code))
    assert named
    assert named <= set(RESPONSES), named - set(RESPONSES)


def test_every_product_type_has_advice():
    kinds = {kind for kind, _ in PRODUCT_WORDS} | {"unknown"}
    assert {f"utter_product_{k}" for k in kinds} <= set(RESPONSES)
    values = load_yaml(ROOT / "domain.yml")["slots"]["product_type"]["values"]
    assert set(values) == kinds | {"unclear"}  # unclear: asked twice, the form let go


def test_actions_hold_no_user_facing_chinese():
    for path in ACTION_SOURCES:
        code = re.sub(r'""".*?"""', "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
        code = re.sub(r"#.*", "", code)
        code = re.sub(r"#: .*", "", code)
        assert not re.search(r"[\u4e00-\u9fff]", code), path.name


def test_each_response_is_one_text():
    # Several texts under one response are variants Rasa picks from at random, not several
    # bubbles: a sequence of bubbles is a sequence of responses sent by the action.
    responses = load_yaml(ROOT / "domain.yml")["responses"]
    assert [name for name, texts in responses.items() if len(texts) != 1] == []

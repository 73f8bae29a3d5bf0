"""What the bot says, checked over everything it can send: every response of the domain
and every published knowledge entry (issue 13). A fact cites its primary source, an
adapted case says it is one, and no reply promises returns, asks for personal data,
promises an incoming call or sends the user to a third party."""

from __future__ import annotations

import re

import pytest
import yaml

from bot.inspection import inspect
from bot.knowledge.schema import Entry
from tests.conftest import ROOT, load_yaml

EDITORS = "保单守护助手编辑组"
ENTRIES = [
    entry
    for path in sorted((ROOT / "knowledge").rglob("*.yml"))
    if (entry := Entry.from_dict(yaml.safe_load(path.read_text(encoding="utf-8")))).status
    == "published"
]
RESPONSES = {
    name: texts[0].get("text", "")
    for name, texts in load_yaml(ROOT / "domain.yml")["responses"].items()
}
REPLIES = {
    **{f"domain {n}": t for n, t in RESPONSES.items()},
    **{f"entry {e.id}": e.answer for e in ENTRIES},
}

#: A figure a reader would take as a fact: digits or Chinese numerals with a unit. Phone
#: numbers of public services and list numbers ("1. ") are not figures.
FIGURE = re.compile(
    r"(?<![\d.])\d+(\.\d+)?\s*(%|％|天|日|个?月|年|元|万|倍|成|岁|个工作日)"
    r"|[一二两三四五六七八九十百]+(天|日|个月|年|成|倍)|百分之"
)
GOVERNS = re.compile(r"以[^。\n]{0,16}为准")


def test_there_is_enough_to_check():
    assert len(ENTRIES) >= 60 and len(RESPONSES) >= 80


def test_every_entry_but_an_adapted_case_cites_a_primary_source():
    self_cited = [e.id for e in ENTRIES if e.category != "case" and "编辑组" in e.source.publisher]
    assert self_cited == []


def test_an_adapted_case_says_so_and_names_the_notice_only_as_background():
    cases = [e for e in ENTRIES if e.category == "case" or e.source.background]
    assert cases
    for entry in cases:
        first = entry.answer.strip().splitlines()[0]
        assert "常见情形改编" in entry.answer[:80], (entry.id, first)
        assert entry.source.publisher == EDITORS and entry.source.background, entry.id
        assert "常见情形改编" in entry.source_line()


@pytest.mark.parametrize("name", sorted(n for n, t in RESPONSES.items() if FIGURE.search(t)))
def test_a_figure_in_a_response_comes_with_its_source_or_what_governs(name):
    text = RESPONSES[name]
    assert "来源：" in text or GOVERNS.search(text), name


def test_a_figure_in_an_entry_comes_from_its_primary_source():
    # An entry's source is cited under its answer; a figure needs a source that is not
    # the product itself (an adapted case tells a story, its figures are the story's).
    unsourced = [
        e.id
        for e in ENTRIES
        if FIGURE.search(e.answer) and e.category != "case" and "编辑组" in e.source.publisher
    ]
    assert unsourced == []


@pytest.mark.parametrize("where", sorted(REPLIES))
def test_no_reply_promises_returns_asks_for_data_or_a_call_or_names_a_third_party(where):
    # The 质检 rules agents' messages are held to (bot/inspection.py).
    assert [(f.rule, f.clause) for f in inspect(REPLIES[where])] == []


def test_12378_has_its_official_name_and_only_where_it_belongs():
    official = "12378银行保险消费者投诉维权热线"
    wrong = [
        k
        for k, v in REPLIES.items()
        if "12378" in v and re.search(r"12378\s*(金融|消费者投诉热线|热线)", v)
    ]
    assert wrong == []
    tails = [
        e.id
        for e in ENTRIES
        if "12378" in e.answer and e.category in ("alternatives", "cooling_off")
    ]
    assert tails == [], "a how-to answer sends routine questions to the complaint line"
    assert any(official in v for v in REPLIES.values())

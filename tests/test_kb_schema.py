"""The entry format: one JSON Schema, documented field by field, errors in plain Chinese."""

import datetime

import pytest

from bot.knowledge.schema import ENTRY_ID, SCHEMA, EntryError
from tests.kb_helpers import example_entry


def test_every_field_is_documented():
    properties = {**SCHEMA["properties"], **SCHEMA["properties"]["source"]["properties"]}
    assert all(p.get("description") for p in properties.values())


def test_yaml_numbers_dates_and_single_values_are_read_as_text_and_lists():
    entry = example_entry(
        reviewed=datetime.date(2026, 11, 22),
        keywords=12378,
        source={"title": "保险法", "publisher": "全国人大常委会", "date": 2015},
    )
    assert (entry.reviewed, entry.keywords, entry.source.date) == ("2026-11-22", ("12378",), "2015")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": "  "}, "title", "必填"),
        ({"id": "Policy_Loan"}, "id", "小写字母"),
        ({"keywords": ["利息", "利息"]}, "keywords", "重复"),
        ({"audience": ["kids"]}, "audience", "可选：all、elderly"),
        (
            {"source": {"title": "保险法", "publisher": "人大", "date": "2015", "url": "x"}},
            "source.url",
            "没有这个字段",
        ),
    ],
)
def test_errors_name_the_field_in_plain_chinese(changes, field, message):
    with pytest.raises(EntryError) as err:
        example_entry(**changes)
    assert err.value.field == field and message in str(err.value)


def test_the_console_checks_ids_with_the_schemas_pattern():
    assert ENTRY_ID.match("policy-loan-2026") and not ENTRY_ID.match("policy--loan")

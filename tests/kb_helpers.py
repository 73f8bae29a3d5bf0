"""Tiny knowledge-base fixtures shared by the knowledge tests."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from bot.knowledge.schema import Entry
from bot.knowledge.store import KnowledgeBase


def example_entry(**changes: Any) -> Entry:
    """A small valid draft entry; override any field."""
    data = {
        "id": "example-cash-value",
        "title": "什么是现金价值",
        "category": "surrender",
        "intents": ["ask_surrender_value"],
        "keywords": ["现金价值", "退保"],
        "audience": ["all"],
        "status": "draft",
        "reviewed": "2026-11-22",
        "source": {"title": "保险法", "publisher": "全国人大常委会", "date": "2015"},
        "answer": "退保时退还的是保单的现金价值，以您的保险合同条款为准。",
        "body": "现金价值是保单在某一时点的价值。前几年通常低于已交保费。",
    }
    data.update(changes)
    return Entry.from_dict(data)


def memory_kb() -> KnowledgeBase:
    return KnowledgeBase(Database(memory=True))


def entry(entry_id: str, **changes):
    """A valid published entry with a given id; override any field."""
    changes.setdefault("status", "published")
    return example_entry(id=entry_id, **changes)


#: Four published entries on different topics and one draft.
SAMPLE_ENTRIES = [
    {
        "id": "loan",
        "title": "保单贷款：不退保也能用钱",
        "category": "alternatives",
        "intents": ["ask_policy_loan"],
        "keywords": ["保单贷款", "借款", "利息"],
        "answer": "保单贷款一般最多可借现金价值的八成，以合同为准。",
        "body": "有现金价值的保单可以向保险公司申请贷款，保障继续有效。",
    },
    {
        "id": "proxy",
        "title": "警惕代理退保",
        "category": "proxy_surrender",
        "intents": ["proxy_surrender"],
        "keywords": ["代理退保", "全额退保", "手续费"],
        "answer": "代理退保有三大风险：保障、资金、信息。",
        "body": "所谓全额退保往往收取三到五成手续费，还可能泄露个人信息。",
    },
    {
        "id": "cooling",
        "title": "犹豫期内退保全额退",
        "category": "cooling_off",
        "intents": ["ask_cooling_off"],
        "keywords": ["犹豫期", "冷静期"],
        "answer": "犹豫期内退保退还全部保费。",
        "body": "犹豫期一般为十到十五天，以合同为准。",
    },
    {
        "id": "complain",
        "title": "免费投诉渠道",
        "category": "complaint",
        "intents": ["complaint"],
        "keywords": ["投诉", "12378", "热线"],
        "answer": "可拨打保险公司客服热线或12378。",
        "body": "投诉不需要找任何中介，官方渠道都是免费的。",
    },
    {
        "id": "draft-loan",
        "status": "draft",
        "title": "保单贷款利率草稿",
        "category": "alternatives",
        "intents": ["ask_policy_loan"],
        "keywords": ["保单贷款", "利率"],
        "answer": "草稿内容。",
        "body": "草稿内容，尚未审核。",
    },
]


def sample_kb() -> KnowledgeBase:
    """A knowledge base holding :data:`SAMPLE_ENTRIES`."""
    kb = memory_kb()
    for fields in SAMPLE_ENTRIES:
        kb.create(example_entry(**{"status": "published", **fields}), by="test")
    return kb


def knowledge_action(kb: KnowledgeBase):
    """action_answer_knowledge reading ``kb`` instead of the app database."""
    from actions.knowledge import ActionAnswerKnowledge

    action = ActionAnswerKnowledge()
    action.knowledge_base_factory = lambda: kb
    return action

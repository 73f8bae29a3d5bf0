"""Tiny knowledge-base fixtures shared by the knowledge tests."""

from __future__ import annotations

from sqlite_utils import Database

from bot.knowledge.store import KnowledgeBase, example_entry


def memory_kb() -> KnowledgeBase:
    return KnowledgeBase(Database(memory=True))


def entry(entry_id: str, **changes):
    """A valid published entry with a given id; override any field."""
    changes.setdefault("status", "published")
    return example_entry(id=entry_id, **changes)


def sample_kb() -> KnowledgeBase:
    """Four published entries on different topics and one draft."""
    kb = memory_kb()
    kb.create(
        entry(
            "loan",
            title="保单贷款：不退保也能用钱",
            category="alternatives",
            intents=["ask_policy_loan"],
            keywords=["保单贷款", "借款", "利息"],
            answer="保单贷款一般最多可借现金价值的八成，以合同为准。",
            body="有现金价值的保单可以向保险公司申请贷款，保障继续有效。",
        ),
        by="test",
    )
    kb.create(
        entry(
            "proxy",
            title="警惕代理退保",
            category="proxy_surrender",
            intents=["proxy_surrender"],
            keywords=["代理退保", "全额退保", "手续费"],
            answer="代理退保有三大风险：保障、资金、信息。",
            body="所谓全额退保往往收取三到五成手续费，还可能泄露个人信息。",
        ),
        by="test",
    )
    kb.create(
        entry(
            "cooling",
            title="犹豫期内退保全额退",
            category="cooling_off",
            intents=["ask_cooling_off"],
            keywords=["犹豫期", "冷静期"],
            answer="犹豫期内退保退还全部保费。",
            body="犹豫期一般为十到十五天，以合同为准。",
        ),
        by="test",
    )
    kb.create(
        entry(
            "complain",
            title="免费投诉渠道",
            category="complaint",
            intents=["complaint"],
            keywords=["投诉", "12378", "热线"],
            answer="可拨打保险公司客服热线或12378。",
            body="投诉不需要找任何中介，官方渠道都是免费的。",
        ),
        by="test",
    )
    kb.create(
        entry(
            "draft-loan",
            status="draft",
            title="保单贷款利率草稿",
            category="alternatives",
            intents=["ask_policy_loan"],
            keywords=["保单贷款", "利率"],
            answer="草稿内容。",
            body="草稿内容，尚未审核。",
        ),
        by="test",
    )
    return kb


def knowledge_action(kb: KnowledgeBase):
    """action_answer_knowledge reading ``kb`` instead of the app database."""
    from actions.knowledge import ActionAnswerKnowledge

    action = ActionAnswerKnowledge()
    action.knowledge_base_factory = lambda: kb
    return action


def run_action(action, tracker, domain=None):
    """Run a rasa_sdk action with CollectingDispatcher: (messages, events)."""
    import asyncio

    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain or {}))
    return dispatcher.messages, events

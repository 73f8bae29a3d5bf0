"""Readers keep answering while staff write (WAL mode, one connection per thread)."""

import threading

from bot.knowledge.store import KnowledgeBase
from tests.kb_helpers import entry


def test_four_readers_and_a_writer_never_see_database_locked(tmp_path):
    path = tmp_path / "kb.db"
    KnowledgeBase.open(path).create(entry("seed", keywords=["保单贷款"]), by="lin")
    errors: list[BaseException] = []
    stop = threading.Event()
    reads = [0] * 4

    def reader(n: int) -> None:
        kb = KnowledgeBase.open(path)
        try:
            while not stop.is_set():
                assert kb.search("保单贷款")
                kb.list()
                reads[n] += 1
        except BaseException as exc:
            errors.append(exc)

    def writer() -> None:
        kb = KnowledgeBase.open(path)
        try:
            for i in range(60):
                kb.create(entry(f"w{i}", keywords=["保单贷款", f"词{i}"]), by="writer")
                kb.update(entry(f"w{i}", keywords=["保单贷款"], answer=f"第{i}版。"), by="writer")
        except BaseException as exc:
            errors.append(exc)
        finally:
            stop.set()

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(4)]
    threads.append(threading.Thread(target=writer))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert all(r > 0 for r in reads)
    assert KnowledgeBase.open(path).count() == 61


def test_database_is_in_wal_mode(tmp_path):
    kb = KnowledgeBase.open(tmp_path / "kb.db")
    assert kb.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

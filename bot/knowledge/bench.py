"""Benchmark the knowledge base: search latency, import time and size.

    python -m bot kb bench        (make bench-kb)

Measures search over the real entries in ``knowledge/`` and over 10,000 synthetic entries
built by recombining sentences of the real ones, the time to import those 10,000 entries
(validation, segmentation, versions, audit and FTS, in one transaction) and the database
size. Results go into the ``kb`` section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import random
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot import machine
from bot.docs import replace_section
from bot.knowledge import fts
from bot.knowledge.files import load_directory
from bot.knowledge.schema import Entry
from bot.knowledge.store import SMALL_CORPUS, KnowledgeBase

#: What policyholders type, short and long, Simplified and Traditional.
QUERIES = [
    "代理退保",
    "保單貸款",
    "保单贷款利息多少",
    "有人说能帮我全额退保，收30%手续费",
    "犹豫期",
    "退保能拿回多少钱",
    "现金价值",
    "交不起保费怎么办",
    "宽限期",
    "减额交清",
    "复效",
    "部分领取",
    "减保",
    "身份证照片发给别人了怎么办",
    "验证码",
    "保本高收益",
    "非法集资",
    "投诉电话",
    "12378",
    "理赔要什么材料",
    "退旧投新",
    "业务员让我把旧保单退了买新的",
    "消费者权益",
    "老人",
    "险",
    "贷款",
    "'; DROP TABLE entries; --",
    '"全额" NEAR(退保*)',
]
_SENTENCE = re.compile(r"[^。！？\n]+[。！？]?")


@dataclass
class Latency:
    p50_ms: float
    p95_ms: float
    n: int


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def measure_search(kb: KnowledgeBase, rounds: int = 20) -> Latency:
    for query in QUERIES:  # warm caches and jieba
        kb.search(query)
    times = []
    for _ in range(rounds):
        for query in QUERIES:
            start = time.perf_counter()
            kb.search(query)
            times.append((time.perf_counter() - start) * 1000)
    return Latency(percentile(times, 50), percentile(times, 95), len(times))


def synthetic_entries(real: Sequence[Entry], count: int, seed: int = 7) -> list[Entry]:
    """``count`` valid entries whose text mixes sentences of the real ones."""
    rng = random.Random(seed)
    sentences = [s.strip() for e in real for s in _SENTENCE.findall(e.body) if s.strip()]
    keywords = sorted({k for e in real for k in e.keywords})
    out = []
    for i in range(count):
        base = rng.choice(real)
        body = "".join(rng.sample(sentences, k=min(len(sentences), rng.randint(6, 14))))
        out.append(
            base.with_changes(
                id=f"synthetic-{i:05d}",
                title=f"{base.title}（{i}）",
                keywords=rng.sample(keywords, k=6),
                body=body,
                status="published",
            )
        )
    return out


def file_size_mib(path: Path) -> float:
    total = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    return total / 1024 / 1024


def run_benchmark(knowledge_dir: Path, out: Path, count: int = 10_000) -> str:
    real = load_directory(knowledge_dir)
    with tempfile.TemporaryDirectory() as tmp:
        small = KnowledgeBase.open(Path(tmp) / "real.db")
        small.import_entries(real, by="bench")
        real_latency = measure_search(small)

        synthetic = synthetic_entries(real, count)
        big_path = Path(tmp) / "big.db"
        big = KnowledgeBase.open(big_path)
        fts.forget_segmented_pieces()  # as in a fresh process: nothing from the import above
        start = time.perf_counter()
        big.import_entries([*real, *synthetic], by="bench")
        import_seconds = time.perf_counter() - start
        big.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = file_size_mib(big_path)
        start = time.perf_counter()
        big.search(QUERIES[0])  # rebuilds the in-memory head index after the import
        first_search_ms = (time.perf_counter() - start) * 1000
        big_latency = measure_search(big)
        total = big.count()

        # The same import with every clause segmented afresh: what 10,000 entries that
        # share no sentences would cost.
        fresh = KnowledgeBase.open(Path(tmp) / "fresh.db")
        with fts.memo_disabled():
            start = time.perf_counter()
            fresh.import_entries([*real, *synthetic], by="bench")
            unmemoised_seconds = time.perf_counter() - start

    lines = [
        "## Knowledge base: search and import",
        "",
        f"Command: `make bench-kb` (`python -m bot kb bench`), run {machine.today()} on "
        f"{machine.describe()}.",
        "",
        f"Search = `KnowledgeBase.search()` end to end (normalise, jieba, bm25 with the "
        f"status filter, load the entries), {len(QUERIES)} queries (short, long, Traditional, "
        f"one-character, hostile syntax) × 20 rounds after a warm-up. Above {SMALL_CORPUS:,} "
        "entries the title and keyword passes are ranked by an in-memory copy of FTS5's bm25 "
        "(`bot/knowledge/head_index.py`, same scores), rebuilt by the first search after a "
        "change. Synthetic entries recombine sentences of the real ones, and the import "
        "segments each distinct clause once per process (`fts.index_words`; the memo starts "
        "empty), so it does far less jieba work here than for 10,000 entries of unrelated "
        "text.",
        "",
        "| measure | figure | target |",
        "|---|---|---|",
        f"| search p50 / p95, {len(real)} real entries | {real_latency.p50_ms:.2f} / "
        f"{real_latency.p95_ms:.2f} ms | |",
        f"| search p50 / p95, {total:,} entries | {big_latency.p50_ms:.2f} / "
        f"{big_latency.p95_ms:.2f} ms | p95 ≤ 2 ms |",
        f"| first search after the import (rebuilds the head index) | {first_search_ms:.0f} ms | |",
        f"| import {total:,} entries (one transaction) | {import_seconds:.1f} s | ≤ 10 s |",
        f"| the same import, no clause memo (as for text that repeats nothing) | "
        f"{unmemoised_seconds:.1f} s | ≤ 10 s |",
        f"| database size, {total:,} entries (with versions, audit, FTS) | {size:.1f} MiB | |",
        "",
    ]
    report = "\n".join(lines)
    out.parent.mkdir(parents=True, exist_ok=True)
    previous = out.read_text(encoding="utf-8") if out.exists() else ""
    out.write_text(replace_section(previous, "kb", report), encoding="utf-8")
    return report

"""Benchmark the knowledge base: search latency, import time and size.

    python -m bot kb bench        (make bench-kb)

Measures search over the real entries in ``knowledge/`` and over 10,000 synthetic entries
built by recombining sentences of the real ones, the time to import each set (segmentation,
versions, audit and FTS, in one transaction) and the database size. Results go into the
``kb`` section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import random
import re
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot import machine
from bot.docs import replace_section
from bot.knowledge.files import load_directory
from bot.knowledge.schema import Entry
from bot.knowledge.store import KnowledgeBase
from bot.nlu.segment import load_dictionary

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


def measure_search(kb: KnowledgeBase, rounds: int = 20) -> Latency:
    for query in QUERIES:  # warm caches and jieba
        kb.search(query)
    times = []
    for _ in range(rounds):
        for query in QUERIES:
            start = time.perf_counter()
            kb.search(query)
            times.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(times, n=100)  # cuts[k - 1] is the k-th percentile
    return Latency(cuts[49], cuts[94], len(times))


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


@dataclass
class Corpus:
    entries: int
    import_seconds: float
    size_mib: float
    search: Latency


def measure_corpus(entries: Sequence[Entry], path: Path) -> Corpus:
    """Import ``entries`` into a new database at ``path``, then time searches."""
    kb = KnowledgeBase.open(path)
    start = time.perf_counter()
    kb.import_entries(entries, by="bench")
    import_seconds = time.perf_counter() - start
    kb.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return Corpus(kb.count(), import_seconds, file_size_mib(path), measure_search(kb))


def run_benchmark(knowledge_dir: Path, out: Path, count: int = 10_000) -> str:
    real = load_directory(knowledge_dir)
    synthetic = synthetic_entries(real, count)
    load_dictionary()  # once per process, before anything is timed
    with tempfile.TemporaryDirectory() as tmp:
        small = measure_corpus(real, Path(tmp) / "real.db")
        big = measure_corpus([*real, *synthetic], Path(tmp) / "big.db")

    def rows(c: Corpus, search_target: str = "", import_target: str = "") -> list[str]:
        cells = [
            (
                f"search p50 / p95, {c.entries:,} entries",
                f"{c.search.p50_ms:.2f} / {c.search.p95_ms:.2f} ms",
                search_target,
            ),
            (f"import {c.entries:,} entries", f"{c.import_seconds:.1f} s", import_target),
            (f"database size, {c.entries:,} entries", f"{c.size_mib:.1f} MiB", ""),
        ]
        return ["| " + " | ".join(row) + " |" for row in cells]

    lines = [
        "## Knowledge base: search and import",
        "",
        f"Command: `make bench-kb` (`python -m bot kb bench`), run {machine.today()} on "
        f"{machine.describe()}.",
        "",
        f"Search = `KnowledgeBase.search()` end to end (normalise, jieba, one FTS5 query ranked "
        f"by its bm25 with the status filter, load the entries), {len(QUERIES)} queries "
        "(short, long, Traditional, one-character, hostile syntax) × 20 rounds after a "
        f"warm-up. The {len(real)} entries are the shipped `knowledge/`; the "
        f"{len(real) + count:,} add {count:,} synthetic entries that recombine sentences of "
        "the real ones. An import is one transaction: segmenting every entry with jieba (its "
        "dictionary already loaded) and writing the entry, its first version, its audit "
        "record and its FTS row. The size includes all of them, after a WAL checkpoint.",
        "",
        "| measure | figure | target |",
        "|---|---|---|",
        *rows(small),
        *rows(big, "p95 ≤ 15 ms", "≤ 20 s"),
        "",
    ]
    report = "\n".join(lines)
    out.parent.mkdir(parents=True, exist_ok=True)
    previous = out.read_text(encoding="utf-8") if out.exists() else ""
    out.write_text(replace_section(previous, "kb", report), encoding="utf-8")
    return report

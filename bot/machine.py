"""A one-line description of the machine, for benchmark reports.

>>> "cores" in describe()
True
"""

from __future__ import annotations

import datetime as _dt
import os
import platform


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> str:
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            kib = int(fh.readline().split()[1])
        return f"{kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        return "unknown RAM"


def describe() -> str:
    """CPU model, core count, memory, OS and Python version."""
    return (
        f"{_cpu_model()}, {os.cpu_count()} cores, {_memory_gib()}, "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"
    )


def today() -> str:
    return _dt.date.today().isoformat()

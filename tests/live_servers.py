"""A pytest plugin: the real Rasa server, action server and console, started once per test
session on free ports with a temporary database (used by the end-to-end and browser tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from bot.settings import quiet_env

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {url}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise TimeoutError(url)


@pytest.fixture(scope="session")
def servers(trained_model, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("live")
    rasa_port, actions_port, console_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "RASA_PORT": str(rasa_port),
        "ACTIONS_PORT": str(actions_port),
        "CONSOLE_PORT": str(console_port),
        "POLICYGUARD_DB": str(tmp / "policyguard.db"),
        "POLICYGUARD_TRACKER_DB": str(tmp / "tracker.db"),
        "CONSOLE_SECRET": "live-test-secret",
        "SANIC_HOST": "127.0.0.1",
        **quiet_env(),
    }
    endpoints = tmp / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n'
        "tracker_store:\n  type: bot.tracker_store.RedactingSQLTrackerStore\n"
        f'  dialect: "sqlite"\n  db: "{tmp / "tracker.db"}"\n',
        encoding="utf-8",
    )
    subprocess.run(
        [sys.executable, "-m", "bot", "kb", "build", "--by", "e2e"], cwd=ROOT, env=env, check=True
    )
    # Through `python -m bot`, so every process's logs are redacted (as in the Procfile).
    bot = [sys.executable, "-m", "bot"]
    commands = {
        "actions": [*bot, "actions", "--actions", "actions", "--port", str(actions_port)],
        "rasa": [
            *bot,
            "rasa",
            "run",
            "--interface",
            "127.0.0.1",
            "--port",
            str(rasa_port),
            "--model",
            str(trained_model),
            "--credentials",
            "credentials.yml",
            "--endpoints",
            str(endpoints),
        ],
        "console": [*bot, "console"],
    }
    logs = {name: open(tmp / f"{name}.log", "w") for name in commands}  # noqa: SIM115
    procs = {
        name: subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=logs[name], stderr=subprocess.STDOUT)
        for name, cmd in commands.items()
    }
    try:
        wait_for(f"http://127.0.0.1:{actions_port}/health", procs["actions"])
        wait_for(f"http://127.0.0.1:{rasa_port}/", procs["rasa"])
        wait_for(f"http://127.0.0.1:{console_port}/healthz", procs["console"])
        yield {
            "rasa": f"http://127.0.0.1:{rasa_port}",
            "console": f"http://127.0.0.1:{console_port}",
            "db": tmp / "policyguard.db",
            "tracker": tmp / "tracker.db",
            "logs": tmp,
        }
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs.values():
            log.close()

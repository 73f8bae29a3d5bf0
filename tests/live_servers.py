"""A pytest plugin: the real Rasa server, action server and console, started on free ports with
a temporary database (used by the end-to-end, fault and browser tests).

``servers`` is one set for the whole session; a fault test starts a set of its own with
:class:`LiveServers` and stops or restarts one process of it.
"""

from __future__ import annotations

import contextlib
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
CONSOLE_PYTHON = ROOT / ".venv-console" / "bin" / "python"


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
        time.sleep(0.5)
    raise TimeoutError(url)


class LiveServers:
    """Rasa, the action server and the console of one test, in folder ``tmp``."""

    def __init__(self, tmp: Path, model: Path, extra_env: dict[str, str] | None = None):
        self.tmp = tmp
        self.ports = {"rasa": free_port(), "actions": free_port(), "console": free_port()}
        self.env = {
            **os.environ,
            "HOST": "127.0.0.1",
            "RASA_PORT": str(self.ports["rasa"]),
            "ACTIONS_PORT": str(self.ports["actions"]),
            "CONSOLE_PORT": str(self.ports["console"]),
            "POLICYGUARD_DB": str(tmp / "policyguard.db"),
            "POLICYGUARD_TRACKER_DB": str(tmp / "tracker.db"),
            "CONSOLE_SECRET": "live-test-secret",
            "SANIC_HOST": "127.0.0.1",
            **quiet_env(),
            **(extra_env or {}),
        }
        ports = {name: str(port) for name, port in self.ports.items()}
        # Through `python -m bot`, so every process's logs are redacted (as in the Procfile).
        bot = [sys.executable, "-m", "bot"]
        self.commands = {
            "actions": [*bot, "actions", "--actions", "actions", "--port", ports["actions"]],
            "rasa": [
                *(*bot, "rasa", "run", "--interface", "127.0.0.1", "--port", ports["rasa"]),
                *("--model", str(model), "--credentials", "credentials.yml"),
                *("--endpoints", "endpoints.yml"),
            ],
            # The console runs in its own environment, on the Python it is deployed with.
            "console": [str(CONSOLE_PYTHON), "-m", "bot", "console"],
        }
        self.health = {
            "actions": f"{self.url('actions')}/health",
            "rasa": f"{self.url('rasa')}/",
            "console": f"{self.url('console')}/healthz",
        }
        self.procs: dict[str, subprocess.Popen] = {}
        self._logs: list = []

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, *names: str) -> None:
        """Start these processes (all three by default) and wait until each answers."""
        names = names or ("actions", "rasa", "console")
        for name in names:
            log = open(self.tmp / f"{name}.log", "a")  # noqa: SIM115 (closed in stop_all)
            self._logs.append(log)
            self.procs[name] = subprocess.Popen(
                self.commands[name], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        for name in names:
            wait_for(self.health[name], self.procs[name])

    def stop(self, name: str, kill: bool = False) -> None:
        proc = self.procs.pop(name)
        proc.kill() if kill else proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)
        for log in self._logs:
            log.close()

    def as_dict(self) -> dict:
        return {
            "rasa": self.url("rasa"),
            "console": self.url("console"),
            "db": self.tmp / "policyguard.db",
            "tracker": self.tmp / "tracker.db",
            "logs": self.tmp,
            "live": self,
        }


@contextlib.contextmanager
def console_only(tmp: Path, prepare=None):
    """The console alone (no Rasa, no model) on a free port with its database in ``tmp``;
    ``prepare(live)`` seeds it first. Yields :meth:`LiveServers.as_dict`."""
    live = LiveServers(tmp, model=tmp / "no-model")
    if prepare is not None:
        prepare(live)
    try:
        live.start("console")
        yield live.as_dict()
    finally:
        live.stop_all()


def build_knowledge_base(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "bot", "kb", "build", "--by", "e2e"], cwd=ROOT, env=env, check=True
    )


@pytest.fixture(scope="session")
def fake_wechat():
    """WeChat's server API, faked on 127.0.0.1 for the session's console (bot/wechat)."""
    from bot.wechat.fake_api import FakeWeChatAPI, serve
    from bot.wechat.simulate import LOCAL_APPID, LOCAL_SECRET

    fake = FakeWeChatAPI(LOCAL_APPID, LOCAL_SECRET)
    with serve(fake) as base:
        fake.base = base
        yield fake


def wechat_env(fake) -> dict[str, str]:
    """The console's WeChat settings: 安全模式 with the simulator's local key, the fake API."""
    from bot.wechat.simulate import LOCAL_AES_KEY, LOCAL_APPID, LOCAL_SECRET, LOCAL_TOKEN

    return {
        "WECHAT_TOKEN": LOCAL_TOKEN,
        "WECHAT_APPID": LOCAL_APPID,
        "WECHAT_APPSECRET": LOCAL_SECRET,
        "WECHAT_AES_KEY": LOCAL_AES_KEY,
        "WECHAT_API_BASE": fake.base,
    }


@pytest.fixture(scope="session")
def servers(trained_model, tmp_path_factory, fake_wechat):
    live = LiveServers(tmp_path_factory.mktemp("live"), trained_model, wechat_env(fake_wechat))
    build_knowledge_base(live.env)
    try:
        live.start()
        yield {**live.as_dict(), "wechat": fake_wechat}
    finally:
        live.stop_all()

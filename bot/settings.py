"""Runtime settings read from the environment, with local defaults.

>>> Settings.from_env({"RASA_PORT": "6005"}).rasa_port
6005
>>> Settings().public_origin, Settings().trusted_hosts
('http://127.0.0.1:8000', ['127.0.0.1', 'localhost'])
>>> s = Settings.from_env({"CONSOLE_PUBLIC_ORIGIN": "https://guard.example.com/"})
>>> s.public_origin, s.trusted_hosts, s.https
('https://guard.example.com', ['guard.example.com'], True)
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.service_hours import ServiceHours

QUIET_ENV_FILE = Path(__file__).resolve().parent / "quiet.env"


def quiet_env() -> dict[str, str]:
    """The variables that quieten Rasa, TensorFlow and SQLAlchemy (``quiet.env``).

    >>> quiet_env()["RASA_TELEMETRY_ENABLED"]
    'false'
    """
    lines = QUIET_ENV_FILE.read_text(encoding="utf-8").splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {name: value for name, value in pairs}


def quiet_rasa() -> None:
    """Quieten Rasa in this process (variables already set are kept)."""
    for name, value in quiet_env().items():
        os.environ.setdefault(name, value)


#: Addresses that only this machine can reach, and the names a browser on it may use.
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
LOOPBACK_NAMES = ("127.0.0.1", "localhost")


def public_origin(raw: str) -> str:
    """``CONSOLE_PUBLIC_ORIGIN`` checked: a scheme and a host (and port), nothing more.

    >>> public_origin("https://guard.example.com/"), public_origin("")
    ('https://guard.example.com', '')
    >>> public_origin("guard.example.com")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: CONSOLE_PUBLIC_ORIGIN must be like https://guard.example.com ...
    """
    if not raw:
        return ""
    parts = urlsplit(raw)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        parts = parts._replace(netloc="")
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ValueError(
            "CONSOLE_PUBLIC_ORIGIN must be like https://guard.example.com "
            f"(scheme and host, no path), got {raw!r}"
        )
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class Settings:
    """Where things live and which ports they use. Everything binds to ``host``."""

    host: str = "127.0.0.1"
    rasa_port: int = 5005
    actions_port: int = 5055
    console_port: int = 8000
    db_path: Path = Path("var/policyguard.db")
    models_dir: Path = Path("models")
    #: Rasa's tracker store (``endpoints.yml``), read by the console's dashboard.
    tracker_db_path: Path = Path("var/tracker.db")
    #: Signs the console's session cookies; empty means a random key in var/.
    console_secret: str = ""
    #: Rasa's HTTP API token (loopback only), for the live desk; empty means a random key
    #: in var/ that Rasa, the console and the command line all read.
    rasa_token_value: str = ""
    #: The bot's responses (read by the editor's preview) and the curated knowledge entries.
    domain_path: Path = Path("domain.yml")
    knowledge_dir: Path = Path("knowledge")
    #: Seconds a database call waits for another connection's write before giving up.
    db_busy_timeout: float = 10.0
    #: The address people open the console at, e.g. ``https://guard.example.com``; empty
    #: means ``http://HOST:CONSOLE_PORT``. With https the session cookie is ``Secure``.
    console_public_origin: str = ""
    #: The host names the console answers to (the ``Host`` header); empty means the public
    #: origin's host (and both loopback names when that is a loopback address).
    console_trusted_hosts: tuple[str, ...] = ()
    #: When agents answer in the chat (``SERVICE_HOURS``, bot/service_hours.py), and the
    #: time zone of those hours and of the times people are shown (``TIME_ZONE``).
    service_hours_spec: str = "daily 09:00-18:00"
    time_zone: str = "Asia/Shanghai"
    #: The WeChat Official Account (``/wechat`` on the console): without a token it is off.
    wechat_token: str = ""
    wechat_appid: str = ""
    wechat_secret: str = ""
    #: The EncodingAESKey of 安全模式; empty means plaintext mode.
    wechat_aes_key: str = ""
    wechat_api_base: str = "https://api.weixin.qq.com"
    #: 消保审查: a knowledge entry goes live only when someone who did not write the change
    #: (a ``reviewer`` or an admin) publishes it (``KB_REQUIRE_APPROVAL``, on unless 0/false/off).
    kb_require_approval: bool = True

    @property
    def outbox_dir(self) -> Path:
        """Handoffs waiting for the app database (``bot/outbox.py``), next to it."""
        return self.db_path.parent / "outbox"

    @property
    def rasa_token(self) -> str:
        return secret_in(self.db_path.parent / "rasa_token", self.rasa_token_value)

    @property
    def service_hours(self) -> ServiceHours:
        return ServiceHours.parse(self.service_hours_spec, self.time_zone)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"  # Rasa listens on loopback only

    @property
    def public_origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return self.console_public_origin or f"http://{host}:{self.console_port}"

    @property
    def https(self) -> bool:
        """Whether people reach the console over https (its cookie is then ``Secure``)."""
        return self.public_origin.startswith("https://")

    @property
    def trusted_hosts(self) -> list[str]:
        if self.console_trusted_hosts:
            return list(self.console_trusted_hosts)
        host = urlsplit(self.public_origin).hostname or ""
        return sorted({host, *LOOPBACK_NAMES}) if host in LOOPBACK else [host]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def port(name: str, default: int) -> int:
            raw = env.get(name, "")
            if not raw:
                return default
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise ValueError(f"{name} must be a port number (1-65535), got {raw!r}")
            return int(raw)

        def seconds(name: str, default: float) -> float:
            raw = env.get(name, "")
            try:
                value = float(raw) if raw else default
            except ValueError:
                value = -1.0
            if not 0 < value <= 3600:
                raise ValueError(f"{name} must be a number of seconds (0-3600), got {raw!r}")
            return value

        def switch(name: str, default: bool) -> bool:
            raw = env.get(name, "").strip().lower()
            if not raw:
                return default
            if raw not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise ValueError(f"{name} must be on or off (1/0, true/false), got {raw!r}")
            return raw in ("1", "true", "yes", "on")

        hosts = env.get("CONSOLE_TRUSTED_HOSTS", "")
        settings = cls(
            host=env.get("HOST") or cls.host,
            rasa_port=port("RASA_PORT", cls.rasa_port),
            actions_port=port("ACTIONS_PORT", cls.actions_port),
            console_port=port("CONSOLE_PORT", cls.console_port),
            db_path=Path(env.get("POLICYGUARD_DB") or cls.db_path),
            models_dir=Path(env.get("POLICYGUARD_MODELS") or cls.models_dir),
            tracker_db_path=Path(env.get("POLICYGUARD_TRACKER_DB") or cls.tracker_db_path),
            console_secret=env.get("CONSOLE_SECRET") or "",
            rasa_token_value=env.get("RASA_TOKEN") or "",
            domain_path=Path(env.get("POLICYGUARD_DOMAIN") or cls.domain_path),
            knowledge_dir=Path(env.get("POLICYGUARD_KNOWLEDGE") or cls.knowledge_dir),
            db_busy_timeout=seconds("POLICYGUARD_DB_TIMEOUT", cls.db_busy_timeout),
            console_public_origin=public_origin(env.get("CONSOLE_PUBLIC_ORIGIN", "").strip()),
            console_trusted_hosts=tuple(h.strip() for h in hosts.split(",") if h.strip()),
            service_hours_spec=env.get("SERVICE_HOURS") or cls.service_hours_spec,
            time_zone=env.get("TIME_ZONE") or cls.time_zone,
            wechat_token=env.get("WECHAT_TOKEN") or "",
            wechat_appid=env.get("WECHAT_APPID") or "",
            wechat_secret=env.get("WECHAT_APPSECRET") or "",
            wechat_aes_key=env.get("WECHAT_AES_KEY") or "",
            wechat_api_base=env.get("WECHAT_API_BASE") or cls.wechat_api_base,
            kb_require_approval=switch("KB_REQUIRE_APPROVAL", cls.kb_require_approval),
        )
        _ = settings.service_hours  # a mistake in them is an error at start, not on a handoff
        return settings


def secret_in(path: Path, configured: str = "") -> str:
    """``configured`` if set, else a random key kept in ``path``: created once (by whoever
    asks first), readable by the owner only, the same for every process that asks.

    >>> import tempfile; key = Path(tempfile.mkdtemp()) / "k"
    >>> secret_in(key) == secret_in(key), secret_in(key, "set")
    (True, 'set')
    """
    if configured:
        return configured
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secret)
    return secret

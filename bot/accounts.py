"""Console accounts: users with a role and an argon2-hashed password.

    >>> from sqlite_utils import Database
    >>> users = UserStore(Database(memory=True))
    >>> users.add("lin", "a long passphrase", role="staff").role
    'staff'
    >>> users.authenticate("lin", "a long passphrase").name
    'lin'
    >>> users.authenticate("lin", "wrong") is None
    True

Roles: ``staff`` edits the knowledge base; ``reviewer`` reads it and approves and publishes
what staff wrote (消保审查, ``KB_REQUIRE_APPROVAL``); ``agent`` answers handed-off
conversations (the queue, the live view, the knowledge base to quote from); ``supervisor``
does what an agent does, sees the 质检 panel and the dashboard; ``admin`` does everything and
manages users. Staff, supervisors and admins review users' messages in the inbox that
teaches the bot.

Five failed sign-ins lock a name, and the address they came from, out for 15 minutes
(:class:`SignInAttempts`, kept in the app database; ``python -m bot users unlock NAME``).
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.db import open_database, utc_now, write_transaction

migrations = Migrations("policyguard.accounts")

ROLES = ("staff", "reviewer", "agent", "supervisor", "admin")
#: What each role may do: ``handoffs`` is the queue and the review of a handoff, ``live``
#: answering in the conversation, ``inspection`` the 质检 panel, ``review`` the inbox of
#: users' messages that teaches the bot (bot/nlu_review.py), ``kb_publish`` approving and
#: publishing knowledge entries (bot/console/kb_review.py).
PERMISSIONS = {
    "staff": {"kb_read", "kb_write", "review"},
    "reviewer": {"kb_read", "kb_publish"},
    "agent": {"kb_read", "handoffs", "live"},
    "supervisor": {"kb_read", "handoffs", "live", "inspection", "dashboard", "review"},
    "admin": {
        "kb_read",
        "kb_write",
        "kb_publish",
        "handoffs",
        "live",
        "inspection",
        "dashboard",
        "review",
        "users",
    },
}
MIN_PASSWORD = 10
#: Failed sign-ins that lock a name or an address out, and for how many seconds.
LOCKOUT_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{2,32}$")
_hasher = PasswordHasher()


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verifying against this keeps a login for an unknown name as slow as a known one."""
    return _hasher.hash("policyguard-dummy-password")


@migrations()
def m001_create_users(db: Database) -> None:
    db["users"].create(
        {
            "name": str,
            "password_hash": str,
            "role": str,
            "active": int,
            "created_at": str,
            "updated_at": str,
        },
        pk="name",
    )


@migrations()
def m002_session_epoch(db: Database) -> None:
    # Raised to end every session of a user at once (sign-out, new password).
    db["users"].add_column("session_epoch", int, not_null_default=0)


@migrations()
def m003_sign_in_failures(db: Database) -> None:
    # One row per failed sign-in (unix seconds); rows older than the lock-out are pruned.
    db["sign_in_failures"].create(
        {"id": int, "name": str, "address": str, "at": float}, pk="id", not_null={"at"}
    )
    db["sign_in_failures"].create_index(["name", "at"])
    db["sign_in_failures"].create_index(["address", "at"])


@dataclass(frozen=True)
class User:
    name: str
    role: str
    active: bool
    session_epoch: int = 0

    def can(self, permission: str) -> bool:
        return self.active and permission in PERMISSIONS.get(self.role, set())


class AccountError(ValueError):
    """A user name, role or password was refused; the message says why."""


class LockedOut(Exception):
    """Too many failed sign-ins for this name or address lately: the password is not tried."""


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符")
    if len(password) > 256:
        raise AccountError("密码太长（最多 256 个字符）")


class UserStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        migrations.apply(db)

    @classmethod
    def open(cls, path: str | Path) -> UserStore:
        return cls(open_database(path))

    def add(self, name: str, password: str, *, role: str) -> User:
        if not _NAME.match(name or ""):
            raise AccountError("用户名只能用 2-32 个字母、数字、点、横线或下划线")
        if role not in ROLES:
            raise AccountError(f"角色必须是 {' / '.join(ROLES)} 之一")
        check_password(password)
        with self.db.atomic():
            if self.get(name) is not None:
                raise AccountError(f"用户 {name} 已存在")
            now = utc_now()
            self.db["users"].insert(
                {
                    "name": name,
                    "password_hash": _hasher.hash(password),
                    "role": role,
                    "active": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        return User(name, role, True)

    def get(self, name: str) -> User | None:
        row = self.db.execute(
            "SELECT name, role, active, session_epoch FROM users WHERE name = ?", [name]
        ).fetchone()
        return User(row[0], row[1], bool(row[2]), row[3]) if row else None

    def list(self) -> list[User]:
        rows = self.db.execute("SELECT name, role, active FROM users ORDER BY name").fetchall()
        return [User(n, r, bool(a)) for n, r, a in rows]

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM users").fetchone()[0]

    def authenticate(self, name: str, password: str) -> User | None:
        """The active user ``name`` if ``password`` is right, else ``None``."""
        row = self.db.execute(
            "SELECT password_hash, role, active, session_epoch FROM users WHERE name = ?", [name]
        ).fetchone()
        try:
            _hasher.verify(row[0] if row else _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or not row[2]:
            return None
        if _hasher.check_needs_rehash(row[0]):
            self._update(name, password_hash=_hasher.hash(password))
        return User(name, row[1], True, row[3])

    def set_password(self, name: str, password: str) -> None:
        """A new password; every session of the user ends."""
        check_password(password)
        self._update(name, password_hash=_hasher.hash(password))
        self.end_sessions(name)

    def end_sessions(self, name: str) -> None:
        """Sign the user out everywhere (sessions carry the epoch they began in)."""
        with self.db.atomic():
            if self.get(name) is None:
                raise AccountError(f"没有用户 {name}")
            self.db.execute(
                "UPDATE users SET session_epoch = session_epoch + 1 WHERE name = ?", [name]
            )

    def set_role(self, name: str, role: str) -> None:
        if role not in ROLES:
            raise AccountError(f"角色必须是 {' / '.join(ROLES)} 之一")
        self._update(name, role=role)

    def set_active(self, name: str, active: bool) -> None:
        self._update(name, active=int(active))

    def _update(self, name: str, **fields: object) -> None:
        if self.get(name) is None:
            raise AccountError(f"没有用户 {name}")
        self.db["users"].update(name, {**fields, "updated_at": utc_now()})

    def unlock(self, name: str) -> int:
        """Clear ``name``'s sign-in lock-out; how many failed sign-ins were forgotten."""
        if self.get(name) is None:
            raise AccountError(f"没有用户 {name}")
        return SignInAttempts(self.db).clear(name)


class SignInAttempts:
    """Failed sign-ins in the app database, so a lock-out survives a restart, holds for
    every console worker and can be cleared from the command line.

    An attempt is counted *before* its password is checked (:meth:`reserve`, in one
    ``BEGIN IMMEDIATE`` transaction), and forgiven when it succeeds: however many guesses
    arrive at once, at most ``limit`` of them reach the password check in a window.

    >>> attempts = SignInAttempts(Database(memory=True))
    >>> [attempts.reserve("lin", "10.0.0.9", now=0) for _ in range(6)]
    [True, True, True, True, True, False]
    >>> attempts.reserve("wang", "10.0.0.9", now=1)  # the address is locked out too
    False
    >>> attempts.reserve("LIN", "10.0.0.7", now=LOCKOUT_SECONDS - 1)  # names by lower case
    False
    >>> attempts.reserve("lin", "10.0.0.7", now=LOCKOUT_SECONDS)  # fifteen minutes later
    True
    >>> attempts.clear("lin"), attempts.reserve("wang", "10.0.0.9", now=LOCKOUT_SECONDS)
    (1, True)
    """

    def __init__(
        self, db: Database, limit: int = LOCKOUT_FAILURES, window: float = LOCKOUT_SECONDS
    ) -> None:
        self.db = db
        self.limit = limit
        self.window = window
        migrations.apply(db)

    @staticmethod
    def key(name: str) -> str:
        return name.strip().lower()[:64]

    def reserve(self, name: str, address: str, now: float | None = None) -> bool:
        """Count an attempt for ``name`` from ``address``; ``False`` (nothing counted) when
        either already has ``limit`` failures inside the window."""
        now = time.time() if now is None else now
        since = now - self.window
        with write_transaction(self.db):
            self.db.execute("DELETE FROM sign_in_failures WHERE at <= ?", [since])
            for column, value in (("name", self.key(name)), ("address", address)):
                count = self.db.execute(
                    f"SELECT count(*) FROM sign_in_failures WHERE {column} = ? AND at > ?",
                    [value, since],
                ).fetchone()[0]
                if count >= self.limit:
                    return False
            self.db.execute(
                "INSERT INTO sign_in_failures (name, address, at) VALUES (?, ?, ?)",
                [self.key(name), address, now],
            )
        return True

    def clear(self, name: str) -> int:
        """Forget ``name``'s failed sign-ins (they no longer count for their address
        either); how many there were."""
        with write_transaction(self.db):
            return self.db.execute(
                "DELETE FROM sign_in_failures WHERE name = ?", [self.key(name)]
            ).rowcount


def sign_in(
    users: UserStore, attempts: SignInAttempts, name: str, password: str, address: str
) -> User | None:
    """The user if ``password`` is right, ``None`` if not (the attempt stays counted);
    :class:`LockedOut` without trying the password when the name or address is locked out.
    A success forgives the name's failed attempts."""
    if not attempts.reserve(name, address):
        raise LockedOut(name)
    user = users.authenticate(name, password)
    if user is not None:
        attempts.clear(name)
    return user

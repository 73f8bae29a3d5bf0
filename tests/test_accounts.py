"""Accounts: argon2 hashes, roles, refusals."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from bot.accounts import PERMISSIONS, AccountError, UserStore
from bot.cli import cli


def test_password_is_stored_as_an_argon2_hash():
    db = Database(memory=True)
    UserStore(db).add("lin", "a long passphrase", role="staff")
    stored = db.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2")
    assert "a long passphrase" not in stored


def test_authenticate_right_wrong_unknown_and_disabled():
    users = UserStore(Database(memory=True))
    users.add("lin", "a long passphrase", role="staff")
    assert users.authenticate("lin", "a long passphrase").role == "staff"
    assert users.authenticate("lin", "a long passphrasE") is None
    assert users.authenticate("nobody", "a long passphrase") is None
    users.set_active("lin", False)
    assert users.authenticate("lin", "a long passphrase") is None


@pytest.mark.parametrize(
    ("name", "password", "role"),
    [
        ("lin", "short", "staff"),
        ("l", "a long passphrase", "staff"),
        ("lin<script>", "a long passphrase", "staff"),
        ("lin", "a long passphrase", "root"),
    ],
)
def test_bad_accounts_are_refused(name, password, role):
    users = UserStore(Database(memory=True))
    with pytest.raises(AccountError):
        users.add(name, password, role=role)
    assert users.count() == 0


def test_duplicate_name_is_refused():
    users = UserStore(Database(memory=True))
    users.add("lin", "a long passphrase", role="staff")
    with pytest.raises(AccountError):
        users.add("lin", "another passphrase", role="admin")
    assert users.get("lin").role == "staff"


def test_roles_permissions():
    assert "kb_write" in PERMISSIONS["staff"] and "handoffs" not in PERMISSIONS["staff"]
    assert "handoffs" in PERMISSIONS["supervisor"] and "kb_write" not in PERMISSIONS["supervisor"]
    assert PERMISSIONS["admin"] >= PERMISSIONS["staff"] | PERMISSIONS["supervisor"]
    # An agent answers conversations; the 质检 panel and the dashboard are the supervisor's.
    assert {"handoffs", "live"} <= PERMISSIONS["agent"] <= PERMISSIONS["supervisor"]
    assert not {"inspection", "dashboard", "kb_write"} & PERMISSIONS["agent"]
    # The review inbox that teaches the bot: staff and supervisors, not agents.
    assert [role for role, can in PERMISSIONS.items() if "review" in can] == [
        "staff",
        "supervisor",
        "admin",
    ]


def test_cli_users_add_asks_for_the_password(tmp_path):
    db = tmp_path / "pg.db"
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["users", "add", "wang", "--role", "supervisor", "--db", str(db)],
        input="a long passphrase\na long passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert UserStore.open(db).authenticate("wang", "a long passphrase").role == "supervisor"
    listed = runner.invoke(cli, ["users", "list", "--db", str(db)])
    assert "wang" in listed.output and "supervisor" in listed.output


def test_cli_users_add_refuses_a_short_password(tmp_path):
    db = tmp_path / "pg.db"
    result = CliRunner().invoke(
        cli,
        ["users", "add", "wang", "--role", "supervisor", "--db", str(db)],
        input="short\nshort\n",
    )
    assert result.exit_code != 0
    assert "10" in result.output
    assert UserStore.open(db).count() == 0

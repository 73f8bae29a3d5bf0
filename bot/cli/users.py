"""``python -m bot users …``: console accounts (staff, supervisor, admin)."""

from __future__ import annotations

from pathlib import Path

import click

from bot.accounts import ROLES, AccountError, UserStore
from bot.cli.options import db_option


@click.group()
def users() -> None:
    """Manage the web console's accounts."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.password_option(help="Asked for twice when not given (at least 10 characters).")
@db_option
def add(name: str, role: str, password: str, db_path: Path) -> None:
    """Create an account; the password is asked for.

    Example: python -m bot users add wang --role supervisor
    """
    db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        UserStore.open(db_path).add(name, password, role=role)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Added {name} ({role}). Sign in at the console's /console/login.")


@users.command("list")
@db_option
def list_(db_path: Path) -> None:
    """List the accounts and their roles."""
    accounts = UserStore.open(db_path).list()
    if not accounts:
        click.echo("No users yet. Add one: python -m bot users add NAME --role admin")
    for u in accounts:
        click.echo(f"{u.name:<20} {u.role:<11} {'active' if u.active else 'disabled'}")


@users.command("passwd")
@click.argument("name")
@click.password_option(help="The new password (asked for twice when not given).")
@db_option
def passwd(name: str, password: str, db_path: Path) -> None:
    """Set a new password for NAME."""
    try:
        UserStore.open(db_path).set_password(name, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Password changed for {name}.")


@users.command("unlock")
@click.argument("name")
@db_option
def unlock(name: str, db_path: Path) -> None:
    """Clear NAME's sign-in lock-out at once (five failed sign-ins lock a name, and the
    address they came from, out for 15 minutes). The running console sees it at once.

    Example: python -m bot users unlock wang
    """
    try:
        cleared = UserStore.open(db_path).unlock(name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Unlocked {name}: {cleared} failed sign-in(s) forgotten.")

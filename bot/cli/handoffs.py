"""``python -m bot handoffs …``: conversations handed off to a human (redacted)."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.options import db_option
from bot.handoff import STATUSES, HandoffStore


@click.group()
def handoffs() -> None:
    """Review conversations handed off to a human."""


@handoffs.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only this status.")
@db_option
def list_(status: str | None, db_path: Path) -> None:
    """List handoffs, highest risk first, then oldest."""
    items = HandoffStore.open(db_path).list(status)
    if not items:
        click.echo("No handoffs.")
    for h in items:
        flags = ",".join(h.flags) or "-"
        click.echo(
            f"#{h.id:<5} {h.risk_level:<6} {h.status:<9} {h.created_at}  {h.channel:<8} "
            f"{h.reason:<18} {flags}"
        )


@handoffs.command()
@click.argument("handoff_id", type=int)
@db_option
def show(handoff_id: int, db_path: Path) -> None:
    """Print one handoff with its (redacted) transcript."""
    try:
        h = HandoffStore.open(db_path).get(handoff_id)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Handoff #{h.id}  conversation {h.conversation_id}  channel {h.channel}")
    click.echo(f"reason {h.reason}  risk {h.risk_level}  flags {', '.join(h.flags) or '-'}")
    click.echo(f"status {h.status}  created {h.created_at}  updated {h.updated_at}")
    click.echo("")
    for turn in h.transcript:
        if turn["role"] == "user":
            conf = turn.get("confidence")
            conf_text = f" {conf:.2f}" if isinstance(conf, (int, float)) else ""
            click.echo(f"用户: {turn['text']}    [{turn.get('intent')}{conf_text}]")
        elif turn["role"] == "bot":
            click.echo(f"助手: {turn['text']}")
        else:
            click.echo(f"  ({turn.get('name')})")

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
        elif turn["role"] in ("agent", "system"):
            click.echo(f"{turn.get('author')}: {turn['text']}")
        else:
            click.echo(f"  ({turn.get('name')})")


def live_desk(db_path: Path):
    """The live desk on the app database and the running Rasa (its HTTP API on loopback)."""
    from bot.live import LiveDesk, RasaConversations
    from bot.settings import Settings
    from bot.wechat.delivery import command_line_delivery
    from bot.wechat.state import WeChatState

    settings = Settings.from_env()
    conversations = RasaConversations(settings.rasa_url, settings.rasa_token)
    # A WeChat user gets the message as a 客服 message (bot/wechat/delivery.py).
    delivery = command_line_delivery(settings, WeChatState.open(db_path))
    return LiveDesk.open(db_path, conversations, delivery)


@handoffs.command()
@click.argument("handoff_id", type=int)
@click.argument("text")
@click.option("--by", required=True, help="The agent's login name.")
@click.option("--confirm", is_flag=True, help="Send even though 质检 found a problem.")
@db_option
def reply(handoff_id: int, text: str, by: str, confirm: bool, db_path: Path) -> None:
    """Send an agent's message into the conversation (taking it from the bot).

    Example: python -m bot handoffs reply 12 "您好，我是工作人员小林。" --by lin
    """
    from bot.live import InspectionFailed, LiveError

    try:
        message = live_desk(db_path).reply(handoff_id, text, by=by, confirmed=confirm)
    except InspectionFailed as exc:
        problems = "; ".join(f"{f.label}: {f.clause or 'the whole message'}" for f in exc.findings)
        raise click.ClickException(
            f"质检 found: {problems}. Edit the message, or send it with --confirm."
        ) from None
    except (LiveError, LookupError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Sent to {message.conversation_id} as {message.author} (message {message.id}).")


@handoffs.command()
@click.argument("handoff_id", type=int)
@click.option("--by", required=True, help="The agent's login name.")
@click.option("--release", is_flag=True, help="Hand back to the bot but keep the handoff open.")
@db_option
def close(handoff_id: int, by: str, release: bool, db_path: Path) -> None:
    """Hand the conversation back to the bot (and resolve the handoff, unless --release)."""
    from bot.live import LiveError

    desk = live_desk(db_path)
    try:
        (desk.release if release else desk.close)(handoff_id, by=by)
    except (LiveError, LookupError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Handoff #{handoff_id} handed back to the bot{' (still open)' if release else ''}.")

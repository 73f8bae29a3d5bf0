"""Options shared by the command-line groups."""

from __future__ import annotations

from pathlib import Path

import click

from bot.settings import Settings

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: Settings.from_env().db_path,
    show_default="$POLICYGUARD_DB or var/policyguard.db",
    help="The app database.",
)

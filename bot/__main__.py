"""``python -m bot``: the PolicyGuard command line (see :mod:`bot.cli`)."""

from bot.cli import cli

if __name__ == "__main__":
    cli()

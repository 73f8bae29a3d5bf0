"""The PolicyGuard command line: ``python -m bot --help``.

A thin shell over the library; every command's logic lives in a module it calls. The command
groups live beside this file (``kb``, ``handoffs``, ``nlu``, ``users``, ``wechat``) and are
imported only when used, so ``python -m bot normalize`` does not load the database stack.

Every command runs with its logs redacted (:mod:`bot.logs`), the three servers included:
``python -m bot rasa run …`` (Rasa's own command line), ``python -m bot actions …``
(rasa-sdk's action server) and ``python -m bot console``.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import ClassVar

import click

from bot.logs import install_redacting_logs
from bot.settings import Settings

#: For commands that hand every argument, ``--help`` included, to another program.
PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


class LazyGroup(click.Group):
    """A group whose subgroups (name -> ``module:attribute``) load when first asked for."""

    lazy: ClassVar[dict[str, str]] = {
        "kb": "bot.cli.kb:kb",
        "nlu": "bot.cli.nlu:nlu",
        "handoffs": "bot.cli.handoffs:handoffs",
        "users": "bot.cli.users:users",
        "wechat": "bot.cli.wechat:wechat",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            module, attribute = self.lazy[name].split(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup)
@click.version_option(package_name="policyguard")
def cli() -> None:
    """保单守护助手 (PolicyGuard) tools."""
    install_redacting_logs()


@cli.command(context_settings=PASS_THROUGH)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def rasa(args: tuple[str, ...]) -> None:
    """Rasa's own command line with redacted logs; every argument goes to Rasa.

    Example: python -m bot rasa run --model models --endpoints endpoints.yml
    """
    from bot.servers import run_rasa

    run_rasa(args)


@cli.command(context_settings=PASS_THROUGH)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def actions(args: tuple[str, ...]) -> None:
    """The action server (rasa-sdk's, on the actions package) with redacted logs, on
    127.0.0.1 only; every argument goes to rasa-sdk (--help lists them).

    Example: python -m bot actions --port 5055
    """
    from bot.servers import run_actions

    run_actions(args)


@cli.command()
@click.argument("text")
def normalize(text: str) -> None:
    """Print TEXT as the NLU pipeline sees it (Simplified, half-width, collapsed).

    Example: python -m bot normalize "保單貸款？？"
    """
    from bot.nlu.normalize import normalize as _normalize

    click.echo(_normalize(text))


@cli.command()
@click.argument("text")
@click.option("--model", type=click.Path(exists=True, dir_okay=False), help="Model file.")
@click.option("--top", default=3, show_default=True, help="How many intents to show.")
def parse(text: str, model: str | None, top: int) -> None:
    """Classify TEXT with the newest trained model and print the top intents as JSON.

    Example: python -m bot parse "有人说能帮我全额退保"
    """
    from bot.nlu.model import NluParser, latest_model

    path = Path(model) if model else latest_model(Settings.from_env().models_dir)
    if path is None:
        raise click.ClickException("No trained model in models/. Run `make train` first.")
    result = NluParser.load(path).parse(text)
    out = {
        "text": result.get("text_original", text),
        "normalized": result.get("text"),
        "intent": result["intent"],
        "ranking": result.get("intent_ranking", [])[:top],
    }
    click.echo(json.dumps(out, ensure_ascii=False, indent=2))


@cli.command("eval-nlu")
@click.option("--folds", default=5, show_default=True, help="Cross-validation folds.")
@click.option("--out", "out_dir", default="docs", show_default=True, type=click.Path())
@click.option("--seed", default=42, show_default=True)
@click.option(
    "--config",
    "config_path",
    default="config.yml",
    show_default=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Pipeline to evaluate.",
)
def eval_nlu(folds: int, out_dir: str, seed: int, config_path: str) -> None:
    """Cross-validate the Rasa NLU pipeline against a TF-IDF baseline, then train both on
    all the data and test them on the held-out phrasings in tests/data/heldout*.yml.

    Run it in the project folder: it reads data/nlu/ and tests/data/ there, and writes
    the NLU section of docs/benchmarks.md and docs/nlu_confusion.png.
    """
    from bot.nlu.evaluate import HELDOUT_GLOB, REAL_FILE, run_evaluation

    report = run_evaluation(
        config=Path(config_path),
        nlu_dir=Path("data", "nlu"),
        heldout_files=sorted(Path("tests", "data").glob(HELDOUT_GLOB)),
        real_files=[REAL_FILE] if REAL_FILE.is_file() else [],
        out_dir=Path(out_dir),
        folds=folds,
        seed=seed,
    )
    click.echo(report.summary())


@cli.command()
@click.option("--host", help="Address to bind (default $HOST or 127.0.0.1).")
@click.option("--port", type=int, help="Port (default $CONSOLE_PORT or 8000).")
def console(host: str | None, port: int | None) -> None:
    """Start the web console and the chat page (forwards chat to Rasa at $RASA_PORT).

    It answers to $CONSOLE_PUBLIC_ORIGIN's host (default http://HOST:PORT), or to
    $CONSOLE_TRUSTED_HOSTS.

    Example: python -m bot console --port 8000
    """
    import dataclasses

    import uvicorn

    from bot.accounts import UserStore
    from bot.console.app import create_app

    settings = Settings.from_env()
    settings = dataclasses.replace(
        settings, host=host or settings.host, console_port=port or settings.console_port
    )
    if settings.host in ("0.0.0.0", "::") and not (
        settings.console_public_origin or settings.console_trusted_hosts
    ):
        raise click.ClickException(
            f"HOST={settings.host} listens on every interface, so the console cannot tell "
            "its own address: set CONSOLE_PUBLIC_ORIGIN (e.g. https://guard.example.com)."
        )
    settings.db_path.parent.mkdir(parents=True, exist_ok=True)
    if UserStore.open(settings.db_path).count() == 0:
        click.echo(
            "No console users yet. Create the first one:\n"
            "  .venv/bin/python -m bot users add admin --role admin"
        )
    app = create_app(settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.console_port,
        log_level="warning",
        access_log=False,  # access logs would hold URLs with search text
        proxy_headers=False,
        server_header=False,  # no "server: uvicorn" banner
        ws="none",  # no websockets; Rasa's pinned websockets is too old for uvicorn's
    )

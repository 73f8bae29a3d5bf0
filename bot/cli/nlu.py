"""``python -m bot nlu …``: training data from the console's review inbox."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.options import db_option
from bot.settings import Settings

#: What the command says about each reason a reviewed text was not written.
SKIPPED = {
    "personal": "held a redaction placeholder such as {placeholder}; bot/privacy.py has no natural "
    "stand-in for one, so they are left out",
    "markup": "were empty, a button payload or looked like Rasa entity markup",
    "unknown_intent": "were decided for an intent that is not in the domain",
    "duplicate": "repeated another reviewed message",
    "in_data": "are already in the training data",
    "conflict": "are in the training data under another intent",
}


@click.group()
def nlu() -> None:
    """Training data for the NLU."""


@nlu.command("export-reviewed")
@db_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("data", "nlu", "reviewed.yml"),
    show_default=True,
    help="The NLU file to write (make train and make eval-nlu read data/nlu/).",
)
def export_reviewed(db_path: Path, out: Path) -> None:
    """Write the messages confirmed or corrected in the console's review inbox (the latest
    decision on each) as Rasa NLU examples: redacted, deduplicated, grouped by intent.

    Example: python -m bot nlu export-reviewed --out data/nlu/reviewed.yml
    """
    from bot.labels import label
    from bot.nlu_export import SKIP_REASONS
    from bot.nlu_export import export_reviewed as export

    result = export(db_path, out, Settings.from_env().domain_path)
    click.echo(f"Wrote {result.count} example(s) for {len(result.examples)} intent(s) to {out}.")
    for reason in SKIP_REASONS:
        if result.skipped[reason]:
            why = SKIPPED[reason].format(placeholder=label("redactions", "phone"))
            click.echo(f"Skipped {result.skipped[reason]} that {why}.")


@nlu.command("sweep")
@click.option("--out", "out_dir", default="docs", show_default=True, type=click.Path())
@click.option("--seed", default=42, show_default=True)
def sweep(out_dir: str, seed: int) -> None:
    """Train each variant of config.yml in bot/nlu/sweep.py once and score it on a development
    split of the real-language training data and on the real-language held-out set; the
    table goes into the nlu-sweep section of docs/benchmarks.md (about 6 minutes a variant).

    Example: python -m bot nlu sweep
    """
    from bot import machine
    from bot.docs import replace_section
    from bot.nlu.evaluate import REAL_FILE, configured_threshold
    from bot.nlu.sweep import render, run_sweep

    config = Path("config.yml")
    results = run_sweep(config, Path("data", "nlu"), REAL_FILE, seed)
    body = render(
        results,
        configured_threshold(config),
        "make sweep-nlu",
        f"{machine.today()}, {machine.describe()}",
    )
    bench = Path(out_dir) / "benchmarks.md"
    old = bench.read_text(encoding="utf-8") if bench.exists() else ""
    bench.write_text(replace_section(old, "nlu-sweep", body), encoding="utf-8")
    click.echo(f"Wrote the sweep of {len(results)} variants to {bench}.")

"""Keep the README true: its commands exist and its first lines are the two set-up commands."""

import re

from click.testing import CliRunner

from bot.cli import cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-zA-Z][\w-]*):.*## ", MAKEFILE, re.MULTILINE))


def test_readme_starts_with_make_run_and_make_test():
    first_block = README.split("```")[1]
    commands = [ln.split("#")[0].strip() for ln in first_block.splitlines()[1:] if ln.strip()]
    assert commands == ["make run", "make test"]


def test_every_make_command_in_readme_is_a_documented_target():
    used = set(re.findall(r"`make ([a-z][\w-]*)", README)) | set(
        re.findall(r"^make ([a-z][\w-]*)", README, re.MULTILINE)
    )
    assert used, "README names no make targets"
    assert used <= make_targets(), used - make_targets()


def test_every_documented_target_is_in_readme():
    missing = {t for t in make_targets() if f"make {t}" not in README}
    assert not missing


def test_every_bot_command_in_readme_exists():
    commands = set(re.findall(r"python -m bot ((?:kb |handoffs |users )?[a-z][\w-]*)", README))
    assert {"kb search", "handoffs list", "users add", "console"} <= commands
    for command in commands:
        result = CliRunner().invoke(cli, [*command.split(), "--help"])
        assert result.exit_code == 0, command


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_configuration_variables_are_real():
    names = set(re.findall(r"^\| `([A-Z_]+)` \|", README, re.MULTILINE))
    settings = (ROOT / "bot" / "settings.py").read_text(encoding="utf-8")
    assert names
    for name in names:
        assert name in MAKEFILE or name in settings, name


def test_every_path_in_the_layout_table_exists():
    table = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
    paths = re.findall(r"^\| (`[^|]+`) \|", table, re.MULTILINE)
    named = [p for cell in paths for p in re.findall(r"`([^`]+)`", cell)]
    assert len(named) > 10
    missing = [p for p in named if not (ROOT / p).exists()]
    assert not missing


def test_every_top_level_folder_is_in_the_layout_table():
    table = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
    folders = {
        p.name
        for p in ROOT.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name not in {"var", "models", "results"}
    }
    assert {f for f in folders if f"`{f}/" not in table} <= {"policyguard.egg-info"}

"""`make install` on an existing, up-to-date venv changes nothing."""

import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

STAMPS = (ROOT / ".venv" / ".installed", ROOT / ".venv-console" / ".installed")


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_install_is_a_noop_on_an_existing_venv():
    assert all(s.exists() for s in STAMPS), "run `make install` first"
    before = [s.stat().st_mtime_ns for s in STAMPS]
    result = subprocess.run(
        ["make", "--no-print-directory", "install"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MAKEFLAGS": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "Environments up to date" in result.stdout
    assert "Installing" not in result.stdout
    assert [s.stat().st_mtime_ns for s in STAMPS] == before


def test_find_python_reports_a_missing_interpreter_clearly():
    result = subprocess.run(
        ["/bin/sh", str(ROOT / "scripts" / "find-python"), "3.10"],
        capture_output=True,
        text=True,
        env={"PATH": "/nonexistent", "PYTHON": ""},
    )
    assert result.returncode == 1
    assert "Python 3.10 was not found" in result.stderr


def test_find_python_finds_the_consoles_python():
    result = subprocess.run(
        ["/bin/sh", str(ROOT / "scripts" / "find-python"), "3.12"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    out = subprocess.run([result.stdout.strip(), "--version"], capture_output=True, text=True)
    assert out.stdout.startswith("Python 3.12")

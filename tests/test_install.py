"""`make install` on an existing, up-to-date venv changes nothing."""

import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

STAMP = ROOT / ".venv" / ".installed"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_install_is_a_noop_on_an_existing_venv():
    assert STAMP.exists(), "run `make install` first"
    before = STAMP.stat().st_mtime_ns
    result = subprocess.run(
        ["make", "--no-print-directory", "install"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MAKEFLAGS": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "Environment up to date" in result.stdout
    assert "Installing" not in result.stdout
    assert STAMP.stat().st_mtime_ns == before


def test_find_python_reports_a_missing_interpreter_clearly():
    result = subprocess.run(
        ["/bin/sh", str(ROOT / "scripts" / "find-python310")],
        capture_output=True,
        text=True,
        env={"PATH": "/nonexistent", "PYTHON": ""},
    )
    assert result.returncode == 1
    assert "Python 3.10 was not found" in result.stderr

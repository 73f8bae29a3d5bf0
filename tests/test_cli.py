import json
import re

import pytest
from click.testing import CliRunner

from bot.cli import cli


def test_help_lists_commands():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("normalize", "parse", "eval-nlu"):
        assert command in result.output


def test_normalize_prints_canonical_text():
    result = CliRunner().invoke(cli, ["normalize", "保單貸款？？"])
    assert result.exit_code == 0
    assert result.output.strip() == "保单贷款?"


def test_parse_without_a_model_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYGUARD_MODELS", str(tmp_path))
    result = CliRunner().invoke(cli, ["parse", "我想退保"])
    assert result.exit_code != 0
    assert "make train" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_parse_with_model_prints_json(trained_model):
    result = CliRunner().invoke(cli, ["parse", "--model", str(trained_model), "我想退保"])
    assert result.exit_code == 0, result.output
    out = json.loads(re.search(r"(?ms)^\{\n.*^\}", result.output).group(0))
    assert out["intent"]["name"] == "request_surrender"
    assert out["text"] == "我想退保"

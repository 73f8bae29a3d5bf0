"""The examples in the library's docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import bot


def modules_with_examples() -> list[str]:
    """Every module of the package, the console included, and the corpus builders' shared
    module."""
    package = [info.name for info in pkgutil.walk_packages(bot.__path__, "bot.")]
    return sorted([*package, "corpus.sources"])


@pytest.mark.parametrize("name", modules_with_examples())
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"

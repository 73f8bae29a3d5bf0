"""The NLU sweep: variants of config.yml, the development split, the table."""

from bot.nlu.metrics import Predictions
from bot.nlu.sweep import VARIANTS, Scores, dev_split, overlay, render


def test_a_variant_changes_only_the_settings_it_names():
    config = {"pipeline": [{"name": "bot.nlu.components.CharNgramFeaturizer", "max_ngram": 3},
                           {"name": "DIETClassifier", "epochs": 60}]}  # fmt: skip
    changed = overlay(config, {"CharNgramFeaturizer": {"max_ngram": 4}})
    assert changed["pipeline"] == [
        {"name": "bot.nlu.components.CharNgramFeaturizer", "max_ngram": 4},
        {"name": "DIETClassifier", "epochs": 60},
    ]
    assert config["pipeline"][0]["max_ngram"] == 3


def test_every_variant_names_components_of_the_pipeline():
    import yaml

    from tests.conftest import ROOT

    names = {
        c["name"].rsplit(".", 1)[-1]
        for c in yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
    }
    assert "config.yml" in VARIANTS
    assert {name for changes in VARIANTS.values() for name in changes} <= names


def test_the_development_split_is_stratified_disjoint_and_repeatable():
    real = [(f"a{i}", "a") for i in range(8)] + [(f"b{i}", "b") for i in range(4)]
    real += [("c0", "c"), ("c1", "c")]
    train, dev = dev_split(real, seed=1)
    assert sorted(train + dev) == sorted(real) and not set(train) & set(dev)
    assert sorted(i for _, i in dev) == ["a", "a", "b"]
    assert ("c0", "c") in train and ("c1", "c") in train
    assert dev_split(real, seed=1) == (train, dev)


def test_the_table_has_a_row_per_variant_with_its_figures():
    def preds(pairs):
        p = Predictions()
        for gold, predicted, confidence in pairs:
            p.add("", gold, predicted, confidence)
        return p

    dev = preds([("request_surrender", "request_surrender", 0.9), ("complaint", "other", 0.1)])
    held = preds([("proxy_surrender", "proxy_surrender", 0.8)])
    text = render([Scores("config.yml", dev, held)], 0.25, "make sweep-nlu", "here")
    row = next(line for line in text.splitlines() if line.startswith("| config.yml"))
    assert row == ("| config.yml | 0.500 | 0.500 | 1.000 | 0.000 | 50.0% | 1.000 | 1.000 | 0.0% |")
    assert "Command: `make sweep-nlu`, run on here." in text
    assert "Best on the development split: **config.yml**." in text

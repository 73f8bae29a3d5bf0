"""config.yml, endpoints.yml and credentials.yml keep the promises other parts rely on."""

import importlib
from urllib.parse import urlsplit

from tests.conftest import ROOT, load_yaml


def test_pipeline_normalises_first_then_tokenises_with_jieba():
    names = [c["name"] for c in load_yaml(ROOT / "config.yml")["pipeline"]]
    assert names[0] == "bot.nlu.components.TextNormalizer"
    assert names[1] == "bot.nlu.components.InsuranceJiebaTokenizer"
    assert "DIETClassifier" in names and names[-1] == "FallbackClassifier"


def test_word_counts_and_character_ngrams_feed_diet_and_the_ensemble():
    pipeline = load_yaml(ROOT / "config.yml")["pipeline"]
    names = [c["name"] for c in pipeline]
    words = [c for c in pipeline if c["name"] == "CountVectorsFeaturizer"]
    assert [c.get("analyzer", "word") for c in words] == ["word"]
    assert "bot.nlu.components.CharNgramFeaturizer" in names
    assert names.index("DIETClassifier") < names.index("bot.nlu.components.IntentEnsemble")
    diet = pipeline[names.index("DIETClassifier")]
    assert diet["ranking_length"] == 0  # the ensemble needs every intent's probability


def component_class(name: str) -> type:
    """The class of a pipeline component named by dotted path (``object`` for Rasa's own)."""
    module, _, cls = name.rpartition(".")
    return getattr(importlib.import_module(module), cls) if module else object


def test_the_ensemble_reads_featurizers_that_are_in_the_pipeline():
    # Rasa silently ignores an unknown featurizer name: a typo would drop its features.
    from bot.nlu.components import CharNgramFeaturizer

    pipeline = load_yaml(ROOT / "config.yml")["pipeline"]
    aliases = [c.get("alias") or c["name"].rsplit(".", 1)[-1] for c in pipeline]
    position = next(i for i, c in enumerate(pipeline) if c["name"].endswith("IntentEnsemble"))
    read = pipeline[position]["featurizers"]
    assert read, "name the featurizers: none means every sparse feature, word counts too"
    assert set(read) <= set(aliases[:position])  # in the pipeline, and computed before it
    # The linear model is the n-gram TF-IDF's half of the ensemble: it reads all of them.
    tfidf = {
        alias
        for alias, c in zip(aliases, pipeline, strict=True)
        if issubclass(component_class(c["name"]), CharNgramFeaturizer)
    }
    assert tfidf and tfidf <= set(read)


def test_action_endpoint_follows_actions_port_on_loopback():
    url = urlsplit(load_yaml(ROOT / "endpoints.yml")["action_endpoint"]["url"])
    host, _, port = url.netloc.rpartition(":")
    assert host in {"127.0.0.1", "localhost", "[::1]"}
    assert port == "${ACTIONS_PORT}"
    assert url.path.endswith("/webhook")  # rasa-sdk's action server route


def test_action_endpoint_port_comes_from_the_environment(monkeypatch):
    from rasa.utils.endpoints import read_endpoint_config

    monkeypatch.setenv("ACTIONS_PORT", "6123")
    monkeypatch.setenv("POLICYGUARD_TRACKER_DB", "var/tracker.db")
    endpoint = read_endpoint_config(str(ROOT / "endpoints.yml"), "action_endpoint")
    assert endpoint.url == "http://127.0.0.1:6123/webhook"


def test_tracker_store_is_the_redacting_sqlite_store_at_the_configured_path(monkeypatch):
    from rasa.utils.endpoints import read_endpoint_config

    monkeypatch.setenv("ACTIONS_PORT", "5055")
    monkeypatch.setenv("POLICYGUARD_TRACKER_DB", "/srv/guard/tracker.db")
    store = read_endpoint_config(str(ROOT / "endpoints.yml"), "tracker_store")
    assert store.type == "bot.tracker_store.RedactingSQLTrackerStore"
    assert store.kwargs["dialect"] == "sqlite"
    assert store.kwargs["db"] == "/srv/guard/tracker.db"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "export POLICYGUARD_TRACKER_DB ?= var/tracker.db" in makefile


def test_rest_channel_enabled():
    assert "bot.channels.rest.PolicyGuardRestInput" in load_yaml(ROOT / "credentials.yml")

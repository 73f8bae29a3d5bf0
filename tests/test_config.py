"""config.yml, endpoints.yml and credentials.yml keep the promises other parts rely on."""

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


def test_the_ensemble_reads_featurizers_that_are_in_the_pipeline():
    # Rasa silently ignores an unknown featurizer name: a typo would drop its features.
    pipeline = load_yaml(ROOT / "config.yml")["pipeline"]
    classes = {c.get("alias") or c["name"].rsplit(".", 1)[-1] for c in pipeline}
    ensemble = next(c for c in pipeline if c["name"].endswith("IntentEnsemble"))
    assert ensemble["featurizers"] == ["CharNgramFeaturizer", "PinyinNgramFeaturizer"]
    assert set(ensemble["featurizers"]) <= classes


def test_action_endpoint_follows_actions_port_on_loopback():
    url = load_yaml(ROOT / "endpoints.yml")["action_endpoint"]["url"]
    assert url == "http://127.0.0.1:${ACTIONS_PORT}/webhook"


def test_action_endpoint_port_comes_from_the_environment(monkeypatch):
    from rasa.utils.endpoints import read_endpoint_config

    monkeypatch.setenv("ACTIONS_PORT", "6123")
    endpoint = read_endpoint_config(str(ROOT / "endpoints.yml"), "action_endpoint")
    assert endpoint.url == "http://127.0.0.1:6123/webhook"


def test_tracker_store_is_sqlite_under_var():
    store = load_yaml(ROOT / "endpoints.yml")["tracker_store"]
    assert store["type"] == "bot.tracker_store.RedactingSQLTrackerStore"
    assert store["dialect"] == "sqlite"
    assert store["db"].startswith("var/")


def test_rest_channel_enabled():
    assert "bot.channels.rest.PolicyGuardRestInput" in load_yaml(ROOT / "credentials.yml")

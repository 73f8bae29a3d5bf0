"""config.yml, endpoints.yml and credentials.yml keep the promises other parts rely on."""

from tests.conftest import ROOT, load_yaml


def test_pipeline_normalises_first_then_tokenises_with_jieba():
    names = [c["name"] for c in load_yaml(ROOT / "config.yml")["pipeline"]]
    assert names[0] == "bot.nlu.components.TextNormalizer"
    assert names[1] == "bot.nlu.components.InsuranceJiebaTokenizer"
    assert "DIETClassifier" in names and names[-1] == "FallbackClassifier"


def test_two_count_vectorizers_words_and_char_ngrams():
    featurizers = [
        c
        for c in load_yaml(ROOT / "config.yml")["pipeline"]
        if c["name"] == "CountVectorsFeaturizer"
    ]
    analyzers = sorted(c.get("analyzer", "word") for c in featurizers)
    assert analyzers == ["char_wb", "word"]


def test_action_endpoint_follows_actions_port_on_loopback():
    url = load_yaml(ROOT / "endpoints.yml")["action_endpoint"]["url"]
    assert url == "http://127.0.0.1:${ACTIONS_PORT}/webhook"


def test_tracker_store_is_sqlite_under_var():
    store = load_yaml(ROOT / "endpoints.yml")["tracker_store"]
    assert store["type"] == "SQL" and store["dialect"] == "sqlite"
    assert store["db"].startswith("var/")


def test_rest_channel_enabled():
    assert "rest" in load_yaml(ROOT / "credentials.yml")

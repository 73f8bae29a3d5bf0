"""End to end: personal data typed every way in the corpus never reaches any file the product
writes (the app database, Rasa's tracker database, their WAL files, every process's log)."""

from __future__ import annotations

import json
import re
import uuid

import pytest
import requests

from bot.privacy import normalise
from tests.conftest import DATA, load_yaml

pytestmark = pytest.mark.slow
CORPUS = load_yaml(DATA / "pii_corpus.yml")


def say(servers, sender: str, text: str) -> list[dict]:
    response = requests.post(
        servers["rasa"] + "/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()


def forms(case: dict) -> set[str]:
    """The ways the secret could sit in a file: as typed, JSON-escaped, its digits in a row,
    and, for short codes, with the words just before it (a bare 4 digits is everywhere)."""
    secret = case["secret"]
    digits = re.sub(r"\D", "", normalise(secret)[0])
    found = {digits} if len(digits) >= 7 else set()
    if len(digits) >= 7 or not secret.isdigit():
        found |= {secret, json.dumps(secret)[1:-1]}
    else:
        message = (case.get("messages") or [case["message"]])[0]
        at = message.find(secret)
        if at >= 2:
            near = message[at - 2 : at] + secret
            found |= {near, json.dumps(near)[1:-1]}
    return {f for f in found if len(f) >= 4}


@pytest.fixture(scope="module")
def corpus_conversations(servers):
    """Every corpus case as its own conversation, each ending in a request for a human, so
    the text reaches the tracker store, the handoff transcript and the logs."""
    for case in CORPUS:
        sender = f"pii-{uuid.uuid4().hex[:12]}"
        for message in case.get("messages") or [case["message"]]:
            say(servers, sender, message)
        say(servers, sender, "转人工")
    return servers


def test_no_corpus_value_is_found_in_any_file(corpus_conversations):
    files = [p for p in corpus_conversations["logs"].rglob("*") if p.is_file()]
    assert any(p.name.endswith("-wal") for p in files)  # the WAL files are scanned too
    contents = {p.name: p.read_bytes().decode("utf-8", "replace") for p in files}
    leaks = [
        (case["kind"], case["how"], name)
        for case in CORPUS
        for name, text in contents.items()
        if any(form in text for form in forms(case))
    ]
    assert not leaks, leaks


def test_every_corpus_conversation_was_handed_off_with_a_redacted_transcript(
    corpus_conversations,
):
    from bot.handoff import HandoffStore

    handoffs = HandoffStore.open(corpus_conversations["db"]).list()
    ours = [h for h in handoffs if h.conversation_id.startswith("pii-")]
    assert len(ours) == len(CORPUS)
    assert all("[" in json.dumps(h.transcript, ensure_ascii=False) for h in ours)

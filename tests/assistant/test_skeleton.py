"""End-to-end tests of the skeleton assistant over its REST channel, in Dutch and English."""

from __future__ import annotations

import uuid
from functools import lru_cache
from pathlib import Path

import httpx
import pytest
import yaml

DOMAIN_PATH = Path(__file__).resolve().parents[2] / "domain.yml"


@lru_cache(maxsize=1)
def response_texts() -> dict[str, dict[str, frozenset[str]]]:
    """Returns, per response name, the texts of its `nl` and `en` variations in domain.yml."""
    domain = yaml.safe_load(DOMAIN_PATH.read_text())
    texts: dict[str, dict[str, frozenset[str]]] = {}
    for name, variations in domain["responses"].items():
        per_language: dict[str, set[str]] = {"nl": set(), "en": set()}
        for variation in variations:
            for condition in variation.get("condition", []):
                if condition.get("name") == "language":
                    per_language[condition["value"]].add(variation["text"])
        texts[name] = {language: frozenset(found) for language, found in per_language.items()}
    return texts


def texts_in(language: str, response: str | None = None) -> frozenset[str]:
    """Returns the texts of one response, or of all responses, in one language."""
    responses = response_texts()
    names = [response] if response else list(responses)
    return frozenset(text for name in names for text in responses[name][language])


def new_sender() -> str:
    """Returns a sender id that no other test uses."""
    return f"test-{uuid.uuid4().hex}"


def say(rasa_url: str, sender: str, message: str) -> list[str]:
    """Sends a message over the REST channel and returns the texts the assistant answers."""
    response = httpx.post(
        f"{rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": message},
        timeout=30,
    )
    response.raise_for_status()
    return [reply["text"] for reply in response.json() if "text" in reply]


def single_reply(rasa_url: str, sender: str, message: str) -> str:
    """Sends a message and returns the one text the assistant answers with."""
    replies = say(rasa_url, sender, message)
    assert len(replies) == 1, f"expected one reply to {message!r}, got {replies!r}"
    return replies[0]


def test_domain_has_distinct_dutch_and_english_texts() -> None:
    for name, per_language in response_texts().items():
        assert per_language["nl"] and per_language["en"], name
        assert not per_language["nl"] & per_language["en"], name


def test_dutch_greeting_gets_dutch_answer(rasa_url: str) -> None:
    assert single_reply(rasa_url, new_sender(), "hallo") in texts_in("nl", "utter_greet")


def test_english_greeting_gets_english_answer(rasa_url: str) -> None:
    assert single_reply(rasa_url, new_sender(), "hello") in texts_in("en", "utter_greet")


def test_dutch_greeting_switches_back_from_english(rasa_url: str) -> None:
    sender = new_sender()
    assert single_reply(rasa_url, sender, "hello") in texts_in("en", "utter_greet")
    assert single_reply(rasa_url, sender, "hallo") in texts_in("nl", "utter_greet")


def test_conversation_follows_a_switch_to_dutch(rasa_url: str) -> None:
    sender = new_sender()
    assert single_reply(rasa_url, sender, "hello") in texts_in("en", "utter_greet")
    assert single_reply(rasa_url, sender, "wat kun je allemaal?") in texts_in("nl", "utter_capabilities")


def test_english_thanks_keeps_english(rasa_url: str) -> None:
    sender = new_sender()
    single_reply(rasa_url, sender, "hello")
    assert single_reply(rasa_url, sender, "thx") in texts_in("en", "utter_youre_welcome")


@pytest.mark.parametrize("undecided", ["ok", "ja", "2001681"])
def test_message_without_language_keeps_english(rasa_url: str, undecided: str) -> None:
    sender = new_sender()
    single_reply(rasa_url, sender, "hello")
    # Whatever the intent, the answer stays in the language chosen before.
    assert single_reply(rasa_url, sender, undecided) in texts_in("en")


def test_dutch_goodbye(rasa_url: str) -> None:
    sender = new_sender()
    single_reply(rasa_url, sender, "hello")
    assert single_reply(rasa_url, sender, "doei") in texts_in("nl", "utter_goodbye")


def test_english_goodbye(rasa_url: str) -> None:
    assert single_reply(rasa_url, new_sender(), "bye") in texts_in("en", "utter_goodbye")


def test_language_entity_reaches_the_tracker(rasa_url: str) -> None:
    sender = new_sender()
    single_reply(rasa_url, sender, "hello")
    tracker = httpx.get(f"{rasa_url}/conversations/{sender}/tracker", timeout=30).json()
    languages = [entity for entity in tracker["latest_message"]["entities"] if entity["entity"] == "language"]
    assert [(entity["value"], entity["extractor"]) for entity in languages] == [("en", "LanguageDetector")]
    assert tracker["slots"]["language"] == "en"


def test_action_server_health(action_server_url: str) -> None:
    response = httpx.get(f"{action_server_url}/health", timeout=10)
    assert response.status_code == 200

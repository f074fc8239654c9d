"""End-to-end tests of the skeleton assistant over its REST channel, in Dutch and English."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import httpx
import pytest
import yaml

from tests import rasa_api
from tests.conftest import Chat

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


def single_reply(conversation: Chat, message: str) -> str:
    """Sends a message and returns the one text the assistant answers with."""
    replies = conversation.say(message)
    assert len(replies) == 1, f"expected one reply to {message!r}, got {replies!r}"
    return replies[0]


def test_domain_has_distinct_dutch_and_english_texts() -> None:
    for name, per_language in response_texts().items():
        assert per_language["nl"] and per_language["en"], name
        # A response that only shows a value from the portal (already in the user's language) is the same in both.
        if per_language["nl"] != {"{portal_message}"}:
            assert not per_language["nl"] & per_language["en"], name


def test_dutch_greeting_gets_dutch_answer(chat: Callable[..., Chat]) -> None:
    assert single_reply(chat(), "hallo") in texts_in("nl", "utter_greet")


def test_english_greeting_gets_english_answer(chat: Callable[..., Chat]) -> None:
    assert single_reply(chat(), "hello") in texts_in("en", "utter_greet")


def test_dutch_greeting_switches_back_from_english(chat: Callable[..., Chat]) -> None:
    conversation = chat()
    assert single_reply(conversation, "hello") in texts_in("en", "utter_greet")
    assert single_reply(conversation, "hallo") in texts_in("nl", "utter_greet")


def test_conversation_follows_a_switch_to_dutch(chat: Callable[..., Chat]) -> None:
    conversation = chat()
    assert single_reply(conversation, "hello") in texts_in("en", "utter_greet")
    assert single_reply(conversation, "wat kun je allemaal?") in texts_in("nl", "utter_capabilities")


def test_english_thanks_keeps_english(chat: Callable[..., Chat]) -> None:
    conversation = chat()
    single_reply(conversation, "hello")
    assert single_reply(conversation, "thx") in texts_in("en", "utter_youre_welcome")


@pytest.mark.parametrize("undecided", ["ok", "ja", "2001681"])
def test_message_without_language_keeps_english(chat: Callable[..., Chat], undecided: str) -> None:
    conversation = chat()
    single_reply(conversation, "hello")
    # Whatever the intent, the answer stays in the language chosen before.
    assert single_reply(conversation, undecided) in texts_in("en")


def test_dutch_goodbye(chat: Callable[..., Chat]) -> None:
    conversation = chat()
    single_reply(conversation, "hello")
    assert single_reply(conversation, "doei") in texts_in("nl", "utter_goodbye")


def test_english_goodbye(chat: Callable[..., Chat]) -> None:
    assert single_reply(chat(), "bye") in texts_in("en", "utter_goodbye")


def test_language_entity_reaches_the_tracker(chat: Callable[..., Chat]) -> None:
    conversation = chat()
    single_reply(conversation, "hello")
    tracker = rasa_api.tracker(conversation.rasa_url, conversation.portal, conversation.sender)
    languages = [entity for entity in tracker["latest_message"]["entities"] if entity["entity"] == "language"]
    assert [(entity["value"], entity["extractor"]) for entity in languages] == [("en", "LanguageDetector")]
    assert tracker["slots"]["language"] == "en"


def test_action_server_health(action_server_url: str) -> None:
    response = httpx.get(f"{action_server_url}/health", timeout=10)
    assert response.status_code == 200

"""Tests of the LanguageDetector component, built and trained the way Rasa does, with real lingua."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.language import (
    LanguageDataError,
    LanguageDetector,
    Vocabulary,
    decide_language,
    example_language,
)

REPO_ROOT = Path(__file__).resolve().parents[2]

DUTCH_EXAMPLES = {
    "greet": ["hallo", "hoi", "goedemorgen", "hey, goedemiddag"],
    "goodbye": ["doei", "tot ziens", "fijne dag"],
    "thankyou": ["bedankt!", "dank je wel", "top, bedankt"],
}
ENGLISH_EXAMPLES = {
    "greet": ["hello", "hey there", "good morning"],
    "goodbye": ["bye", "see you", "have a nice day"],
    "thankyou": ["thx", "thanks a lot", "top, thanks"],
}


def examples(language: str, by_intent: dict[str, list[str]]) -> list[Message]:
    """Builds training examples the way Rasa's YAML reader does for an intent block."""
    return [
        Message.build(text, intent, intent_metadata={"language": language})
        for intent, texts in by_intent.items()
        for text in texts
    ]


@pytest.fixture()
def tokenizer(storage: LocalModelStorage, context: ExecutionContext) -> WhitespaceTokenizer:
    return WhitespaceTokenizer.create(WhitespaceTokenizer.get_default_config(), storage, Resource("tokenizer"), context)


@pytest.fixture()
def detector(storage: LocalModelStorage, context: ExecutionContext, tokenizer: WhitespaceTokenizer) -> LanguageDetector:
    """Trains a detector, then loads it from the model storage as a trained model would."""
    resource = Resource("language_detector")
    config = LanguageDetector.get_default_config()
    training_data = TrainingData(examples("nl", DUTCH_EXAMPLES) + examples("en", ENGLISH_EXAMPLES))
    tokenizer.process_training_data(training_data)
    LanguageDetector.create(config, storage, resource, context).train(training_data)
    return LanguageDetector.load(config, storage, resource, context)


def detect(detector: LanguageDetector, tokenizer: WhitespaceTokenizer, text: str) -> list[dict]:
    """Runs a message through the tokenizer and the detector; returns its language entities."""
    message = Message({TEXT: text})
    tokenizer.process([message])
    detector.process([message])
    return [entity for entity in message.get(ENTITIES, []) if entity["entity"] == "language"]


def language_of(detector: LanguageDetector, tokenizer: WhitespaceTokenizer, text: str) -> str | None:
    """Returns the detected language of a text, or None when no entity was added."""
    entities = detect(detector, tokenizer, text)
    assert len(entities) <= 1
    return entities[0]["value"] if entities else None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hallo", "nl"),
        ("Hallo!", "nl"),
        ("doei", "nl"),
        ("tot ziens", "nl"),
        ("hello", "en"),
        ("thx", "en"),
        ("bye!", "en"),
        ("ok thx", "en"),
    ],
)
def test_short_messages_are_decided_by_the_learned_vocabulary(
    detector: LanguageDetector, tokenizer: WhitespaceTokenizer, text: str, language: str
) -> None:
    assert language_of(detector, tokenizer, text) == language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("wat kun je allemaal?", "nl"),
        ("ik wil graag een uitdiensttreding doorgeven", "nl"),
        ("het deeltijdpercentage van Jansen gaat omlaag", "nl"),
        ("I would like to report a salary change", "en"),
        ("can you look up participant 2001681 for me", "en"),
    ],
)
def test_longer_messages_are_decided_by_lingua(
    detector: LanguageDetector, tokenizer: WhitespaceTokenizer, text: str, language: str
) -> None:
    assert language_of(detector, tokenizer, text) == language


@pytest.mark.parametrize(
    "text",
    [
        "ok",
        "ja",
        "Yes",
        "ok ja",
        "2001681",
        "01-08-2019",
        "Jansen",  # a name is no evidence of either language
        "Jansen, P.",
        "hey",  # typed in both languages' examples
        "top",
        "",
    ],
)
def test_undecidable_messages_get_no_entity(
    detector: LanguageDetector, tokenizer: WhitespaceTokenizer, text: str
) -> None:
    assert detect(detector, tokenizer, text) == []


def test_entity_spans_the_whole_message(detector: LanguageDetector, tokenizer: WhitespaceTokenizer) -> None:
    (entity,) = detect(detector, tokenizer, "goedemorgen!")
    assert entity["start"] == 0
    assert entity["end"] == len("goedemorgen!")
    assert entity["extractor"] == "LanguageDetector"
    assert 0.5 < entity["confidence"] <= 1.0


def test_untrained_model_storage_loads_an_empty_vocabulary(
    storage: LocalModelStorage, context: ExecutionContext
) -> None:
    loaded = LanguageDetector.load(LanguageDetector.get_default_config(), storage, Resource("never_trained"), context)
    assert loaded.vocabulary == Vocabulary.empty()


def test_vocabulary_keeps_only_words_of_one_language() -> None:
    vocabulary = Vocabulary.learn(
        [("nl", ["hey", "hallo", "ok"]), ("en", ["hey", "there", "2001681"])],
        neutral_words=["ok"],
    )
    assert vocabulary.dutch == {"hallo"}
    assert vocabulary.english == {"there"}


def test_vote_needs_a_clear_majority() -> None:
    vocabulary = Vocabulary(frozenset({"salaris", "wijziging"}), frozenset({"change"}))
    assert decide_language("salaris change", ["salaris", "change"], vocabulary) is None
    decision = decide_language("ok salaris", ["ok", "salaris"], vocabulary)
    assert decision is not None and decision.language == "nl"


def test_example_metadata_overrides_intent_metadata() -> None:
    message = Message.build(
        "merci", "thankyou", intent_metadata={"language": "en"}, example_metadata={"language": "nl"}
    )
    assert example_language(message) == "nl"


def test_unknown_language_in_training_data_is_an_error() -> None:
    message = Message.build("danke", "thankyou", intent_metadata={"language": "de"})
    with pytest.raises(LanguageDataError):
        example_language(message)


def test_every_example_in_the_nlu_data_has_a_language() -> None:
    importer = RasaFileImporter(training_data_paths=[str(REPO_ROOT / "data" / "nlu")])
    nlu_examples = importer.get_nlu_data().nlu_examples
    languages = [example_language(message) for message in nlu_examples]
    assert nlu_examples
    assert None not in languages
    assert set(languages) == {"nl", "en"}

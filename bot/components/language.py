"""Detects whether a user message is Dutch or English, to fill the `language` slot."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lingua import Language, LanguageDetectorBuilder
from lingua import LanguageDetector as LinguaDetector
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    METADATA,
    METADATA_EXAMPLE,
    METADATA_INTENT,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

DUTCH = "nl"
ENGLISH = "en"
LANGUAGES = (DUTCH, ENGLISH)
ENTITY_NAME = "language"
METADATA_LANGUAGE = "language"
VOCABULARY_FILE = "vocabulary.json"

_LINGUA_TO_CODE = {Language.DUTCH: DUTCH, Language.ENGLISH: ENGLISH}

# Words both audiences type as they are ("ok", "ja", "yes"): they answer a
# question and say nothing about the language the user prefers.
DEFAULT_NEUTRAL_WORDS = (
    "ok",
    "oke",
    "oké",
    "okay",
    "okee",
    "oki",
    "ja",
    "jaja",
    "nee",
    "yes",
    "no",
    "yep",
    "nope",
)


class LanguageDataError(RasaException):
    """Raised when an NLU training example names a language we do not serve."""


@dataclass(frozen=True)
class LanguageDecision:
    """A confident verdict on a message's language, with how sure it is."""

    language: str
    confidence: float


@dataclass(frozen=True)
class Vocabulary:
    """Words seen in the training examples of only one language."""

    dutch: frozenset[str]
    english: frozenset[str]

    @classmethod
    def empty(cls) -> Vocabulary:
        """Returns a vocabulary that knows no words, so it never decides."""
        return cls(frozenset(), frozenset())

    @classmethod
    def learn(
        cls,
        examples: Iterable[tuple[str, Sequence[str]]],
        neutral_words: Iterable[str] = (),
    ) -> Vocabulary:
        """Learns the words that occur in examples of one language and never in the other."""
        seen: dict[str, set] = {language: set() for language in LANGUAGES}
        for language, words in examples:
            seen[language].update(word for word in words if is_language_word(word))
        neutral = set(neutral_words)
        return cls(
            dutch=frozenset(seen[DUTCH] - seen[ENGLISH] - neutral),
            english=frozenset(seen[ENGLISH] - seen[DUTCH] - neutral),
        )

    def vote(self, words: Sequence[str]) -> LanguageDecision | None:
        """Returns the language most words belong to, if it clearly outnumbers the other."""
        dutch = sum(word in self.dutch for word in words)
        english = sum(word in self.english for word in words)
        winner, votes, other = (DUTCH, dutch, english) if dutch >= english else (ENGLISH, english, dutch)
        # More than twice the other's votes: one loanword ("salaris change")
        # must not decide a message, but "ok thx" (0 against 1) may.
        if votes == 0 or votes <= 2 * other:
            return None
        return LanguageDecision(winner, votes / (votes + other))

    def to_dict(self) -> dict[str, list[str]]:
        """Returns the vocabulary as sorted word lists per language code."""
        return {DUTCH: sorted(self.dutch), ENGLISH: sorted(self.english)}

    @classmethod
    def from_dict(cls, data: dict[str, list[str]]) -> Vocabulary:
        """Builds a vocabulary from the output of `to_dict`."""
        return cls(frozenset(data.get(DUTCH, [])), frozenset(data.get(ENGLISH, [])))


def is_language_word(word: str) -> bool:
    """Tells whether a token can be evidence of a language (two letters or more, no digits)."""
    # Participant numbers, dates and amounts look the same in both languages;
    # single letters are initials ("Jansen, P.") or pieces of "I'm" and "that's".
    return sum(char.isalpha() for char in word) >= 2 and not any(char.isdigit() for char in word)


@functools.lru_cache(maxsize=1)
def lingua_detector() -> LinguaDetector:
    """Returns the one shared lingua detector for Dutch and English."""
    # Only our two languages: lingua then weighs Dutch against English instead
    # of against all 75 it knows. Its models load on the first detection.
    return LanguageDetectorBuilder.from_languages(Language.DUTCH, Language.ENGLISH).build()


def decide_language(
    text: str,
    words: Sequence[str],
    vocabulary: Vocabulary,
    neutral_words: Iterable[str] = DEFAULT_NEUTRAL_WORDS,
    short_message_max_words: int = 2,
    min_confidence: float = 0.8,
) -> LanguageDecision | None:
    """Returns the language of a message, or None when the message does not decide it."""
    neutral = set(neutral_words)
    language_words = [word.lower() for word in words if is_language_word(word)]
    if all(word in neutral for word in language_words):
        return None
    if len(language_words) <= short_message_max_words:
        # lingua reads "hallo" and "hoi" as English: one or two words are too
        # little for character statistics, so only our own vocabulary decides.
        return vocabulary.vote(language_words)

    best = lingua_detector().compute_language_confidence_values(text)[0]
    if best.value >= min_confidence:
        return LanguageDecision(_LINGUA_TO_CODE[best.language], best.value)
    return vocabulary.vote(language_words)


def example_language(message: Message) -> str | None:
    """Returns the language a training example is labelled with in its metadata."""
    metadata = message.get(METADATA) or {}
    # Example-level metadata overrides the intent block's, as in Rasa itself.
    for level in (METADATA_EXAMPLE, METADATA_INTENT):
        level_metadata = metadata.get(level)
        if isinstance(level_metadata, dict) and METADATA_LANGUAGE in level_metadata:
            language = str(level_metadata[METADATA_LANGUAGE])
            if language not in LANGUAGES:
                raise LanguageDataError(
                    f"Training example '{message.get(TEXT)}' has language "
                    f"'{language}'; use one of {', '.join(LANGUAGES)}."
                )
            return language
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Adds a `language` entity (nl or en) to messages whose language is clear."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the component's default configuration."""
        return {
            # Messages of at most this many words are decided by the vocabulary.
            "short_message_max_words": 2,
            # lingua's confidence (Dutch and English add up to 1) needed to
            # decide a longer message; below it the vocabulary votes.
            "min_confidence": 0.8,
            "neutral_words": list(DEFAULT_NEUTRAL_WORDS),
        }

    @staticmethod
    def supported_languages() -> list[str] | None:
        """Returns the assistant languages this component can tell apart."""
        return list(LANGUAGES)

    @classmethod
    def required_components(cls) -> list[type]:
        """Returns the components that must run before this one."""
        return [Tokenizer]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        """Creates the detector with the vocabulary it learned, if any."""
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._vocabulary = vocabulary or Vocabulary.empty()
        self._neutral_words = frozenset(word.lower() for word in self._config["neutral_words"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        """Creates an untrained detector (called by Rasa before training)."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LanguageDetector:
        """Loads the detector with the vocabulary stored in the trained model."""
        try:
            with model_storage.read_from(resource) as directory:
                data = json.loads((Path(directory) / VOCABULARY_FILE).read_text())
            vocabulary = Vocabulary.from_dict(data)
        except (ValueError, FileNotFoundError):
            logger.warning(
                "The model has no language vocabulary; retrain it. Until then "
                "short messages do not change the language."
            )
            vocabulary = Vocabulary.empty()
        return cls(config, model_storage, resource, vocabulary)

    @property
    def vocabulary(self) -> Vocabulary:
        """Returns the words this detector takes as Dutch-only or English-only."""
        return self._vocabulary

    def train(self, training_data: TrainingData) -> Resource:
        """Learns the Dutch-only and English-only words of the NLU examples and stores them."""
        examples: list[tuple[str, list[str]]] = []
        unlabelled = 0
        for message in training_data.nlu_examples:
            language = example_language(message)
            if language is None:
                unlabelled += 1
                continue
            examples.append((language, _words_outside_entities(message)))
        if unlabelled:
            logger.warning(
                f"{unlabelled} NLU examples have no `metadata: {{language: nl|en}}` "
                f"and were left out of the language vocabulary."
            )
        self._vocabulary = Vocabulary.learn(examples, self._neutral_words)
        with self._model_storage.write_to(self._resource) as directory:
            (Path(directory) / VOCABULARY_FILE).write_text(
                json.dumps(self._vocabulary.to_dict(), ensure_ascii=False, indent=1)
            )
        return self._resource

    def decide(self, message: Message) -> LanguageDecision | None:
        """Returns the message's language, or None when it does not decide one."""
        text = message.get(TEXT)
        if not text:
            return None
        tokens: list[Token] = message.get(TOKENS_NAMES[TEXT], [])
        return decide_language(
            text,
            [token.text for token in tokens],
            self._vocabulary,
            neutral_words=self._neutral_words,
            short_message_max_words=self._config["short_message_max_words"],
            min_confidence=self._config["min_confidence"],
        )

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the `language` entity to each message whose language is clear."""
        for message in messages:
            decision = self.decide(message)
            if decision is None:
                continue
            # The language belongs to the whole message, so the span is all of it.
            entity = {
                ENTITY_ATTRIBUTE_TYPE: ENTITY_NAME,
                ENTITY_ATTRIBUTE_VALUE: decision.language,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(message.get(TEXT)),
                ENTITY_ATTRIBUTE_CONFIDENCE: round(decision.confidence, 3),
            }
            message.set(
                ENTITIES,
                message.get(ENTITIES, []) + self.add_extractor_name([entity]),
                add_to_output=True,
            )
        return messages


def _words_outside_entities(message: Message) -> list[str]:
    """Returns the lower-cased tokens of a training example that are not entity values."""
    # Names and numbers inside annotated entities belong to no language.
    spans = [
        (entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END])
        for entity in message.get(ENTITIES, [])
        if ENTITY_ATTRIBUTE_START in entity and ENTITY_ATTRIBUTE_END in entity
    ]
    tokens: list[Token] = message.get(TOKENS_NAMES[TEXT], [])
    return [
        token.text.lower()
        for token in tokens
        if not any(token.start < end and start < token.end for start, end in spans)
    ]

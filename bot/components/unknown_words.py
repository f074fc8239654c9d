"""Turns a message of words the model has never seen into `nlu_fallback` instead of a confident guess.

A classifier over character n-grams gives gibberish ("qwerty uiop") or unrelated words high confidence
for some intent; the FallbackClassifier's threshold cannot catch that. A message none of whose
words occur in the training data or the lookup tables is not understood, whatever the classifier says.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.language import ENTITY_NAME as LANGUAGE_ENTITY
from bot.components.language import is_language_word

FALLBACK_INTENT = "nlu_fallback"
VOCABULARY_FILE = "known_words.json"


def unknown_message(words: list[str], known: frozenset[str]) -> bool:
    """Whether the message has words and knows none of them (numbers and initials do not count)."""
    candidates = [word.lower() for word in words if is_language_word(word)]
    return bool(candidates) and not any(word in known for word in candidates)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class UnknownWordsFallback(GraphComponent):
    """Sets `nlu_fallback` for messages made only of words unseen in training."""

    def __init__(self, model_storage: ModelStorage, resource: Resource, known: frozenset[str]) -> None:
        """Creates the component with the words it knows."""
        self._model_storage = model_storage
        self._resource = resource
        self._known = known

    @classmethod
    def create(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> UnknownWordsFallback:
        """An untrained component (knows nothing yet)."""
        return cls(model_storage, resource, frozenset())

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnknownWordsFallback:
        """The component with the words stored in the trained model."""
        with model_storage.read_from(resource) as directory:
            known = frozenset(json.loads((Path(directory) / VOCABULARY_FILE).read_text()))
        return cls(model_storage, resource, known)

    def train(self, training_data: TrainingData) -> Resource:
        """Learns every word of the examples and of the lookup tables (names count as known)."""
        words: set[str] = set()
        for message in training_data.nlu_examples:
            words.update(token.text.lower() for token in message.get(TOKENS_NAMES[TEXT], []))
        for table in training_data.lookup_tables:
            for element in table.get("elements", []):
                words.update(str(element).lower().split())
        self._known = frozenset(words)
        with self._model_storage.write_to(self._resource) as directory:
            (Path(directory) / VOCABULARY_FILE).write_text(json.dumps(sorted(self._known), ensure_ascii=False))
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Replaces the intent of a message of unknown words by nlu_fallback."""
        for message in messages:
            entities = [e for e in message.get(ENTITIES, []) if e.get("entity") != LANGUAGE_ENTITY]
            tokens = [token.text for token in message.get(TOKENS_NAMES[TEXT], [])]
            if entities or not unknown_message(tokens, self._known):
                continue
            fallback = {INTENT_NAME_KEY: FALLBACK_INTENT, "confidence": 1.0}
            ranking = message.get(INTENT_RANKING_KEY) or []
            message.set(INTENT, fallback, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [fallback, *ranking], add_to_output=True)
        return messages

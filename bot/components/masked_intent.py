"""Decides the intent from the shape of a message with its names, dates and amounts masked.

Users answer the assistant's questions with a bare name ("Mark Bos"), a date or an
amount, and ask for the same people in lookups ("wat verdient Mark Bos"). A classifier
that sees the words of a name learns which intent that name appeared with in the
training data, which is noise: the names are the portal's, not the intent's. This
component replaces the entities the extractors found (the CRF runs before it) by their type
("ENTPERSONNAME"), every digit by 0, and classifies the rest with a logistic regression over character
n-grams and words, which measured better than DIET's own intent classification on our
data (reports/nlu/latest.md) and trains in seconds. In training, the annotated entities
are masked the same way.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import ENTITY_ATTRIBUTE_CONFIDENCE_TYPE
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from bot.components.compiled import CompiledTextClassifier

MODEL_FILE = "masked_intent.skops"
# Types the stored model may contain beyond what skops trusts by default (the vectorizers'
# inverse-document-frequency diagonal); anything else in the file refuses to load.
EXTRA_TRUSTED_TYPES = ("scipy.sparse._csr.csr_matrix",)
_DIGIT = re.compile("[0-9]")


def mask_entities(text: str, entities: list[dict[str, Any]], types: frozenset[str], digits_as_zero: bool = False) -> str:
    """The text with every entity of one of `types` replaced by a word naming its type (and digits as 0)."""
    # From the end backwards, so that earlier offsets stay valid.
    for entity in sorted(entities, key=lambda e: e.get("start", 0), reverse=True):
        if entity.get("entity") not in types or "start" not in entity or "end" not in entity:
            continue
        placeholder = "ENT" + entity["entity"].replace("_", "").upper()
        text = f"{text[: entity['start']]} {placeholder} {text[entity['end'] :]}"
    return _DIGIT.sub("0", text) if digits_as_zero else text


def new_text_pipeline(config: dict[str, Any]) -> Pipeline:
    """Character n-grams within words (typos, Dutch compounds) next to whole words, both accent-free."""
    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), sublinear_tf=True, strip_accents="unicode"),
            ),
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                    strip_accents="unicode",
                    token_pattern=r"\w+",  # noqa: S106 (a regex, not a password)
                ),
            ),
        ]
    )
    classifier = LogisticRegression(
        C=config["C"],
        class_weight=config["class_weight"],
        max_iter=config["max_iter"],
        random_state=config["random_state"],
    )
    return Pipeline([("features", features), ("classifier", classifier)])


def dump_pipeline(pipeline: Pipeline, model_storage: ModelStorage, resource: Resource) -> None:
    """Stores a trained pipeline with skops (not pickle) in the component's resource."""
    with model_storage.write_to(resource) as directory:
        sio.dump(pipeline, Path(directory) / MODEL_FILE)


def load_pipeline(model_storage: ModelStorage, resource: Resource) -> Pipeline:
    """The stored pipeline; a file with types beyond the expected ones is refused, not unpickled."""
    with model_storage.read_from(resource) as directory:
        path = Path(directory) / MODEL_FILE
        untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in EXTRA_TRUSTED_TYPES]
        if untrusted:
            raise ValueError(f"{path} contains types that are not trusted: {untrusted}")
        return sio.load(path, trusted=list(EXTRA_TRUSTED_TYPES))


def _base_intent(name: str) -> str:
    """`faq/premium` counts as `faq`: the FaqSelector picks the answer."""
    return name.split("/", 1)[0]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class MaskedIntentClassifier(GraphComponent):
    """Sets `intent` and `intent_ranking` from the message with its entities masked."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Measured on our data with 3-fold cross-validation (scripts/nlu_report.py)."""
        return {
            # Entity types replaced by a placeholder before classifying: those the extractor finds reliably. Amounts
            # and percentages are not masked (an extractor also tags the numbers of "hoeveel is 17 keer 23", which
            # the training data does not); every digit is a 0 instead, in training and after it alike.
            "masked_entities": ["person_name", "date", "bsn", "participant_number", "relation"],
            "digits_as_zero": True,
            # Entity types the extractor misses now and then (dates: "today", "straight away"): every example
            # with one is also learned with it as plain text, so a message in which the extractor missed it
            # is still recognised, not taken for something never seen.
            "also_unmasked": ["date"],
            # An extractor's entity below this confidence is left as text: the CRF's unsure guesses ("No" as a
            # name, "30 of 120" as a date) would otherwise turn a message into the shape of an answer.
            "min_entity_confidence": 0.5,
            # Inverse regularisation strength: the data is large and clean enough for little regularisation.
            "C": 100.0,
            # Every intent weighs the same, whatever its number of examples (the target is a macro F1).
            "class_weight": "balanced",
            "max_iter": 3000,
            "ranking_length": 10,
            "random_state": 42,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        pipeline: Pipeline | None,
    ) -> None:
        """Creates the component, trained when `pipeline` is given."""
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._pipeline = pipeline
        self._compiled = CompiledTextClassifier(pipeline) if pipeline is not None else None
        self._types = frozenset(config["masked_entities"])
        self._digits_as_zero = bool(config.get("digits_as_zero"))

    @classmethod
    def create(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> MaskedIntentClassifier:
        """An untrained component."""
        return cls(config, model_storage, resource, None)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> MaskedIntentClassifier:
        """The trained component; a model file with unexpected types is refused, not unpickled."""
        return cls(config, model_storage, resource, load_pipeline(model_storage, resource))

    def _new_pipeline(self) -> Pipeline:
        return new_text_pipeline(self._config)

    def train(self, training_data: TrainingData) -> Resource:
        """Learns the intents of the examples, with their annotated entities masked."""
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        intents = {_base_intent(m.get(INTENT)) for m in examples}
        if len(intents) < 2:
            raise ValueError(f"MaskedIntentClassifier needs examples of at least two intents, got {sorted(intents)}.")
        texts = [mask_entities(m.get(TEXT), m.get(ENTITIES) or [], self._types, self._digits_as_zero) for m in examples]
        labels = [_base_intent(m.get(INTENT)) for m in examples]
        unmasked_too = frozenset(self._config.get("also_unmasked") or [])
        for m in examples:
            entities = m.get(ENTITIES) or []
            if any(e.get("entity") in unmasked_too for e in entities):
                texts.append(mask_entities(m.get(TEXT), entities, self._types - unmasked_too, self._digits_as_zero))
                labels.append(_base_intent(m.get(INTENT)))
        pipeline = self._new_pipeline()
        pipeline.fit(texts, labels)
        self._pipeline = pipeline
        self._compiled = CompiledTextClassifier(pipeline)
        dump_pipeline(pipeline, self._model_storage, self._resource)
        return self._resource

    def masked_text(self, message: Message) -> str:
        """What the classifier reads of a message: the extractors' confident entities masked."""
        threshold = self._config.get("min_entity_confidence") or 0.0
        entities = [
            e for e in message.get(ENTITIES) or [] if e.get(ENTITY_ATTRIBUTE_CONFIDENCE_TYPE, 1.0) >= threshold
        ]
        return mask_entities(message.get(TEXT) or "", entities, self._types, self._digits_as_zero)

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets the most likely intent and the ranking of the others."""
        if self._compiled is None:
            return messages
        probabilities = self._compiled.predict_proba([self.masked_text(m) for m in messages])
        classes = self._compiled.classes_
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(row)[::-1][: self._config["ranking_length"]]
            ranking = [{INTENT_NAME_KEY: str(classes[i]), "confidence": float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

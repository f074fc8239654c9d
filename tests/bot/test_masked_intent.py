"""Tests of the MaskedIntentClassifier, trained and loaded through Rasa's model storage."""

from __future__ import annotations

from pathlib import Path

import pytest
import skops.io as sio
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.masked_intent import MODEL_FILE, MaskedIntentClassifier, mask_entities

# In this data every name appears only in lookups and every date only in terminations: a
# classifier that reads the names themselves would call a bare answer a lookup.
LOOKUPS = [
    "wat verdient [Mark Bos](person_name)",
    "toon [Emma Visser](person_name)",
    "zoek [Sem de Graaf](person_name) op",
    "hoeveel uur werkt [Lisa de Boer](person_name)",
    "wat is het salaris van [Daan Jansen](person_name)",
    "laat [Fleur Smit](person_name) zien",
]
ANSWERS = [
    "[Pieter Bakker](person_name)",
    "[Jansen](person_name)",
    "dat is [Anna Mulder](person_name)",
    "[Noor El Idrissi](person_name) bedoel ik",
    "[1 maart](date)",
    "per [31 december](date)",
]
GREETINGS = ["hallo", "goedemorgen", "hoi daar", "hey", "goedemiddag", "dag allemaal"]


def build(text: str, intent: str | None = None) -> Message:
    """A training example with entity annotations, read the way Rasa's YAML reader reads them."""
    from rasa.shared.nlu.training_data.entities_parser import find_entities_in_training_example, replace_entities

    message = Message.build(replace_entities(text), intent)
    message.set(ENTITIES, find_entities_in_training_example(text))
    return message


@pytest.fixture()
def classifier(storage: LocalModelStorage, context: ExecutionContext) -> MaskedIntentClassifier:
    """Trains on the data above, then loads from the model storage as a trained model would."""
    resource = Resource("masked_intent")
    config = MaskedIntentClassifier.get_default_config()
    examples = (
        [build(t, "lookup_participant") for t in LOOKUPS]
        + [build(t, "inform") for t in ANSWERS]
        + [build(t, "greet") for t in GREETINGS]
    )
    MaskedIntentClassifier.create(config, storage, resource, context).train(TrainingData(examples))
    return MaskedIntentClassifier.load(config, storage, resource, context)


def classify(classifier: MaskedIntentClassifier, text: str) -> Message:
    """Runs a message as the pipeline does: the extractors' entities are already on it."""
    message = build(text)
    message.data.pop(INTENT, None)
    classifier.process([message])
    return message


@pytest.mark.parametrize("text", ["[Mark Bos](person_name)", "[Emma Visser](person_name)", "[Daan Jansen](person_name)"])
def test_a_bare_name_from_the_lookups_is_an_answer(classifier: MaskedIntentClassifier, text: str) -> None:
    assert classify(classifier, text).get(INTENT)["name"] == "inform"


@pytest.mark.parametrize(
    "text", ["wat verdient [Pieter Bakker](person_name)", "toon [Jansen](person_name)", "zoek [Anna Mulder](person_name) op"]
)
def test_a_lookup_of_a_name_seen_only_in_answers_is_a_lookup(classifier: MaskedIntentClassifier, text: str) -> None:
    assert classify(classifier, text).get(INTENT)["name"] == "lookup_participant"


def test_the_ranking_is_ordered_and_starts_with_the_intent(classifier: MaskedIntentClassifier) -> None:
    message = classify(classifier, "goedemorgen")
    ranking = message.get(INTENT_RANKING_KEY)
    assert message.get(INTENT) == ranking[0]
    assert ranking[0]["name"] == "greet"
    confidences = [entry["confidence"] for entry in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0)
    assert {entry["name"] for entry in ranking} == {"greet", "inform", "lookup_participant"}


def test_retrieval_intents_are_learned_as_their_base_intent(storage: LocalModelStorage, context: ExecutionContext) -> None:
    resource = Resource("masked_faq")
    config = MaskedIntentClassifier.get_default_config()
    examples = [build(t, "faq/premium") for t in ["waar vind ik de premie", "wat kost de premie", "premie overzicht"]]
    examples += [build(t, "greet") for t in GREETINGS]
    component = MaskedIntentClassifier.create(config, storage, resource, context)
    component.train(TrainingData(examples))
    assert classify(component, "waar staat de premie").get(INTENT)["name"] == "faq"


def test_only_configured_entity_types_are_masked() -> None:
    entities = [
        {"entity": "person_name", "start": 13, "end": 21, "value": "Mark Bos"},
        {"entity": "language", "start": 0, "end": 3, "value": "nl"},
    ]
    masked = mask_entities("wat verdient Mark Bos nu", entities, frozenset({"person_name"}))
    assert masked.split() == ["wat", "verdient", "ENTPERSONNAME", "nu"]


def test_a_model_file_with_foreign_types_is_refused(
    classifier: MaskedIntentClassifier, storage: LocalModelStorage, context: ExecutionContext
) -> None:
    """A tampered model file must not be unpickled: skops names the type and the load stops."""
    resource = Resource("masked_intent")
    with storage.write_to(resource) as directory:
        sio.dump({"payload": Path("/etc/passwd")}, Path(directory) / MODEL_FILE)
    with pytest.raises(ValueError, match="not trusted"):
        MaskedIntentClassifier.load(MaskedIntentClassifier.get_default_config(), storage, resource, context)


def test_untrained_component_leaves_messages_alone(storage: LocalModelStorage, context: ExecutionContext) -> None:
    component = MaskedIntentClassifier.create(
        MaskedIntentClassifier.get_default_config(), storage, Resource("untrained"), context
    )
    message = Message({TEXT: "hallo"})
    component.process([message])
    assert message.get(INTENT) is None


def test_digits_are_alike_whether_or_not_an_extractor_tagged_them() -> None:
    """'hoeveel is 17 keer 23' reads the same in training (no entities) and after it (an extractor may tag the numbers)."""
    types = frozenset(MaskedIntentClassifier.get_default_config()["masked_entities"])
    tagged = [{"entity": "amount", "start": 11, "end": 13, "value": "17"}]
    assert mask_entities("hoeveel is 17 keer 23", tagged, types, True) == mask_entities("hoeveel is 17 keer 23", [], types, True)
    assert mask_entities("hoeveel is 17 keer 23", [], types, True) == "hoeveel is 00 keer 00"


@pytest.mark.parametrize("also_unmasked", [["date"], []])
def test_a_date_the_extractor_missed_is_still_an_answer(
    storage: LocalModelStorage, context: ExecutionContext, also_unmasked: list[str]
) -> None:
    """'overmorgen' with no date found by the extractor reads as the answer it is, as long as dates are also learned as text."""
    resource = Resource(f"unmasked_{len(also_unmasked)}")
    config = dict(MaskedIntentClassifier.get_default_config(), also_unmasked=also_unmasked)
    answers = ["[overmorgen](date)", "per [overmorgen](date)", "[morgen](date)", "vanaf [vandaag](date)", "[vandaag](date)"]
    examples = [build(t, "inform") for t in answers] + [build(t, "lookup_participant") for t in LOOKUPS]
    examples += [build(t, "greet") for t in GREETINGS]
    component = MaskedIntentClassifier.create(config, storage, resource, context)
    component.train(TrainingData(examples))
    intents = [classify(component, text).get(INTENT)["name"] for text in ["overmorgen", "vandaag", "morgen"]]
    if also_unmasked:
        assert intents == ["inform"] * 3
    else:  # the same data without it: proof that the test can tell
        assert intents != ["inform"] * 3


def test_an_unsure_entity_is_read_as_text(classifier: MaskedIntentClassifier) -> None:
    """The CRF's guess that "No" is a name (confidence 0.42) must not turn a no into the shape of an answer."""
    unsure = Message({TEXT: "No", ENTITIES: [{"entity": "person_name", "start": 0, "end": 2, "confidence_entity": 0.42}]})
    sure = Message({TEXT: "Bos", ENTITIES: [{"entity": "person_name", "start": 0, "end": 3, "confidence_entity": 0.97}]})
    assert classifier.masked_text(unsure) == "No"
    assert classifier.masked_text(sure).split() == ["ENTPERSONNAME"]

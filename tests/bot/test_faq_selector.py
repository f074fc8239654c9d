"""Tests of the FaqSelector: trained and loaded through Rasa's model storage, read by Rasa's retrieval action."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import skops.io as sio
from rasa.core.actions.action import ActionRetrieveResponse
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.forms import faq_response
from bot.components.faq_selector import FaqSelector
from bot.components.masked_intent import MODEL_FILE

QUESTIONS = {
    "faq/premium": ["waar vind ik de premie", "wat kost de premie per maand", "hoe hoog is de premie", "premie nota"],
    "faq/dark_mode": ["kan het scherm donker", "donkere modus aanzetten", "dark mode please", "zwarte achtergrond"],
    "faq/sleeper": ["wat is een slaper", "waarom kan ik een slaper niet wijzigen", "slapers aanpassen", "status slaper"],
}
# Not FAQ questions: they are in the data but must not become answers.
OTHERS = [("hallo", "greet"), ("goedemorgen", "greet"), ("wat verdient Piet", "lookup_participant")]


def example(text: str, intent: str) -> Message:
    """A training example as Rasa's reader makes it: `faq/premium` is intent `faq` with response key `faq/premium`."""
    base, _, _ = intent.partition("/")
    message = Message.build(text, base)
    if base == "faq":
        message.set(INTENT_RESPONSE_KEY, intent)
    return message


@pytest.fixture()
def selector(storage: LocalModelStorage, context: ExecutionContext) -> FaqSelector:
    resource = Resource("faq_selector")
    config = FaqSelector.get_default_config()
    examples = [example(t, key) for key, texts in QUESTIONS.items() for t in texts]
    examples += [example(t, intent) for t, intent in OTHERS]
    FaqSelector.create(config, storage, resource, context).train(TrainingData(examples))
    return FaqSelector.load(config, storage, resource, context)


def select(selector: FaqSelector, text: str) -> Message:
    message = Message({TEXT: text, ENTITIES: []})
    selector.process([message])
    return message


@pytest.mark.parametrize(
    ("question", "answer"),
    [("waar staat de premie", "faq/premium"), ("donker scherm", "faq/dark_mode"), ("is hij een slaper", "faq/sleeper")],
)
def test_a_question_gets_the_answer_of_its_topic(selector: FaqSelector, question: str, answer: str) -> None:
    pick = select(selector, question).get("response_selector")["faq"]
    assert pick["response"][INTENT_RESPONSE_KEY] == answer
    assert pick["response"]["utter_action"] == f"utter_{answer}"
    ranking = [entry["confidence"] for entry in pick["ranking"]]
    assert ranking == sorted(ranking, reverse=True)
    assert {entry[INTENT_RESPONSE_KEY] for entry in pick["ranking"]} == set(QUESTIONS)


def test_rasas_retrieval_action_and_the_forms_answer_with_the_pick(selector: FaqSelector) -> None:
    """What the user sees: `utter_faq` says the picked topic's answer, in the language of the domain's variation."""
    message = select(selector, "donkere modus")
    parse_data = {
        "text": message.get(TEXT),
        INTENT: {"name": "faq", "confidence": 1.0},
        "entities": [],
        "response_selector": message.get("response_selector"),
    }
    domain = Domain.from_dict(
        {
            "intents": ["faq"],
            "responses": {
                "utter_faq/dark_mode": [{"text": "Kies Instellingen, Donkere modus."}],
                "utter_faq/premium": [{"text": "De premie staat bij Financiële documenten."}],
                "utter_faq/sleeper": [{"text": "Een slaper is uit dienst."}],
            },
            "actions": ["utter_faq"],
        }
    )
    tracker = DialogueStateTracker.from_events("u", [UserUttered(message.get(TEXT), parse_data=parse_data)])
    events = asyncio.run(
        ActionRetrieveResponse("utter_faq").run(
            CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses), tracker, domain
        )
    )
    assert [event.text for event in events] == ["Kies Instellingen, Donkere modus."]

    class SdkTracker:  # the part of rasa_sdk's Tracker that faq_response reads
        latest_message = parse_data

    assert faq_response(SdkTracker()) == "utter_faq/dark_mode"  # type: ignore[arg-type]


def test_needs_at_least_two_topics(storage: LocalModelStorage, context: ExecutionContext) -> None:
    component = FaqSelector.create(FaqSelector.get_default_config(), storage, Resource("one"), context)
    with pytest.raises(ValueError, match="at least two"):
        component.train(TrainingData([example("wat kost de premie", "faq/premium"), example("hallo", "greet")]))


def test_a_model_file_with_foreign_types_is_refused(
    selector: FaqSelector, storage: LocalModelStorage, context: ExecutionContext
) -> None:
    resource = Resource("faq_selector")
    with storage.write_to(resource) as directory:
        sio.dump({"payload": Path("/etc/passwd")}, Path(directory) / MODEL_FILE)
    with pytest.raises(ValueError, match="not trusted"):
        FaqSelector.load(FaqSelector.get_default_config(), storage, resource, context)

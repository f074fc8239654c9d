"""End to end: questions from the manual's tips, answered over the REST channel in the user's language.

Real portal, action server and Rasa with the trained model. The questions below are phrased differently
from the training examples (data/nlu/faq.yml), so they test the FaqSelector, not a lookup table.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.assistant.test_changes import dutch, end_of_next_month, english, joined, mutations
from tests.assistant.test_skeleton import texts_in
from tests.conftest import Chat

# (message, language, topic, words the answer must contain: where to go in the portal, or the rule itself)
QUESTIONS = [
    ("waar vind ik eigenlijk de premie die we betalen?", "nl", "premium", ["boekingsoverzicht", "Financiële documenten"]),
    ("welke app moet ik installeren voor de inlogcode?", "nl", "authenticator", ["Google Authenticator"]),
    ("hoe lang duurt de verwerking van een collectieve wijziging?", "nl", "processing_time",
     ["vierentwintig uur", "Ingediende wijzigingen collectief"]),
    ("kan ik iets aanpassen bij iemand met de status slaper?", "nl", "sleeper", ["slaper", "Service & contact"]),
    ("ik wil het postadres van ons bedrijf veranderen", "nl", "company_address", ["postadres", "Mijn bedrijf"]),
    ("how do I switch the portal to dark mode?", "en", "dark_mode", ["dark mode", "in development"]),
    ("where can I see who our financial advisor is?", "en", "advisor_details", ["My advisor", "Contact details"]),
    ("how far ahead can I set the date of a change?", "en", "change_horizon", ["three months"]),
    ("what's the link to the employer portal?", "en", "portal_link", ["https://werkgeversportaal.allianz.nl/login/"]),
    ("one of our employees is missing from the participant list", "en", "missing_participant",
     ["Submitted changes individual", "Service & contact"]),
]


@pytest.mark.parametrize(("message", "language", "topic", "words"), QUESTIONS, ids=[q[2] + "-" + q[1] for q in QUESTIONS])
def test_a_tip_is_answered_in_the_users_language(
    chat: Callable[..., Chat], message: str, language: str, topic: str, words: list[str]
) -> None:
    replies = chat("demo.hr").say(message)
    assert len(replies) == 1, replies
    assert replies[0] in texts_in(language, f"utter_faq/{topic}"), replies
    for word in words:
        assert word in replies[0]


def test_the_same_conversation_switches_language_with_the_user(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    dutch_answer = joined(conversation.say("hoe zet ik het portaal in het engels?"))
    assert dutch_answer in texts_in("nl", "utter_faq/language") and "wereldbol" in dutch_answer
    english_answer = joined(conversation.say("how do I change the language of the portal?"))
    assert english_answer in texts_in("en", "utter_faq/language") and "globe icon" in english_answer


def test_a_tip_in_the_middle_of_a_form_is_answered_and_the_form_goes_on(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    conversation.say("uitdiensttreding voor 2001685")
    replies = joined(conversation.say("hoe ver vooruit mag de datum van een wijziging liggen?"))
    assert "drie maanden in de toekomst" in replies and "Per welke datum" in replies
    summary = joined(conversation.say(dutch(end_of_next_month())))
    assert dutch(end_of_next_month()) in summary
    assert mutations(conversation, "2001685", "termination") == []


def test_a_tip_in_the_middle_of_an_english_form(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    conversation.say("termination for 2001685")
    replies = joined(conversation.say("which authenticator app can I use for the login code?"))
    assert "Microsoft Authenticator" in replies and "As of which date" in replies
    assert english(end_of_next_month()) in joined(conversation.say(english(end_of_next_month())))

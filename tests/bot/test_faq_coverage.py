"""Every tip of the manual's "Tips & tricks" has a FAQ topic with an answer and examples in Dutch and English.

The tips are quoted from the portal manual (chapters 1 to 8); each maps to the retrieval intent
`faq/<topic>` that answers it. The answer must carry the tip's substance in both languages (the words
below), so a topic that loses an answer, a language, its examples or the point of the tip fails here,
before any model is trained.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]

# (the manual's tip, its topic, words the Dutch and the English answer must hold: the tip's point and, where the
# portal has one, the place to go)
TIPS = [
    ("U kunt gebruikmaken van een authenticator zoals de Google Authenticator en/of de Microsoft Authenticator",
     "authenticator", ["Google Authenticator", "Microsoft Authenticator", "QR-code"],
     ["Google Authenticator", "Microsoft Authenticator", "QR code"]),
    ("De link naar het werkgeversportaal is https://werkgeversportaal.allianz.nl/login/", "portal_link",
     ["https://werkgeversportaal.allianz.nl/login/", "favorieten"], ["https://werkgeversportaal.allianz.nl/login/", "favourites"]),
    ("Ziet u niet de mogelijkheid om gebruikersaccounts aan te maken? Dan heeft u hier geen rechten voor",
     "account_creation", ["Portaalaccount aanmaken", "/accounts/new", "niet"], ["Create portal account", "/accounts/new", "don't"]),
    ("U kunt meerdere rollen selecteren en samenvoegen", "combine_roles", ["meerdere rollen", "HR en Finance"],
     ["several roles", "HR and Finance"]),
    ("Wilt u de premie bekijken? Kijk dan op het boekingsoverzicht (onder financiële documenten) of via het export bestand",
     "premium", ["boekingsoverzicht", "Financiële documenten", "export"], ["booking overview", "Financial documents", "export"]),
    ("De waarde van de polis(sen) kan de deelnemer terugvinden in het deelnemersportaal", "policy_value",
     ["deelnemersportaal"], ["participant portal"]),
    ("Mist u een deelnemer(s)? Kijk dan in het tabblad 'ingediende wijzigingen individueel of -collectief'",
     "missing_participant", ["Ingediende wijzigingen individueel", "contact op met Allianz"],
     ["Submitted changes individual", "contact Allianz"]),
    ("Op deelnemers met de status 'slaper', kunt u geen wijzigingen doorvoeren", "sleeper", ["slaper", "geen wijzigingen"],
     ["Dormant", "slaper", "can't"]),
    ("U kunt een salariswijziging doorgeven met een wijzigingsdatum tot drie maanden in de toekomst", "change_horizon",
     ["drie maanden in de toekomst", "drie maanden in het verleden"], ["three months in the future", "three months in the past"]),
    ("De datumnotatie is afhankelijk van uw browser instellingen!", "date_format", ["dd/mm/jjjj", "mm/dd/jjjj", "browser"],
     ["dd/mm/yyyy", "mm/dd/yyyy", "browser"]),
    ("U kunt dit scherm ook benaderen via de 'direct regelen' optie op de hoofdpagina", "direct_regelen",
     ["Direct regelen", "hoofdpagina"], ["Arrange directly", "home page"]),
    ("Deze wijziging heeft een uiterlijke verwerkingstijd van vierentwintig uur", "processing_time",
     ["vierentwintig uur", "Ingediende wijzigingen collectief"], ["twenty-four hours", "Submitted changes collective"]),
    ("tijdens het verwerken van een collectieve wijziging is het tijdelijk niet mogelijk om een individuele wijziging door te voeren",
     "collective_lock", ["tijdelijk geen individuele wijzigingen"], ["temporarily can't pass on individual changes"]),
    ("Regel twee betreft een voorbeeldregel. U moet deze overschrijven en/of verwijderen", "example_row",
     ["regel twee", "voorbeeldregel"], ["row two", "example row"]),
    ("De ongelezen leesmarkering verdwijnt op pensioenregeling niveau zodra een gebruiker het document heeft aangeklikt",
     "unread_mark", ["ongelezen", "hele pensioenregeling"], ["unread", "whole pension scheme"]),
    ("U kunt alleen het postadres van het bedrijf aanpassen", "company_address", ["postadres", "Mijn bedrijf"],
     ["postal address", "My company"]),
    ("Wilt u het e-mailadres aanpassen voor de rekening courant notificatiemail? Neem dan contact op met Allianz",
     "current_account_email", ["rekening-courant", "contact op met Allianz"], ["current account", "contact Allianz"]),
    ("Deze gegevens kunt u niet zelf aanpassen (financieel adviseur)", "advisor_details", ["Mijn adviseur", "niet zelf"],
     ["My advisor", "can't change"]),
    ("U kunt geen regelingwijziging(en) via het portaal doorgeven", "scheme_changes", ["pensioenregeling", "contact op met Allianz"],
     ["pension scheme", "contact Allianz"]),
    ("Wilt u een exportbestand aanmaken van alle deelnemers binnen de pensioenregeling(en)?", "exports",
     ["Exporteer medewerkers", "/export", "Exportgeschiedenis"], ["Export employees", "/export", "Export history"]),
    ("De pagina wordt geopend in een nieuw tabblad op uw webbrowser (Service & contact)", "service_contact",
     ["nieuw tabblad"], ["new tab"]),
    ("Wilt u contactgegevens aanpassen? (Mijn gegevens)", "my_details", ["Mijn gegevens", "Aanpassen"], ["My details", "Edit"]),
    ("Heeft u een goed idee of verbeterpunt voor het Allianz werkgeversportaal?", "good_idea", ["contactpersoon"],
     ["contact person"]),
    ("Wat kunt u later in deze handleiding verwachten?", "coming_later", ["ANW", "polisbladen", "holdingstructuur"],
     ["ANW", "policy sheets", "holding structure"]),
    ("Via de wereldbol kunt u de taal van het portaal aanpassen (Nederlands of Engels)", "language", ["wereldbol"],
     ["globe icon"]),
    ("Lichte of donkere modus; deze functionaliteit is nog in ontwikkeling", "dark_mode", ["donkere modus", "in ontwikkeling"],
     ["dark mode", "in development"]),
    ("Eerste bezoek? Activeer uw account", "activation", ["Eerste bezoek? Activeer uw account", "verificatiecode"],
     ["First visit? Activate your account", "verification code"]),
    ("Financiële en juridische documenten", "documents", ["Financiële documenten", "Juridische documenten"],
     ["Financial documents", "Legal documents"]),
    ("Ingediende wijzigingen tonen per deelnemer alleen de laatste wijziging", "latest_change_only", ["alleen de laatste wijziging"],
     ["only see the latest change"]),
]
# Enough examples per language for the FaqSelector to learn a topic and for the NLU report's folds.
MIN_EXAMPLES = 12


def _responses() -> dict[str, dict[str, list[str]]]:
    domain = yaml.safe_load((REPO / "domain.yml").read_text())
    texts: dict[str, dict[str, list[str]]] = {}
    for name, variations in domain["responses"].items():
        for variation in variations:
            for condition in variation.get("condition") or []:
                if condition.get("name") == "language":
                    texts.setdefault(name, {}).setdefault(condition["value"], []).append(variation["text"])
    return texts


def _examples() -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for path in (REPO / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text()).get("nlu") or []:
            intent, language = block.get("intent"), (block.get("metadata") or {}).get("language")
            if intent and intent.startswith("faq/") and language:
                lines = [line for line in block["examples"].splitlines() if line.strip().startswith("- ")]
                counts[(intent.removeprefix("faq/"), language)] += len(lines)
    return counts


RESPONSES = _responses()
EXAMPLES = _examples()


@pytest.mark.parametrize(("tip", "topic", "dutch", "english"), TIPS, ids=[tip[1] for tip in TIPS])
def test_every_tip_is_answered_in_both_languages(tip: str, topic: str, dutch: list[str], english: list[str]) -> None:
    answers = RESPONSES.get(f"utter_faq/{topic}", {})
    assert answers.get("nl") and answers.get("en"), f"{tip!r}: no Dutch and English answer for faq/{topic}"
    for language, words in (("nl", dutch), ("en", english)):
        for answer in answers[language]:
            missing = [word for word in words if word not in answer]
            assert not missing, f"faq/{topic} ({language}) lacks {missing}: {answer}"
        assert EXAMPLES[(topic, language)] >= MIN_EXAMPLES, (
            f"faq/{topic} has {EXAMPLES[(topic, language)]} {language} examples, fewer than {MIN_EXAMPLES}"
        )


def test_every_faq_topic_in_the_data_answers_a_tip() -> None:
    topics = {topic for topic, _ in EXAMPLES}
    assert topics == {tip[1] for tip in TIPS}, "a FAQ topic without a tip, or a tip without a topic"
    assert {name.removeprefix("utter_faq/") for name in RESPONSES if name.startswith("utter_faq/")} == topics


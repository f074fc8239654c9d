"""Texts: every message has a Dutch translation; the language follows Accept-Language."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import portal
from portal.i18n import negotiate

PACKAGE = Path(portal.__file__).parent


def test_every_message_in_the_code_has_a_dutch_translation() -> None:
    in_code = {message for _, _, message, _, _ in extract_from_dir(str(PACKAGE), keywords={"N_": None}) if message}
    with (PACKAGE / "locale" / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert in_code, "no messages found: is the extraction keyword right?"
    assert in_code - translated == set()


def test_language_negotiation() -> None:
    assert negotiate(None) == "nl"
    assert negotiate("en-GB,en;q=0.9") == "en"
    assert negotiate("de-DE,en;q=0.5,nl;q=0.8") == "nl"
    assert negotiate("fr") == "nl"
    assert negotiate("en;q=oops,nl;q=0.1") == "nl"

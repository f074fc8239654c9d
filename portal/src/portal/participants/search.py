"""Case- and diacritics-insensitive name search text."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower case without accents or punctuation: 'Ter Assob, G.' → 'ter assob g'."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return _NON_WORD.sub(" ", plain).strip()


def search_text(first_name: str, initials: str, infix: str, last_name: str) -> str:
    """Every form a user may type a name in, folded: 'Assob, G., ter', 'ter Assob', 'Gerrit'."""
    forms = [f"{last_name} {initials} {infix}", f"{infix} {last_name}", first_name, f"{first_name} {infix} {last_name}"]
    return " | ".join(fold(form) for form in forms)


def name_words(text: str) -> set[str]:
    """The distinct words of a search text (at most 100 characters each), as the word index keeps them."""
    return {word[:100] for word in text.replace("|", " ").split()}


def sort_name(infix: str, last_name: str, initials: str) -> str:
    """The key the overview sorts names by: last name first, the tussenvoegsel after it (Dutch practice)."""
    return fold(f"{last_name} {initials} {infix}")


def query_terms(query: str) -> list[str]:
    """The words of a search query, folded; each must occur in a matching participant's name."""
    return fold(query).split()

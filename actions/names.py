"""Splitting a Dutch name into first name, tussenvoegsel and last name."""

from __future__ import annotations

from dataclasses import dataclass

# Longest first, so "van der" wins over "van".
INFIXES = sorted(
    {
        "van", "de", "der", "den", "het", "ter", "ten", "te", "van der", "van den", "van de", "van het",
        "van 't", "in 't", "in de", "in het", "op de", "op den", "op 't", "'t", "uit de", "uit den", "von", "du",
        "le", "la", "da", "del", "di", "el", "al",
    },
    key=lambda infix: -len(infix.split()),
)


@dataclass(frozen=True)
class PersonName:
    """A name split the way the portal stores it."""

    first_name: str
    infix: str
    last_name: str

    @property
    def full(self) -> str:
        """The name as one writes it: 'Lisa de Boer'."""
        return " ".join(part for part in (self.first_name, self.infix, self.last_name) if part)


def split_name(text: str) -> PersonName | None:
    """'Lisa de Boer' → Lisa / de / Boer; None when there is no first and last name."""
    words = [w for w in text.replace(",", " ").split() if w]
    if len(words) < 2:
        return None
    first, rest = words[0], words[1:]
    lowered = [w.lower() for w in rest]
    for infix in INFIXES:
        parts = infix.split()
        if lowered[: len(parts)] == parts and len(rest) > len(parts):
            return PersonName(first, " ".join(rest[: len(parts)]), " ".join(rest[len(parts) :]))
    return PersonName(first, "", " ".join(rest))

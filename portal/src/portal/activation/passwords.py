"""Password strength (§1: strong / medium / weak; weak is refused), scored by zxcvbn with Dutch context."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

from zxcvbn import zxcvbn

from portal.errors import Problem
from portal.i18n import N_

MIN_LENGTH = 10
# zxcvbn refuses longer input; a password that long is not weak for want of the rest.
_SCORED_LENGTH = 72
# zxcvbn's dictionaries are English: Dutch words a user may build a password from are passed as known words.
DUTCH_WORDS = (
    "wachtwoord", "welkom", "pensioen", "werkgever", "werkgeversportaal", "portaal", "voorbeeld", "techniek",
    "allianz", "zomer", "winter", "lente", "herfst", "maandag", "vrijdag", "januari", "december", "geheim",
    "hallo", "nederland", "amsterdam", "rotterdam", "utrecht", "ajax", "feyenoord", "oranje", "liefde",
)

TOO_SHORT = N_("Use at least {min_length} characters.")
TOO_GUESSABLE = N_("This password is too easy to guess. Use a longer one, for example several unrelated words.")
PERSONAL = N_("Do not use your name, username or e-mail address in your password.")
COULD_BE_STRONGER = N_("Good enough, but a longer password would be stronger.")


class Strength(str, enum.Enum):
    """How the strength is shown next to the password field."""

    weak = "weak"
    medium = "medium"
    strong = "strong"


@dataclass(frozen=True)
class Assessment:
    """A password's strength and why; `problems` explain a weak password (and tip a medium one)."""

    strength: Strength
    problems: tuple[Problem, ...]

    @property
    def acceptable(self) -> bool:
        """Weak passwords are refused (§1)."""
        return self.strength is not Strength.weak


def _personal_parts(personal: Iterable[str | None]) -> list[str]:
    parts: list[str] = []
    for value in personal:
        for part in re.split(r"[\s@._-]+", (value or "").lower()):
            if len(part) >= 3:
                parts.append(part)
    return parts


def assess(password: str, personal: Iterable[str | None] = ()) -> Assessment:
    """The strength of a password for a user with these personal details (name, username, e-mail)."""
    personal_parts = _personal_parts(personal)
    lowered = password.lower()
    problems: list[Problem] = []
    if len(password) < MIN_LENGTH:
        problems.append(Problem("password_too_short", TOO_SHORT, "password", {"min_length": MIN_LENGTH}))
    if any(part in lowered for part in personal_parts):
        problems.append(Problem("password_personal", PERSONAL, "password"))
    score = zxcvbn(password[:_SCORED_LENGTH], user_inputs=[*personal_parts, *DUTCH_WORDS])["score"] if password else 0
    if score <= 1:
        problems.append(Problem("password_too_weak", TOO_GUESSABLE, "password"))
    if problems:
        return Assessment(Strength.weak, tuple(problems))
    if score == 2:
        return Assessment(Strength.medium, (Problem("password_medium", COULD_BE_STRONGER, "password"),))
    return Assessment(Strength.strong, ())

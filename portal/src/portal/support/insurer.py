"""How employers reach the insurer: one place for the name and contact details the pages and documents show.

Demo values: an insurer deploying the portal puts its own here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Insurer:
    """The insurer's name and contact details."""

    name: str
    visiting_address: str
    postal_address: str
    phone: str
    email: str
    chamber_of_commerce_number: str


INSURER = Insurer(
    name="Voorbeeld Pensioenverzekeraar N.V.",
    visiting_address="Voorbeeldplein 1, 3011 AA Rotterdam",
    postal_address="Postbus 1000, 3000 BA Rotterdam",
    phone="088 - 123 45 67",
    email="werkgevers@pensioenverzekeraar.example",
    chamber_of_commerce_number="12345678",
)

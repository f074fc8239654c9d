"""Registering new participants (nieuwe deelnemer aanmelden, §4.3), one at a time or from a collective upload."""

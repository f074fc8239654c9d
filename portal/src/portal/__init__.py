"""The employer portal (werkgeversportaal): API and data of a Dutch pension insurer."""

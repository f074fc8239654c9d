"""Participants (deelnemers) of an employer's schemes and their family members."""

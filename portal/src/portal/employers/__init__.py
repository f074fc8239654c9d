"""Employers (werkgevers), their pension schemes (regelingen) and coverages (dekkingen)."""

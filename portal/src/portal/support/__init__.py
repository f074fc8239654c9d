"""Service & contact (§8): frequently asked questions and how to reach the insurer."""

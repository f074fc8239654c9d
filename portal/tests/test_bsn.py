"""The elfproef (R7)."""

from __future__ import annotations

import pytest

from portal.participants.bsn import is_valid_bsn, normalize_bsn


@pytest.mark.parametrize("bsn", ["123456782", "111222333", "012345672", "12345672"])
def test_valid(bsn: str) -> None:
    assert is_valid_bsn(bsn)


@pytest.mark.parametrize("bsn", ["000000000", "123456789", "12345678", "1234567890", "12345678a", "", "111 222 333"])
def test_invalid(bsn: str) -> None:
    assert not is_valid_bsn(bsn)


def test_normalize_restores_the_leading_zero() -> None:
    assert normalize_bsn("12345672") == "012345672"

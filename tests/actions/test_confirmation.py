"""Only an explicit yes confirms a summary."""

from __future__ import annotations

import pytest

from actions.forms import explicit_yes


@pytest.mark.parametrize("text", ["ja", "Ja, doorgeven", "klopt", "jazeker!", "yes", "Yes, submit", "ok", "go ahead"])
def test_explicit_yes(text: str) -> None:
    assert explicit_yes(text)


@pytest.mark.parametrize("text", ["zo snel mogelijk", "lorem ipsum dolor", "hmmm ...", "1 maart", "2001682", ""])
def test_not_a_yes(text: str) -> None:
    assert not explicit_yes(text)

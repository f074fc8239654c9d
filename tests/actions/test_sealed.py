"""Tests of the sealing of values the conversation carries but must not store in the clear (a BSN)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from actions import sealed

BSN = "111222333"


@pytest.fixture(autouse=True)
def own_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Each test its own key file, never the developer's var/keys."""
    key_file = tmp_path / "keys" / "seal.key"
    monkeypatch.delenv("ACTIONS_SEAL_KEY", raising=False)
    monkeypatch.setenv("ACTIONS_SEAL_KEY_FILE", str(key_file))
    sealed._key.cache_clear()
    sealed._fernet.cache_clear()
    yield key_file
    sealed._key.cache_clear()
    sealed._fernet.cache_clear()


def test_a_sealed_bsn_holds_no_digits_of_it_and_opens_again() -> None:
    value = sealed.seal(BSN)
    assert sealed.is_sealed(value)
    assert BSN not in value
    assert sealed.unseal(value) == BSN
    # Each sealing is different (random IV): two conversations with one BSN cannot be linked by the stored value.
    assert sealed.seal(BSN) != value


def test_the_key_file_is_made_once_and_readable_only_by_its_owner(own_key: Path) -> None:
    value = sealed.seal(BSN)
    assert stat.S_IMODE(own_key.stat().st_mode) == 0o600
    first = own_key.read_bytes()
    sealed._key.cache_clear()
    sealed._fernet.cache_clear()  # as a restarted action server
    assert sealed.unseal(value) == BSN
    assert own_key.read_bytes() == first


def test_a_key_in_the_environment_wins_over_the_file(monkeypatch: pytest.MonkeyPatch, own_key: Path) -> None:
    key = Fernet.generate_key()
    monkeypatch.setenv("ACTIONS_SEAL_KEY", key.decode())
    sealed._key.cache_clear()
    sealed._fernet.cache_clear()
    value = sealed.seal(BSN)
    assert not own_key.exists()
    assert Fernet(key).decrypt(value.removeprefix(sealed.SEAL_PREFIX).encode()).decode() == BSN


def test_another_deployments_value_or_a_changed_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    value = sealed.seal(BSN)
    tampered = value[:-6] + ("A" if value[-6] != "A" else "B") + value[-5:]
    with pytest.raises(sealed.SealError):
        sealed.unseal(tampered)
    monkeypatch.setenv("ACTIONS_SEAL_KEY", Fernet.generate_key().decode())
    sealed._key.cache_clear()
    sealed._fernet.cache_clear()
    with pytest.raises(sealed.SealError):
        sealed.unseal(value)
    with pytest.raises(sealed.SealError):
        sealed.unseal(BSN)


def test_the_idempotency_key_is_stable_and_keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The portal stores the chat's idempotency key; trying every BSN against a plain hash must not find the partner's."""
    import hashlib
    import json

    from actions.finish import idempotency_key

    body = {"relation": "partner", "first_name": "Lisa", "last_name": "de Boer", "birth_date": "1990-05-03", "bsn": BSN}
    key = idempotency_key("conversation-1", "family-members", "2001681", body)
    assert key == idempotency_key("conversation-1", "family-members", "2001681", dict(body))
    assert key != idempotency_key("conversation-2", "family-members", "2001681", body)
    assert key != idempotency_key("conversation-1", "family-members", "2001681", {**body, "bsn": "123456782"})
    content = json.dumps({"kind": "family-members", "participant": "2001681", "body": body}, sort_keys=True)
    assert hashlib.sha256(content.encode()).hexdigest()[:32] not in key
    monkeypatch.setenv("ACTIONS_SEAL_KEY", Fernet.generate_key().decode())
    sealed._key.cache_clear()
    assert idempotency_key("conversation-1", "family-members", "2001681", body) != key

"""Values the conversation must carry but never store in the clear: a partner's or child's BSN.

A slot is stored with the conversation (Rasa's tracker store, on disk or in PostgreSQL), and the
tracker store masks every BSN-like number it is given (bot/tracker_store.py). The form therefore
keeps the BSN sealed (Fernet: AES-128-CBC with an HMAC, from `cryptography`) under a key only the
action servers hold; the summary shows the masked form and only the submission to the portal unseals it.

The key: ACTIONS_SEAL_KEY (a Fernet key, the same for every action server of a deployment), or else
the file ACTIONS_SEAL_KEY_FILE (default var/keys/actions-seal.key), created on first use with mode
0600 by whichever local action server gets there first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

# The tracker store leaves strings with this prefix alone (the token could contain a run of digits).
SEAL_PREFIX = "sealed:v1:"
DEFAULT_KEY_FILE = Path(__file__).resolve().parents[1] / "var" / "keys" / "actions-seal.key"


class SealError(ValueError):
    """A sealed value that this key cannot open (another deployment's key, or tampered with)."""


def _key_from_file(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: of two action servers starting at once, one key wins
        # and neither can read a half-written file.
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(Fernet.generate_key())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_bytes().strip()
    if not key:
        raise SealError(f"{path} is empty; delete it to have a new key made")
    return key


@lru_cache(maxsize=1)
def _key() -> bytes:
    key = os.environ.get("ACTIONS_SEAL_KEY", "").strip()
    return key.encode() if key else _key_from_file(Path(os.environ.get("ACTIONS_SEAL_KEY_FILE", DEFAULT_KEY_FILE)))


@lru_cache(maxsize=1)
def _fernet() -> Fernet:
    return Fernet(_key())


def keyed_digest(content: bytes) -> str:
    """An HMAC-SHA256 of `content` under the seal key: a plain hash of a body with a BSN in it could be
    reversed by trying every BSN, this one only by whoever holds the key."""
    return hmac.new(base64.urlsafe_b64decode(_key()) + b"idempotency", content, hashlib.sha256).hexdigest()


def seal(value: str) -> str:
    """The value encrypted and authenticated, as text for a slot."""
    return SEAL_PREFIX + _fernet().encrypt(value.encode()).decode()


def is_sealed(value: object) -> bool:
    """Whether a slot value is a sealed one."""
    return isinstance(value, str) and value.startswith(SEAL_PREFIX)


def unseal(value: str) -> str:
    """The value sealed by `seal`; SealError when it was not sealed with this key."""
    if not is_sealed(value):
        raise SealError("not a sealed value")
    try:
        return _fernet().decrypt(value[len(SEAL_PREFIX) :].encode()).decode()
    except InvalidToken as error:
        raise SealError("the value was sealed with another key or changed") from error

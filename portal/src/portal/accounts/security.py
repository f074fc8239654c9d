"""Password hashing (argon2id), TOTP (pyotp) and signed tokens (ES256 JWTs)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from portal.config import get_settings

# Audiences: what a token may be used for.
AUD_ACCESS = "portal"
AUD_CHAT = "chat"
AUD_MFA = "mfa"

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; an unknown user still costs one verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def matching_totp_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (now, or one step either side) whose TOTP code equals `code`, if any."""
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int((now if now is not None else time.time()) // totp.interval)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


@dataclass(frozen=True)
class SigningKey:
    """The portal's ES256 key pair; channels verify chat tokens with the public half."""

    private_key: ec.EllipticCurvePrivateKey
    kid: str

    @property
    def public_pem(self) -> bytes:
        """The public key in PEM form."""
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def jwk(self) -> dict[str, Any]:
        """The public key as a JWK for /api/auth/jwks."""
        data = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private_key.public_key()))
        return {**data, "kid": self.kid, "use": "sig", "alg": "ES256"}


@lru_cache
def signing_key() -> SigningKey:
    """The signing key from disk; created once (mode 600) when missing."""
    path = get_settings().private_key_path
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise RuntimeError(f"{path} is not an EC private key; remove it to have a new one made.")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.touch(mode=0o600)
        path.write_bytes(pem)
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return SigningKey(private_key=key, kid=hashlib.sha256(public_der).hexdigest()[:16])


def issue_token(audience: str, subject: str, lifetime: timedelta, **claims: Any) -> str:
    """A signed token for one audience with a subject, lifetime and extra claims."""
    now = datetime.now(UTC)
    key = signing_key()
    payload = {
        "iss": get_settings().jwt_issuer,
        "aud": audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
        **claims,
    }
    return jwt.encode(payload, key.private_key, algorithm="ES256", headers={"kid": key.kid})


def decode_token(token: str, audiences: list[str]) -> dict[str, Any]:
    """The claims of a valid token for one of the audiences; raises jwt.InvalidTokenError otherwise."""
    key = signing_key()
    return jwt.decode(
        token,
        key.private_key.public_key(),
        algorithms=["ES256"],
        audience=audiences,
        issuer=get_settings().jwt_issuer,
        options={"require": ["exp", "iat", "sub", "aud", "iss"]},
    )


def request_fingerprint(*parts: str) -> str:
    """A keyed hash of a request's content; keyed so a hashed BSN cannot be guessed back."""
    secret = signing_key().private_key.private_numbers().private_value.to_bytes(32, "big")
    return hmac.new(secret, "\x1f".join(parts).encode(), "sha256").hexdigest()

"""Request and response bodies of the authentication endpoints."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from portal.errors import N_, PortalProblemError, Problem


class LoginRequest(BaseModel):
    """Username and password, the first step of logging in."""

    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class LoginResponse(BaseModel):
    """A short-lived token that only the TOTP step accepts."""

    mfa_token: str


class MfaRequest(BaseModel):
    """The TOTP code from the authenticator app, with the token from the first step."""

    mfa_token: str
    code: str = Field(min_length=1, max_length=10)


class EnrolmentRequest(BaseModel):
    """The token from the password step of a user who has not linked an authenticator app yet."""

    mfa_token: str


class EnrolmentResponse(BaseModel):
    """What the QR code holds: the TOTP secret (base32) and its otpauth:// URI for an authenticator app."""

    secret: str
    otpauth_uri: str


class AccessTokenResponse(BaseModel):
    """The access token for the API (bearer)."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class ChatTokenRequest(BaseModel):
    """Optionally the conversation to renew the token for; a new conversation otherwise."""

    conversation_id: str | None = Field(default=None, max_length=64)


class ChatTokenResponse(BaseModel):
    """A chat token that a chat channel passes to the assistant in metadata.token."""

    token: str
    conversation_id: str
    expires_in: int


class EmployerOut(BaseModel):
    """The employer a user acts for."""

    id: int
    name: str


class MeResponse(BaseModel):
    """The logged-in user as the portal and the assistant need to know them."""

    username: str
    full_name: str
    email: str
    roles: list[str]
    language: str
    theme: str
    employer: EmployerOut | None


# Deliberately loose: one @, something on each side, a dot in the domain. The e-mail itself proves the rest.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
INVALID_EMAIL = N_("Enter a valid e-mail address.")


def _valid_email(value: str) -> str:
    value = value.strip()
    if not EMAIL_PATTERN.match(value):
        raise PortalProblemError(Problem("invalid_email", INVALID_EMAIL, "email"))
    return value


Email = Annotated[str, Field(min_length=3, max_length=200), AfterValidator(_valid_email)]
AccountRole = Literal["user_management", "hr", "finance"]


def _some_roles(roles: list[str]) -> list[str]:
    if not roles:
        raise PortalProblemError(Problem("roles_required", N_("Choose at least one role."), "roles"))
    return sorted(set(roles))
Language = Literal["nl", "en"]


class AccountCreateRequest(BaseModel):
    """A portal account for a colleague (§2): name, e-mail address, one or more roles (R1)."""

    full_name: str = Field(min_length=1, max_length=200)
    email: Email
    roles: Annotated[list[AccountRole], Field(max_length=3), AfterValidator(_some_roles)]
    language: Language = Field(default="nl", description="Language of the e-mails and, later, of the portal")


class AccountOut(BaseModel):
    """An account of the employer; `username` is null until its owner activated it (status `pending`)."""

    username: str | None
    full_name: str
    email: str
    roles: list[str]
    language: str
    status: Literal["pending", "active", "inactive"]
    created_at: datetime | None
    dry_run: bool = False


class SettingsUpdate(BaseModel):
    """The user's own settings (§3): language (globe) and light or dark mode."""

    language: Language | None = None
    theme: Literal["light", "dark"] | None = None

"""Request and response bodies of the authentication endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field


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

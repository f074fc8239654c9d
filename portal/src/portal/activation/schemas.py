"""Request and response bodies of the activation and recovery endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from portal.accounts.schemas import Email


class EmailRequest(BaseModel):
    """The e-mail address of the account."""

    email: Email


class CodeRequestResponse(BaseModel):
    """The same answer whether or not the address has an account: keep `request_id` for the next steps."""

    request_id: str
    expires_in: int = Field(description="Seconds the code in the e-mail is valid")
    message: str


class VerifyRequest(BaseModel):
    """The code from the e-mail, for the request it was sent for."""

    request_id: str = Field(min_length=1, max_length=100)
    code: str = Field(min_length=1, max_length=10)


class VerifiedResponse(BaseModel):
    """The code matched: the request may now be completed (within the code's validity)."""

    request_id: str
    verified: bool = True


class ActivationRequest(BaseModel):
    """The username and password the owner of the account chooses."""

    request_id: str = Field(min_length=1, max_length=100)
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class ActivatedResponse(BaseModel):
    """The activated account; the first login links an authenticator app (TOTP)."""

    username: str
    message: str


class NewPasswordRequest(BaseModel):
    """A new password for a verified reset request."""

    request_id: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class MessageResponse(BaseModel):
    """A message for the user in their language."""

    message: str


class StrengthRequest(BaseModel):
    """A password to rate, with the details it must not contain."""

    password: str = Field(max_length=200)
    username: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=200)
    full_name: str | None = Field(default=None, max_length=200)


class StrengthProblem(BaseModel):
    """Why a password is weak (or could be stronger)."""

    code: str
    message: str


class StrengthResponse(BaseModel):
    """The strength shown next to the password field (§1); weak passwords are refused."""

    strength: Literal["weak", "medium", "strong"]
    acceptable: bool
    reasons: list[StrengthProblem]

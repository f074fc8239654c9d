"""The web session: the access token in a cookie, CSRF tokens bound to it, and the page language.

The pages use the same access token as the API, checked by the same code (`principal_for_token`) on
every request, so a deactivated user or a revoked role is out at once. Only the transport differs: an
HttpOnly, SameSite=Strict cookie instead of a bearer header, which is why every POST also needs a
CSRF token (SameSite alone does not cover older browsers or same-site subdomains).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal, principal_for_token
from portal.accounts.security import AUD_ACCESS, request_fingerprint
from portal.db import get_session
from portal.errors import PortalError
from portal.i18n import SUPPORTED, negotiate

SESSION_COOKIE = "portal_session"
MFA_COOKIE = "portal_mfa"
NONCE_COOKIE = "portal_nonce"
LANGUAGE_COOKIE = "portal_lang"
THEME_COOKIE = "portal_theme"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
THEMES = ("light", "dark")


class LoginRequiredError(Exception):
    """Raised by a page dependency when there is no valid session; answered with a redirect to /login."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or "login required")
        self.reason = reason


class CsrfFailedError(Exception):
    """Raised when a POST lacks the CSRF token bound to the session (or, before login, to the nonce)."""


def set_cookie(request: Request, response: Response, name: str, value: str, *, path: str = "/", max_age: int | None = None) -> None:
    """A cookie scripts cannot read, sent only to this site, Secure whenever the page came over https."""
    response.set_cookie(
        name,
        value,
        path=path,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_cookie(request: Request, response: Response, name: str, *, path: str = "/") -> None:
    """Removes a cookie set by `set_cookie` (same path and flags, or the browser keeps it)."""
    response.delete_cookie(name, path=path, httponly=True, samesite="strict", secure=request.url.scheme == "https")


def csrf_for(binding: str) -> str:
    """The CSRF token for a session (its access token) or, before login, for the browser's nonce."""
    return request_fingerprint("csrf", binding)


def csrf_matches(binding: str | None, presented: str | None) -> bool:
    """Whether the presented token belongs to this binding, compared in constant time."""
    return bool(binding and presented) and hmac.compare_digest(csrf_for(binding), presented)


def browser_nonce(request: Request) -> str:
    """The random value that binds pre-login forms to this browser; a new one when there is none yet."""
    existing = request.cookies.get(NONCE_COOKIE)
    if existing:
        return existing
    if not hasattr(request.state, "new_nonce"):
        request.state.new_nonce = secrets.token_urlsafe(24)
    return request.state.new_nonce


def keep_nonce(request: Request, response: Response) -> None:
    """Stores a nonce made during this request in its cookie."""
    new = getattr(request.state, "new_nonce", None)
    if new and not request.cookies.get(NONCE_COOKIE):
        set_cookie(request, response, NONCE_COOKIE, new)


def anonymous_language(request: Request) -> str:
    """The language before login: the globe's cookie, else the browser's Accept-Language (Dutch by default)."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in SUPPORTED else negotiate(request.headers.get("accept-language"))


def anonymous_theme(request: Request) -> str:
    """Light (default) or dark before login, from the toggle's cookie."""
    chosen = request.cookies.get(THEME_COOKIE)
    return chosen if chosen in THEMES else "light"


def session_principal(request: Request, session: Session) -> Principal | None:
    """The logged-in user behind the session cookie, or None; raises LoginRequiredError for a bad or expired one."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        # Access tokens only: a chat token must never open the pages.
        principal = principal_for_token(session, token, [AUD_ACCESS], "nl")
    except PortalError as exc:
        code = exc.problems[0].code if exc.problems else ""
        raise LoginRequiredError("expired" if code == "token_expired" else "invalid") from exc
    return replace(principal, language=principal.user.language)


def page_principal(request: Request, session: Annotated[Session, Depends(get_session)]) -> Principal:
    """Dependency of every page after login: the verified user, or a redirect to the login page."""
    principal = session_principal(request, session)
    if principal is None:
        raise LoginRequiredError()
    return principal


PagePrincipal = Annotated[Principal, Depends(page_principal)]


async def require_csrf(request: Request) -> None:
    """Dependency of every POST after login: the form field or X-CSRF-Token header must match the session."""
    presented = request.headers.get(CSRF_HEADER)
    if presented is None and _is_form(request):
        presented = (await request.form()).get(CSRF_FIELD)
    if not csrf_matches(request.cookies.get(SESSION_COOKIE), presented if isinstance(presented, str) else None):
        raise CsrfFailedError()


async def require_login_csrf(request: Request) -> None:
    """Dependency of the POSTs before login (password, code): the form must come from a page of ours."""
    presented = (await request.form()).get(CSRF_FIELD) if _is_form(request) else None
    if not csrf_matches(request.cookies.get(NONCE_COOKIE), presented if isinstance(presented, str) else None):
        raise CsrfFailedError()


async def require_any_csrf(request: Request) -> None:
    """For forms shown both before and after login (language, theme): either binding will do."""
    presented = (await request.form()).get(CSRF_FIELD) if _is_form(request) else None
    token = presented if isinstance(presented, str) else None
    if not (csrf_matches(request.cookies.get(SESSION_COOKIE), token) or csrf_matches(request.cookies.get(NONCE_COOKIE), token)):
        raise CsrfFailedError()


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def local_path(target: str | None, default: str = "/") -> str:
    """A redirect target on this site only (no `//host` or `https://host`), against open redirects."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target

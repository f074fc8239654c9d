"""The portal's pages: login with TOTP (QR enrolment the first time), home with tiles, language, theme, log out.

Every rule lives where the API keeps it: the password and the code are checked by `accounts.service`
(lockout, once-only codes), the session by `accounts.dependencies`, roles by `accounts.permissions`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

import jwt
import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from portal.accounts import service
from portal.accounts.dependencies import Principal, require
from portal.accounts.models import User
from portal.accounts.permissions import Permission
from portal.accounts.schemas import ChatTokenRequest, ChatTokenResponse
from portal.accounts.security import AUD_MFA, decode_token
from portal.config import get_settings
from portal.db import get_session
from portal.errors import N_, PortalError, unauthorized
from portal.i18n import SUPPORTED, translate
from portal.web.session import (
    LANGUAGE_COOKIE,
    MFA_COOKIE,
    SESSION_COOKIE,
    THEME_COOKIE,
    THEMES,
    LoginRequiredError,
    PagePrincipal,
    anonymous_language,
    anonymous_theme,
    clear_cookie,
    local_path,
    require_any_csrf,
    require_csrf,
    require_login_csrf,
    session_principal,
    set_cookie,
)
from portal.web.templating import anonymous_context, render, render_page
from portal.web.tiles import COMING_SOON, Tile, tiles_for

log = logging.getLogger("portal.web")
router = APIRouter(include_in_schema=False)
SessionDep = Annotated[Session, Depends(get_session)]
LOGIN_PATH = "/login"
CODE_PATH = "/login/code"

# Why the login page is shown again; the key travels in the query string, the text comes from the catalog.
LOGIN_NOTICES = {
    "expired": N_("Your session has expired; please log in again."),
    "invalid": N_("Your session is not valid; please log in again."),
    "login_expired": N_("Your login has expired; please start again."),
    "logged_out": N_("You have been logged out."),
    "activated": N_("Your account has been activated. Log in with your username and password."),
    "password_changed": N_("Your password has been changed. Log in with your new password."),
}


def _redirect(path: str) -> RedirectResponse:
    # 303: after a POST the browser follows with a GET, so a reload never re-submits the form.
    return RedirectResponse(path, status_code=303)


def _login_redirect(request: Request, reason: str | None = None) -> RedirectResponse:
    response = _redirect(f"{LOGIN_PATH}?m={reason}" if reason in LOGIN_NOTICES else LOGIN_PATH)
    clear_cookie(request, response, SESSION_COOKIE)
    return response


def login_required_response(request: Request, exc: LoginRequiredError) -> Response:
    """Pages go back to the login page (saying why); the token endpoint answers 401 for its script."""
    if request.url.path.startswith("/chat/"):
        message = translate(LOGIN_NOTICES.get(exc.reason or "", N_("Please log in.")), anonymous_language(request))
        response = JSONResponse(
            {"errors": [{"code": "not_authenticated", "field": None, "message": message}]}, status_code=401
        )
        clear_cookie(request, response, SESSION_COOKIE)
        return response
    return _login_redirect(request, exc.reason)


# --- login ------------------------------------------------------------------------------------------


@router.get(LOGIN_PATH)
def login_page(request: Request, session: SessionDep, m: str | None = None) -> Response:
    """Username and password; a valid session goes straight home."""
    try:
        if session_principal(request, session) is not None:
            return _redirect("/")
    except LoginRequiredError as exc:
        m = m or exc.reason
    context = anonymous_context(request, anonymous_language(request), anonymous_theme(request))
    notice = LOGIN_NOTICES.get(m or "")
    response = render(request, "login.html", {**context, "notice": notice, "username": ""})
    if request.cookies.get(SESSION_COOKIE):
        clear_cookie(request, response, SESSION_COOKIE)
    return response


@router.post(LOGIN_PATH, dependencies=[Depends(require_login_csrf)])
def login_submit(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Checks the password with the API's rules; on success the TOTP step follows."""
    language = anonymous_language(request)
    try:
        mfa_token = service.login(session, username, password)
    except PortalError as exc:
        context = anonymous_context(request, language, anonymous_theme(request))
        error = exc.problems[0].render(language)["message"]
        return render(request, "login.html", {**context, "error": error, "username": username}, exc.status_code)
    response = _redirect(CODE_PATH)
    set_cookie(request, response, MFA_COOKIE, mfa_token, path=LOGIN_PATH)
    return response


def _pending_user(request: Request, session: Session) -> User | None:
    """The user whose password was just accepted (the mfa cookie), or None when it is missing or expired."""
    token = request.cookies.get(MFA_COOKIE)
    if not token:
        return None
    try:
        claims = decode_token(token, [AUD_MFA])
    except jwt.InvalidTokenError:
        return None
    user = session.get(User, int(claims["sub"])) if str(claims["sub"]).isdigit() else None
    return user if user is not None and user.is_active else None


def _code_page(request: Request, session: Session, user: User, error: str | None = None, status_code: int = 200) -> Response:
    """The code step; the first time it shows the QR code and the secret to enrol an authenticator app."""
    context = anonymous_context(request, anonymous_language(request), anonymous_theme(request))
    enrolment = None
    if user.totp_enrolled_at is None:
        secret, uri = service.totp_enrolment(session, user)
        qr = segno.make(uri, error="m")
        enrolment = {
            # White quiet zone even in dark mode: authenticator apps need the contrast.
            "qr_svg": qr.svg_inline(scale=5, dark="#000", light="#fff", title="QR code"),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        }
    return render(request, "code.html", {**context, "enrolment": enrolment, "error": error}, status_code)


@router.get(CODE_PATH)
def code_page(request: Request, session: SessionDep) -> Response:
    """The TOTP step (with QR enrolment when the user has not confirmed an authenticator app yet)."""
    user = _pending_user(request, session)
    if user is None:
        return _login_redirect(request, "login_expired")
    return _code_page(request, session, user)


@router.post(CODE_PATH, dependencies=[Depends(require_login_csrf)])
def code_submit(request: Request, session: SessionDep, code: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Checks the code with the API's rules (once only, lockout); the first good code completes enrolment."""
    user = _pending_user(request, session)
    if user is None:
        return _login_redirect(request, "login_expired")
    try:
        access_token, _ = service.verify_mfa(session, request.cookies[MFA_COOKIE], code.replace(" ", ""))
    except PortalError as exc:
        if exc.problems and exc.problems[0].code == "invalid_mfa_token":
            return _login_redirect(request, "login_expired")
        error = exc.problems[0].render(anonymous_language(request))["message"]
        return _code_page(request, session, user, error, exc.status_code)
    service.confirm_enrolment(session, user)
    response = _redirect("/")
    # No Max-Age: the browser keeps the cookie until it closes, and an expired token is told apart from none.
    set_cookie(request, response, SESSION_COOKIE, access_token)
    clear_cookie(request, response, MFA_COOKIE, path=LOGIN_PATH)
    return response


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request, session: SessionDep) -> Response:
    """Ends the session's token on the server too (a copy of the cookie is useless), then the login page."""
    service.revoke_token(session, request.cookies.get(SESSION_COOKIE, ""))
    return _login_redirect(request, "logged_out")


# --- settings: language (globe) and theme ------------------------------------------------------------


@router.post("/language", dependencies=[Depends(require_any_csrf)])
def change_language(
    request: Request,
    session: SessionDep,
    language: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """The globe: stored on the user after login, in a cookie before (and after, for the login page)."""
    chosen = language if language in SUPPORTED else get_settings().default_language
    response = _redirect(local_path(next))
    _remember_setting(request, session, response, LANGUAGE_COOKIE, "language", chosen)
    return response


@router.post("/theme", dependencies=[Depends(require_any_csrf)])
def change_theme(
    request: Request,
    session: SessionDep,
    theme: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Light (default) or dark mode (R3), stored like the language."""
    chosen = theme if theme in THEMES else "light"
    response = _redirect(local_path(next))
    _remember_setting(request, session, response, THEME_COOKIE, "theme", chosen)
    return response


def _remember_setting(request: Request, session: Session, response: Response, cookie: str, field: str, value: str) -> None:
    try:
        principal = session_principal(request, session)
    except LoginRequiredError:
        principal = None
    if principal is not None:
        service.update_settings(session, principal.user, channel=principal.channel, **{field: value})
    set_cookie(request, response, cookie, value, max_age=365 * 24 * 3600)


# --- pages after login -----------------------------------------------------------------------------


@router.get("/")
def home(request: Request, principal: PagePrincipal) -> Response:
    """The home page: the manual's tiles this user's roles allow."""
    return render_page(request, principal, "home.html", tiles=tiles_for(principal))


def _chapter_page(tile: Tile) -> Callable[[Request, Principal], Response]:
    def page(request: Request, principal: PagePrincipal) -> Response:
        if not tile.visible_to(principal):
            return render_page(request, principal, "forbidden.html", status_code=403)
        return render_page(request, principal, "coming_soon.html", tile=tile)

    page.__name__ = f"chapter_{tile.key.replace('-', '_')}"
    page.__doc__ = f"The '{tile.key}' chapter (its page comes with issue 5)."
    return page


for _tile in COMING_SOON:
    router.add_api_route(_tile.href, _chapter_page(_tile), methods=["GET"], include_in_schema=False)


# --- the chat widget --------------------------------------------------------------------------------


@router.post("/chat/token", response_model=ChatTokenResponse, dependencies=[Depends(require_csrf)])
def web_chat_token(request: Request, session: SessionDep, body: ChatTokenRequest | None = None) -> ChatTokenResponse:
    """As POST /api/chat/token, for the widget on the pages: cookie session plus X-CSRF-Token."""
    principal = session_principal(request, session)
    if principal is None:
        raise unauthorized()
    require(Permission.use_chat)(principal)
    token, conversation_id, expires_in = service.chat_token_for(
        session, principal.user, body.conversation_id if body else None, channel="chat"
    )
    return ChatTokenResponse(token=token, conversation_id=conversation_id, expires_in=expires_in)


@router.get("/static/vendor/rasa-webchat.js")
def webchat_script() -> Response:
    """The rasa-webchat bundle from web/node_modules (installed by the Makefile, never copied into the repo)."""
    path = get_settings().webchat_js_path
    if not path.is_file():
        log.warning("rasa-webchat not found at %s: run `make install` (npm ci in web/)", path)
        return PlainTextResponse(f"// rasa-webchat is not installed ({path}): run `make install`.", status_code=404)
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=3600"})

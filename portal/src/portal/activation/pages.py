"""The activation and recovery pages (§1): the same service functions as the API, in nl and en.

Activation and password reset have the same shape (e-mail address, code, then what to choose); a `Flow`
describes one, and its request id travels between the steps in an HttpOnly cookie scoped to its pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from portal.accounts.schemas import EMAIL_PATTERN, INVALID_EMAIL
from portal.activation import service
from portal.activation.passwords import MIN_LENGTH
from portal.activation.texts import ACTIVATION_CODE_SENT, RESET_CODE_SENT, USERNAME_SENT
from portal.config import get_settings
from portal.db import get_session
from portal.errors import N_, PortalError, Problem
from portal.i18n import translate
from portal.mail.service import deliver_later
from portal.web.session import anonymous_language, anonymous_theme, clear_cookie, require_login_csrf, set_cookie
from portal.web.templating import anonymous_context, render

router = APIRouter(include_in_schema=False)
SessionDep = Annotated[Session, Depends(get_session)]
PASSWORDS_DIFFER = N_("The two passwords are not the same.")


@dataclass(frozen=True)
class Flow:
    """One e-mail → code → finish flow of pages."""

    key: str
    path: str
    cookie: str
    purpose: str
    title: str
    intro: str
    sent: str
    finish: str  # the last step's page, after the code
    start: Callable[[Session, str], service.CodeRequest]


ACTIVATION_FLOW = Flow(
    key="activate",
    path="/activate",
    cookie="portal_activation",
    purpose=service.ACTIVATION,
    title=N_("Activate your account"),
    intro=N_("Enter the e-mail address your account was created with. We will send you a verification code."),
    sent=ACTIVATION_CODE_SENT,
    finish="/activate/account",
    start=service.start_activation,
)
RESET_FLOW = Flow(
    key="reset",
    path="/recover/password",
    cookie="portal_reset",
    purpose=service.PASSWORD_RESET,
    title=N_("Forgot your password?"),
    intro=N_("Enter the e-mail address of your account. We will send you a verification code to choose a new password."),
    sent=RESET_CODE_SENT,
    finish="/recover/password/new",
    start=service.start_password_reset,
)


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _context(request: Request, **extra: Any) -> dict[str, Any]:
    return {**anonymous_context(request, anonymous_language(request), anonymous_theme(request)), **extra}


def _messages(request: Request, exc: PortalError) -> list[str]:
    language = anonymous_language(request)
    return [problem.render(language)["message"] for problem in exc.problems]


def _start_again(request: Request, flow: Flow) -> Response:
    response = _redirect(f"{flow.path}?m=expired")
    clear_cookie(request, response, flow.cookie, path=flow.path)
    return response


def _email_page(request: Request, flow: Flow, m: str | None = None) -> Response:
    errors = [translate(service.REQUEST_EXPIRED, anonymous_language(request))] if m == "expired" else []
    return render(request, "verify_email.html", _context(request, flow=flow, errors=errors, email=""))


def _email_submit(request: Request, flow: Flow, session: Session, background: BackgroundTasks, email: str) -> Response:
    try:
        _valid_email_or_error(email)
        code_request = flow.start(session, email)
    except PortalError as exc:
        return render(request, "verify_email.html", _context(request, flow=flow, errors=_messages(request, exc), email=email), 422)
    deliver_later(background)
    response = _redirect(f"{flow.path}/code")
    set_cookie(request, response, flow.cookie, code_request.request_id, path=flow.path, max_age=code_request.expires_in * 2)
    return response


def _valid_email_or_error(email: str) -> None:
    if not EMAIL_PATTERN.match(email.strip()):
        raise PortalError(422, Problem("invalid_email", INVALID_EMAIL, "email"))


def _code_page(request: Request, flow: Flow, errors: list[str] | None = None, status_code: int = 200) -> Response:
    if not request.cookies.get(flow.cookie):
        return _start_again(request, flow)
    minutes = get_settings().verification_code_minutes
    sent = translate(flow.sent, anonymous_language(request), minutes=minutes)
    return render(request, "verify_code.html", _context(request, flow=flow, sent=sent, errors=errors or []), status_code)


def _code_submit(request: Request, flow: Flow, session: Session, code: str) -> Response:
    request_id = request.cookies.get(flow.cookie)
    if not request_id:
        return _start_again(request, flow)
    try:
        service.verify_code(session, flow.purpose, request_id, code)
    except PortalError as exc:
        return _code_page(request, flow, _messages(request, exc), exc.status_code)
    return _redirect(flow.finish)


# --- activation: e-mail, code, username and password ------------------------------------------------


@router.get(ACTIVATION_FLOW.path)
def activate_page(request: Request, m: str | None = None) -> Response:
    """'First visit? Activate your account': the e-mail address."""
    return _email_page(request, ACTIVATION_FLOW, m)


@router.post(ACTIVATION_FLOW.path, dependencies=[Depends(require_login_csrf)])
def activate_submit(
    request: Request, session: SessionDep, background: BackgroundTasks, email: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """Sends the code (or, for an unknown address, nothing: the next page looks the same)."""
    return _email_submit(request, ACTIVATION_FLOW, session, background, email)


@router.get(f"{ACTIVATION_FLOW.path}/code")
def activate_code_page(request: Request) -> Response:
    """The code from the e-mail."""
    return _code_page(request, ACTIVATION_FLOW)


@router.post(f"{ACTIVATION_FLOW.path}/code", dependencies=[Depends(require_login_csrf)])
def activate_code_submit(request: Request, session: SessionDep, code: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Checks the code (once only, a few tries)."""
    return _code_submit(request, ACTIVATION_FLOW, session, code)


def _account_page(request: Request, session: Session, username: str = "", errors: list[str] | None = None, status_code: int = 200) -> Response:
    request_id = request.cookies.get(ACTIVATION_FLOW.cookie, "")
    try:
        pending = service.activation_details(session, request_id)
    except PortalError:
        return _start_again(request, ACTIVATION_FLOW)
    context = _context(request, pending=pending, username=username, errors=errors or [], min_length=MIN_LENGTH)
    return render(request, "activate_account.html", context, status_code)


@router.get(ACTIVATION_FLOW.finish)
def activate_account_page(request: Request, session: SessionDep) -> Response:
    """Choose a username and a password (its strength shown as you type)."""
    return _account_page(request, session)


@router.post(ACTIVATION_FLOW.finish, dependencies=[Depends(require_login_csrf)])
def activate_account_submit(
    request: Request,
    session: SessionDep,
    background: BackgroundTasks,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    password_repeat: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Makes the account; a weak password or a taken username is explained on the same page."""
    if password != password_repeat:
        message = translate(PASSWORDS_DIFFER, anonymous_language(request))
        return _account_page(request, session, username, [message], 422)
    try:
        service.complete_activation(session, request.cookies.get(ACTIVATION_FLOW.cookie, ""), username, password)
    except PortalError as exc:
        if exc.problems and exc.problems[0].code == "request_expired":
            return _start_again(request, ACTIVATION_FLOW)
        return _account_page(request, session, username, _messages(request, exc), exc.status_code)
    deliver_later(background)
    response = _redirect("/login?m=activated")
    clear_cookie(request, response, ACTIVATION_FLOW.cookie, path=ACTIVATION_FLOW.path)
    return response


# --- forgotten username -----------------------------------------------------------------------------


@router.get("/recover/username")
def username_page(request: Request) -> Response:
    """'Forgot your username?': the e-mail address."""
    return render(request, "recover_username.html", _context(request, errors=[], sent=None, email=""))


@router.post("/recover/username", dependencies=[Depends(require_login_csrf)])
def username_submit(
    request: Request, session: SessionDep, background: BackgroundTasks, email: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """Mails the username if an account has this address; the page says the same either way."""
    try:
        _valid_email_or_error(email)
    except PortalError as exc:
        return render(request, "recover_username.html", _context(request, errors=_messages(request, exc), sent=None, email=email), 422)
    service.remind_username(session, email)
    deliver_later(background)
    sent = translate(USERNAME_SENT, anonymous_language(request))
    return render(request, "recover_username.html", _context(request, errors=[], sent=sent, email=""))


# --- forgotten password: e-mail, code, new password ------------------------------------------------


@router.get(RESET_FLOW.path)
def reset_page(request: Request, m: str | None = None) -> Response:
    """'Forgot your password?': the e-mail address."""
    return _email_page(request, RESET_FLOW, m)


@router.post(RESET_FLOW.path, dependencies=[Depends(require_login_csrf)])
def reset_submit(
    request: Request, session: SessionDep, background: BackgroundTasks, email: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """Sends the code (or nothing, for an address without an account)."""
    return _email_submit(request, RESET_FLOW, session, background, email)


@router.get(f"{RESET_FLOW.path}/code")
def reset_code_page(request: Request) -> Response:
    """The code from the e-mail."""
    return _code_page(request, RESET_FLOW)


@router.post(f"{RESET_FLOW.path}/code", dependencies=[Depends(require_login_csrf)])
def reset_code_submit(request: Request, session: SessionDep, code: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Checks the code (once only, a few tries)."""
    return _code_submit(request, RESET_FLOW, session, code)


def _new_password_page(request: Request, errors: list[str] | None = None, status_code: int = 200) -> Response:
    if not request.cookies.get(RESET_FLOW.cookie):
        return _start_again(request, RESET_FLOW)
    return render(request, "new_password.html", _context(request, errors=errors or [], min_length=MIN_LENGTH), status_code)


@router.get(RESET_FLOW.finish)
def new_password_page(request: Request) -> Response:
    """Choose a new password."""
    return _new_password_page(request)


@router.post(RESET_FLOW.finish, dependencies=[Depends(require_login_csrf)])
def new_password_submit(
    request: Request,
    session: SessionDep,
    background: BackgroundTasks,
    password: Annotated[str, Form(max_length=200)] = "",
    password_repeat: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Sets the new password; a weak one is explained on the same page."""
    if password != password_repeat:
        return _new_password_page(request, [translate(PASSWORDS_DIFFER, anonymous_language(request))], 422)
    try:
        service.complete_password_reset(session, request.cookies.get(RESET_FLOW.cookie, ""), password)
    except PortalError as exc:
        if exc.problems and exc.problems[0].code == "request_expired":
            return _start_again(request, RESET_FLOW)
        return _new_password_page(request, _messages(request, exc), exc.status_code)
    deliver_later(background)
    response = _redirect("/login?m=password_changed")
    clear_cookie(request, response, RESET_FLOW.cookie, path=RESET_FLOW.path)
    return response

"""Jinja2 templates with the portal's Babel catalogs, and the context every page after login shares."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from portal.accounts.dependencies import Principal
from portal.accounts.permissions import Permission, allows
from portal.config import get_settings
from portal.i18n import translations
from portal.web.session import SESSION_COOKIE, THEMES, browser_nonce, csrf_for, keep_nonce

TEMPLATES_DIR = Path(__file__).parent / "templates"


@lru_cache
def environment(language: str) -> Environment:
    """One environment per language, so no request ever sees another request's translations."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A template rendered in the context's language (`lang`), with a fresh pre-login nonce kept if one was made."""
    html = environment(context["lang"]).get_template(template).render(request=request, **context)
    response = HTMLResponse(html, status_code=status_code)
    keep_nonce(request, response)
    return response


def anonymous_context(request: Request, language: str, theme: str) -> dict[str, Any]:
    """What the pages before login need: language, theme and the CSRF token bound to the browser's nonce."""
    return {"lang": language, "theme": theme, "csrf": csrf_for(browser_nonce(request)), "path": request.url.path}


def page_context(request: Request, principal: Principal, **extra: Any) -> dict[str, Any]:
    """What `base.html` needs on every page after login; other packages' pages call this too."""
    user = principal.user
    may_chat = principal.employer_id is not None and allows(user.roles, Permission.use_chat)
    return {
        "lang": principal.language,
        "theme": user.theme if user.theme in THEMES else "light",
        "csrf": csrf_for(request.cookies[SESSION_COOKIE]),
        "user": user,
        "employer": user.employer,
        "show_chat": may_chat,
        "chat_socket_url": get_settings().chat_socket_url,
        "path": request.url.path,
        **extra,
    }


def render_page(request: Request, principal: Principal, template: str, status_code: int = 200, **extra: Any) -> HTMLResponse:
    """A page after login that extends `base.html` (blocks `nav` and `content`)."""
    return render(request, template, page_context(request, principal, **extra), status_code)

"""The portal's server-rendered pages (Jinja2, nl/en) and the chat widget's mount point.

Other packages add pages by extending `templates/base.html` (blocks `nav` and `content`) and rendering with
`portal.web.templating.render_page(request, principal, template, ...)`; a page handler gets its user from
`portal.web.session.PagePrincipal` and protects each POST with `Depends(portal.web.session.require_csrf)`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from portal.config import get_settings
from portal.i18n import N_, translate
from portal.web.router import login_required_response, router
from portal.web.session import CsrfFailedError, LoginRequiredError, anonymous_language, anonymous_theme
from portal.web.templating import anonymous_context, render

log = logging.getLogger("portal.web")
STATIC_DIR = Path(__file__).parent / "static"
# The API and its documentation keep their own headers (Swagger UI loads its assets from a CDN).
_NOT_PAGES = ("/api/", "/docs", "/redoc", "/openapi.json")
CSRF_FAILED = N_("This form has expired. Reload the page and try again.")


def content_security_policy(socket_url: str) -> str:
    """Scripts only from the portal itself; the widget may connect to the assistant's Socket.IO URL."""
    socket_ws = socket_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            # rasa-webchat injects its own <style> elements at run time.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            f"connect-src 'self' {socket_url} {socket_ws}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def install(app: FastAPI) -> None:
    """Adds the pages, their static files, error answers and security headers to the application."""
    settings = get_settings()
    if not settings.webchat_js_path.is_file():
        log.warning("chat widget unavailable: %s is missing; run `make install` (npm ci in web/)", settings.webchat_js_path)
    policy = content_security_policy(settings.chat_socket_url.rstrip("/"))

    @app.middleware("http")
    async def security_headers(request: Request, call_next) -> Response:
        response = await call_next(request)
        if not request.url.path.startswith(_NOT_PAGES):
            response.headers.setdefault("Content-Security-Policy", policy)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
            if response.headers.get("content-type", "").startswith("text/html"):
                # Pages hold personal data: never from a shared cache or the back button after log out.
                response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(LoginRequiredError)
    async def _login_required(request: Request, exc: LoginRequiredError) -> Response:
        return login_required_response(request, exc)

    @app.exception_handler(CsrfFailedError)
    async def _csrf_failed(request: Request, _exc: CsrfFailedError) -> Response:
        language = anonymous_language(request)
        if request.url.path.startswith("/chat/"):
            problem = {"code": "csrf_failed", "field": None, "message": translate(CSRF_FAILED, language)}
            return JSONResponse({"errors": [problem]}, status_code=403)
        context = anonymous_context(request, language, anonymous_theme(request))
        return render(request, "csrf_failed.html", {**context, "message": translate(CSRF_FAILED, language)}, 403)

    app.include_router(router)
    # After the router, so /static/vendor/rasa-webchat.js comes from node_modules, not from this folder.
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

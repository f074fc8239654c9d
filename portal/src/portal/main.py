"""The portal application: routers, error handlers, health, and the daily roll-over of changes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.orm import Session

from portal.accounts.pages import router as account_pages
from portal.accounts.router import router as accounts_router
from portal.accounts.security import signing_key
from portal.activation.pages import router as activation_pages
from portal.activation.router import router as activation_router
from portal.collective.pages import router as arrange_pages
from portal.collective.router import router as collective_router
from portal.collective.worker import worker as collective_worker
from portal.db import get_session, get_sessionmaker
from portal.desk.router import router as desk_pages
from portal.documents.pages import router as document_pages
from portal.documents.router import router as documents_router
from portal.employers.pages import router as scheme_pages
from portal.employers.router import router as schemes_router
from portal.errors import install_error_handlers
from portal.exports.pages import router as export_pages
from portal.exports.router import router as exports_router
from portal.handoffs.rasa import api_key as rasa_api_key
from portal.handoffs.router import router as handoffs_router
from portal.i18n import translations
from portal.logs import JsonFormatter
from portal.logs import request_id as current_request
from portal.mail.service import deliver_periodically
from portal.mutations.pages import router as changes_pages
from portal.mutations.router import router as mutations_router
from portal.mutations.state import apply_due_mutations
from portal.participants.pages import router as participant_pages
from portal.participants.router import router as participants_router
from portal.profile.pages import router as profile_pages
from portal.profile.router import router as profile_router
from portal.registration.router import router as registration_router
from portal.support.pages import router as service_pages
from portal.teams.credential import channel_service_key
from portal.teams.router import router as teams_router
from portal.web import install as install_web_pages

log = logging.getLogger("portal")
access = logging.getLogger("portal.access")
ROLL_OVER_SECONDS = 3600


async def _roll_over_forever() -> None:
    # Future-dated changes take effect on their date; check hourly so a long-running portal keeps up.
    while True:
        await asyncio.sleep(ROLL_OVER_SECONDS)
        with get_sessionmaker()() as session:
            await asyncio.to_thread(apply_due_mutations, session)


@contextlib.asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Checks what the portal cannot run without, applies due changes, starts the hourly roll-over."""
    translations("nl")  # fail at start, not at the first error message, when catalogs are not compiled
    signing_key()
    channel_service_key()  # the Teams connector reads it from the same file
    rasa_api_key()  # Rasa's HTTP API verifies the portal's tokens with its public half
    with get_sessionmaker()() as session:
        applied = apply_due_mutations(session)
    log.info("portal ready; %d participant(s) brought up to date", applied)
    task = asyncio.create_task(_roll_over_forever())
    mail_task = asyncio.create_task(deliver_periodically())  # SMTP retries; nothing to do without SMTP
    collective_worker.start()  # picks up collective changes a stopped portal left behind
    yield
    await collective_worker.stop()
    task.cancel()
    mail_task.cancel()


def configure_logging() -> None:
    """One JSON line per event on stderr for the portal's own loggers (uvicorn configures only its own)."""
    logger = logging.getLogger("portal")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def create_app() -> FastAPI:
    """The FastAPI application with every router."""
    configure_logging()
    app = FastAPI(
        title="Werkgeversportaal API",
        version="0.1.0",
        description="The employer portal's API. Errors: `{errors: [{code, field, message}]}` in the "
        "language of Accept-Language (nl default, en).",
        lifespan=lifespan,
    )
    install_error_handlers(app)

    @app.middleware("http")
    async def access_log(request: Request, call_next) -> Response:
        # Path without query string: a search may hold a name or a BSN, which do not belong in a log.
        started = time.perf_counter()
        given = request.headers.get("x-request-id") or ""
        request_id = given if 0 < len(given) <= 64 and given.replace("-", "").replace("_", "").isalnum() else uuid.uuid4().hex[:16]
        current_request.set(request_id)
        response = await call_next(request)
        response.headers["X-Request-ID"] = request_id
        duration = round((time.perf_counter() - started) * 1000, 1)
        access.info(
            "%s %s %d %.1fms request_id=%s",
            request.method,
            request.url.path,
            response.status_code,
            duration,
            request_id,
            extra={"method": request.method, "path": request.url.path, "status": response.status_code,
                   "duration_ms": duration, "request_id": request_id},
        )
        return response
    app.include_router(accounts_router)
    app.include_router(activation_router)
    app.include_router(participants_router)
    app.include_router(registration_router)
    app.include_router(collective_router)
    app.include_router(mutations_router)
    app.include_router(schemes_router)
    app.include_router(handoffs_router)
    app.include_router(exports_router)
    app.include_router(documents_router)
    app.include_router(profile_router)
    install_web_pages(app)
    app.include_router(desk_pages)
    app.include_router(account_pages)
    app.include_router(activation_pages)
    app.include_router(participant_pages)
    app.include_router(changes_pages)
    app.include_router(arrange_pages)
    app.include_router(export_pages)
    app.include_router(document_pages)
    app.include_router(profile_pages)
    app.include_router(scheme_pages)
    app.include_router(service_pages)
    app.include_router(teams_router)

    @app.get("/api/health", tags=["health"])
    def health(session: Annotated[Session, Depends(get_session)]) -> JSONResponse:
        """200 when the portal and its database answer."""
        try:
            session.execute(text("SELECT 1 FROM employer LIMIT 1"))
        except Exception:
            log.exception("health check: database not ready")
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    return app


app = create_app()

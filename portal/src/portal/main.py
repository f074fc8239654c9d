"""The portal application: routers, error handlers, health, and the daily roll-over of changes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.orm import Session

from portal.accounts.router import router as accounts_router
from portal.accounts.security import signing_key
from portal.db import get_session, get_sessionmaker
from portal.employers.router import router as schemes_router
from portal.errors import install_error_handlers
from portal.i18n import translations
from portal.mutations.router import router as mutations_router
from portal.mutations.state import apply_due_mutations
from portal.participants.router import router as participants_router

log = logging.getLogger("portal")
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
    with get_sessionmaker()() as session:
        applied = apply_due_mutations(session)
    log.info("portal ready; %d participant(s) brought up to date", applied)
    task = asyncio.create_task(_roll_over_forever())
    yield
    task.cancel()


def create_app() -> FastAPI:
    """The FastAPI application with every router."""
    app = FastAPI(
        title="Werkgeversportaal API",
        version="0.1.0",
        description="The employer portal's API. Errors: `{errors: [{code, field, message}]}` in the "
        "language of Accept-Language (nl default, en).",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(accounts_router)
    app.include_router(participants_router)
    app.include_router(mutations_router)
    app.include_router(schemes_router)

    @app.get("/api/health", tags=["health"])
    def health(session: Annotated[Session, Depends(get_session)]) -> JSONResponse:
        """200 when the portal and its database answer."""
        try:
            session.execute(text("SELECT 1 FROM employer LIMIT 1"))
        except Exception:  # noqa: BLE001 - any database failure means not ready
            log.exception("health check: database not ready")
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    return app


app = create_app()

"""The background worker of collective changes: one asyncio task that processes received uploads in a thread.

All state is in the database: an upload is stored as `received` before anyone is told it was accepted, and at
start the worker picks up whatever a stopped portal left (a change it was processing was never applied, because
applying is one transaction), so a restart loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

from portal.collective import service
from portal.db import get_sessionmaker

log = logging.getLogger("portal.collective")
# A safety net only: uploads wake the worker at once; this also finds uploads made by another portal process.
POLL_SECONDS = 30.0


class CollectiveWorker:
    """Processes received collective changes one at a time, oldest first."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        """Requeues interrupted work and starts the task (in the application's event loop)."""
        with get_sessionmaker()() as session:
            requeued = service.requeue_interrupted(session)
        if requeued:
            log.info("%d interrupted collective change(s) will be processed again", requeued)
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stopping.clear()
        self._task = asyncio.create_task(self._run())

    def wake(self) -> None:
        """Called from a request's thread after an upload was stored."""
        if self._loop is not None and self._wake is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def stop(self) -> None:
        """Stops between rows; a change being checked stays for the next start."""
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                await asyncio.to_thread(self.process_pending)
            except Exception:
                log.exception("collective worker: processing failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=POLL_SECONDS)

    def process_pending(self) -> None:
        """Processes every received change; runs in a worker thread."""
        with get_sessionmaker()() as session:
            for change_id in service.pending_ids(session):
                if self._stopping.is_set():
                    return
                try:
                    status = service.process(session, change_id, self._stopping.is_set)
                except service.Interrupted:
                    session.rollback()
                    log.info("collective change %d interrupted; it is processed again at the next start", change_id)
                    return
                if status is not None:
                    log.info("collective change %d %s", change_id, status.value)


worker = CollectiveWorker()

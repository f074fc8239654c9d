"""The background worker of collective changes: one asyncio task that processes received uploads in a thread.

All state is in the database: an upload is stored as `received` before anyone is told it was accepted. A worker
claims a change before processing it (one conditional UPDATE: with several workers or pods, one wins) and renews
its claim while it works; a worker stopping cleanly hands the change back, and a crashed worker's claim is taken
over once it is older than the lease (`service.LEASE_SECONDS`). Applying is one transaction, so a change a worker
did not finish was never applied: a restart loses nothing and applies nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import threading

from portal.collective import service
from portal.db import get_sessionmaker

log = logging.getLogger("portal.collective")
# A safety net only: uploads wake the worker at once; this also finds uploads made by another portal process.
POLL_SECONDS = 30.0
# How long a stopping portal waits for the change in hand (uvicorn ends the process without waiting for threads).
STOP_SECONDS = 5.0


class CollectiveWorker:
    """Processes received collective changes one at a time, oldest first."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._stopping = threading.Event()
        self.owner = ""

    def start(self) -> None:
        """Starts the task (in the application's event loop); it first picks up what stopped workers left."""
        # Unique per worker process and start, also for a restarted pod that keeps its host name and pid.
        self.owner = f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stopping.clear()
        self._task = asyncio.create_task(self._run())

    def wake(self) -> None:
        """Called from a request's thread after an upload was stored."""
        if self._loop is not None and self._wake is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def stop(self) -> None:
        """Stops between rows and hands a change being checked back; one being applied has STOP_SECONDS to finish
        (after that the process may end in the middle: nothing of it is committed, and its claim goes stale)."""
        self._stopping.set()
        if self._task is None:
            return
        if self._wake is not None:
            self._wake.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._task), timeout=STOP_SECONDS)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            timeout = POLL_SECONDS
            try:
                timeout = await asyncio.to_thread(self.process_pending)
            except Exception:
                log.exception("collective worker: processing failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)

    def process_pending(self) -> float:
        """Processes every change it can claim; runs in a worker thread. Returns how long to wait before looking again:
        until another worker's claim would go stale (if that worker crashed), at most POLL_SECONDS."""
        with get_sessionmaker()() as session:
            for change_id in service.pending_ids(session):
                if self._stopping.is_set():
                    break
                try:
                    status = service.process(session, change_id, self.owner, self._stopping.is_set)
                except service.Interrupted:
                    session.rollback()
                    service.release(session, change_id, self.owner)
                    log.info("collective change %d interrupted; it is processed again at the next start", change_id)
                    break
                except service.ClaimLost:
                    session.rollback()
                    log.warning("collective change %d was taken over by another worker; this one applied nothing",
                                change_id)
                    continue
                if status is not None:
                    log.info("collective change %d %s", change_id, status.value)
            stale_in = service.next_stale_in(session)
        return POLL_SECONDS if stale_in is None else min(POLL_SECONDS, stale_in + 0.5)


worker = CollectiveWorker()

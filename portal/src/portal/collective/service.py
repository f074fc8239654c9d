"""Collective changes (§4.4): the workbooks to download, accepting an upload, processing it, and its status.

An upload is checked completely before it is accepted (every bad cell reported, nothing stored otherwise);
an accepted upload waits as `received`, is checked again and applied by the worker as `processing`, all rows
in one transaction, and ends `processed` or `failed`. While one is received or processing, the employer's
individual changes wait (R10).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal
from portal.accounts.security import request_fingerprint
from portal.audit.service import record
from portal.collective import rows as row_rules
from portal.collective import workbooks
from portal.collective.models import LOCKING_STATUSES, CollectiveChange, CollectiveKind, CollectiveStatus
from portal.collective.problems import CellProblem
from portal.config import get_settings
from portal.dates import add_months, today
from portal.db import get_sessionmaker
from portal.errors import N_, PortalError, Problem
from portal.mutations.models import Channel, Mutation, MutationStatus, MutationType
from portal.mutations.service import _payload as salary_payload
from portal.mutations.state import recompute, replay
from portal.participants.models import ParticipantStatus
from portal.registration import rules as registration_rules
from portal.registration import service as registration

log = logging.getLogger("portal.collective")
PROGRESS_COMMIT_SECONDS = 0.5


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# --- downloads --------------------------------------------------------------------------------------


def salary_effective_date_problems(value: date) -> list[Problem]:
    """R10: a collective salary change takes effect at most three months ahead."""
    latest = add_months(today(), get_settings().months_ahead_limit)
    if value > latest:
        return [Problem("effective_date_too_late",
                        N_("The effective date may be at most three months ahead: {latest} at the latest."),
                        "effective_date", {"latest": latest})]
    return []


def salary_workbook(session: Session, employer_id: int, effective_date: date, language: str) -> bytes:
    """The participants who can have a salary change on the date, with their values as of that date."""
    problems = salary_effective_date_problems(effective_date)
    if problems:
        raise PortalError(422, *problems)
    participants = row_rules.employer_participants(session, employer_id)
    histories = row_rules.histories_of(session, employer_id)
    lines = []
    for participant in sorted(participants.values(), key=lambda p: (p.sort_name, p.number)):
        if participant.status is not ParticipantStatus.active or participant.date_in_service > effective_date:
            continue
        state = replay(participant, histories.get(participant.id, []), effective_date)
        if state.status is not ParticipantStatus.active:
            continue
        lines.append(workbooks.SalaryLine(participant.number, participant.listed_name, participant.scheme.number,
                                          state.fulltime_salary, state.parttime_percentage))
    return workbooks.salary_workbook(lines, effective_date, language)


def new_participants_template(language: str) -> bytes:
    """The template for new participants, its example starting on the first of next month."""
    return workbooks.new_participants_template(add_months(today(), 1).replace(day=1), language)


def download_name(kind: CollectiveKind, effective_date: date | None, language: str) -> str:
    """The file name a download is saved as."""
    if kind is CollectiveKind.salary:
        stem = "salarissen" if language == "nl" else "salaries"
        return f"{stem}-{effective_date.isoformat()}.xlsx"
    return "nieuwe-deelnemers.xlsx" if language == "nl" else "new-participants.xlsx"


# --- accepting an upload ----------------------------------------------------------------------------


@dataclass
class Upload:
    """A file as it came in."""

    kind: CollectiveKind
    filename: str
    data: bytes
    effective_date: date | None = None


def too_large() -> PortalError:
    """413: the file is above the configured limit."""
    limit_mb = get_settings().collective_max_upload_bytes / 1_000_000
    return PortalError(413, Problem("file_too_large", N_("The file is too large (at most {limit} MB)."), "file",
                                    {"limit": f"{limit_mb:g}"}))


def ensure_none_pending(session: Session, employer_id: int) -> None:
    """One collective change at a time per employer: the next one is checked against the result of the last."""
    pending = session.scalar(select(exists().where(
        CollectiveChange.employer_id == employer_id, CollectiveChange.status.in_(LOCKING_STATUSES))))
    if pending:
        raise PortalError(409, Problem(
            "collective_change_processing",
            N_("Another collective change is still being processed. Upload this file once it is done."),
        ))


def parse_and_check(session: Session, employer_id: int, upload: Upload) -> list[dict[str, Any]]:
    """The upload's rows, or a 422 listing every problem in the file (nothing is stored then)."""
    if upload.kind is CollectiveKind.salary:
        problems = salary_effective_date_problems(upload.effective_date)
        if problems:
            raise PortalError(422, *problems)
        columns = workbooks.SALARY_COLUMNS
    else:
        columns = workbooks.NEW_PARTICIPANT_COLUMNS
    sheet = workbooks.read_sheet(upload.data, columns, get_settings().collective_max_rows)
    if sheet.problems:
        raise PortalError(422, *sheet.problems)
    if upload.kind is CollectiveKind.salary:
        rows, problems = row_rules.read_salary_rows(sheet.rows)
        problems += row_rules.check_salary_rows(session, employer_id, upload.effective_date, rows)
    else:
        rows, problems = row_rules.read_new_participant_rows(sheet.rows)
        problems += row_rules.check_new_participant_rows(session, employer_id, rows)
    if problems:
        raise PortalError(422, *sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
    if not rows:
        message = (N_("The workbook has no new values in columns F and G: nothing to change.")
                   if upload.kind is CollectiveKind.salary
                   else N_("The workbook has no new participants: fill in a row for each one."))
        raise PortalError(422, CellProblem("no_rows", message, "file"))
    return rows


def _fingerprint(upload: Upload) -> str:
    digest = hashlib.sha256(upload.data).hexdigest()
    return request_fingerprint("collective", upload.kind.value, str(upload.effective_date), digest)


def _replayed(session: Session, employer_id: int, key: str, fingerprint: str) -> CollectiveChange | None:
    existing = session.scalar(select(CollectiveChange).where(
        CollectiveChange.employer_id == employer_id, CollectiveChange.idempotency_key == key))
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise PortalError(422, Problem("idempotency_key_reused",
                                       N_("This Idempotency-Key was already used for a different request."),
                                       "Idempotency-Key"))
    return existing


def accept(
    session: Session, principal: Principal, upload: Upload, *, idempotency_key: str | None, dry_run: bool
) -> tuple[CollectiveChange, bool]:
    """Checks an upload and (unless dry_run) stores it as received for the worker; returns it and whether it is new."""
    employer_id = principal.employer_id
    fingerprint = _fingerprint(upload)
    if idempotency_key and not dry_run:
        existing = _replayed(session, employer_id, idempotency_key, fingerprint)
        if existing is not None:
            return existing, False
    audit = {"actor_user_id": principal.user.id, "actor_username": principal.user.username,
             "employer_id": employer_id, "channel": principal.channel}
    action = f"collective_{upload.kind.value}"
    try:
        ensure_none_pending(session, employer_id)
        rows = parse_and_check(session, employer_id, upload)
    except PortalError as error:
        if not dry_run:
            record(session, action=action, outcome="refused",
                   detail={"codes": sorted({p.code for p in error.problems})}, **audit)
            session.commit()
        raise
    change = CollectiveChange(
        employer_id=employer_id, kind=upload.kind, status=CollectiveStatus.received,
        effective_date=upload.effective_date, uploaded_at=_now(), uploaded_by_id=principal.user.id,
        filename=upload.filename[:255] or "upload.xlsx", row_count=len(rows), rows=rows, progress=0,
        idempotency_key=idempotency_key, request_fingerprint=fingerprint,
    )
    if dry_run:
        return change, False
    session.add(change)
    try:
        session.flush()
        record(session, action=action, outcome="accepted", target=str(change.id), detail={"rows": len(rows)}, **audit)
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = _replayed(session, employer_id, idempotency_key, fingerprint) if idempotency_key else None
        if existing is None:
            raise
        return existing, False
    return change, True


# --- processing -------------------------------------------------------------------------------------


class Interrupted(Exception):  # noqa: N818 - a signal, not an error
    """The portal is stopping: the change is left for the next start (nothing was applied)."""


class ClaimLost(Exception):  # noqa: N818 - a signal, not an error
    """Another worker took the change over (this one's heartbeat was older than the lease): stop, apply nothing."""


# A claim is a lease: the worker holding it renews `heartbeat_at` every HEARTBEAT_SECONDS (from a thread of its own,
# so slow queries do not count); a claim not renewed for LEASE_SECONDS is a crashed or frozen worker's and another
# worker takes it over. Every write of the holder is conditional on still holding the claim, so a worker that was
# only frozen stops at its next write instead of applying the change a second time.
LEASE_SECONDS = 15.0
HEARTBEAT_SECONDS = 3.0


def _stale_before() -> datetime:
    return _now() - timedelta(seconds=LEASE_SECONDS)


def _claimable() -> ColumnElement[bool]:
    stale = or_(CollectiveChange.heartbeat_at.is_(None), CollectiveChange.heartbeat_at < _stale_before())
    return or_(CollectiveChange.status == CollectiveStatus.received,
               and_(CollectiveChange.status == CollectiveStatus.processing, stale))


def _held_by(owner: str) -> ColumnElement[bool]:
    return and_(CollectiveChange.status == CollectiveStatus.processing, CollectiveChange.claimed_by == owner)


def claim(session: Session, change_id: int, owner: str) -> bool:
    """Marks a received change (or one whose claim went stale) as processing by `owner`; False when another won."""
    now = _now()
    try:
        result = session.execute(
            update(CollectiveChange)
            .where(CollectiveChange.id == change_id, _claimable())
            .values(status=CollectiveStatus.processing, claimed_by=owner, heartbeat_at=now, started_at=now, progress=0)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    except OperationalError:
        # SQLite's one writer is busy, for instance with another process applying this very change (its heartbeat
        # pauses meanwhile): not won this time. (PostgreSQL waits for that transaction and then finds it processed.)
        session.rollback()
        if session.get_bind().dialect.name != "sqlite":
            raise
        return False
    return result.rowcount == 1


def renew(session: Session, change_id: int, owner: str, **values: Any) -> bool:
    """Renews the claim (and sets `values`, such as the progress) if `owner` still holds it; not committed."""
    result = session.execute(
        update(CollectiveChange)
        .where(CollectiveChange.id == change_id, _held_by(owner))
        .values(heartbeat_at=_now(), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(session: Session, change_id: int, owner: str) -> bool:
    """At a clean stop: the change goes back to received (nothing of it was applied), for the next worker at once."""
    result = session.execute(
        update(CollectiveChange)
        .where(CollectiveChange.id == change_id, _held_by(owner))
        .values(status=CollectiveStatus.received, claimed_by=None, heartbeat_at=None, started_at=None, progress=0)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def pending_ids(session: Session) -> list[int]:
    """The changes to process, oldest first: received ones and those whose claim went stale."""
    return list(session.scalars(select(CollectiveChange.id).where(_claimable()).order_by(CollectiveChange.id)))


def next_stale_in(session: Session) -> float | None:
    """Seconds until the first live claim would go stale (when its worker stops renewing it); None without any."""
    oldest = session.scalar(select(func.min(CollectiveChange.heartbeat_at))
                            .where(CollectiveChange.status == CollectiveStatus.processing))
    if oldest is None:
        return None
    return max(0.0, (oldest - _stale_before()).total_seconds())


class _Heartbeat:
    """Renews a claim every HEARTBEAT_SECONDS in a thread of its own, until the applying transaction holds it."""

    def __init__(self, change_id: int, owner: str) -> None:
        self.change_id, self.owner = change_id, owner
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"collective-heartbeat-{change_id}", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """No more renewals: processing is over, or its transaction now locks the claim until it commits."""
        self._done.set()

    def _run(self) -> None:
        while not self._done.wait(HEARTBEAT_SECONDS):
            try:
                with get_sessionmaker()() as session:
                    renewed = renew(session, self.change_id, self.owner)
                    session.commit()
            except Exception as error:  # a busy database delays a heartbeat; the next one tries again
                log.warning("heartbeat of collective change %d failed: %s", self.change_id, error)
                continue
            if not renewed:
                return


def _hold(session: Session, change_id: int, owner: str) -> None:
    """Starts the transaction that ends the change by renewing its claim in it: the row stays locked until the commit
    (PostgreSQL's row lock, SQLite's one writer), so no other worker can take the change over meanwhile."""
    if not renew(session, change_id, owner):
        session.rollback()
        raise ClaimLost


def _progress_reporter(
    session: Session, change: CollectiveChange, owner: str, stopping: Callable[[], bool]
) -> Callable[[int], None]:
    delay = get_settings().collective_row_delay_seconds
    last = time.monotonic()

    def report(done: int) -> None:
        nonlocal last
        if stopping():
            raise Interrupted
        if delay:
            time.sleep(delay)
        if delay or time.monotonic() - last >= PROGRESS_COMMIT_SECONDS or done == change.row_count:
            # Nothing else is written in this session before the rows are applied, so committing is safe.
            if not renew(session, change.id, owner, progress=done):
                session.rollback()
                raise ClaimLost
            session.commit()
            # Sessions keep objects after a commit (expire_on_commit=False); the rows still to be checked
            # must see what changed meanwhile (a participant who left service), not the state at the start.
            session.expire_all()
            last = time.monotonic()

    return report


def _check(session: Session, change: CollectiveChange, report: Callable[[int], None]) -> list[CellProblem]:
    if change.kind is CollectiveKind.salary:
        return row_rules.check_salary_rows(session, change.employer_id, change.effective_date, change.rows, report)
    return row_rules.check_new_participant_rows(session, change.employer_id, change.rows, report)


def _apply_salary(session: Session, change: CollectiveChange) -> list[dict[str, Any]]:
    participants = row_rules.employer_participants(session, change.employer_id, (row["number"] for row in change.rows))
    result = []
    delay = get_settings().collective_apply_row_delay_seconds
    for row in change.rows:
        if delay:
            time.sleep(delay)
        participant = participants[row["number"]]
        request = row_rules.salary_request(row, change.effective_date)
        mutation = Mutation(
            employer_id=change.employer_id, participant=participant, type=MutationType.salary_change,
            effective_date=change.effective_date, requested_at=_now(), status=MutationStatus.received,
            requested_by_id=change.uploaded_by_id, channel=Channel.collective,
            payload={**salary_payload(request), "collective_change": change.id},
        )
        session.add(mutation)
        session.flush()
        recompute(session, participant)
        result.append({"row": row["row"], "participant": participant.number, "mutation_id": mutation.id})
    return result


def _apply_new_participants(session: Session, change: CollectiveChange) -> list[dict[str, Any]]:
    result = []
    for row in change.rows:
        request = row_rules.new_participant_request(row)
        scheme, _ = registration_rules.resolve_scheme(session, change.employer_id, request.scheme)
        mutation = registration.create(
            session, change.employer_id, request, scheme, requested_by_id=change.uploaded_by_id,
            channel=Channel.collective, extra={"collective_change": change.id},
        )
        result.append({"row": row["row"], "participant": mutation.participant.number, "mutation_id": mutation.id})
    return result


def _finish(session: Session, change: CollectiveChange, status: CollectiveStatus, **values: Any) -> None:
    # Called after _hold, in the transaction that holds the claim.
    change.status, change.finished_at, change.rows = status, _now(), None  # the rows may hold BSNs: not kept
    change.claimed_by, change.heartbeat_at = None, None
    for name, value in values.items():
        setattr(change, name, value)
    record(session, action=f"collective_{change.kind.value}", outcome=status.value, channel="collective",
           actor_user_id=change.uploaded_by_id, employer_id=change.employer_id, target=str(change.id),
           detail={"rows": change.row_count})
    session.commit()


def process(
    session: Session, change_id: int, owner: str = "portal", stopping: Callable[[], bool] = lambda: False
) -> CollectiveStatus | None:
    """Checks a change again and applies all its rows in one transaction, or none of them; None when another
    worker holds it (or took it over meanwhile)."""
    if not claim(session, change_id, owner):
        return None
    change = session.get(CollectiveChange, change_id)
    session.refresh(change)
    with _Heartbeat(change_id, owner) as heartbeat:
        try:
            problems = _check(session, change, _progress_reporter(session, change, owner, stopping))
            if stopping():
                raise Interrupted
            _hold(session, change_id, owner)
            heartbeat.stop()
            if problems:
                _finish(session, change, CollectiveStatus.failed, problems=[p.to_json() for p in problems])
                return CollectiveStatus.failed
            apply = _apply_salary if change.kind is CollectiveKind.salary else _apply_new_participants
            result = apply(session, change)
            _finish(session, change, CollectiveStatus.processed, result=result, progress=change.row_count)
        except (Interrupted, ClaimLost):
            raise
        except Exception:
            session.rollback()
            log.exception("collective change %d could not be applied; nothing was changed", change_id)
            change = session.get(CollectiveChange, change_id)
            _hold(session, change_id, owner)
            failure = CellProblem("processing_error", N_("The change could not be processed; nothing was changed. "
                                                         "Please upload the file again or contact us."), "file")
            _finish(session, change, CollectiveStatus.failed, problems=[failure.to_json()])
            return CollectiveStatus.failed
    return CollectiveStatus.processed


# --- reading the status -----------------------------------------------------------------------------


def list_changes(session: Session, employer_id: int) -> list[CollectiveChange]:
    """The employer's collective changes, newest first."""
    return list(session.scalars(select(CollectiveChange).where(CollectiveChange.employer_id == employer_id)
                                .order_by(CollectiveChange.uploaded_at.desc(), CollectiveChange.id.desc())))


def get_change(session: Session, employer_id: int, change_id: int) -> CollectiveChange:
    """One of the employer's collective changes; another employer's answers 404 like a missing one."""
    change = session.get(CollectiveChange, change_id)
    if change is None or change.employer_id != employer_id:
        raise PortalError(404, Problem("not_found", N_("Not found."), "collective_change"))
    return change


def problems_of(change: CollectiveChange) -> list[CellProblem]:
    """Why a failed change failed."""
    return [CellProblem.from_json(p) for p in change.problems or []]


def mutations_of(session: Session, change: CollectiveChange) -> list[Mutation]:
    """The mutations a processed change made, in the workbook's row order."""
    ids = [entry["mutation_id"] for entry in change.result or []]
    if not ids:
        return []
    found = {m.id: m for m in session.scalars(select(Mutation).where(Mutation.id.in_(ids)))}
    return [found[i] for i in ids if i in found]

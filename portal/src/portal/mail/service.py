"""Sending e-mail: written to the outbox table in the recipient's language, delivered by SMTP when configured.

The request that sends a mail only adds a row; delivery runs after the response (a background task), so
the answer takes as long whether or not a mail was sent. A mail SMTP did not take is tried again by
`deliver_periodically` (started with the portal), also after a restart: the state is in the table.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from fastapi import BackgroundTasks
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.config import Settings, get_settings
from portal.db import get_sessionmaker
from portal.i18n import translate
from portal.mail.models import MailStatus, OutboxMail
from portal.mail.texts import CLOSING, MailText

log = logging.getLogger("portal.mail")
MAX_ATTEMPTS = 5
# One delivery run at a time in this process, so no mail goes out twice.
_delivery_lock = threading.Lock()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def smtp_configured(settings: Settings | None = None) -> bool:
    """Whether mails leave the portal (PORTAL_SMTP_HOST set) or stay in the outbox."""
    return bool((settings or get_settings()).smtp_host)


def compose(text: MailText, language: str, **params: object) -> tuple[str, str]:
    """The subject and plain-text body of a mail in one language."""
    subject = translate(text.subject, language, **params)
    body = "\n\n".join(translate(paragraph, language, **params) for paragraph in (*text.paragraphs, CLOSING))
    return subject, body + "\n"


def queue(session: Session, recipient: str, text: MailText, language: str, **params: object) -> OutboxMail:
    """Adds a mail to the outbox (stored with the caller's commit); SMTP delivery follows `deliver_later`."""
    subject, body = compose(text, language, **params)
    mail = OutboxMail(
        created_at=_now(),
        recipient=recipient,
        subject=subject,
        body=body,
        kind=text.kind,
        language=language,
        status=(MailStatus.pending if smtp_configured() else MailStatus.outbox).value,
    )
    session.add(mail)
    return mail


def deliver_later(background: BackgroundTasks) -> None:
    """After the response: sends what waits for SMTP (nothing to do when the outbox is the destination)."""
    if smtp_configured():
        background.add_task(deliver_pending)


async def deliver_periodically() -> None:
    """At start and then every `smtp_retry_seconds`: sends what waits (retries, and mails a restart left behind)."""
    settings = get_settings()
    if not smtp_configured(settings):
        return
    while True:
        try:
            await asyncio.to_thread(deliver_pending)
        except Exception:  # a database hiccup must not end the retries
            log.exception("mail delivery run failed")
        await asyncio.sleep(settings.smtp_retry_seconds)


def deliver_pending() -> int:
    """Sends every mail waiting for SMTP; returns how many went out. Failures are retried on a later run."""
    settings = get_settings()
    if not smtp_configured(settings):
        return 0
    sent = 0
    with _delivery_lock, get_sessionmaker()() as session:
        waiting = session.scalars(
            select(OutboxMail).where(OutboxMail.status == MailStatus.pending.value).order_by(OutboxMail.id)
        ).all()
        for mail in waiting:
            mail.attempts += 1
            try:
                _send(settings, mail)
            except (OSError, smtplib.SMTPException) as exc:
                # The error names the server, never the mail's content.
                mail.last_error = f"{type(exc).__name__}: {exc}"[:300]
                if mail.attempts >= MAX_ATTEMPTS:
                    mail.status = MailStatus.failed.value
                log.warning("mail %d (%s) not delivered (attempt %d): %s", mail.id, mail.kind, mail.attempts, mail.last_error)
            else:
                mail.status = MailStatus.sent.value
                mail.sent_at = _now()
                mail.body = ""
                mail.last_error = None
                sent += 1
                log.info("mail %d (%s) delivered", mail.id, mail.kind)
            session.commit()
    return sent


def _message(settings: Settings, mail: OutboxMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="werkgeversportaal")
    message.set_content(mail.body)
    message["Content-Language"] = mail.language  # after set_content, which replaces every Content-* header
    return message


def _send(settings: Settings, mail: OutboxMail) -> None:
    context = ssl.create_default_context()
    # Port 465 speaks TLS from the first byte; other ports start plain and upgrade with STARTTLS.
    if settings.smtp_port == 465:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=15, context=context)
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15)
    with smtp:
        if settings.smtp_port != 465 and settings.smtp_starttls:
            smtp.starttls(context=context)
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(_message(settings, mail))

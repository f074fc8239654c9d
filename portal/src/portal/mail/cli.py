"""`portal outbox`: the e-mails the portal sent, for a developer's machine without SMTP."""

from __future__ import annotations

import argparse

from sqlalchemy import func, select

from portal.db import get_sessionmaker
from portal.mail.models import OutboxMail


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Adds `portal outbox` to the command line."""
    parser = sub.add_parser(
        "outbox",
        help="list the e-mails in the outbox, or print one",
        description="Without PORTAL_SMTP_HOST no mail leaves the portal: read it here. "
        "Without options: the latest mails. --last (optionally with --to) prints the newest mail in full.",
    )
    parser.add_argument("--to", help="only mails to this e-mail address")
    parser.add_argument("--limit", type=int, default=20, help="how many mails to list (default 20)")
    parser.add_argument("--show", type=int, metavar="ID", help="print the mail with this id in full")
    parser.add_argument("--last", action="store_true", help="print the newest mail in full")


def run(args: argparse.Namespace) -> int:
    """Lists or prints outbox mails; 1 when the asked-for mail is not there."""
    query = select(OutboxMail).order_by(OutboxMail.id.desc())
    if args.to:
        query = query.where(func.lower(OutboxMail.recipient) == args.to.strip().lower())
    if args.show is not None:
        query = query.where(OutboxMail.id == args.show)
    with get_sessionmaker()() as session:
        mails = session.scalars(query.limit(1 if args.show is not None or args.last else args.limit)).all()
    if args.show is not None or args.last:
        if not mails:
            print("No such mail in the outbox.")
            return 1
        print(format_mail(mails[0]))
        return 0
    for mail in mails:
        print(f"{mail.id:>5}  {mail.created_at:%Y-%m-%d %H:%M:%S}  {mail.status:<7}  {mail.recipient:<40}  {mail.subject}")
    if not mails:
        print("The outbox is empty.")
    return 0


def format_mail(mail: OutboxMail) -> str:
    """A mail as a reader sees it: headers, a blank line, the text."""
    return (
        f"Id: {mail.id}\nDate: {mail.created_at:%Y-%m-%d %H:%M:%S} UTC\nTo: {mail.recipient}\n"
        f"Subject: {mail.subject}\nStatus: {mail.status}\n\n{mail.body}"
    )

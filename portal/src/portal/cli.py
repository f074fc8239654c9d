"""Command line: `portal init-db` migrates and seeds when needed; `portal migrate`; `portal seed`; `portal outbox`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, select

from portal.config import get_settings
from portal.db import get_engine, get_sessionmaker

log = logging.getLogger("portal.cli")


def alembic_config() -> Config:
    """Alembic's configuration, pointing at the migrations inside the package."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return config


def migrate() -> None:
    """Brings the database schema to the newest migration."""
    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(), "head")


def is_seeded() -> bool:
    """Whether the database holds the demo employer already."""
    from portal.employers.models import Employer

    if not inspect(get_engine()).has_table("employer"):
        return False
    with get_sessionmaker()() as session:
        return session.scalar(select(Employer.id).limit(1)) is not None


def init_db() -> None:
    """Migrates, and seeds the demo data when the database is empty; makes the channel service key."""
    migrate()
    from portal.teams.credential import channel_service_key

    channel_service_key()  # before Rasa starts: its Teams connector reads the key from this file
    from portal.handoffs.rasa import api_key

    api_key()  # before Rasa starts too: its HTTP API verifies the portal's tokens with the public half
    if is_seeded():
        print("Database ready (already seeded).")
        return
    from portal.seed import seed

    seed()
    print("Database created and seeded with the demo data.")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `portal` command."""
    parser = argparse.ArgumentParser(prog="portal", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init-db", help="migrate, and seed the demo data if the database is empty")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("seed", help="seed the demo data into an empty, migrated database")
    from portal.mail import cli as mail_cli

    mail_cli.add_parser(sub)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "outbox":
        return mail_cli.run(args)
    if args.command == "init-db":
        init_db()
    elif args.command == "migrate":
        migrate()
    else:
        if is_seeded():
            print("The database already holds data; not seeding.", file=sys.stderr)
            return 1
        from portal.seed import seed

        seed()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

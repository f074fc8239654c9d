"""Command line: `portal init-db` migrates and seeds when needed; `portal migrate`; `portal seed`;
`portal seed-participants N` (many more participants, for benchmarks); `portal outbox`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, select, text

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


def seed_participants(count: int) -> None:
    """Adds `count` generated participants to the demo employer (in bulk), on top of the demo data."""
    import time

    from portal.seed_bulk import add_participants, dormant_share

    started = time.perf_counter()
    with get_sessionmaker()() as session:
        numbers = add_participants(session, count)
        session.commit()
        share = dormant_share(session, numbers)
    refresh_statistics()
    seconds = time.perf_counter() - started
    print(f"Added {len(numbers)} participants ({numbers.start}-{numbers.stop - 1}, {share:.0%} slapers) "
          f"in {seconds:.1f} s.")


def refresh_statistics() -> None:
    """Lets the database's query planner see the tables as they are now (after seeding many rows at once)."""
    engine = get_engine()
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    if engine.dialect.name == "sqlite":
        # The seeding went into the write-ahead log; reads are faster from the database file itself.
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def init_db(participants: int = 0) -> None:
    """Migrates, and seeds the demo data when the database is empty; makes the channel service key.

    `participants` more generated ones are added only when this call seeded the database, so the command
    stays safe to repeat.
    """
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
    refresh_statistics()
    print("Database created and seeded with the demo data.")
    if participants:
        seed_participants(participants)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `portal` command."""
    parser = argparse.ArgumentParser(prog="portal", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init-db", help="migrate, and seed the demo data if the database is empty")
    init.add_argument("--participants", type=int, default=0, metavar="N",
                      help="when seeding, also add N generated participants (for benchmarks)")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("seed", help="seed the demo data into an empty, migrated database")
    more = sub.add_parser("seed-participants", help="add N generated participants to the demo employer (benchmarks)")
    more.add_argument("count", type=int, metavar="N")
    from portal.mail import cli as mail_cli

    mail_cli.add_parser(sub)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "outbox":
        return mail_cli.run(args)
    if args.command == "init-db":
        init_db(args.participants)
    elif args.command == "seed-participants":
        if not is_seeded():
            print("Seed the demo data first (portal init-db).", file=sys.stderr)
            return 1
        seed_participants(args.count)
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

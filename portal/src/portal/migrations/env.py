"""Alembic environment: the portal's engine and the metadata of every table."""

from alembic import context

from portal import models  # noqa: F401 - registers every table on Base.metadata
from portal.db import Base, get_engine

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Runs the migrations on the configured database."""
    with get_engine().connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()

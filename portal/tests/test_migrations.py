"""The migrations build exactly the schema the models describe, as one line of history."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from portal.cli import alembic_config

BIN = Path(sys.executable).parent


def test_the_migrations_have_one_head() -> None:
    # Two heads would make `portal init-db` (upgrade head) fail on a new machine.
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_a_migrated_database_matches_the_models(tmp_path: Path) -> None:
    env = {**os.environ, "PORTAL_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    subprocess.run([str(BIN / "portal"), "init-db"], env=env, check=True, capture_output=True)
    # Compared in a fresh interpreter: the settings (and so the engine) are read once per process.
    script = (
        "from alembic.autogenerate import compare_metadata\n"
        "from alembic.migration import MigrationContext\n"
        "from sqlalchemy import create_engine\n"
        "import portal.models\n"
        "from portal.db import Base\n"
        f"engine = create_engine('sqlite:///{tmp_path / 'portal.db'}')\n"
        "with engine.connect() as connection:\n"
        "    print(compare_metadata(MigrationContext.configure(connection), Base.metadata))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True)
    assert result.stdout.strip() == "[]"

"""`portal init-db --participants N`: many generated participants on top of the unchanged demo data (issue 7)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from portal.participants.bsn import is_valid_bsn

BIN = Path(sys.executable).parent
COLUMNS = "SELECT number, first_name, infix, last_name, birth_date, date_in_service, fulltime_salary, parttime_percentage, status"


def _init(data_dir: Path, *args: str) -> str:
    env = {**os.environ, "PORTAL_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([str(BIN / "portal"), "init-db", *args], env=env, check=True, capture_output=True, text=True)
    return result.stdout


def _rows(data_dir: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(data_dir / "portal.db") as db:
        return db.execute(sql).fetchall()


def test_generated_participants_come_on_top_of_the_demo_data_deterministically(tmp_path: Path) -> None:
    plain, big, again = tmp_path / "plain", tmp_path / "big", tmp_path / "again"
    _init(plain)
    output = _init(big, "--participants", "400")
    _init(again, "--participants", "400")
    assert "Added 400 participants (2001937-2002336" in output
    demo = COLUMNS + " FROM participant WHERE number <= '2001936' OR number >= '3000000' ORDER BY number"
    assert _rows(big, demo) == _rows(plain, demo)
    generated = COLUMNS + ", bsn FROM participant WHERE number > '2001936' AND number < '3000000' ORDER BY number"
    rows = _rows(big, generated)
    assert len(rows) == 400 and rows == _rows(again, generated)
    assert [int(row[0]) for row in rows] == list(range(2001937, 2002337))
    # None of the contract's six last names, so 'Jansen' still means the two Jansens.
    assert not {row[3] for row in rows} & {"Assob", "Jansen", "Vries", "Bakker", "Visser"}
    assert {row[8] for row in rows} == {"active", "dormant"}
    bsns = [row[0] for row in _rows(big, "SELECT bsn FROM participant UNION ALL SELECT bsn FROM family_member")]
    assert all(is_valid_bsn(bsn) for bsn in bsns) and len(set(bsns)) == len(bsns)
    # Every participant is in the name index that search reads.
    assert _rows(big, "SELECT count(DISTINCT participant_id) FROM participant_word") == _rows(big, "SELECT count(*) FROM participant")


def test_a_generated_participants_state_is_the_replay_of_its_history(tmp_path: Path) -> None:
    _init(tmp_path, "--participants", "300")
    # Recomputed in a fresh interpreter (the settings, and so the database, are read once per process).
    script = (
        "import portal.models\n"
        "from sqlalchemy import select\n"
        "from portal.db import get_sessionmaker\n"
        "from portal.mutations.state import recompute\n"
        "from portal.participants.models import Participant\n"
        "changed = 0\n"
        "with get_sessionmaker()() as session:\n"
        "    for p in session.scalars(select(Participant).where(Participant.number > '2001936')):\n"
        "        before = (p.fulltime_salary, p.parttime_percentage, p.status, p.termination_date)\n"
        "        recompute(session, p)\n"
        "        changed += before != (p.fulltime_salary, p.parttime_percentage, p.status, p.termination_date)\n"
        "print(changed)\n"
    )
    env = {**os.environ, "PORTAL_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True)
    assert result.stdout.strip() == "0"

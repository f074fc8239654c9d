"""Participant search over thousands of participants (issue 7): the word index finds what a full scan would find.

Broad fragments ('van', 'ma') take another plan than narrow ones (walking the name index instead of sorting the
matches); both must give the same pages and totals as checking every participant's `search_text` by hand.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
SCRIPT = """
import portal.models
from sqlalchemy import select
from portal.db import get_sessionmaker
from portal.participants import service
from portal.participants.models import Participant
from portal.participants.search import query_terms

QUERIES = ["van", "ma", "de jong", "van der meer", "jong", "sophie kramer", "e", "zzz", "Özdemir", "ter horst"]
problems = []
with get_sessionmaker()() as session:
    everyone = list(session.scalars(select(Participant).where(Participant.employer_id == 1)))
    assert len(everyone) > service.BROAD_MATCH, len(everyone)
    for query in QUERIES:
        terms = query_terms(query)
        expected = [p for p in everyone if all(term in p.search_text for term in terms)]
        for sort, key in (("name", lambda p: (p.sort_name, p.number)), ("number", lambda p: (p.number, p.number)),
                          ("fulltime_salary", lambda p: (p.fulltime_salary, p.number))):
            for descending in (False, True):
                ordered = sorted(expected, key=key, reverse=descending)
                if descending:  # ties on the sort column stay in ascending number order
                    ordered = sorted(ordered, key=lambda p: p.number)
                    ordered = sorted(ordered, key=lambda p: key(p)[0], reverse=True)
                for page in (1, 3):
                    found, total = service.search(session, 1, query=query, sort=sort, descending=descending,
                                                  page=page, page_size=25)
                    want = [p.number for p in ordered[(page - 1) * 25:page * 25]]
                    if total != len(expected) or [p.number for p in found] != want:
                        problems.append((query, sort, descending, page, total, len(expected)))
    found, total = service.search(session, 1, query="van", scheme=2, page_size=200)
    want = [p for p in everyone if "van" in p.search_text and p.scheme.number == 2]
    if total != len(want) or {p.number for p in found} - {p.number for p in want}:
        problems.append(("van", "scheme 2", total, len(want)))
print(problems or "ok")
"""


def test_the_word_index_finds_exactly_what_a_full_scan_finds(tmp_path: Path) -> None:
    env = {**os.environ, "PORTAL_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    subprocess.run([str(BIN / "portal"), "init-db", "--participants", "6000"], env=env, check=True, capture_output=True)
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, check=True, capture_output=True, text=True)
    assert result.stdout.strip() == "ok"

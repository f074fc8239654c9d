"""Workbook benchmark (issue 7, item 3): validating a 10,000-row collective salary workbook; exporting 100,000 participants.

Seeds a database with the demo data plus N generated participants (or uses DATABASE_URL), then measures:
  1. the validation of a collective salary workbook of 10,000 rows (built with openpyxl in the layout of the
     portal's salary workbook: columns A–G, new values in F and G), both as the portal's own function
     (`portal.collective.service.parse_and_check`, in this process) and through the real upload endpoint
     (`POST /api/collective/salary-changes?dry_run=true` on a running portal); target ≤ 3 s;
  2. an export of the participant file (`POST /api/exports`, every participant, as of today) on the running
     portal: wall time and the portal process's peak resident memory during the export; targets ≤ 10 s, ≤ 300 MB.
Prints the numbers and the verdicts; exits 0 whenever it could measure (a report, not a test).

    portal/.venv/bin/python bench/workbook_bench.py            # 100,000 participants, 10,000 rows
    portal/.venv/bin/python bench/workbook_bench.py --quick    # 5,000 participants, 2,000 rows
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _portal import (  # the helpers beside this script
    PORTAL_SRC,
    database_url_of,
    login,
    machine,
    peak_rss_mb,
    reset_peak_rss,
    rss_mb,
    running_portal,
    seed,
    verdict,
)

VALIDATE_TARGET_S = 3.0
EXPORT_TARGET_S = 10.0
EXPORT_TARGET_MB = 300.0


def _first_of_next_month(today: date) -> date:
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


def _active_numbers(url: str, count: int) -> list[tuple[str, Decimal]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT number, fulltime_salary FROM participant JOIN employer ON employer.id = participant.employer_id "
            "WHERE employer.name = 'Voorbeeld Techniek B.V.' AND status = 'active' AND date_in_service < :before "
            "ORDER BY number LIMIT :count"), {"before": date.today().replace(day=1), "count": count}).all()
    engine.dispose()
    return [(row[0], Decimal(str(row[1]))) for row in rows]


def salary_workbook(rows: list[tuple[str, Decimal]]) -> bytes:
    """A filled-in collective salary workbook: the portal's headings, a raise in F, every fifth row a new G."""
    from openpyxl import Workbook

    from portal.collective.workbooks import SALARY_COLUMNS
    from portal.i18n import translate

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Deelnemers")
    sheet.append([translate(column.heading, "nl") for column in SALARY_COLUMNS])
    for index, (number, salary) in enumerate(rows):
        raised = float((salary * Decimal("1.03")).quantize(Decimal("0.01")))
        sheet.append([number, "Naam", 1, float(salary), 100.0, raised, 90.0 if index % 5 == 0 else None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def validate_in_process(data: bytes, effective: date, repeats: int) -> list[float]:
    """Seconds per call of the portal's own check of an upload (parse the workbook, check every row)."""
    import portal.models  # noqa: F401 - every table, as the portal loads them
    from portal.collective import service
    from portal.collective.models import CollectiveKind
    from portal.db import get_sessionmaker
    from portal.employers.models import Employer

    timings = []
    with get_sessionmaker()() as session:
        from sqlalchemy import select

        employer_id = session.scalar(select(Employer.id).where(Employer.name == "Voorbeeld Techniek B.V."))
        for _ in range(repeats):
            upload = service.Upload(CollectiveKind.salary, "salarissen.xlsx", data, effective)
            started = time.perf_counter()
            rows = service.parse_and_check(session, employer_id, upload)
            timings.append(time.perf_counter() - started)
            session.rollback()
    if not rows:
        raise RuntimeError("the workbook had no rows to change")
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=100_000, help="generated participants on top of the demo data")
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the collective salary workbook")
    parser.add_argument("--repeats", type=int, default=3, help="validations and exports to time (the median is reported)")
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run (5,000 participants, 2,000 rows)")
    parser.add_argument("--data-dir", type=Path, help="keep the portal's data here (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.quick:
        args.participants, args.rows, args.repeats = min(args.participants, 5000), min(args.rows, 2000), 1
    database_url = os.environ.get("DATABASE_URL") or None
    print(f"Workbook benchmark · {machine()}")
    print(f"database: {'PostgreSQL (DATABASE_URL)' if database_url else 'SQLite'} · {args.participants} generated "
          f"participants · {args.rows}-row salary workbook")
    with tempfile.TemporaryDirectory(prefix="workbook-bench-") as scratch:
        data_dir = args.data_dir or Path(scratch)
        data_dir.mkdir(parents=True, exist_ok=True)
        print(f"seeded in {seed(data_dir, args.participants, database_url):.1f} s")
        # This process reads the same database as the portal (for the in-process validation).
        os.environ["PORTAL_DATA_DIR"] = str(data_dir)
        if database_url:
            os.environ["DATABASE_URL"] = database_url
        sys.path.insert(0, str(PORTAL_SRC))
        effective = _first_of_next_month(date.today())
        numbers = _active_numbers(database_url_of(data_dir, database_url), args.rows)
        started = time.perf_counter()
        data = salary_workbook(numbers)
        print(f"built the workbook: {len(numbers)} rows, {len(data) / 1e6:.2f} MB in {time.perf_counter() - started:.1f} s")
        in_process = validate_in_process(data, effective, args.repeats)
        with running_portal(data_dir, database_url) as portal, httpx.Client(base_url=portal.url, timeout=600) as client:
            client.headers["Authorization"] = f"Bearer {login(client)}"
            endpoint = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                answer = client.post("/api/collective/salary-changes", params={"dry_run": "true"},
                                     data={"effective_date": effective.isoformat()},
                                     files={"file": ("salarissen.xlsx", data)})
                endpoint.append(time.perf_counter() - started)
                if answer.status_code != 200 or answer.json()["row_count"] != len(numbers):
                    raise RuntimeError(f"upload: {answer.status_code} {answer.text[:500]}")
            exports, peaks, sizes = [], [], []
            for _ in range(args.repeats):
                baseline = rss_mb(portal.pid)
                can_reset = reset_peak_rss(portal.pid)
                started = time.perf_counter()
                answer = client.post("/api/exports", json={"as_of": date.today().isoformat()})
                exports.append(time.perf_counter() - started)
                if answer.status_code != 201:
                    raise RuntimeError(f"export: {answer.status_code} {answer.text[:500]}")
                peaks.append(peak_rss_mb(portal.pid) if can_reset else float("nan"))
                sizes.append((answer.json()["row_count"], answer.json()["size"], baseline))
            started = time.perf_counter()
            download = client.get(answer.json()["download_url"])
            download_seconds = time.perf_counter() - started
            download.raise_for_status()
    rows, size, baseline = sizes[-1]
    print()
    print(f"validation, portal function (parse + check {len(numbers)} rows): median {statistics.median(in_process):.2f} s "
          f"(all: {', '.join(f'{t:.2f}' for t in in_process)})")
    print(f"validation, upload endpoint (dry run):              median {statistics.median(endpoint):.2f} s "
          f"(all: {', '.join(f'{t:.2f}' for t in endpoint)})")
    print(f"export of {rows} participants ({size / 1e6:.1f} MB xlsx): median {statistics.median(exports):.2f} s "
          f"(all: {', '.join(f'{t:.2f}' for t in exports)}); download again {download_seconds:.2f} s")
    print(f"portal memory: {baseline:.0f} MB before the export, peak {max(peaks):.0f} MB during it"
          + ("" if peaks[0] == peaks[0] else " (peak not measurable: /proc/<pid>/clear_refs not writable)"))
    print("targets:")
    print(verdict(f"validate {len(numbers)} rows (upload endpoint)", statistics.median(endpoint), VALIDATE_TARGET_S, "s"))
    print(verdict(f"export {rows} participants", statistics.median(exports), EXPORT_TARGET_S, "s"))
    print(verdict("export peak memory (portal process)", max(peaks), EXPORT_TARGET_MB, "MB"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

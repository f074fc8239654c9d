"""Portal benchmark (issue 7, item 2): participant search over 100,000 participants and a mutation POST.

Starts a real portal (uvicorn) on a fresh SQLite database seeded with the demo data plus N generated participants
(`portal init-db --participants N`), or on the PostgreSQL database in DATABASE_URL, logs in as demo.hr through the
API (password + TOTP), then times, with one persistent HTTP client per simulated user:
  - GET /api/participants?q=…&page_size=6 as the assistant's actions call it: by name fragment, by participant
    number and by BSN;
  - POST /api/participants/{number}/salary-change with an Idempotency-Key (each on another participant).
Prints p50/p95/p99 per kind and whether the targets (search p95 ≤ 20 ms, mutation p95 ≤ 30 ms) are met.
Always exits 0 when it could measure: it is a report, not a test.

    portal/.venv/bin/python bench/portal_bench.py            # 100,000 participants, 600 searches, 300 mutations
    portal/.venv/bin/python bench/portal_bench.py --quick    # 5,000 participants, fewer requests
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _portal import (  # the helpers beside this script
    TABLE_HEADER,
    Timings,
    cpu_seconds,
    database_url_of,
    login,
    machine,
    running_portal,
    seed,
    verdict,
)

SEARCH_TARGET_MS = 20.0
MUTATION_TARGET_MS = 30.0
# Fragments a user types: whole and partial last names, with a tussenvoegsel, first + last name, a contract name.
NAME_QUERIES = (
    "jong", "de jong", "van der meer", "dijkstra", "meer", "berg", "hoekstra", "sophie", "jan smit", "kok",
    "van den heuvel", "brouwer", "el amrani", "ozdemir", "yilmaz", "ter horst", "vermeulen", "willems", "kramer",
    "bruijn", "jansen", "assob", "piet jansen", "de vries", "visser", "lotte de graaf", "schouten", "van", "ma",
    "timmermans", "koen hendriks", "noor", "postma", "claassen", "van wijngaarden", "nguyen", "prins", "maas",
)


def _first_of_next_month(today: date) -> date:
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


def _inputs(url: str, rng: random.Random, active: int, bsns: int) -> tuple[list[str], list[str], list[str]]:
    """Participant numbers of active participants (for mutations and number searches) and BSNs (never printed)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        numbers = list(connection.execute(text(
            "SELECT number FROM participant JOIN employer ON employer.id = participant.employer_id "
            "WHERE employer.name = 'Voorbeeld Techniek B.V.' AND status = 'active' AND number > '2001936' "
            "AND date_in_service < '2025-01-01'")).scalars())
        all_bsns = list(connection.execute(text(
            "SELECT bsn FROM participant JOIN employer ON employer.id = participant.employer_id "
            "WHERE employer.name = 'Voorbeeld Techniek B.V.'")).scalars())
    engine.dispose()
    rng.shuffle(numbers)
    return numbers[:active], numbers[active:active * 2], rng.sample(all_bsns, min(bsns, len(all_bsns)))


def _timed(client: httpx.Client, method: str, path: str, expect: int, **kwargs: object) -> float:
    started = time.perf_counter()
    response = client.request(method, path, **kwargs)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != expect:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
    return elapsed


def run_searches(url: str, token: str, queries: list[tuple[str, str]], users: int) -> dict[str, list[float]]:
    """Every query once, spread over `users` clients (each its own persistent connection); ms per kind."""
    results: dict[str, list[float]] = {}
    lock = threading.Lock()

    def worker(part: list[tuple[str, str]]) -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            for kind, q in part:
                ms = _timed(client, "GET", "/api/participants", 200, params={"q": q, "page_size": 6})
                with lock:
                    results.setdefault(kind, []).append(ms)

    with ThreadPoolExecutor(users) as pool:
        list(pool.map(worker, [queries[i::users] for i in range(users)]))
    return results


def run_mutations(url: str, token: str, numbers: list[str], users: int, effective: date) -> list[float]:
    """One salary change per participant (with an Idempotency-Key), spread over `users` clients; ms each."""
    timings: list[float] = []
    lock = threading.Lock()

    def worker(part: list[str]) -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            for number in part:
                body = {"effective_date": effective.isoformat(), "salary": "61234.56"}
                ms = _timed(client, "POST", f"/api/participants/{number}/salary-change", 201, json=body,
                            headers={"Idempotency-Key": f"bench-{uuid.uuid4()}"})
                with lock:
                    timings.append(ms)

    with ThreadPoolExecutor(users) as pool:
        list(pool.map(worker, [numbers[i::users] for i in range(users)]))
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=100_000, help="generated participants on top of the demo data")
    parser.add_argument("--searches", type=int, default=600, help="search requests (a third each: name, number, BSN)")
    parser.add_argument("--mutations", type=int, default=300, help="salary-change POSTs, each on another participant")
    parser.add_argument("--users", type=int, default=1, help="concurrent clients (1: latency without queueing)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run (5,000 participants)")
    parser.add_argument("--data-dir", type=Path, help="keep the portal's data here (default: a temporary folder)")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the query mix")
    args = parser.parse_args(argv)
    if args.quick:
        args.participants, args.searches, args.mutations = min(args.participants, 5000), 150, 60
    database_url = os.environ.get("DATABASE_URL") or None
    print(f"Portal benchmark · {machine()}")
    print(f"database: {'PostgreSQL (DATABASE_URL)' if database_url else 'SQLite'} · {args.participants} generated "
          f"participants · {args.users} client(s) · {args.workers} uvicorn worker(s)")
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as scratch:
        data_dir = args.data_dir or Path(scratch)
        data_dir.mkdir(parents=True, exist_ok=True)
        seconds = seed(data_dir, args.participants, database_url)
        print(f"seeded in {seconds:.1f} s")
        rng = random.Random(args.seed)
        mutation_numbers, search_numbers, bsns = _inputs(
            database_url_of(data_dir, database_url), rng, args.mutations, max(args.searches // 3, 1))
        per_kind = max(args.searches // 3, 1)
        queries = (
            [("search by name fragment", rng.choice(NAME_QUERIES)) for _ in range(per_kind)]
            + [("search by participant number", number) for number in (search_numbers * per_kind)[:per_kind]]
            + [("search by BSN", bsn) for bsn in (bsns * per_kind)[:per_kind]]
        )
        rng.shuffle(queries)
        with running_portal(data_dir, database_url, args.workers) as portal:
            with httpx.Client(base_url=portal.url, timeout=30) as client:
                token = login(client)
                # Warm-up: the first requests pay for imports, caches and SQLite's page cache.
                for q in ("jong", "2001681", "van"):
                    client.get("/api/participants", params={"q": q, "page_size": 6},
                               headers={"Authorization": f"Bearer {token}"}).raise_for_status()
            started, cpu = time.perf_counter(), cpu_seconds(portal.pid)
            searches = run_searches(portal.url, token, queries, args.users)
            search_seconds, search_cpu = time.perf_counter() - started, cpu_seconds(portal.pid) - cpu
            started, cpu = time.perf_counter(), cpu_seconds(portal.pid)
            mutations = run_mutations(portal.url, token, mutation_numbers, args.users,
                                      _first_of_next_month(date.today()))
            mutation_seconds, mutation_cpu = time.perf_counter() - started, cpu_seconds(portal.pid) - cpu
    everything = [ms for values in searches.values() for ms in values]
    search_all = Timings("search (all kinds)", everything)
    mutation = Timings("POST salary-change", mutations)
    print()
    print(TABLE_HEADER)
    for kind in sorted(searches):
        print(Timings(kind, searches[kind]).line())
    print(search_all.line())
    print(mutation.line())
    print(f"throughput: {len(everything) / search_seconds:.0f} searches/s, {len(mutations) / mutation_seconds:.0f} mutations/s")
    if args.workers == 1:
        # Latencies on a loaded machine include waiting for a core; the portal's own CPU time per request does not.
        print(f"portal CPU time per request: {search_cpu * 1000 / len(everything):.1f} ms per search, "
              f"{mutation_cpu * 1000 / len(mutations):.1f} ms per mutation POST")
    print("targets:")
    print(verdict("search p95", search_all.p95, SEARCH_TARGET_MS, "ms"))
    print(verdict("mutation POST p95", mutation.p95, MUTATION_TARGET_MS, "ms"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

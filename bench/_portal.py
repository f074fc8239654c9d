"""What the portal benchmarks share: the machine they ran on, a real seeded portal process, a login, percentiles.

Run with the portal's environment (`portal/.venv/bin/python bench/...`): the portal is started from this
checkout's source (`portal/src`), as `uvicorn portal.main:app`, on a free port with its own data directory.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyotp

ROOT = Path(__file__).resolve().parents[1]
PORTAL_SRC = ROOT / "portal" / "src"
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "Pensioen-Demo-2026!"  # noqa: S105 - the published demo password (contract §2)
# Contract §2: published demo TOTP secrets.
DEMO_TOTP = {"demo.hr": "H6J47PAK24PBBN7RXYAKNXKPPAX4ZOFV", "demo.um": "JXL5JBSIOD2JMBUND4MRTXI45WCGP64W"}
DEMO_PARTICIPANTS = 256  # the contract's six and the 250 generated ones of `portal init-db`


def machine() -> str:
    """One line about where the numbers come from: CPU, cores, load, Python."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.node()} · {cpu} · {os.cpu_count()} cores · load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
            f" · Python {platform.python_version()} · {time.strftime('%Y-%m-%d %H:%M %Z')}")


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (share 0.95 → p95) of some timings."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Timings:
    """Latencies of one kind of request, in milliseconds."""

    name: str
    ms: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.ms) if self.ms else float("nan")

    @property
    def p95(self) -> float:
        return percentile(self.ms, 0.95)

    @property
    def p99(self) -> float:
        return percentile(self.ms, 0.99)

    def line(self) -> str:
        """A table row: name, count, p50, p95, p99, max."""
        top = max(self.ms) if self.ms else float("nan")
        return f"{self.name:<34} {len(self.ms):>6} {self.p50:>8.1f} {self.p95:>8.1f} {self.p99:>8.1f} {top:>8.1f}"


TABLE_HEADER = f"{'request':<34} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"


def verdict(label: str, value: float, limit: float, unit: str) -> str:
    """'MET' or 'MISSED' for one target, with the figure."""
    state = "MET   " if value <= limit else "MISSED"
    return f"  [{state}] {label}: {value:.1f} {unit} (target ≤ {limit:g} {unit})"


def load_portal_test_server():
    """The portal's test helper (portal/tests/server.py): free ports, the health wait, the demo logins and the
    TOTP bookkeeping (a code is accepted once); loaded by path, as the bench scripts are not a package."""
    spec = importlib.util.spec_from_file_location("portal_test_server", ROOT / "portal" / "tests" / "server.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


portal_test_server = load_portal_test_server()
free_port = portal_test_server.free_port


def portal_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    """The environment of the portal processes: this checkout's source, its own data, no assistant."""
    env = {**os.environ, "PORTAL_DATA_DIR": str(data_dir), "PORTAL_RASA_URL": "",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(PORTAL_SRC), os.environ.get("PYTHONPATH", "")]))}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def database_url_of(data_dir: Path, database_url: str | None) -> str:
    """The SQLAlchemy URL of the benchmark's database (for reading test inputs such as BSNs)."""
    if database_url:
        for prefix in ("postgres://", "postgresql://"):
            if database_url.startswith(prefix):
                return "postgresql+psycopg://" + database_url[len(prefix):]
        return database_url
    return f"sqlite:///{data_dir / 'portal.db'}"


def seed(data_dir: Path, participants: int, database_url: str | None) -> float:
    """Migrates and seeds the database with the demo data plus `participants` generated ones; returns seconds.

    On a DATABASE_URL that is seeded already, only the participants still missing are added.
    """
    env = portal_env(data_dir, database_url)
    started = time.perf_counter()
    subprocess.run([str(BIN / "portal"), "init-db"], env=env, check=True, capture_output=True)
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url_of(data_dir, database_url))
    with engine.connect() as connection:
        existing = connection.execute(text(
            "SELECT count(*) FROM participant JOIN employer ON employer.id = participant.employer_id "
            "WHERE employer.name = 'Voorbeeld Techniek B.V.'")).scalar_one()
    engine.dispose()
    missing = participants + DEMO_PARTICIPANTS - existing
    if missing > 0:
        subprocess.run([str(BIN / "portal"), "seed-participants", str(missing)], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


@dataclass
class RunningPortal:
    """A portal process: its URL and process id."""

    url: str
    pid: int
    data_dir: Path


@contextmanager
def running_portal(data_dir: Path, database_url: str | None = None, workers: int = 1) -> Iterator[RunningPortal]:
    """Starts uvicorn on a free port (as the Procfile does) and stops it afterwards."""
    port = free_port()
    log_path = data_dir / "portal.log"
    command = [str(BIN / "uvicorn"), "portal.main:app", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    if workers > 1:
        command += ["--workers", str(workers)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=portal_env(data_dir, database_url), stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            portal_test_server.wait_until_healthy(process, url, log_path, timeout_s=60)
            yield RunningPortal(url=url, pid=process.pid, data_dir=data_dir)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def login(client: httpx.Client, username: str = "demo.hr") -> str:
    """An access token through the real API: password, then the account's current TOTP code."""
    first = client.post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    first.raise_for_status()
    code = pyotp.TOTP(DEMO_TOTP[username]).now()
    second = client.post("/api/auth/mfa", json={"mfa_token": first.json()["mfa_token"], "code": code})
    second.raise_for_status()
    return second.json()["access_token"]


def rss_mb(pid: int) -> float:
    """The current resident memory of a process (Linux), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb(pid: int) -> float:
    """The peak resident memory of a process so far (Linux VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss(pid: int) -> bool:
    """Resets a process's peak resident memory to its current one (Linux ≥ 4.0); False when not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far (Linux): a figure the machine's load does not inflate."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

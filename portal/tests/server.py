"""A real portal process for the tests: its own SQLite file, seeded by `portal init-db`, served by uvicorn."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyotp

DEMO_PASSWORD = "Pensioen-Demo-2026!"  # noqa: S105 - the published demo password (contract §2)
SECRETS = {
    "demo.um": "JXL5JBSIOD2JMBUND4MRTXI45WCGP64W",
    "demo.hr": "H6J47PAK24PBBN7RXYAKNXKPPAX4ZOFV",
    "demo.finance": "VFYMR3A6X6LQNGSP3GOI3T3WKKTSUDTJ",
    "demo.hrfin": "KGBBC2FAZEWQ4JYJKQNTCTILZJOVYFIP",
    "desk.agent": "7JEOR3OHW4H5W7H3VFNAK744ZPYSCC4Z",
    "other.hr": "MZXW6YTBOI2DGMRRGQ3TMNZQHE4DCMBT",
    "desk.colleague": "OTFCKOMVYUAZMNFWWGYWKLT4BBUEIUBB",
}
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Portal:
    """A running portal: its URL, its data directory and its database file."""

    url: str
    data_dir: Path
    env: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)
    # The last TOTP time step used per user: the portal accepts each code once only.
    used_steps: dict[str, int] = field(default_factory=dict)
    # The process behind `url`, for tests that stop or pause the portal.
    server: PortalServer | None = None

    @property
    def database(self) -> Path:
        """The SQLite file behind this portal."""
        return self.data_dir / "portal.db"

    def client(self, language: str | None = None) -> httpx.Client:
        """An HTTP client for this portal, optionally asking for a language."""
        headers = {"Accept-Language": language} if language else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def totp_code(self, username: str) -> str:
        """A code of a time step not used yet for this user, waiting for the next step when needed.

        The portal accepts one step of drift either way, so the next step's code is good already now.
        """
        step = max(int(time.time() // 30), self.used_steps.get(username, -1) + 1)
        while step > int(time.time() // 30) + 1:
            time.sleep(0.5)
        self.used_steps[username] = step
        return pyotp.TOTP(SECRETS[username]).at(step * 30)

    def login(self, username: str, password: str = DEMO_PASSWORD) -> str:
        """Logs in through the API (password, then the current TOTP code) and returns the access token.

        A TOTP code is accepted once only, so each user logs in once per portal and the token is kept.
        """
        if username not in self.tokens:
            with self.client() as client:
                first = client.post("/api/auth/login", json={"username": username, "password": password})
                assert first.status_code == 200, first.text
                code = self.totp_code(username)
                second = client.post("/api/auth/mfa", json={"mfa_token": first.json()["mfa_token"], "code": code})
                assert second.status_code == 200, second.text
                self.tokens[username] = second.json()["access_token"]
        return self.tokens[username]

    def headers(self, username: str, **extra: str) -> dict[str, str]:
        """Authorization headers for a demo user."""
        return {"Authorization": f"Bearer {self.login(username)}", **extra}


def wait_until_healthy(process: subprocess.Popen, url: str, log_path: Path, timeout_s: float) -> None:
    """Waits until the portal at `url` answers /api/health; its log in the error if it exits or stays down."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"portal exited: {log_path.read_text()}")
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"portal did not become healthy: {log_path.read_text()}")
        time.sleep(0.2)


class PortalServer:
    """The portal's uvicorn process, which a test can stop, pause and start again on the same address and data."""

    def __init__(self, env: dict[str, str], port: int, log_path: Path, bin_dir: Path = BIN) -> None:
        self.env, self.port, self.log_path, self.bin_dir = env, port, log_path, bin_dir
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Starts uvicorn and waits until /api/health answers (the log is appended to, across restarts)."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(self.bin_dir / "uvicorn"), "portal.main:app", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until_healthy(self.process, self.url, self.log_path, timeout_s=30)

    def stop(self) -> None:
        """Stops the portal as an operator would (SIGTERM); requests get 'connection refused' until start()."""
        if self.process is not None and self.process.poll() is None:
            self.resume()
            self.process.terminate()
            self.process.wait(timeout=10)

    def pause(self) -> None:
        """Freezes the process (SIGSTOP): connections are accepted by the kernel but nothing answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Lets a paused portal go on with whatever it was sent meanwhile."""
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@contextmanager
def running_portal(tmp: Path, extra_env: dict[str, str] | None = None, bin_dir: Path = BIN) -> Iterator[Portal]:
    """Creates and seeds a database in `tmp`, starts the portal on a free port, stops it afterwards.

    `bin_dir` is the portal environment's bin folder (the assistant's tests run in another one).
    """
    # No assistant unless a test connects one (a developer's Rasa on :5005 is not this portal's).
    env = {**os.environ, "PORTAL_DATA_DIR": str(tmp), "PORTAL_RASA_URL": "", **(extra_env or {})}
    if "DATABASE_URL" not in (extra_env or {}):
        env.pop("DATABASE_URL", None)  # the default SQLite file, whatever the developer's shell says
    subprocess.run([str(bin_dir / "portal"), "init-db"], env=env, check=True, capture_output=True)
    server = PortalServer(env, free_port(), tmp / "portal.log", bin_dir)
    try:
        server.start()
        yield Portal(url=server.url, data_dir=tmp, env=env, server=server)
    finally:
        server.stop()

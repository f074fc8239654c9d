"""Fixtures that start the real assistant: a Rasa server and its action server."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PORTAL_BIN = REPO_ROOT / "portal" / ".venv" / "bin"


def _load_portal_test_server():
    # The portal's own test helper starts a real portal; both suites use it (it needs only httpx and pyotp).
    spec = importlib.util.spec_from_file_location("portal_test_server", REPO_ROOT / "portal" / "tests" / "server.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


portal_test_server = _load_portal_test_server()
MODELS_DIR = REPO_ROOT / "models"
# Rasa is usually up within 10-40 s; the margin is for a busy 2-core CI machine.
STARTUP_TIMEOUT_S = 240.0
TRAIN_TIMEOUT_S = 900.0


def rasa_executable() -> str:
    """Returns the `rasa` CLI that belongs to the interpreter running the tests."""
    beside_python = Path(sys.executable).parent / "rasa"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("rasa")
    if found is None:
        raise RuntimeError("No `rasa` CLI found; run the tests with the assistant's venv.")
    return found


def rasa_environment(**extra: str) -> dict[str, str]:
    """Returns the environment for Rasa processes: no telemetry, less TensorFlow noise, our code importable."""
    env = dict(os.environ)
    env.update(
        {
            # Telemetry would try to reach the internet from tests and CI.
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
        }
    )
    env.update(extra)
    return env


free_port = portal_test_server.free_port


def newest_model(directory: Path) -> Path | None:
    """Returns the most recently written model archive in a directory, if any."""
    models = sorted(directory.glob("*.tar.gz"), key=lambda path: path.stat().st_mtime)
    return models[-1] if models else None


class ServiceProcess:
    """A background process whose output goes to a log file we can show on failure."""

    def __init__(self, name: str, command: list[str], log_path: Path, env: dict[str, str]) -> None:
        """Starts the process in its own process group."""
        self.name = name
        self.log_path = log_path
        self._log = log_path.open("wb")
        # Its own session, so that stopping it also stops anything it spawned.
        self.process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output_tail(self, lines: int = 60) -> str:
        """Returns the last lines the process printed."""
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def wait_until_ready(self, url: str, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        """Polls `url` until it answers 200; fails with the output if the process dies."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"{self.name} exited with code {self.process.returncode} while starting:\n{self.output_tail()}"
                )
            try:
                if httpx.get(url, timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(1)
        self.stop()
        pytest.fail(f"{self.name} was not ready after {timeout_s:.0f} s:\n{self.output_tail()}")

    def stop(self) -> None:
        """Terminates the process group, and kills it if it does not end in time."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Returns the newest model in models/, training one into a temp dir if there is none."""
    existing = newest_model(MODELS_DIR)
    if existing is not None:
        return existing
    out_dir = tmp_path_factory.mktemp("models")
    result = subprocess.run(
        [rasa_executable(), "train", "--fixed-model-name", "assistant", "--out", str(out_dir)],
        cwd=REPO_ROOT,
        env=rasa_environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TRAIN_TIMEOUT_S,
    )
    model = newest_model(out_dir)
    if result.returncode != 0 or model is None:
        pytest.fail(f"rasa train failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return model


@pytest.fixture(scope="session")
def action_server_url(portal: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Starts `rasa run actions` on a free port and yields its base URL."""
    port = free_port()
    logs = tmp_path_factory.mktemp("action-server")
    server = ServiceProcess(
        "action server",
        [rasa_executable(), "run", "actions", "--port", str(port), "--actions", "actions"],
        logs / "output.log",
        # rasa_sdk has no --interface option; it reads the host from SANIC_HOST.
        rasa_environment(SANIC_HOST="127.0.0.1", PORTAL_URL=portal.url),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        server.wait_until_ready(f"{url}/health")
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def rasa_port() -> int:
    """Rasa's port, reserved before the portal starts: the service desk's console calls Rasa's HTTP API."""
    return free_port()


def rasa_api_public_key(portal: object) -> Path:
    """The public key Rasa verifies the portal's API tokens with (the portal makes the pair in `init-db`)."""
    return portal.data_dir / "keys" / "rasa-api-es256.pub.pem"


@pytest.fixture(scope="session")
def rasa_url(
    trained_model: Path,
    action_server_url: str,
    portal: object,
    rasa_port: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """Starts `rasa run --enable-api` (JWT only) with the trained model and yields its base URL."""
    port = rasa_port
    workdir = tmp_path_factory.mktemp("rasa-server")
    credentials = workdir / "credentials.yml"
    credentials.write_text((REPO_ROOT / "credentials.yml").read_text())
    endpoints = workdir / "endpoints.yml"
    # JSON is valid YAML and needs no quoting rules.
    endpoints.write_text(json.dumps({
        "action_endpoint": {"url": f"{action_server_url}/webhook"},
        # As endpoints.yml: conversations in memory, BSNs masked.
        "tracker_store": {"type": "bot.tracker_store.MaskingInMemoryTrackerStore"},
    }))
    server = ServiceProcess(
        "rasa server",
        [
            rasa_executable(),
            "run",
            "--enable-api",
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
            "-m",
            str(trained_model),
            "--credentials",
            str(credentials),
            "--endpoints",
            str(endpoints),
            # As in the Procfile: the HTTP API only with the portal's ES256 tokens (see portal/handoffs/rasa.py).
            "--jwt-method",
            "ES256",
            "--jwt-secret",
            str(rasa_api_public_key(portal)),
            "--jwt-private-key",
            "unused-rasa-only-verifies",
        ],
        workdir / "output.log",
        rasa_environment(PORTAL_URL=portal.url),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # / answers only once the model is loaded (Sanic serves after the loading listener); /status needs a token.
        server.wait_until_ready(f"{url}/")
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory, rasa_port: int) -> Iterator[object]:
    """A real portal with a freshly seeded SQLite database (the portal's own environment runs it)."""
    with portal_test_server.running_portal(
        tmp_path_factory.mktemp("portal"),
        # The console calls Rasa's HTTP API; the pages' widget connects to Rasa's Socket.IO channel.
        extra_env={
            "PORTAL_RASA_URL": f"http://127.0.0.1:{rasa_port}",
            "PORTAL_CHAT_SOCKET_URL": f"http://127.0.0.1:{rasa_port}",
        },
        bin_dir=PORTAL_BIN,
    ) as running:
        yield running


@dataclass
class Chat:
    """One conversation with the assistant over the REST channel, as a portal user with a real chat token."""

    rasa_url: str
    portal: object
    username: str
    token: str = ""
    sender: str = ""
    replies: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        with self.portal.client() as client:
            issued = client.post("/api/chat/token", headers=self.portal.headers(self.username))
        assert issued.status_code == 200, issued.text
        self.token, self.sender = issued.json()["token"], issued.json()["conversation_id"]

    def send(self, message: str) -> list[dict]:
        """Sends a message; returns the assistant's replies (text and buttons)."""
        response = httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": self.sender, "message": message, "metadata": {"token": self.token}},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        self.replies = response.json()
        return self.replies

    def say(self, message: str) -> list[str]:
        """Sends a message; returns the texts of the replies."""
        return [reply["text"] for reply in self.send(message) if "text" in reply]

    def buttons(self) -> list[dict]:
        """The buttons of the latest replies."""
        return [button for reply in self.replies for button in reply.get("buttons", [])]


@pytest.fixture
def chat(rasa_url: str, portal: object) -> Callable[[str], Chat]:
    """Starts conversations: chat("demo.hr") is a new conversation of demo.hr."""
    return lambda username="demo.hr": Chat(rasa_url, portal, username)


def new_sender() -> str:
    """A sender id no token was issued for."""
    return f"test-{uuid.uuid4().hex}"


def _load_run_scaled():
    # scripts/ is no package; the scaled stack's starter is loaded from its file, as the portal's test helper is.
    spec = importlib.util.spec_from_file_location("run_scaled", REPO_ROOT / "scripts" / "run_scaled.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


run_scaled = _load_run_scaled()


@pytest.fixture(scope="session")
def scaled_stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The scaled-out stack of scripts/run_scaled.py (`make run-scaled`), every port a free one.

    PostgreSQL, Redis, the portal with 2 workers, 2 action servers and 2 Rasa processes behind nginx.
    Used by tests/scaled, and by every test when WGP_STACK=scaled (`make test-scaled`).
    """
    workdir = tmp_path_factory.mktemp("scaled")
    ports = run_scaled.Ports.free(free_port(), free_port(), free_port())
    stack = run_scaled.ScaledStack(workdir, ports, model=trained_model)
    try:
        stack.start()
    except RuntimeError as exc:
        pytest.fail(f"the scaled stack did not start: {exc}")
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def scaled_portal(scaled_stack: object) -> object:
    """The scaled stack's portal (PostgreSQL, 2 workers) as the tests' Portal helper: one per session,
    because it remembers which TOTP codes were used."""
    return portal_test_server.Portal(
        url=scaled_stack.portal_url, data_dir=scaled_stack.portal_data_dir, env=scaled_stack.portal_env()
    )


if os.environ.get("WGP_STACK") == "scaled":
    # Opt-in (`make test-scaled`): the same tests against the scaled stack; without it nothing here changes.

    @pytest.fixture(scope="session")
    def portal(scaled_portal: object) -> object:
        """The scaled stack's portal."""
        return scaled_portal

    @pytest.fixture(scope="session")
    def rasa_port(scaled_stack: object) -> int:
        """nginx's address of the Rasa processes."""
        return scaled_stack.ports.rasa

    @pytest.fixture(scope="session")
    def action_server_url(scaled_stack: object) -> str:
        """nginx's address of the action servers."""
        return scaled_stack.actions_url

    @pytest.fixture(scope="session")
    def rasa_url(scaled_stack: object) -> str:
        """nginx's address of the Rasa processes."""
        return scaled_stack.rasa_url

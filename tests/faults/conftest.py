"""A stack of its own for fault tests: every process can be stopped, frozen and started again.

The portal on a fixed port with its SQLite file, an action server that waits at most
ACTIONS_TIMEOUT_S for the portal, and Rasa with the BSN-masking SQL tracker store in a SQLite
file, so that a restarted Rasa finds the conversation again. One stack per module: loading the
model takes about a minute on the CI machine.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import (
    PORTAL_BIN,
    REPO_ROOT,
    Chat,
    ServiceProcess,
    free_port,
    portal_test_server,
    rasa_environment,
    rasa_executable,
)

# Long enough for the portal's own 500 on a locked database (SQLite busy_timeout 5 s) to arrive
# before the actions give up; a frozen portal is frozen for longer than this.
ACTIONS_TIMEOUT_S = 8


@dataclass
class Restartable:
    """A service started by `command` on a fixed port, which a test can stop and start again."""

    name: str
    command: list[str]
    env: dict[str, str]
    ready_url: str
    logs: Path
    process: ServiceProcess | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        self.process = ServiceProcess(self.name, self.command, self.logs / f"{self.name}-{self.starts}.log", self.env)
        self.process.wait_until_ready(self.ready_url)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def log_texts(self) -> list[str]:
        """What each start of the service wrote, in the order of the starts."""
        return [(self.logs / f"{self.name}-{start}.log").read_text(errors="replace") for start in range(1, self.starts + 1)]

    def log_text(self) -> str:
        """Everything every start of the service wrote."""
        return "".join(self.log_texts())


@dataclass
class FaultStack:
    """The processes of one conversation path: portal, action server, Rasa."""

    workdir: Path
    portal: object
    actions: Restartable
    rasa: Restartable
    tracker_db: Path
    chats: list[Chat] = field(default_factory=list)

    @property
    def rasa_url(self) -> str:
        return self.rasa.ready_url.rstrip("/")


@pytest.fixture(scope="module")
def fault_stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    workdir = tmp_path_factory.mktemp("faults")
    portal_dir = workdir / "portal"
    portal_dir.mkdir()
    rasa_port, actions_port, portal_port = free_port(), free_port(), free_port()
    env = os.environ | {"PORTAL_DATA_DIR": str(portal_dir), "PORTAL_RASA_URL": ""}
    env.pop("DATABASE_URL", None)
    subprocess.run([str(PORTAL_BIN / "portal"), "init-db"], env=env, check=True, capture_output=True)
    server = portal_test_server.PortalServer(env, portal_port, portal_dir / "portal.log", PORTAL_BIN)
    server.start()
    portal = portal_test_server.Portal(url=server.url, data_dir=portal_dir, env=env, server=server)

    actions = Restartable(
        "actions",
        [rasa_executable(), "run", "actions", "--port", str(actions_port), "--actions", "actions"],
        rasa_environment(SANIC_HOST="127.0.0.1", PORTAL_URL=portal.url, PORTAL_TIMEOUT_SECONDS=str(ACTIONS_TIMEOUT_S)),
        f"http://127.0.0.1:{actions_port}/health",
        workdir,
    )
    tracker_db = workdir / "tracker.db"
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(json.dumps({
        "action_endpoint": {"url": f"http://127.0.0.1:{actions_port}/webhook"},
        "tracker_store": {"type": "bot.tracker_store.MaskingSQLTrackerStore", "dialect": "sqlite", "db": str(tracker_db)},
    }))
    rasa = Restartable(
        "rasa",
        [rasa_executable(), "run", "-i", "127.0.0.1", "-p", str(rasa_port), "-m", str(trained_model),
         "--credentials", str(REPO_ROOT / "credentials.yml"), "--endpoints", str(endpoints)],
        rasa_environment(PORTAL_URL=portal.url),
        f"http://127.0.0.1:{rasa_port}/",
        workdir,
    )
    try:
        actions.start()
        rasa.start()
        yield FaultStack(workdir, portal, actions, rasa, tracker_db)
    finally:
        rasa.stop()
        actions.stop()
        server.stop()


@pytest.fixture
def fault_chat(fault_stack: FaultStack) -> Callable[..., Chat]:
    """Starts conversations on the fault stack: fault_chat("demo.hr")."""

    def start(username: str = "demo.hr") -> Chat:
        conversation = Chat(fault_stack.rasa_url, fault_stack.portal, username)
        fault_stack.chats.append(conversation)
        return conversation

    return start

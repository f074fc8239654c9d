"""Conversation turns under load: simulated HR users on the REST channel, against our whole stack and a stock bot.

Starts the portal (fresh demo data), the action server and Rasa with models/assistant.tar.gz on free ports,
and a stock `rasa init` bot trained in a temporary folder with the same Rasa. Each simulated user runs whole
conversations closed loop (the next message as soon as the answer is in), with a real chat token per
conversation: a termination with a disambiguation and a confirmation, a salary lookup, a FAQ question. Every
reply is checked; a wrong answer counts as an error, not as a turn. Prints turns/s and p50/p95/p99 per turn
for each number of users, for both bots, and the ratios against the targets at 20 users.

Then the same levels against the scaled stack of scripts/run_scaled.py (PostgreSQL, Redis, the portal with 2
workers, 2 action servers, 2 Rasa processes behind nginx; every port a free one), again each followed by the
stock bot, with a fresh PostgreSQL database per level; and both stacks side by side (`--skip-scaled`: not).

Run with the portal's environment (it has httpx and pyotp):
    portal/.venv/bin/python bench/turns_bench.py [--quick] [--profile] [--skip-scaled] [--stock-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import calendar
import importlib.util
import itertools
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
RASA = REPO_ROOT / ".venv" / "bin" / "rasa"
PORTAL_BIN = REPO_ROOT / "portal" / ".venv" / "bin"
MODEL = REPO_ROOT / "models" / "assistant.tar.gz"
PROFILES_DIR = REPO_ROOT / "bench" / "profiles"
STARTUP_TIMEOUT_S = 300.0
TURN_TIMEOUT_S = 120.0
# The accounts with the hr role (contract §2); the simulated users share them round robin.
HR_ACCOUNTS = ("demo.hr", "demo.hrfin", "demo.um")
# The contract's six keep their data: the lookups read them, the tests of other suites expect them.
FIXED_NUMBERS = {"2001681", "2001682", "2001683", "2001684", "2001685", "2001686"}
# The disambiguation when no participant is left to terminate: the two Jansens, always declined at the summary.
DECLINED_QUERY, DECLINED_NUMBERS = "Jansen", ("2001682", "2001683")
MAX_CANDIDATES = 5  # as actions/forms.py: more matches than this are not offered as buttons
NBSP = "\u00a0"
TARGET_TURNS_RATIO = 2.0
TARGET_P95_RATIO = 0.5


sys.path.insert(0, str(Path(__file__).resolve().parent))
from _portal import free_port, portal_test_server  # noqa: E402  (the helpers beside this script)


def _load_run_scaled():
    # scripts/ is no package: the scaled stack's starter (`make run-scaled`) is loaded from its file.
    spec = importlib.util.spec_from_file_location("run_scaled", REPO_ROOT / "scripts" / "run_scaled.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


run_scaled = _load_run_scaled()


# --- processes ----------------------------------------------------------------------------------


def rasa_environment(**extra: str) -> dict[str, str]:
    """Rasa's environment as the Makefile sets it: no telemetry, quiet TensorFlow, our code importable."""
    env = dict(os.environ)
    env.update({"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))})
    env.update(extra)
    return env


class Service:
    """A background process in its own session, its output in a log file."""

    def __init__(self, name: str, command: list[str], log_path: Path, env: dict[str, str], cwd: Path = REPO_ROOT):
        """Starts the process."""
        self.name, self.command, self.log_path, self.env, self.cwd = name, command, log_path, env, cwd
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        """Starts (or restarts) the process, appending to its log."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        """The process id (the Python process itself: none of our services forks workers)."""
        return self.process.pid

    def wait_ready(self, url: str, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        """Polls `url` until it answers 200; raises with the log's tail if the process ends or takes too long."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.tail()}")
            try:
                if httpx.get(url, timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} not ready after {timeout_s:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        """The last lines of the log."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Terminates the process group; kills it if it does not end in time."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


class OurStack:
    """Portal + action server + Rasa, as the Procfile runs them, on free ports with a fresh SQLite database."""

    RESET = "portal restarted on the seeded copy of its SQLite database per level"
    FORKING: tuple[str, ...] = ()

    def __init__(self, workdir: Path, model: Path) -> None:
        """Creates and seeds the database, keeps a copy of it, and starts the three processes."""
        self.workdir = workdir
        self.data_dir = workdir / "portal"
        self.data_dir.mkdir(parents=True)
        self.portal_port, self.actions_port, self.rasa_port = free_port(), free_port(), free_port()
        self.portal_url = f"http://127.0.0.1:{self.portal_port}"
        self.rasa_url = f"http://127.0.0.1:{self.rasa_port}"
        env = {**os.environ, "PORTAL_DATA_DIR": str(self.data_dir), "PORTAL_RASA_URL": self.rasa_url}
        env.pop("DATABASE_URL", None)
        subprocess.run([str(PORTAL_BIN / "portal"), "init-db"], env=env, check=True, capture_output=True)
        self.snapshot = workdir / "portal.seeded.db"
        shutil.copy2(self.data_dir / "portal.db", self.snapshot)
        self.services: dict[str, Service] = {}
        self.services["portal"] = Service(
            "portal",
            [str(PORTAL_BIN / "uvicorn"), "portal.main:app", "--host", "127.0.0.1", "--port", str(self.portal_port),
             "--no-access-log"],
            workdir / "portal.log", env,
        )
        self.services["portal"].wait_ready(f"{self.portal_url}/api/health")
        self.services["actions"] = Service(
            "action server",
            [str(RASA), "run", "actions", "--port", str(self.actions_port), "--actions", "actions"],
            workdir / "actions.log", rasa_environment(SANIC_HOST="127.0.0.1", PORTAL_URL=self.portal_url),
        )
        endpoints = workdir / "endpoints.yml"
        endpoints.write_text(json.dumps({
            "action_endpoint": {"url": f"http://127.0.0.1:{self.actions_port}/webhook"},
            "tracker_store": {"type": "bot.tracker_store.MaskingInMemoryTrackerStore"},  # as endpoints.yml
        }))
        keys = self.data_dir / "keys"
        self.services["rasa"] = Service(
            "rasa",
            [str(RASA), "run", "--enable-api", "-i", "127.0.0.1", "-p", str(self.rasa_port), "-m", str(model),
             "--credentials", str(REPO_ROOT / "credentials.yml"), "--endpoints", str(endpoints),
             "--jwt-method", "ES256", "--jwt-secret", str(keys / "rasa-api-es256.pub.pem"),
             "--jwt-private-key", "unused-rasa-only-verifies"],
            workdir / "rasa.log",
            rasa_environment(PORTAL_URL=self.portal_url,
                             PORTAL_CHANNEL_SERVICE_KEY_FILE=str(keys / "channel-service.key")),
        )
        self.services["actions"].wait_ready(f"http://127.0.0.1:{self.actions_port}/health")
        self.services["rasa"].wait_ready(f"{self.rasa_url}/")

    def reset_portal(self) -> None:
        """Restarts the portal on the seeded copy of its database, so that every load level meets the same data."""
        portal = self.services["portal"]
        portal.stop()
        for suffix in ("-wal", "-shm", "-journal"):
            (self.data_dir / f"portal.db{suffix}").unlink(missing_ok=True)
        shutil.copy2(self.snapshot, self.data_dir / "portal.db")
        portal.start()
        portal.wait_ready(f"{self.portal_url}/api/health")

    def pids(self) -> dict[str, int]:
        """The process ids to profile."""
        return {name: service.pid for name, service in self.services.items()}

    def stop(self) -> None:
        """Stops the three processes."""
        for service in reversed(list(self.services.values())):
            service.stop()


class ExternalStack:
    """A stack started elsewhere (e.g. the scaled setup): only its URLs; its data is not reset between levels."""

    RESET = "none (not our stack): once no participant is left, terminations go to the summary and are declined"
    FORKING: tuple[str, ...] = ()

    def __init__(self, rasa_url: str, portal_url: str) -> None:
        self.rasa_url, self.portal_url = rasa_url.rstrip("/"), portal_url.rstrip("/")
        self.data_dir = Path(tempfile.gettempdir())  # unused: the portal's files are not ours here

    def reset_portal(self) -> None:
        """Nothing to reset: the pool is taken again from what the portal still accepts."""

    def pids(self) -> dict[str, int]:
        return {}

    def stop(self) -> None:
        """Not ours to stop."""


class ScaledBenchStack:
    """The scaled-out stack of scripts/run_scaled.py (PostgreSQL, Redis, the portal with 2 workers, 2 action
    servers and 2 Rasa processes behind nginx), every port a free one, so it never meets a `make run`.

    Every load level gets a fresh portal database: right after the start, while it holds only the seeded demo
    data, the portal's database is copied into a template database; before each level the portal is stopped,
    its database dropped and created again from that template, and the portal started again. Rasa's tracker
    store (its own database) is kept: every conversation has a new id anyway.
    """

    RESET = "fresh PostgreSQL database per level (dropped and created from the seeded template)"
    TEMPLATE = "portal_seeded"
    FORKING = ("portal",)  # uvicorn --workers 2: the workers are child processes of the one we started

    def __init__(self, workdir: Path, model: Path) -> None:
        """Starts the stack (its own throw-away PostgreSQL cluster, never DATABASE_URL) and makes the template."""
        ports = run_scaled.Ports.free(free_port(), free_port(), free_port())
        self.stack = run_scaled.ScaledStack(workdir, ports, model=model)
        self.stack.start()
        self.rasa_url, self.portal_url = self.stack.rasa_url, self.stack.portal_url
        self.data_dir = self.stack.portal_data_dir
        self.database = urlsplit(self.stack.database_url)
        try:
            with self._portal_stopped():
                self._pg("createdb", "--template", self.database.path.lstrip("/"), self.TEMPLATE)
        except BaseException:
            self.stack.stop()
            raise

    def _pg(self, program: str, *arguments: str) -> None:
        # The cluster is ours (trust authentication on loopback), reached as its owner role.
        subprocess.run([run_scaled.pg_bin(program), "-h", self.database.hostname, "-p", str(self.database.port),
                        "-U", self.database.username, *arguments], check=True, capture_output=True)

    @contextmanager
    def _portal_stopped(self) -> Iterator[None]:
        """The portal's workers stopped (a database with connections can be neither copied nor dropped)."""
        portal = self.stack.processes["portal"]
        portal.stop()
        yield
        portal.start()
        portal.wait_ready()

    def reset_portal(self) -> None:
        """The portal's database again as seeded: dropped and created from the template, the portal restarted."""
        name = self.database.path.lstrip("/")
        with self._portal_stopped():
            self._pg("dropdb", "--force", name)
            self._pg("createdb", "--template", self.TEMPLATE, name)

    def pids(self) -> dict[str, int]:
        """The processes to profile: both Rasa processes, both action servers, the portal (its workers with it)."""
        return {name: part.pid for name, part in self.stack.processes.items() if name not in ("redis", "nginx")}

    def stop(self) -> None:
        """Stops every process and removes the throw-away cluster."""
        self.stack.stop()


class StockBot:
    """`rasa init --no-prompt` in a temporary folder (it trains the model), served by `rasa run` with REST."""

    def __init__(self, workdir: Path, reuse: Path | None = None) -> None:
        """Creates and trains the bot (or reuses a folder where that was done), then starts it."""
        self.folder = reuse or workdir / "stock-bot"
        self.train_seconds: float | None = None
        if reuse is None or not list((self.folder / "models").glob("*.tar.gz")):
            self.folder.mkdir(parents=True, exist_ok=True)
            started = time.monotonic()
            with (workdir / "stock-init.log").open("wb") as log:
                subprocess.run([str(RASA), "init", "--no-prompt", "--init-dir", str(self.folder)], cwd=self.folder,
                               env=rasa_environment(), stdin=subprocess.DEVNULL, stdout=log,
                               stderr=subprocess.STDOUT, check=True)
            self.train_seconds = time.monotonic() - started
        model = sorted((self.folder / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)[-1]
        credentials = workdir / "stock-credentials.yml"
        credentials.write_text("rest: {}\n")
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.service = Service(
            "stock rasa",
            [str(RASA), "run", "-i", "127.0.0.1", "-p", str(port), "-m", str(model), "--credentials", str(credentials)],
            workdir / "stock-rasa.log", rasa_environment(), cwd=self.folder,
        )
        self.service.wait_ready(f"{self.url}/")

    def pids(self) -> dict[str, int]:
        """The process id to profile."""
        return {"stock-rasa": self.service.pid}

    def stop(self) -> None:
        """Stops the bot."""
        self.service.stop()


# --- the conversations --------------------------------------------------------------------------


class ConversationFailedError(Exception):
    """A reply was missing or not the expected one; the conversation cannot go on."""


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Amsterdam")).date()


def end_of_next_month() -> date:
    current = today()
    year, month = (current.year + 1, 1) if current.month == 12 else (current.year, current.month + 1)
    return date(year, month, calendar.monthrange(year, month)[1])


def texts(replies: list[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def payloads(replies: list[dict]) -> set[str]:
    return {button["payload"] for reply in replies for button in reply.get("buttons", [])}


@dataclass
class TurnRecord:
    """One message and its answer: when it ended, how long it took, whether the answer was right."""

    step: str
    ended: float
    seconds: float
    ok: bool


@dataclass
class Recorder:
    """Everything one load level measured."""

    turns: list[TurnRecord] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    token_seconds: list[float] = field(default_factory=list)
    submitted: int = 0
    declined: int = 0

    def fail(self, description: str) -> None:
        if len(self.failures) < 200:
            self.failures.append(description)


@dataclass
class Session:
    """One conversation: its sender id and chat token (None for the stock bot, which takes any sender)."""

    sender: str
    token: str | None = None


async def turn(client: httpx.AsyncClient, url: str, session: Session, message: str, step: str, recorder: Recorder,
               check: Callable[[list[dict]], bool]) -> list[dict]:
    """Sends one message, times it and checks the answer; raises ConversationFailedError on a wrong one."""
    body: dict = {"sender": session.sender, "message": message}
    if session.token:
        body["metadata"] = {"token": session.token}
    started = time.perf_counter()
    replies: list[dict] | None = None
    try:
        response = await client.post(f"{url}/webhooks/rest/webhook", json=body)
        detail = f"HTTP {response.status_code}"
        if response.status_code == 200:
            replies = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        detail = type(exc).__name__
    seconds = time.perf_counter() - started
    try:
        ok = isinstance(replies, list) and check(replies)
    except (KeyError, TypeError, AttributeError):
        ok = False
    recorder.turns.append(TurnRecord(step, time.monotonic(), seconds, ok))
    if not ok:
        # The replies of these conversations hold names and salaries of demo data, never a BSN or a token.
        shown = f": {texts(replies)[:300]!r}" if isinstance(replies, list) else ""
        recorder.fail(f"{step} {message!r} -> {detail}{shown}")
        raise ConversationFailedError(step)
    return replies


@dataclass
class TerminationPlan:
    """Whom to terminate: the name to say, the button to pick, and whether to confirm or decline."""

    query: str
    number: str
    submit: bool


class TerminationPool:
    """Participants that can be terminated once each, grouped by a name that matches 2-5 of them.

    The portal accepts one termination per employment, so a participant is confirmed once per level; when the
    pool is empty, the conversation goes the same way with the two Jansens and declines at the summary.
    """

    def __init__(self, groups: dict[str, list[str]]) -> None:
        self._groups = {query: list(numbers) for query, numbers in groups.items()}
        self._order = itertools.cycle(sorted(self._groups))
        self._declined = itertools.cycle(DECLINED_NUMBERS)

    def take(self) -> TerminationPlan:
        for _ in range(len(self._groups)):
            query = next(self._order)
            if self._groups[query]:
                return TerminationPlan(query, self._groups[query].pop(), submit=True)
        return TerminationPlan(DECLINED_QUERY, next(self._declined), submit=False)


# The words each answer must contain, per language (texts from domain.yml; tests/assistant check them in full).
OPENER = {"nl": "{query} gaat per eind volgende maand uit dienst", "en": "{query} is leaving at the end of next month"}
SUMMARY_BUTTONS = {"nl": {"ja", "iets wijzigen", "nee"}, "en": {"yes", "change something", "no"}}
CONFIRM = {"nl": ("ja", "Doorgegeven"), "en": ("yes", "Submitted")}
DECLINE = {"nl": ("nee", "niets doorgegeven"), "en": ("no", "haven't submitted anything")}
LOOKUPS = {
    "nl": [("wat is het salaris van 2001681", f"€{NBSP}52.242,28"), ("wat verdient 2001685", f"€{NBSP}57.750,00"),
           ("wat is het salaris van 2001686", f"€{NBSP}66.300,00")],
    "en": [("what is the salary of 2001681", "€52,242.28"), ("what is the salary of 2001685", "€57,750.00"),
           ("what does 2001686 earn", "€66,300.00")],
}
FAQS = {
    "nl": [("hoe lang duurt de verwerking van een collectieve wijziging?", "vierentwintig uur"),
           ("welke app moet ik installeren voor de inlogcode?", "Google Authenticator"),
           ("waar vind ik eigenlijk de premie die we betalen?", "boekingsoverzicht")],
    "en": [("how far ahead can I set the date of a change?", "three months"),
           ("where can I see who our financial advisor is?", "My advisor"),
           ("how do I switch the portal to dark mode?", "dark mode")],
}


@dataclass
class Workload:
    """What the simulated users of one bot say, and how to start a conversation."""

    name: str
    url: str
    turns_per_conversation: int
    converse: Callable[[httpx.AsyncClient, int, int, Recorder], Awaitable[None]]


class OurWorkload:
    """Conversations with our assistant as the HR users of the demo employer."""

    def __init__(self, stack_url: str, portal_url: str, access_tokens: dict[str, str], pool: TerminationPool):
        self.url, self.portal_url, self.access_tokens, self.pool = stack_url, portal_url, access_tokens, pool

    async def new_session(self, client: httpx.AsyncClient, account: str, recorder: Recorder) -> Session:
        """A real chat token for a new conversation, as the widget asks for one (POST /api/chat/token)."""
        started = time.perf_counter()
        issued = await client.post(f"{self.portal_url}/api/chat/token",
                                   headers={"Authorization": f"Bearer {self.access_tokens[account]}"})
        recorder.token_seconds.append(time.perf_counter() - started)
        if issued.status_code != 200:
            recorder.fail(f"chat token for {account}: HTTP {issued.status_code}")
            raise ConversationFailedError("token")
        return Session(issued.json()["conversation_id"], issued.json()["token"])

    async def converse(self, client: httpx.AsyncClient, user: int, count: int, recorder: Recorder) -> None:
        """A termination (name with several matches, pick a button, confirm or decline), a lookup, a FAQ."""
        language = "nl" if user % 2 == 0 else "en"
        session = await self.new_session(client, HR_ACCOUNTS[user % len(HR_ACCOUNTS)], recorder)
        plan = self.pool.take()
        await turn(client, self.url, session, OPENER[language].format(query=plan.query), "termination:name", recorder,
                   lambda r: plan.number in payloads(r) and len(payloads(r)) >= 2)
        await turn(client, self.url, session, plan.number, "termination:pick", recorder,
                   lambda r: f"({plan.number})" in texts(r) and payloads(r) == SUMMARY_BUTTONS[language])
        answer, expected = (CONFIRM if plan.submit else DECLINE)[language]
        await turn(client, self.url, session, answer, "termination:confirm", recorder, lambda r: expected in texts(r))
        if plan.submit:
            recorder.submitted += 1
        else:
            recorder.declined += 1
        message, expected = LOOKUPS[language][count % 3]
        await turn(client, self.url, session, message, "lookup", recorder, lambda r: expected in texts(r))
        message, expected = FAQS[language][(count + user) % 3]
        await turn(client, self.url, session, message, "faq", recorder,
                   lambda r: len(r) == 1 and expected in texts(r))


STOCK_CONVERSATION = [
    ("hello", "Hey! How are you?"),
    ("I am very sad", "Did that help you?"),
    ("yes", "Great, carry on!"),
    ("are you a bot?", "I am a bot, powered by Rasa."),
    ("bye", "Bye"),
]


def stock_workload(url: str) -> Workload:
    """The stock bot's own stories: greet, sad path with the cheer-up, bot challenge, goodbye."""

    async def converse(client: httpx.AsyncClient, user: int, count: int, recorder: Recorder) -> None:
        session = Session(f"bench-{user}-{count}-{time.monotonic_ns()}")
        for index, (message, expected) in enumerate(STOCK_CONVERSATION):
            await turn(client, url, session, message, f"stock:{index}", recorder, lambda r, e=expected: e in texts(r))

    return Workload("stock rasa init bot", url, len(STOCK_CONVERSATION), converse)


# --- load levels --------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted values lie (linear between neighbours)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass
class LevelResult:
    """The figures of one bot at one number of users."""

    bot: str
    users: int
    seconds: float
    turns: int
    errors: int
    turns_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    submitted: int = 0
    declined: int = 0
    token_p95_ms: float = float("nan")
    # Which of our stacks the level was measured with: the stock bot's levels run alongside each in turn.
    phase: str = "single"
    failures: list[str] = field(default_factory=list)


async def run_level(workload: Workload, users: int, duration_s: float, warmup_s: float,
                    on_measuring: Callable[[], None] | None = None) -> LevelResult:
    """Runs `users` closed-loop users for warm-up + duration; measures the turns that end within the duration."""
    recorder = Recorder()
    limits = httpx.Limits(max_connections=users + 10, max_keepalive_connections=users + 10)
    async with httpx.AsyncClient(timeout=TURN_TIMEOUT_S, limits=limits) as client:
        begin = time.monotonic()
        window_start, deadline = begin + warmup_s, begin + warmup_s + duration_s

        async def user_loop(user: int) -> None:
            for count in itertools.count():
                if time.monotonic() >= deadline:
                    return
                try:
                    await workload.converse(client, user, count, recorder)
                except ConversationFailedError:
                    await asyncio.sleep(0.2)  # a failing stack must not be hammered by a tight loop

        tasks = [asyncio.create_task(user_loop(user)) for user in range(users)]
        if on_measuring is not None:
            await asyncio.sleep(warmup_s)
            on_measuring()
        await asyncio.gather(*tasks)
    measured = [t for t in recorder.turns if window_start <= t.ended <= deadline]
    good = [t.seconds for t in measured if t.ok]
    return LevelResult(
        bot=workload.name, users=users, seconds=duration_s, turns=len(good), errors=len(measured) - len(good),
        turns_per_second=len(good) / duration_s, p50_ms=percentile(good, 0.50) * 1000,
        p95_ms=percentile(good, 0.95) * 1000, p99_ms=percentile(good, 0.99) * 1000,
        submitted=recorder.submitted, declined=recorder.declined,
        token_p95_ms=percentile(recorder.token_seconds, 0.95) * 1000, failures=recorder.failures,
    )


# --- setup of our workload ----------------------------------------------------------------------


def login(portal: object, account: str) -> str:
    """An access token (password + TOTP through the API; never printed).

    A TOTP code is accepted once: when an earlier run used this step's code already, the next step's is taken.
    """
    for _ in range(3):
        try:
            return portal.login(account)
        except AssertionError as refused:
            if "code_already_used" not in str(refused):
                raise  # the next try takes the next step's code (the portal helper remembers the used step)
    raise RuntimeError(f"could not log in as {account}: every TOTP code was used already")


def login_all(portal: object) -> dict[str, str]:
    """Access tokens of the HR accounts."""
    return {account: login(portal, account) for account in HR_ACCOUNTS}


def query_for(listed_name: str) -> str:
    """'Meer, J., van der' -> 'van der Meer': how a user names someone by surname."""
    parts = [part.strip() for part in listed_name.split(",")]
    return f"{parts[2]} {parts[0]}" if len(parts) > 2 and parts[2] else parts[0]


def termination_groups(portal_url: str, token: str) -> dict[str, list[str]]:
    """Surnames that match 2-5 participants, with those of them the portal would accept a termination for.

    Asks the portal itself: the search the actions use, and a dry run of the termination (the same rules).
    """
    headers = {"Authorization": f"Bearer {token}"}
    groups: dict[str, list[str]] = {}
    with httpx.Client(base_url=portal_url, headers=headers, timeout=30) as client:
        rows, page = [], 1
        while True:
            listed = client.get("/api/participants", params={"page_size": 200, "page": page}).json()
            rows += listed["items"]
            if len(rows) >= listed["total"] or not listed["items"]:
                break
            page += 1
        queries = sorted({query_for(row["name"]) for row in rows if row["number"] not in FIXED_NUMBERS})
        effective = end_of_next_month().isoformat()
        for query in queries:
            found = client.get("/api/participants", params={"q": query, "page_size": MAX_CANDIDATES + 1}).json()
            if not 2 <= found["total"] <= MAX_CANDIDATES:
                continue
            terminable = [
                row["number"] for row in found["items"]
                if row["number"] not in FIXED_NUMBERS and client.post(
                    f"/api/participants/{row['number']}/termination", params={"dry_run": "true"},
                    json={"effective_date": effective}).status_code in (200, 201)
            ]
            if terminable:
                groups[query] = terminable
    return groups


async def probe_groups(workload: OurWorkload, groups: dict[str, list[str]]) -> dict[str, list[str]]:
    """Keeps the names the assistant recognises in both languages' opening sentence (one conversation each)."""
    recorder = Recorder()
    kept: dict[str, list[str]] = {}
    async with httpx.AsyncClient(timeout=TURN_TIMEOUT_S) as client:
        for query, numbers in groups.items():
            try:
                for language in ("nl", "en"):
                    session = await workload.new_session(client, HR_ACCOUNTS[0], recorder)
                    await turn(client, workload.url, session, OPENER[language].format(query=query), "probe", recorder,
                               lambda r, n=numbers: set(n) <= payloads(r))
                kept[query] = numbers
            except ConversationFailedError:
                pass
    return kept


# --- profiling ----------------------------------------------------------------------------------


def py_spy_executable() -> str | None:
    """py-spy from PATH, or installed from PyPI into a venv in /tmp (not into the project's environments)."""
    found = shutil.which("py-spy")
    if found:
        return found
    venv = Path(tempfile.gettempdir()) / "wgp-bench-py-spy"
    binary = venv / "bin" / "py-spy"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "py-spy==0.4.3"], check=True)
    return str(binary)


class Profiler:
    """py-spy recording each process for a fixed time, in collapsed-stack form (speedscope.app opens it)."""

    def __init__(self, pids: dict[str, int], seconds: float, label: str, with_children: tuple[str, ...] = ()) -> None:
        self.pids, self.seconds, self.label, self.with_children = pids, seconds, label, with_children
        self.recordings: list[tuple[str, Path, subprocess.Popen]] = []

    def start(self) -> None:
        executable = py_spy_executable()
        PROFILES_DIR.mkdir(parents=True, exist_ok=True)
        for name, pid in self.pids.items():
            out = PROFILES_DIR / f"{self.label}-{name}.collapsed.txt"
            command = [executable, "record", "--pid", str(pid), "--duration", str(int(self.seconds)), "--rate", "50",
                       "--nonblocking", "--format", "raw", "--output", str(out)]
            if name in self.with_children:
                command.append("--subprocesses")
            log = (PROFILES_DIR / f"{self.label}-{name}.py-spy.log").open("wb")
            self.recordings.append((name, out, subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)))

    def finish(self) -> list[Path]:
        """Waits for the recordings and writes a readable summary next to each."""
        summaries = []
        for name, out, process in self.recordings:
            process.wait(timeout=self.seconds + 60)
            if out.exists():
                summary = out.with_name(f"{self.label}-{name}.top.txt")
                summary.write_text(summarise_profile(out.read_text()))
                summaries.append(summary)
            else:
                print(f"  py-spy wrote no profile for {name}; see {out.with_suffix('.log')}")
        return summaries


def frame_package(frame: str) -> str:
    """The library or project part a py-spy frame 'function (package/module.py:line)' belongs to."""
    path = frame.rpartition("(")[2].rstrip(")").rpartition(":")[0]
    if "site-packages/" in path:
        path = path.split("site-packages/")[1]
    elif path.startswith(str(REPO_ROOT)):
        path = path[len(str(REPO_ROOT)) + 1:]
    # py-spy names a library's file from its package ('jsonschema/validators.py'), a stdlib module by its file.
    return path.split("/")[0] if "/" in path else f"stdlib:{Path(path).stem}" if path else "?"


def summarise_profile(collapsed: str, top: int = 25) -> str:
    """Where the samples went: by package of the innermost frame, by function (self), by function (inclusive)."""
    self_by_package: Counter[str] = Counter()
    self_by_function: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        self_by_package[frame_package(frames[-1])] += count
        self_by_function[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    lines = [f"{total} samples (non-idle, 50 Hz)", "", "self time by package (innermost frame):"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in self_by_package.most_common(top)] if total else []
    lines += ["", "self time by function:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in self_by_function.most_common(top)] if total else []
    lines += ["", "inclusive time by function:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top * 2)] if total else []
    return "\n".join(lines) + "\n"


# --- report -------------------------------------------------------------------------------------


def print_level(result: LevelResult) -> None:
    line = (f"  {result.bot:<22} {result.users:>3} users  {result.turns_per_second:7.2f} turns/s  "
            f"p50 {result.p50_ms:7.0f} ms  p95 {result.p95_ms:7.0f} ms  p99 {result.p99_ms:7.0f} ms  "
            f"({result.turns} turns in {result.seconds:.0f} s, {result.errors} errors")
    if result.submitted or result.declined:
        line += f"; terminations submitted {result.submitted}, declined {result.declined}"
    print(line + ")", flush=True)
    for failure in result.failures[:3]:
        print(f"      error: {failure}")


def verdicts(ours: LevelResult, stock: LevelResult) -> dict[str, object]:
    """The ratios at one level against the targets (at least 2x the turns/s, at most half the p95)."""
    turns_ratio = ours.turns_per_second / stock.turns_per_second if stock.turns_per_second else float("nan")
    p95_ratio = ours.p95_ms / stock.p95_ms if stock.p95_ms else float("nan")
    return {
        "users": ours.users,
        "turns_ratio": turns_ratio,
        "p95_ratio": p95_ratio,
        "turns_target_met": turns_ratio >= TARGET_TURNS_RATIO and ours.errors == 0,
        "p95_target_met": p95_ratio <= TARGET_P95_RATIO and ours.errors == 0,
    }


def machine() -> dict[str, object]:
    """What the numbers were measured on."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                     if line.startswith("MemTotal"))
    return {"cpus": os.cpu_count(), "cpu": cpu, "ram_gb": round(memory_kb / 1024 / 1024, 1),
            "load_avg": os.getloadavg()}


# --- main ---------------------------------------------------------------------------------------


@contextmanager
def workspace(keep: bool) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="wgp-turns-bench-"))
    try:
        yield folder
    finally:
        if keep:
            print(f"logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short levels (a smoke run): 1 and 20 users, 10 s each")
    parser.add_argument("--users", default="1,20,50", help="comma-separated numbers of users (default 1,20,50)")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds per level (default 60)")
    parser.add_argument("--warmup", type=float, default=10.0, help="unmeasured seconds before each level")
    parser.add_argument("--model", type=Path, default=MODEL, help="our trained model")
    parser.add_argument("--stock-dir", type=Path, default=None,
                        help="reuse a folder where `rasa init` was run before (trains there when it has no model)")
    parser.add_argument("--no-stock", action="store_true", help="skip the stock bot baseline")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy the Rasa, action server and portal processes during the 20-user level "
                             "(writes bench/profiles/)")
    parser.add_argument("--rasa-url", default=None,
                        help="measure a stack started elsewhere (e.g. the scaled setup) instead of starting one; "
                             "needs --portal-url; its data is not reset between levels")
    parser.add_argument("--portal-url", default=None, help="the portal of the --rasa-url stack")
    parser.add_argument("--skip-scaled", action="store_true",
                        help="leave out the scaled stack (scripts/run_scaled.py: PostgreSQL, Redis, 2 portal workers, "
                             "2 action servers, 2 Rasa processes behind nginx), measured after the single-process one")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder with the services' logs")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.users = "1,20" if args.users == "1,20,50" else args.users
        args.duration, args.warmup = min(args.duration, 10.0), min(args.warmup, 3.0)
    args.levels = [int(value) for value in args.users.split(",")]
    if bool(args.rasa_url) != bool(args.portal_url):
        parser.error("--rasa-url and --portal-url go together")
    return args


# Our workload's name in each phase: the single-process stack, the scaled one, or one started elsewhere.
PHASES = {"single": "our stack", "scaled": "scaled stack", "external": "external stack"}
STOCK = "stock rasa init bot"


def measure(stack: OurStack | ScaledBenchStack | ExternalStack, phase: str, stock: StockBot | None,
            args: argparse.Namespace, results: list[LevelResult] | None = None) -> list[LevelResult]:
    """Every level against one of our stacks, each followed by the same level against the stock bot; appends to
    `results` (when given) as it goes, so that a failure keeps the levels measured before it."""
    name = PHASES[phase]
    print(f"  {name}: between levels, {stack.RESET}", flush=True)
    portal = portal_test_server.Portal(url=stack.portal_url, data_dir=stack.data_dir, env={})
    first_token = login(portal, HR_ACCOUNTS[0])
    groups = termination_groups(stack.portal_url, first_token)
    probe = OurWorkload(stack.rasa_url, stack.portal_url, {HR_ACCOUNTS[0]: first_token}, TerminationPool({}))
    recognised = set(asyncio.run(probe_groups(probe, groups)))
    print(f"  {len(recognised)} of {len(groups)} names with 2-5 matches are recognised by the assistant", flush=True)
    label = {"single": "ours", "scaled": "scaled", "external": "external"}[phase]
    results = [] if results is None else results
    for users in args.levels:
        stack.reset_portal()  # our own stacks: every level meets the same seeded data
        portal.tokens.clear()
        tokens = login_all(portal)
        accepted = termination_groups(stack.portal_url, tokens[HR_ACCOUNTS[0]])
        pool = {query: numbers for query, numbers in accepted.items() if query in recognised}
        print(f"  {name}, {users} users: {sum(map(len, pool.values()))} participants to terminate once each",
              flush=True)
        workload = OurWorkload(stack.rasa_url, stack.portal_url, tokens, TerminationPool(pool))
        profiler = None
        if args.profile and users == 20 and stack.pids():
            profiler = Profiler(stack.pids(), args.duration, f"{label}-20", stack.FORKING)
        result = asyncio.run(run_level(Workload(name, stack.rasa_url, 5, workload.converse), users, args.duration,
                                       args.warmup, profiler.start if profiler else None))
        result.phase = phase
        results.append(result)
        print_level(result)
        if profiler:
            for summary in profiler.finish():
                print(f"      profile: {summary.relative_to(REPO_ROOT)}")
        if stock is not None:
            stock_label = "stock-20" if phase == "single" else f"stock-{label}-20"
            profiler = Profiler(stock.pids(), args.duration, stock_label) if args.profile and users == 20 else None
            result = asyncio.run(run_level(stock_workload(stock.url), users, args.duration, args.warmup,
                                           profiler.start if profiler else None))
            result.phase = phase
            results.append(result)
            print_level(result)
            if profiler:
                profiler.finish()
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.rasa_url and not args.model.exists():
        print(f"No model at {args.model}: run `make train` first.")
        return 2
    print(f"turns benchmark: levels {args.levels} users, {args.duration:.0f} s measured + {args.warmup:.0f} s warm-up "
          f"each; machine {machine()}", flush=True)
    results: list[LevelResult] = []
    scaled_status = "skipped (--skip-scaled)" if args.skip_scaled else "not run"
    with workspace(args.keep) as folder:
        stack = stock = None
        try:
            if not args.no_stock:
                started = time.monotonic()
                stock = StockBot(folder, args.stock_dir)
                trained = f"(rasa init + train {stock.train_seconds:.0f} s)" if stock.train_seconds else "(reused)"
                print(f"  stock bot up in {time.monotonic() - started:.0f} s {trained}", flush=True)
            started = time.monotonic()
            if args.rasa_url:
                stack, phase = ExternalStack(args.rasa_url, args.portal_url), "external"
                print(f"  external stack: Rasa {stack.rasa_url}, portal {stack.portal_url}", flush=True)
                scaled_status = "skipped (an external stack was measured)"
            else:
                stack, phase = OurStack(folder / "ours", args.model), "single"
                print(f"  our stack (portal, action server, Rasa: one process each) up in "
                      f"{time.monotonic() - started:.0f} s", flush=True)
            results += measure(stack, phase, stock, args)
            stack.stop()
            stack = None
            if scaled_status == "not run":
                print("\n  scaled stack: PostgreSQL, Redis, portal (2 workers), 2 action servers, 2 Rasa processes "
                      "behind nginx, on free ports; starting...", flush=True)
                started = time.monotonic()
                try:
                    stack = ScaledBenchStack(folder / "scaled", args.model)
                except (RuntimeError, SystemExit, subprocess.CalledProcessError) as exc:
                    detail = getattr(exc, "stderr", None) or str(exc)
                    detail = detail.decode(errors="replace") if isinstance(detail, bytes) else detail
                    scaled_status = f"failed to start: {detail.strip()[-2000:]}"
                    print(f"  scaled stack: NOT RUN, it {scaled_status}", flush=True)
                else:
                    print(f"  scaled stack up in {time.monotonic() - started:.0f} s", flush=True)
                    scaled_results: list[LevelResult] = []
                    try:
                        scaled_results = measure(stack, "scaled", stock, args, scaled_results)
                        scaled_status = "run"
                    except (RuntimeError, httpx.HTTPError, subprocess.CalledProcessError, AssertionError) as exc:
                        # The single-process figures stand; the levels measured before the failure are kept.
                        scaled_status = f"failed while measuring: {type(exc).__name__}: {str(exc)[-500:]}"
                        print(f"  scaled stack: {scaled_status}", flush=True)
                    results += scaled_results
        finally:
            for running in (stack, stock):
                if running is not None:
                    running.stop()
    summary = summarise(results)
    summary["scaled"] = scaled_status
    summary["reset"] = {"single": OurStack.RESET, "scaled": ScaledBenchStack.RESET}
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, default=str))
    scaled_failed = scaled_status.startswith("failed")
    return 0 if all(r.errors == 0 for r in results) and not scaled_failed else 1


def summarise(results: list[LevelResult]) -> dict[str, object]:
    """Prints each of our stacks against the stock bot measured alongside it, the verdicts at 20 users, and the
    stacks side by side; returns everything as a dict."""
    by_level = {(r.phase, r.bot, r.users): r for r in results}
    comparisons = []
    for phase, name in PHASES.items():
        pairs = [(ours, by_level.get((phase, STOCK, ours.users))) for ours in results
                 if ours.phase == phase and ours.bot == name]
        pairs = sorted(((ours, stock) for ours, stock in pairs if stock is not None), key=lambda p: p[0].users)
        if not pairs:
            continue
        print(f"\nconversation turns, {name} vs the stock rasa init bot measured alongside it "
              "(ratio turns/s, ratio p95):")
        for ours, stock in pairs:
            verdict = {"stack": phase, **verdicts(ours, stock)}
            comparisons.append(verdict)
            line = f"  {name} / stock, {ours.users:>3} users: turns/s x{verdict['turns_ratio']:.2f}, " \
                   f"p95 x{verdict['p95_ratio']:.2f}"
            if ours.users == 20:
                line += (f"   target >= x{TARGET_TURNS_RATIO:.1f}: "
                         f"{'MET' if verdict['turns_target_met'] else 'MISSED'};"
                         f" target p95 <= x{TARGET_P95_RATIO:.1f}: {'MET' if verdict['p95_target_met'] else 'MISSED'}")
            print(line)
    side_by_side = side_by_side_rows(results)
    if side_by_side:
        print("\nside by side, turns/s and p95 ms per level (each stock column measured alongside that stack):")
        for row in side_by_side:
            print("  " + row)
    errors = sum(r.errors for r in results)
    if errors:
        print(f"  {errors} wrong or missing answers: the figures of those levels are not valid")
    return {"date": datetime.now().isoformat(timespec="seconds"), "machine": machine(),
            "levels": [{k: v for k, v in vars(r).items() if k != "failures"} for r in results],
            "comparisons": comparisons}


def side_by_side_rows(results: list[LevelResult]) -> list[str]:
    """One row per number of users: the single-process stack, the scaled one, the stock bot alongside each, and
    scaled / single-process. Empty unless both of our stacks were measured."""
    by_level = {(r.phase, r.bot, r.users): r for r in results}
    if not any(r.phase == "scaled" for r in results) or not any(r.phase == "single" for r in results):
        return []
    columns = [("single", PHASES["single"]), ("scaled", PHASES["scaled"]), ("single", STOCK), ("scaled", STOCK)]
    titles = ["our stack", "scaled stack", "stock (with ours)", "stock (with scaled)"]
    rows = [f"{'users':>5}  " + "  ".join(f"{title:>19}" for title in titles) + "  scaled / ours"]
    for users in sorted({r.users for r in results}):
        cells = []
        for phase, bot in columns:
            level = by_level.get((phase, bot, users))
            cells.append(f"{level.turns_per_second:7.2f} /{level.p95_ms:6.0f} ms" if level else "-")
        single, scaled = by_level.get(("single", PHASES["single"], users)), by_level.get(("scaled", PHASES["scaled"],
                                                                                          users))
        ratio = ""
        if single and scaled and single.turns_per_second and single.p95_ms:
            ratio = (f"turns/s x{scaled.turns_per_second / single.turns_per_second:.2f}, "
                     f"p95 x{scaled.p95_ms / single.p95_ms:.2f}")
        rows.append(f"{users:>5}  " + "  ".join(f"{cell:>19}" for cell in cells) + f"  {ratio}")
    return rows


if __name__ == "__main__":
    sys.exit(main())

"""Starts the scaled-out stack on loopback, without containers, and stops all of it on Ctrl-C.

What runs (every part a standard engine from Debian or our own code, several processes where it scales):

- PostgreSQL: a throw-away cluster (initdb/pg_ctl; as the `postgres` user when run as root) with the
  databases `portal` and `rasa`; or your server when DATABASE_URL is set (then also set
  RASA_TRACKER_DATABASE_URL, or the tracker store goes into the portal's database, in its own tables).
- Redis without persistence: Rasa's lock store, and the Socket.IO channel's message queue between the
  Rasa processes (so a service-desk message reaches a widget connected to another process).
- The portal on PostgreSQL with `uvicorn --workers 2` on :8000 (migrations and seed run once, before).
- Two action servers (`rasa run actions`) behind nginx on :5055.
- Two Rasa servers (`rasa run`, SQL tracker store on PostgreSQL, Redis lock store) behind nginx on :5005;
  Socket.IO (the widget) is pinned to one process per client (ip_hash), everything else is round-robin.

The public ports are the ones of `make run` (contract §1); the individual processes listen on free ports,
printed at start. `python scripts/run_scaled.py --help` for the options; the tests use `ScaledStack`.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSISTANT_BIN = REPO_ROOT / ".venv" / "bin"
PORTAL_BIN = REPO_ROOT / "portal" / ".venv" / "bin"
MODEL = REPO_ROOT / "models" / "assistant.tar.gz"
# Loading the model takes 20-60 s per Rasa process; a loaded 2-core machine needs the margin.
STARTUP_TIMEOUT_S = 300.0
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/bin/nginx")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port: int) -> bool:
    """Whether something accepts connections on the loopback port."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def answers(url: str, timeout_s: float = 2.0) -> bool:
    """Whether the URL answers 200 right now."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 - local URLs we built
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def executable(name: str, candidates: tuple[str, ...] = ()) -> str:
    """The path of a system program, or an error that says which Debian package brings it."""
    found = shutil.which(name) or next((c for c in candidates if Path(c).exists()), None)
    if found is None:
        package = {"redis-server": "redis-server", "nginx": "nginx-light"}.get(name, "postgresql")
        raise SystemExit(f"{name} is missing: `make install` installs it (Debian package {package}).")
    return found


def pg_bin(name: str) -> str:
    """A PostgreSQL server program (Debian keeps them outside PATH)."""
    return executable(name, tuple(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)))


def as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; the Debian package brings the `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class Ports:
    """The public addresses (as `make run`) and the ports of the individual processes behind them."""

    portal: int = 8000
    rasa: int = 5005
    actions: int = 5055
    rasa_processes: list[int] = field(default_factory=list)
    action_processes: list[int] = field(default_factory=list)
    redis: int = 0
    postgres: int = 0

    @classmethod
    def free(cls, portal: int, rasa: int, actions: int, rasa_count: int = 2, action_count: int = 2) -> Ports:
        """Public ports as given; every internal port a free one."""
        return cls(portal, rasa, actions, [free_port() for _ in range(rasa_count)],
                   [free_port() for _ in range(action_count)], free_port(), free_port())


class Process:
    """A background process in its own session (so stopping it stops its children), output in a log file."""

    def __init__(self, name: str, command: list[str], log_path: Path, env: dict[str, str], health_url: str = "") -> None:
        self.name, self.command, self.log_path, self.env, self.health_url = name, command, log_path, env, health_url
        self.popen: subprocess.Popen | None = None

    def start(self) -> None:
        """Starts the process, appending to its log."""
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(self.command, cwd=REPO_ROOT, env=self.env, stdin=subprocess.DEVNULL,
                                          stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        """The process id (the session leader)."""
        assert self.popen is not None
        return self.popen.pid

    def running(self) -> bool:
        """Whether the process is alive."""
        return self.popen is not None and self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        """The last lines of its output."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_ready(self, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        """Polls the health URL until it answers 200; raises with the output when the process dies or times out."""
        deadline = time.monotonic() + timeout_s
        while not answers(self.health_url):
            if not self.running():
                raise RuntimeError(f"{self.name} exited while starting:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} was not ready after {timeout_s:.0f} s:\n{self.tail()}")
            time.sleep(1)

    def kill(self) -> None:
        """SIGKILL, as a crash or an evicted pod: no clean shutdown."""
        if self.running():
            os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait()

    def terminate(self) -> None:
        """Asks the process group to end (SIGTERM)."""
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)

    def stop(self, timeout_s: float = 20) -> None:
        """SIGTERM to the process group, SIGKILL if it does not end in time."""
        if self.popen is None:
            return
        self.terminate()
        try:
            self.popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait()


def nginx_config(ports: Ports, directory: Path) -> str:
    """nginx as the one address of the Rasa processes and of the action servers."""

    def servers(port_list: list[int]) -> str:
        # After one failed connection a process is skipped for 10 s: a killed Rasa costs no request.
        return "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in port_list)

    return f"""# Written by scripts/run_scaled.py; regenerated at every start.
daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    # Which process served each request ($upstream_addr); the path without its query string.
    log_format upstreams '$time_iso8601 $server_port $request_method $uri $status $upstream_addr $request_time';
    access_log {directory}/access.log upstreams;
    client_body_temp_path {directory}/spool/body;
    proxy_temp_path {directory}/spool/proxy;
    fastcgi_temp_path {directory}/spool/fastcgi;
    uwsgi_temp_path {directory}/spool/uwsgi;
    scgi_temp_path {directory}/spool/scgi;
    client_max_body_size 10m;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}

    upstream rasa {{
{servers(ports.rasa_processes)}
        keepalive 32;
    }}
    # Socket.IO: a client's long-polling requests and its websocket upgrade must reach the process that
    # holds its session, so the client's address picks the process. (A hash of the `sid` query parameter
    # would not do: the handshake that creates the sid has none, and its hash may point elsewhere.)
    upstream rasa_socketio {{
        ip_hash;
{servers(ports.rasa_processes)}
    }}
    upstream actions {{
{servers(ports.action_processes)}
        keepalive 32;
    }}

    server {{
        listen 127.0.0.1:{ports.rasa};
        location /socket.io/ {{
            proxy_pass http://rasa_socketio;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_buffering off;
            proxy_read_timeout 1h;
        }}
        location / {{
            proxy_pass http://rasa;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 120s;
            proxy_next_upstream error timeout http_502 http_503;
        }}
    }}
    server {{
        listen 127.0.0.1:{ports.actions};
        location / {{
            proxy_pass http://actions;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_read_timeout 120s;
        }}
    }}
}}
"""


def uvicorn_log_config() -> dict:
    """Log lines with the worker's pid, so one can see that every worker serves requests."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"format": "%(asctime)s pid=%(process)d %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"}},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            # The portal's own loggers, its access log among them (paths without query strings, which may
            # hold a name or a BSN: uvicorn's access log stays off); the portal keeps handlers it finds.
            "portal": {"handlers": ["default"], "level": "INFO", "propagate": False},
        },
    }


def endpoints_config(ports: Ports, tracker_url: str) -> dict:
    """Rasa's endpoints: the action servers through nginx, the SQL tracker store, the Redis lock store."""
    tracker = urlsplit(tracker_url)
    return {
        "action_endpoint": {"url": f"http://127.0.0.1:{ports.actions}/webhook"},
        "tracker_store": {
            # Rasa's SQL store, writing every BSN masked.
            "type": "bot.tracker_store.MaskingSQLTrackerStore",
            "dialect": "postgresql",
            "url": tracker.hostname,
            "port": tracker.port or 5432,
            "db": tracker.path.lstrip("/"),
            "username": tracker.username or "",
            "password": tracker.password or "",
        },
        "lock_store": {"type": "redis", "url": "127.0.0.1", "port": ports.redis, "db": 1, "key_prefix": "wgp"},
    }


def credentials_config(ports: Ports) -> str:
    """credentials.yml with the Socket.IO channel's Redis queue, so any Rasa process can reach any widget."""
    import_marker = "bot.channels.socketio.ChatTokenSocketIOInput:"
    text = (REPO_ROOT / "credentials.yml").read_text()
    if import_marker not in text:
        raise RuntimeError(f"credentials.yml has no {import_marker} section to extend")
    return text.replace(import_marker, f"{import_marker}\n  redis_url: \"redis://127.0.0.1:{ports.redis}/2\"", 1)


class ScaledStack:
    """PostgreSQL, Redis, the portal (2 workers), 2 action servers and 2 Rasa servers, nginx in front."""

    def __init__(self, workdir: Path, ports: Ports, portal_data_dir: Path | None = None,
                 database_url: str = "", tracker_url: str = "", model: Path = MODEL) -> None:
        self.workdir = workdir
        self.ports = ports
        self.portal_data_dir = portal_data_dir or workdir / "portal"
        self.model = model
        self.database_url = database_url
        self.tracker_url = tracker_url
        self.pg_data: Path | None = None
        self.processes: dict[str, Process] = {}
        self.nginx_dir: Path | None = None

    # --- the parts ------------------------------------------------------------------------------------

    @property
    def portal_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.portal}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.actions}"

    def rasa_process_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports.rasa_processes]

    def portal_env(self) -> dict[str, str]:
        """The portal's environment: PostgreSQL, its key directory, Rasa behind nginx."""
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "PORTAL_DATA_DIR": str(self.portal_data_dir),
            "PORTAL_RASA_URL": self.rasa_url,
            "PORTAL_CHAT_SOCKET_URL": self.rasa_url,
            "PORTAL_PUBLIC_URL": self.portal_url,
        }

    def assistant_env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
            "PORTAL_URL": self.portal_url,
        })
        env.update(extra)
        return env

    def _log(self, name: str) -> Path:
        return self.workdir / "logs" / f"{name}.log"

    def _start_postgres(self) -> None:
        if self.database_url:
            if not self.tracker_url:
                self.tracker_url = self.database_url
            return
        # Not under the work directory: that may be private to root, and the server runs as postgres.
        self.pg_data = Path(tempfile.mkdtemp(prefix="wgp-scaled-pg-"))
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.pg_data, user.pw_uid, user.pw_gid)
        port = self.ports.postgres
        subprocess.run(as_postgres_user([pg_bin("initdb"), "-D", str(self.pg_data), "-A", "trust", "-U", "portal",
                                         "-E", "UTF8"]), check=True, capture_output=True)
        # fsync off: a throw-away cluster; max_connections for 2 portal workers (20 each) and 2 Rasa processes.
        options = (f"-p {port} -k {self.pg_data} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c max_connections=200")
        subprocess.run(as_postgres_user([pg_bin("pg_ctl"), "-D", str(self.pg_data), "-o", options,
                                         "-l", str(self.pg_data / "log"), "-w", "start"]),
                       check=True, capture_output=True)
        for database in ("portal", "rasa"):
            subprocess.run([pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "portal", database],
                           check=True, capture_output=True)
        self.database_url = f"postgresql://portal@127.0.0.1:{port}/portal"
        self.tracker_url = f"postgresql://portal@127.0.0.1:{port}/rasa"

    def _start_redis(self) -> None:
        # No persistence: the lock store's locks and the Socket.IO queue are short-lived by nature.
        command = [executable("redis-server"), "--port", str(self.ports.redis), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--protected-mode", "yes"]
        redis = Process("redis", command, self._log("redis"), dict(os.environ))
        redis.start()
        self.processes["redis"] = redis
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.ports.redis), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if not redis.running() or time.monotonic() > deadline:
                raise RuntimeError(f"redis did not start:\n{redis.tail()}")
            time.sleep(0.2)

    def _prepare_portal(self) -> None:
        """Migrations and seed once, and every key file made, before any worker starts (workers would race)."""
        env = self.portal_env()
        self.portal_data_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(PORTAL_BIN / "portal"), "init-db"], env=env, check=True, capture_output=True)
        # The token-signing key is made on first use; two workers starting at once would make two.
        subprocess.run([str(PORTAL_BIN / "python"), "-c",
                        "from portal.accounts.security import signing_key; signing_key()"], env=env, check=True)

    def _portal_process(self) -> Process:
        log_config = self.workdir / "uvicorn-log.json"
        log_config.write_text(json.dumps(uvicorn_log_config(), indent=2))
        command = [str(PORTAL_BIN / "uvicorn"), "portal.main:app", "--host", "127.0.0.1", "--port",
                   str(self.ports.portal), "--workers", "2", "--log-config", str(log_config), "--no-access-log"]
        return Process("portal", command, self._log("portal"), self.portal_env(), f"{self.portal_url}/api/health")

    def _prepare_tracker_store(self) -> None:
        """Creates the tracker store's tables once: two Rasa processes creating them at once collide."""
        config = endpoints_config(self.ports, self.tracker_url)["tracker_store"]
        code = ("import sys, json; from rasa.core.tracker_store import SQLTrackerStore; "
                "c = json.loads(sys.argv[1]); c.pop('type'); c['host'] = c.pop('url'); SQLTrackerStore(**c)")
        subprocess.run([str(ASSISTANT_BIN / "python"), "-c", code, json.dumps(config)], env=self.assistant_env(),
                       check=True, capture_output=True)

    def _action_process(self, index: int) -> Process:
        port = self.ports.action_processes[index]
        command = [str(ASSISTANT_BIN / "rasa"), "run", "actions", "--port", str(port), "--actions", "actions"]
        # rasa_sdk has no --interface option; it reads the host from SANIC_HOST.
        return Process(f"actions-{index + 1}", command, self._log(f"actions-{index + 1}"),
                       self.assistant_env(SANIC_HOST="127.0.0.1"), f"http://127.0.0.1:{port}/health")

    def _rasa_process(self, index: int) -> Process:
        port = self.ports.rasa_processes[index]
        endpoints = self.workdir / "endpoints.yml"
        credentials = self.workdir / "credentials.yml"
        command = [
            str(ASSISTANT_BIN / "rasa"), "run", "--enable-api", "--interface", "127.0.0.1", "--port", str(port),
            "--model", str(self.model), "--credentials", str(credentials), "--endpoints", str(endpoints),
            # As in the Procfile: the HTTP API only with the portal's ES256 tokens.
            "--jwt-method", "ES256", "--jwt-secret", str(self.portal_data_dir / "keys" / "rasa-api-es256.pub.pem"),
            "--jwt-private-key", "unused-rasa-only-verifies",
        ]
        # "/" answers only once the model is loaded.
        return Process(f"rasa-{index + 1}", command, self._log(f"rasa-{index + 1}"), self.assistant_env(),
                       f"http://127.0.0.1:{port}/")

    def _nginx_process(self) -> Process:
        # Its own world-readable directory: nginx's workers run as nobody when started by root.
        self.nginx_dir = Path(tempfile.mkdtemp(prefix="wgp-scaled-nginx-"))
        self.nginx_dir.chmod(0o755)
        (self.nginx_dir / "spool").mkdir()
        config = self.nginx_dir / "nginx.conf"
        config.write_text(nginx_config(self.ports, self.nginx_dir))
        shutil.copy(config, self.workdir / "nginx.conf")  # beside the other configs, for reading
        nginx = executable("nginx", NGINX_CANDIDATES)
        command = [nginx, "-p", str(self.nginx_dir), "-c", str(config), "-e", str(self.nginx_dir / "error.log")]
        subprocess.run([*command, "-t"], check=True, capture_output=True)
        return Process("nginx", command, self._log("nginx"), dict(os.environ), f"{self.actions_url}/health")

    @property
    def nginx_access_log(self) -> Path:
        """One line per proxied request: port, method, path, status, the process that served it."""
        assert self.nginx_dir is not None
        return self.nginx_dir / "access.log"

    # --- the whole ------------------------------------------------------------------------------------

    def start(self, say: callable = lambda _message: None) -> None:
        """Starts every part in order and waits until each answers; stops what started when one fails."""
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        try:
            say("PostgreSQL...")
            self._start_postgres()
            say("Redis...")
            self._start_redis()
            say("portal: migrations and demo data (once), then 2 workers...")
            self._prepare_portal()
            self.processes["portal"] = self._portal_process()
            self.processes["portal"].start()
            self._prepare_tracker_store()
            (self.workdir / "endpoints.yml").write_text(json.dumps(endpoints_config(self.ports, self.tracker_url),
                                                                    indent=2))
            (self.workdir / "credentials.yml").write_text(credentials_config(self.ports))
            say("2 action servers, 2 Rasa servers (loading the model takes a while), nginx...")
            parts = [self._action_process(i) for i in range(len(self.ports.action_processes))]
            parts += [self._rasa_process(i) for i in range(len(self.ports.rasa_processes))]
            for part in parts:
                self.processes[part.name] = part
                part.start()
            self.processes["nginx"] = self._nginx_process()
            self.processes["nginx"].start()
            for part in self.processes.values():
                if part.health_url:
                    part.wait_ready()
                    say(f"  {part.name} is up")
        except BaseException:
            self.stop()
            raise

    def restart(self, name: str) -> None:
        """Starts a stopped or killed process again and waits until it answers."""
        part = self.processes[name]
        part.stop()
        part.start()
        part.wait_ready()

    def stop(self) -> None:
        """Stops everything, front to back, and removes the throw-away cluster."""
        parts = list(reversed(self.processes.values()))
        for part in parts:  # all at once: Rasa takes a few seconds to shut down
            part.terminate()
        for part in parts:
            part.stop()
        if self.pg_data is not None:
            subprocess.run(as_postgres_user([pg_bin("pg_ctl"), "-D", str(self.pg_data), "-m", "fast", "stop"]),
                           capture_output=True)
            shutil.rmtree(self.pg_data, ignore_errors=True)
            self.pg_data = None
        if self.nginx_dir is not None:
            # The access log is worth keeping after a failed test.
            if self.nginx_access_log.exists():
                shutil.copy(self.nginx_access_log, self.workdir / "logs" / "nginx-access.log")
            shutil.rmtree(self.nginx_dir, ignore_errors=True)
            self.nginx_dir = None

    def dead(self) -> list[str]:
        """The processes that have ended."""
        return [name for name, part in self.processes.items() if not part.running()]

    def __enter__(self) -> ScaledStack:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def banner(stack: ScaledStack) -> str:
    """Where to go, and which process listens where."""
    ports = stack.ports
    return f"""
==============================================================================
 Werkgeversportaal is running, scaled out
   Portal (2 uvicorn workers)     {stack.portal_url}/   (health: /api/health)
   Rasa (nginx, 2 processes)      {stack.rasa_url}/webhooks/rest/webhook   widget: /socket.io/
       processes on               {", ".join(map(str, ports.rasa_processes))}
   Action servers (nginx, 2)      {stack.actions_url}/health
       processes on               {", ".join(map(str, ports.action_processes))}
   PostgreSQL (portal + tracker)  127.0.0.1:{urlsplit(stack.database_url).port}
   Redis (locks, Socket.IO queue) 127.0.0.1:{ports.redis}
   Logs and generated configs     {stack.workdir}
 Demo logins as with `make run` (see the README). Stop everything: Ctrl-C
==============================================================================
"""


def interrupt(_signal: int, _frame: object) -> None:
    """SIGINT (Ctrl-C) and SIGTERM stop the stack."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """`make run-scaled`: starts the stack, reports a process that dies, stops all on Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=REPO_ROOT / "var" / "scaled",
                        help="logs and generated configs (default var/scaled)")
    parser.add_argument("--portal-data-dir", type=Path, default=REPO_ROOT / "var",
                        help="the portal's key files (default var, as `make run`)")
    parser.add_argument("--portal-port", type=int, default=8000)
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument("--actions-port", type=int, default=5055)
    parser.add_argument("--model", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    busy = [port for port in (args.portal_port, args.rasa_port, args.actions_port) if listening(port)]
    if busy:
        print(f"Ports in use: {busy}. Stop `make run` (or whatever listens there) first.", file=sys.stderr)
        return 1
    ports = Ports.free(args.portal_port, args.rasa_port, args.actions_port)
    stack = ScaledStack(args.workdir.resolve(), ports, args.portal_data_dir.resolve(),
                        database_url=os.environ.get("DATABASE_URL", ""),
                        tracker_url=os.environ.get("RASA_TRACKER_DATABASE_URL", ""), model=args.model)
    # Ctrl-C reaches make and this script; the parts run in their own sessions and are stopped here.
    # Also SIGINT explicitly: a shell starting us in the background would have it ignored.
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)
    try:
        stack.start(say=lambda message: print(message, flush=True))
        print(banner(stack), flush=True)
        reported: set[str] = set()
        while True:
            time.sleep(2)
            for name in set(stack.dead()) - reported:
                print(f"{name} has stopped; its log: {stack.processes[name].log_path}", flush=True)
                reported.add(name)
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
